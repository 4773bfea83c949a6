import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { computeDetachedSignature } from '../api/bootstrap/detached-jws.js';
import { CertificateAuthority } from '../pki/certificate-authority.js';
import { clusterInfoKubeconfig } from './cluster-info.js';
import { discoverCluster } from './token-discovery.js';

const TOKEN = 'abcdef.0123456789abcdef';

/** A stand-in API server: cluster-info as `data()` says, and GET /api answering `api()`. */
interface FakeServer {
  data: () => Record<string, string>;
  api: () => { status: number; message?: string };
}

void describe('token discovery', () => {
  let ca: CertificateAuthority;
  let server: Server;
  let url = '';
  const fake: FakeServer = { data: () => ({}), api: () => ({ status: 200 }) };
  let kubeconfig = '';

  before(async () => {
    ca = await CertificateAuthority.create('discovery-test-ca');
    const serving = await ca.issue({ commonName: 'apiserver', ipAddresses: ['127.0.0.1'], usage: 'server' });
    server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/api/v1/namespaces/kube-public/configmaps/cluster-info') {
        res.end(JSON.stringify({ kind: 'ConfigMap', data: fake.data() }));
        return;
      }
      const a = fake.api();
      res.statusCode = a.status;
      res.end(JSON.stringify({ kind: 'Status', message: a.message ?? '' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    kubeconfig = clusterInfoKubeconfig(url, ca.pem.certPem);
  });
  after(() => server.close());

  const signed = (secret = '0123456789abcdef'): Record<string, string> => ({ kubeconfig, 'jws-kubeconfig-abcdef': computeDetachedSignature(kubeconfig, 'abcdef', secret) });

  void it('trusts a pinned CA with a valid signature, also given as host:port', async () => {
    fake.data = () => signed();
    const r = await discoverCluster({ server: url.replace('https://', ''), token: TOKEN, caCertHashes: [ca.publicKeyHash], unsafeSkipCaVerification: false });
    assert.deepEqual(r, { ok: true, server: url, caPem: ca.pem.certPem, caCertHash: ca.publicKeyHash });
  });

  void it('refuses a forged signature (a man in the middle without the token) when the CA is not pinned', async () => {
    fake.data = () => signed('ffffffffffffffff');
    const r = await discoverCluster({ server: url, token: TOKEN, caCertHashes: [], unsafeSkipCaVerification: true });
    assert.deepEqual(r, { ok: false, message: 'the cluster-info signature for token abcdef does not verify: the token is wrong, or the server is not the cluster\'s' });
  });

  void it('says "expired" from the verified server when the token has no signature', async () => {
    fake.data = () => ({ kubeconfig });
    fake.api = () => ({ status: 401, message: 'Unauthorized: bootstrap token "abcdef" expired at 2026-01-01T00:00:00Z' });
    const r = await discoverCluster({ server: url, token: TOKEN, caCertHashes: [ca.publicKeyHash], unsafeSkipCaVerification: false });
    assert.deepEqual(r, { ok: false, message: 'token abcdef expired at 2026-01-01T00:00:00Z: create a new one with `tkube token create` on the server' });
    fake.api = () => ({ status: 401, message: 'Unauthorized' });
    const unknown = await discoverCluster({ server: url, token: TOKEN, caCertHashes: [ca.publicKeyHash], unsafeSkipCaVerification: false });
    assert.deepEqual(unknown, { ok: false, message: 'token abcdef is not known to the server: create one with `tkube token create` on the server' });
  });

  void it('waits for the signature of a valid token that bootstrapsigner has not signed yet', async () => {
    let reads = 0;
    fake.data = () => (++reads < 3 ? { kubeconfig } : signed());
    fake.api = () => ({ status: 200 });
    const r = await discoverCluster({ server: url, token: TOKEN, caCertHashes: [ca.publicKeyHash], unsafeSkipCaVerification: false });
    assert.equal(r.ok, true);
    assert.equal(reads, 3);
  });

  void it('refuses bad input before any network, and an unreachable server after its timeout', async () => {
    const malformed = await discoverCluster({ server: 'https://127.0.0.1:1', token: 'abc', caCertHashes: [ca.publicKeyHash], unsafeSkipCaVerification: false });
    assert.equal(malformed.ok, false);
    assert.match(malformed.ok ? '' : malformed.message, /^the token is malformed/);
    const badHash = await discoverCluster({ server: 'https://127.0.0.1:1', token: TOKEN, caCertHashes: ['md5:00'], unsafeSkipCaVerification: false });
    assert.deepEqual(badHash, { ok: false, message: 'invalid --discovery-token-ca-cert-hash "md5:00": want sha256:<64 hex digits>' });
    const down = await discoverCluster({ server: 'https://127.0.0.1:1', token: TOKEN, caCertHashes: [ca.publicKeyHash], unsafeSkipCaVerification: false, timeoutMs: 300 });
    assert.equal(down.ok, false);
    assert.match(down.ok ? '' : down.message, /^cannot reach the API server at https:\/\/127\.0\.0\.1:1: /);
  });
});
