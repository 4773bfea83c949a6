import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { CertificateAuthority } from './certificate-authority.js';
import { createCertificateRequest, parseCertificateRequest } from './certificate-request.js';

describe('certificate requests', () => {
  it('round-trips subject and SANs, and the CA signs with the asked usages and lifetime', async () => {
    const { csrPem, keyPem } = await createCertificateRequest({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'], ipAddresses: ['127.0.0.1'] });
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
    const parsed = parseCertificateRequest(csrPem);
    assert.ok(parsed.ok);
    assert.equal(parsed.csr.commonName, 'system:node:n1');
    assert.deepEqual(parsed.csr.organizations, ['system:nodes']);
    assert.deepEqual(parsed.csr.dnsNames, ['n1']);
    assert.deepEqual(parsed.csr.ipAddresses, ['127.0.0.1']);
    assert.equal(await parsed.csr.request.verify(), true);

    const ca = await CertificateAuthority.create('test-ca');
    const now = new Date();
    const pem = await ca.signRequest(parsed.csr.request, { usages: ['digital signature', 'server auth'], now, notAfter: new Date(now.getTime() + 3600_000) });
    const cert = new X509Certificate(pem);
    assert.ok(cert.checkIssued(new X509Certificate(ca.pem.certPem)));
    assert.ok(cert.verify(new X509Certificate(ca.pem.certPem).publicKey));
    assert.equal(cert.ca, false);
    assert.match(cert.subject, /CN=system:node:n1/);
    assert.match(cert.subjectAltName ?? '', /DNS:n1/);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(Math.abs(new Date(cert.validTo).getTime() - (now.getTime() + 3600_000)) < 2000);
    // The certificate is for the request's key: it pairs with the key the requester kept.
    assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(keyPem)));
  });

  it('caps a certificate at the CA expiry', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const { csrPem } = await createCertificateRequest({ commonName: 'u' });
    const parsed = parseCertificateRequest(csrPem);
    assert.ok(parsed.ok);
    const pem = await ca.signRequest(parsed.csr.request, { usages: ['client auth'], now: new Date(), notAfter: new Date(Date.now() + 100 * 365 * 86_400_000) });
    assert.equal(new Date(new X509Certificate(pem).validTo).getTime(), Math.floor(ca.notAfter.getTime() / 1000) * 1000);
  });

  it('says why text is not a request instead of throwing', () => {
    assert.deepEqual(parseCertificateRequest('hello'), { ok: false, reason: 'PEM block type must be CERTIFICATE REQUEST' });
    assert.deepEqual(parseCertificateRequest('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), { ok: false, reason: 'PEM block type must be CERTIFICATE REQUEST' });
    const junk = parseCertificateRequest('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----');
    assert.equal(junk.ok, false);
    assert.match(junk.ok ? '' : junk.reason, /^cannot parse the certificate request/);
  });
});
