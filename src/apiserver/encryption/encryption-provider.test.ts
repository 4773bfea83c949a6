import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AesCbcProvider } from './aes-cbc-provider.js';
import { AesGcmProvider } from './aes-gcm-provider.js';
import { IdentityProvider } from './identity-provider.js';
import { SecretboxProvider } from './secretbox-provider.js';
import type { EncryptionProvider } from './encryption-provider.js';

const key32 = randomBytes(32).toString('base64');
const plain = Buffer.from('{"data":{"password":"aHVudGVyMg=="}}');

describe('encryption providers', () => {
  const providers: EncryptionProvider[] = [
    new AesGcmProvider('k1', key32),
    new AesGcmProvider('k16', randomBytes(16).toString('base64')),
    new AesCbcProvider('k1', key32),
    new SecretboxProvider('k1', key32),
  ];
  for (const p of providers) {
    it(`${p.kind} (${p.keyName}) round-trips with a fresh nonce each time and hides the plaintext`, () => {
      const a = p.seal(plain, '/registry/secrets/default/s');
      const b = p.seal(plain, '/registry/secrets/default/s');
      assert.notDeepEqual(a, b);
      assert.equal(a.includes(Buffer.from('password')), false);
      assert.deepEqual(p.open(a, '/registry/secrets/default/s'), plain);
      assert.equal(p.prefix, `k8s:enc:${p.kind}:v1:${p.keyName}:`);
    });
    it(`${p.kind} (${p.keyName}) refuses tampered data`, () => {
      const sealed = p.seal(plain, '/registry/secrets/default/s');
      sealed.writeUInt8((sealed.at(-1) ?? 0) ^ 1, sealed.length - 1);
      // CBC has no authentication: a flipped last byte breaks its padding (or, rarely, yields other bytes).
      try {
        assert.notDeepEqual(p.open(sealed, '/registry/secrets/default/s'), plain);
      } catch (err) {
        assert.ok(err instanceof Error);
      }
    });
  }

  it('aesgcm binds the value to its storage key', () => {
    const p = new AesGcmProvider('k1', key32);
    const sealed = p.seal(plain, '/registry/secrets/default/a');
    assert.throws(() => p.open(sealed, '/registry/secrets/default/b'));
  });

  it('a wrong key does not open secretbox or aesgcm values', () => {
    const other = randomBytes(32).toString('base64');
    assert.throws(() => new SecretboxProvider('k1', other).open(new SecretboxProvider('k1', key32).seal(plain)), /authentication failed/);
    assert.throws(() => new AesGcmProvider('k1', other).open(new AesGcmProvider('k1', key32).seal(plain, ''), ''));
  });

  it('keys of the wrong size are refused', () => {
    assert.throws(() => new AesGcmProvider('k', randomBytes(10).toString('base64')), /Cannot use aesgcm key "k": the secret is 10 bytes/);
    assert.throws(() => new SecretboxProvider('k', randomBytes(16).toString('base64')), /want 32 bytes/);
  });

  it('identity stores values as they are', () => {
    const p = new IdentityProvider();
    assert.deepEqual(p.open(p.seal(plain)), plain);
    assert.equal(p.prefix, '');
  });
});
