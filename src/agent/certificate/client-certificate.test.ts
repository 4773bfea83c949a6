import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { CertificateAuthority } from '../../pki/certificate-authority.js';
import { parseCertificateRequest } from '../../pki/certificate-request.js';
import { clientCertificateFits, KUBE_APISERVER_CLIENT_KUBELET_SIGNER, rotateClientCertificate } from './client-certificate.js';

const HOUR = 3600_000;

/** A certificates API that signs every request at once for an hour from the fake clock's now. */
function signingApi(ca: CertificateAuthority, clock: FakeClock): { client: Parameters<typeof rotateClientCertificate>[0]['client']; created: KubeObject[]; switched: string[] } {
  const created: KubeObject[] = [];
  const certs = new Map<string, string>();
  const switched: string[] = [];
  return {
    created,
    switched,
    client: {
      create: async (_path, body) => {
        const name = `node-csr-${created.length}`;
        created.push(body);
        const spec = body['spec'] as { request: string };
        const parsed = parseCertificateRequest(Buffer.from(spec.request, 'base64').toString('utf8'));
        assert.ok(parsed.ok);
        certs.set(name, await ca.signRequest(parsed.csr.request, { usages: ['client auth'], now: new Date(clock.now()), notAfter: new Date(clock.now() + HOUR) }));
        return { ...body, metadata: { name } };
      },
      get: (path) => Promise.resolve({ metadata: { name: path.name }, status: { certificate: Buffer.from(certs.get(path.name ?? '') ?? '').toString('base64') } } as KubeObject),
      setClientCertificate: (certPem) => void switched.push(certPem),
    },
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not met');
}

void describe('client certificate rotation', () => {
  void it('renews at 80% of the lifetime as the node, switches the client and keeps the new certificate', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const clock = new FakeClock(Date.now());
    const first = await ca.issue({ commonName: 'system:node:n1', organizations: ['system:nodes'], usage: 'client', validityDays: 1 });
    const api = signingApi(ca, clock);
    const kept: string[] = [];
    const rotation = rotateClientCertificate({ client: api.client, nodeName: 'n1', certPem: first.certPem, clock, log: newLogger('test'), onRotated: (c) => void kept.push(c.certPem) });
    try {
      clock.advance(18 * HOUR);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(api.created.length, 0, 'too early: 75% of a day');
      clock.advance(2 * HOUR);
      await until(() => kept.length === 1);
      const spec = api.created[0]?.['spec'] as { signerName: string; usages: string[] };
      assert.equal(spec.signerName, KUBE_APISERVER_CLIENT_KUBELET_SIGNER);
      assert.deepEqual(spec.usages, ['digital signature', 'client auth']);
      assert.deepEqual(api.switched, kept);
      const cert = new X509Certificate(kept[0] ?? '');
      assert.deepEqual(cert.subject.split('\n').sort(), ['CN=system:node:n1', 'O=system:nodes']);
      assert.equal(clientCertificateFits(kept[0] ?? '', 'n1', clock.now()), true);
      assert.equal(clientCertificateFits(kept[0] ?? '', 'n2', clock.now()), false);
      // The new certificate (an hour long) is renewed in turn, 48 minutes on.
      clock.advance(47 * 60_000);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(kept.length, 1);
      clock.advance(2 * 60_000);
      await until(() => kept.length === 2);
    } finally {
      rotation.stop();
    }
  });

  void it('waits out a year-long certificate in timers a Node timer can hold', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const clock = new FakeClock(Date.now());
    const first = await ca.issue({ commonName: 'system:node:n1', organizations: ['system:nodes'], usage: 'client', validityDays: 365 });
    const api = signingApi(ca, clock);
    const kept: string[] = [];
    const rotation = rotateClientCertificate({ client: api.client, nodeName: 'n1', certPem: first.certPem, clock, log: newLogger('test'), onRotated: (c) => void kept.push(c.certPem) });
    try {
      clock.advance(290 * 24 * HOUR);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(api.created.length, 0, 'renewed before 80% of a year');
      clock.advance(3 * 24 * HOUR);
      await until(() => kept.length === 1);
    } finally {
      rotation.stop();
    }
  });
});
