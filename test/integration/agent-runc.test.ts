/**
 * `tkube agent --runtime runc` joining a server from another process: the agent asks for its kubelet serving
 * certificate with a kubelet-serving CSR (auto-approved and signed by the server's controllers), its node becomes
 * Ready, a busybox pod scheduled there runs, and `kubectl logs` goes through the API server to that agent's kubelet,
 * whose certificate the API server checks against the cluster CA. A second start reuses the kept certificate.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { AgentProcess } from '../harness/agent-process.js';
import { cleanupRuncDataDir } from '../harness/runc-node.js';
import { eventually, TestCluster, writeAirGappedRegistries } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface CsrJson {
  metadata: { name: string };
  spec: { signerName: string; username: string; usages: string[] };
  status?: { conditions?: { type: string; reason?: string }[]; certificate?: string };
}

void describe('tkube agent with the runc runtime', { skip }, () => {
  let c: TestCluster;
  let agent: AgentProcess | undefined;
  const token = randomBytes(16).toString('hex');
  const node = `tkube-agent-it-${process.pid}`;
  const agentDir = mkdtempSync(join(tmpdir(), 'tkube-agent-it-'));
  const agentArgs = (): string[] => [
    '--runtime', 'runc', '--server', c.url, '--token', token, '--ca-file', join(c.dataDir, 'tls', 'ca.crt'),
    '--node-name', node, '--node-ip', '127.0.0.1', '--data-dir', agentDir, '--kubelet-port', '0',
    '--disable-default-registry-endpoint', '--certificate-timeout', '60',
  ];

  before(async () => {
    c = await TestCluster.start({ args: ['--token', token] });
    // Air-gapped like TestCluster's own nodes: docker.io images come from the node's built-in copies.
    writeAirGappedRegistries(agentDir);
  });
  after(async () => {
    if (c) await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncDataDir(agentDir, async () => agent?.stop());
    rmSync(agentDir, { recursive: true, force: true });
    await c?.stop();
  });

  const csrs = async (): Promise<CsrJson[]> => (JSON.parse(await c.kubectlOk(['get', 'csr', '-o', 'json'])) as { items: CsrJson[] }).items;

  void it('joins with a CSR-issued serving certificate, runs a pod and serves its logs through the API server', async () => {
    agent = new AgentProcess(agentArgs());
    await eventually(async () => {
      if (agent?.exited) throw new Error(`agent exited with ${agent.exited}:\n${agent.log.slice(-3000)}`);
      return /\sReady\s/.test((await c.kubectl(['get', 'node', node])).stdout);
    }, 60_000);
    const [csr, ...others] = await csrs();
    assert.equal(others.length, 0);
    assert.equal(csr?.spec.signerName, 'kubernetes.io/kubelet-serving');
    assert.equal(csr?.spec.username, 'admin');
    assert.deepEqual(csr?.status?.conditions?.map((x) => [x.type, x.reason]), [['Approved', 'AutoApproved']]);
    assert.ok(csr?.status?.certificate);
    const table = await c.kubectlOk(['get', 'csr']);
    assert.match(table, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
    assert.match(table, /kubernetes\.io\/kubelet-serving\s+admin\s+<none>\s+Approved,Issued/);
    assert.ok(existsSync(join(agentDir, 'tls', 'kubelet-serving.crt')));

    await c.kubectlOk(['run', 'hello', '--image=busybox', '--restart=Never', `--overrides={"spec":{"nodeName":"${node}"}}`, '--', 'sh', '-c', 'echo hello from the agent']);
    await eventually(async () => (await c.kubectlOk(['get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded', 60_000);
    // API server → this agent's kubelet endpoint (TLS checked against the cluster CA) → the CRI log file.
    assert.equal(await c.kubectlOk(['logs', 'hello']), 'hello from the agent\n');
  });

  void it('reuses the kept certificate when the agent starts again', async () => {
    await agent?.stop();
    agent = new AgentProcess(agentArgs());
    await eventually(() => {
      if (agent?.exited) throw new Error(`agent exited with ${agent.exited}:\n${agent.log.slice(-3000)}`);
      return /Reusing kubelet serving certificate/.test(agent?.log ?? '');
    }, 60_000);
    await eventually(async () => /\sReady\s/.test((await c.kubectl(['get', 'node', node])).stdout), 60_000);
    assert.equal((await csrs()).length, 1);
    assert.equal(await c.kubectlOk(['logs', 'hello']), 'hello from the agent\n');
  });
});
