import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta/types.js';
import { CertificateAuthority } from '../../pki/certificate-authority.js';
import { createCertificateRequest, parseCertificateRequest } from '../../pki/certificate-request.js';
import { csrExpiredReason } from './csr-cleaner-controller.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3600_000;
const csr = (status: unknown): KubeObject => ({ metadata: { name: 'c', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status });

describe('csrExpiredReason', () => {
  it('keeps pending requests a day and decided ones an hour after the decision', () => {
    assert.equal(csrExpiredReason(csr({}), T0 + 23 * HOUR), undefined);
    assert.equal(csrExpiredReason(csr({}), T0 + 25 * HOUR), 'pending for more than 24 hours');
    const denied = csr({ conditions: [{ type: 'Denied', status: 'True', lastUpdateTime: '2026-01-01T05:00:00Z' }] });
    assert.equal(csrExpiredReason(denied, T0 + 5.5 * HOUR), undefined);
    assert.equal(csrExpiredReason(denied, T0 + 6.5 * HOUR), 'denied more than an hour ago');
  });

  it('drops a request whose issued certificate expired', async () => {
    const ca = await CertificateAuthority.create('ca');
    const parsed = parseCertificateRequest((await createCertificateRequest({ commonName: 'u' })).csrPem);
    assert.ok(parsed.ok);
    const now = new Date();
    const pem = await ca.signRequest(parsed.csr.request, { usages: ['client auth'], now, notAfter: new Date(now.getTime() + 600_000) });
    const issued = csr({ conditions: [{ type: 'Approved', status: 'True', lastUpdateTime: now.toISOString() }], certificate: Buffer.from(pem).toString('base64') });
    assert.equal(csrExpiredReason(issued, now.getTime() + 60_000), undefined);
    assert.equal(csrExpiredReason(issued, now.getTime() + 700_000), 'its certificate expired');
  });
});
