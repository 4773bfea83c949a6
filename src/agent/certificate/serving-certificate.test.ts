import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateAuthority } from '../../pki/certificate-authority.js';
import { createCertificateRequest, parseCertificateRequest } from '../../pki/certificate-request.js';
import { reusableCertificate, rotationDelayMs } from './serving-certificate.js';

async function servingCert(lifetimeMs: number, now: Date): Promise<string> {
  const ca = await CertificateAuthority.create('ca');
  const parsed = parseCertificateRequest((await createCertificateRequest({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'], ipAddresses: ['10.0.0.5'] })).csrPem);
  assert.ok(parsed.ok);
  return ca.signRequest(parsed.csr.request, { usages: ['digital signature', 'server auth'], now, notAfter: new Date(now.getTime() + lifetimeMs) });
}

describe('kubelet serving certificate reuse and rotation', () => {
  it('reuses a certificate for this node and IP until 80% of its lifetime', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const pem = await servingCert(10 * 3600_000, now);
    // validFrom is a minute before `now` (clock skew), so 80% of the lifetime is 8 h 12 s after validFrom.
    const due = now.getTime() - 60_000 + 0.8 * (10 * 3600_000 + 60_000);
    assert.equal(rotationDelayMs(pem, now.getTime()), due - now.getTime());
    assert.equal(reusableCertificate(pem, 'n1', '10.0.0.5', now.getTime()), true);
    assert.equal(reusableCertificate(pem, 'n1', '10.0.0.5', due + 1), false);
    assert.equal(rotationDelayMs(pem, due + 1), 0);
    assert.equal(reusableCertificate(pem, 'n2', '10.0.0.5', now.getTime()), false);
    assert.equal(reusableCertificate(pem, 'n1', '10.0.0.6', now.getTime()), false);
    assert.equal(reusableCertificate('junk', 'n1', '10.0.0.5', now.getTime()), false);
  });
});
