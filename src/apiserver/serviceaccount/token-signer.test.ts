import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { LEGACY_ISSUER, SERVICE_ACCOUNT_ISSUER, TokenSigner } from './token-signer.js';
import { issuerDiscoveryDocuments, JWKS_PATH, OPENID_CONFIGURATION_PATH } from './service-account-issuer-discovery.js';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('TokenSigner', () => {
  const signer = new TokenSigner(pem);
  const issue = (audiences: string[] = []) => signer.issue({ namespace: 'ns', name: 'sa', uid: 'u1', audiences, expirationSeconds: 600, nowSeconds: 1000 });

  it('verifies its tokens inside their lifetime and for their audience only', () => {
    const { token } = issue();
    assert.equal(signer.verify(token, 1000)?.sub, 'system:serviceaccount:ns:sa');
    assert.equal(signer.verify(token, 1600), undefined);
    assert.equal(signer.verify(issue(['vault']).token, 1000), undefined);
    assert.equal(signer.verify(issue(['vault']).token, 1000, 'vault')?.aud[0], 'vault');
    assert.equal(new TokenSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()).verify(token, 1000), undefined);
  });

  it('keeps legacy and bound tokens apart', () => {
    const legacy = signer.issueLegacy({ namespace: 'ns', name: 'sa', uid: 'u1', secretName: 'sa-token' });
    assert.equal(signer.verify(legacy, 1000), undefined);
    assert.equal(signer.verifyLegacy(legacy)?.iss, LEGACY_ISSUER);
    assert.equal(signer.verifyLegacy(issue().token), undefined);
  });

  it('publishes a JWKS whose key verifies its tokens, and the OIDC discovery document', () => {
    const docs = issuerDiscoveryDocuments(signer);
    const jwks = JSON.parse(docs.get(JWKS_PATH)?.().body ?? '') as { keys: { kid: string; kty: string; crv: string; x: string; y: string }[] };
    const { token } = issue();
    const [h = '', p = '', s = ''] = token.split('.');
    const key = jwks.keys[0];
    assert.ok(key);
    assert.equal((JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string }).kid, key.kid);
    const pub = createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x, y: key.y }, format: 'jwk' });
    assert.equal(verify('sha256', Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')), true);
    const conf = JSON.parse(docs.get(OPENID_CONFIGURATION_PATH)?.().body ?? '') as { issuer: string; jwks_uri: string };
    assert.equal(conf.issuer, SERVICE_ACCOUNT_ISSUER);
    assert.equal(conf.jwks_uri, `${SERVICE_ACCOUNT_ISSUER}${JWKS_PATH}`);
  });
});
