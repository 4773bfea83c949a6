import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ensureClusterCertificates } from './cluster-certificates.js';

describe('ensureClusterCertificates()', () => {
  it('creates a CA, a serving certificate with the wanted SANs and an admin client certificate, then reuses them', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-pki-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const first = await ensureClusterCertificates({ dataDir: dir, extraSans: ['api.example.test', '10.9.9.9'] });
    const ca = new X509Certificate(first.ca.pem.certPem);
    const serving = new X509Certificate(first.serving.certPem);
    assert.ok(ca.ca);
    assert.ok(serving.checkIssued(ca));
    for (const san of ['DNS:localhost', 'DNS:kubernetes.default.svc.cluster.local', 'DNS:api.example.test', 'IP Address:127.0.0.1', 'IP Address:10.43.0.1', 'IP Address:10.9.9.9']) {
      assert.ok(serving.subjectAltName?.includes(san), `missing ${san}`);
    }
    const admin = new X509Certificate(first.admin.certPem);
    assert.match(admin.subject, /CN=system:admin/);
    assert.match(admin.subject, /O=system:masters/);
    assert.equal(statSync(join(dir, 'tls', 'ca.key')).mode & 0o777, 0o600);
    assert.match(first.ca.publicKeyHash, /^sha256:[0-9a-f]{64}$/);

    const second = await ensureClusterCertificates({ dataDir: dir, extraSans: ['api.example.test', '10.9.9.9'] });
    assert.equal(second.ca.pem.certPem, first.ca.pem.certPem);
    assert.equal(second.serving.certPem, first.serving.certPem, 'serving certificate reused when SANs are covered');

    const third = await ensureClusterCertificates({ dataDir: dir, extraSans: ['other.example.test'] });
    assert.notEqual(third.serving.certPem, first.serving.certPem, 'serving certificate re-issued for a new SAN');
    assert.ok(new X509Certificate(third.serving.certPem).subjectAltName?.includes('DNS:other.example.test'));
  });
});
