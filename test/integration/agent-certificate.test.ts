/**
 * `tkube agent` with a real runtime when its serving certificate does not come: the agent gives up after
 * `--certificate-timeout` with one plain line naming the pending CSR and how to approve it, and no node joins.
 * Also the plain-line errors for a bad runtime and missing CA. No root needed: nothing starts before the certificate.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand, TestCluster, tkubeArgv } from '../harness/test-cluster.js';

void describe('tkube agent without an approved serving certificate', () => {
  let c: TestCluster;
  const token = randomBytes(16).toString('hex');
  const agentDir = mkdtempSync(join(tmpdir(), 'tkube-agent-cert-'));
  before(async () => {
    c = await TestCluster.start({ args: ['--token', token, '--controllers', '*,-csrapproving'] });
  });
  after(async () => {
    rmSync(agentDir, { recursive: true, force: true });
    await c?.stop();
  });
  const agent = (args: readonly string[]): ReturnType<typeof runCommand> =>
    runCommand(process.execPath, [...tkubeArgv(), 'agent', '--server', c.url, '--token', token, ...args], { timeoutMs: 60_000 });

  void it('gives up after --certificate-timeout naming the pending CSR', async () => {
    const r = await agent(['--runtime', 'process', '--ca-file', join(c.dataDir, 'tls', 'ca.crt'), '--node-name', 'waiting', '--node-ip', '127.0.0.1', '--data-dir', agentDir, '--kubelet-port', '0', '--certificate-timeout', '2']);
    assert.equal(r.code, 1);
    const name = /certificate signing request (csr-\w+) was not approved within 2s \(approve it with: kubectl certificate approve \1\)/.exec(r.stderr)?.[1];
    assert.ok(name, r.stderr);
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('tkube:')).length, 1);
    assert.match(await c.kubectlOk(['get', 'csr', name]), /kubernetes\.io\/kubelet-serving\s+admin\s+<none>\s+Pending/);
    assert.equal((await c.kubectl(['get', 'node', 'waiting'])).code, 1);
  });

  void it('refuses an unknown runtime and a real node without the cluster CA', async () => {
    const bad = await agent(['--runtime', 'docker']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'tkube: unknown runtime "docker": want simulated, runc, process or auto\n');
    const noCa = await agent(['--runtime', 'process', '--data-dir', agentDir]);
    assert.equal(noCa.code, 1);
    assert.equal(noCa.stderr, 'tkube: a real node needs the cluster CA: give --ca-file, or a kubeconfig with certificate-authority data\n');
  });
});
