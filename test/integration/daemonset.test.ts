/**
 * DaemonSets through real kubectl on a server with simulated nodes: one pod per node, a new node gets its pod, a
 * nodeSelector narrows the nodes, a tainted node is skipped unless tolerated, and an image change rolls every pod.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

describe('DaemonSet controller', () => {
  let c: TestCluster;
  const ns = ['-n', 'default'];
  const podsByNode = async (app: string): Promise<Record<string, string>> => {
    const list = JSON.parse(await c.kubectlOk(['get', 'pods', ...ns, '-l', `app=${app}`, '-o', 'json'])) as {
      items: { metadata: { deletionTimestamp?: string }; spec: { nodeName?: string; containers: { image: string }[] } }[];
    };
    const out: Record<string, string> = {};
    for (const p of list.items) if (!p.metadata.deletionTimestamp) out[p.spec.nodeName ?? ''] = p.spec.containers[0]?.image ?? '';
    return out;
  };
  const daemon = (name: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }], ...extra } },
      },
    });

  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
    await eventually(async () => (await c.kubectlOk(['get', 'nodes', '-o', 'name'])).trim().split('\n').length === 2);
  });
  after(async () => {
    await c?.stop();
  });

  it('runs one pod on every node, and on a node that joins', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: daemon('logs') });
    await eventually(async () => Object.keys(await podsByNode('logs')).sort().join() === 'sim-0,sim-1', 60_000);
    await c.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'extra', labels: { 'kubernetes.io/hostname': 'extra' } } }) });
    await eventually(async () => Object.keys(await podsByNode('logs')).sort().join() === 'extra,sim-0,sim-1', 60_000);
    await c.kubectlOk(['delete', 'node', 'extra']);
    await eventually(async () => Object.keys(await podsByNode('logs')).sort().join() === 'sim-0,sim-1', 60_000);
    const rollout = await c.kubectl(['rollout', 'status', 'daemonset/logs', ...ns, '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(rollout.code, 0, rollout.stderr);
  });

  it('honours nodeSelector and taints', async () => {
    await c.kubectlOk(['label', 'node', 'sim-1', 'disk=ssd']);
    await c.kubectlOk(['create', '-f', '-'], { input: daemon('ssd', { nodeSelector: { disk: 'ssd' } }) });
    await eventually(async () => Object.keys(await podsByNode('ssd')).join() === 'sim-1', 60_000);
    await c.kubectlOk(['taint', 'node', 'sim-0', 'dedicated=db:NoSchedule']);
    await c.kubectlOk(['create', '-f', '-'], { input: daemon('plain') });
    await c.kubectlOk(['create', '-f', '-'], { input: daemon('tolerant', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }) });
    await eventually(async () => Object.keys(await podsByNode('plain')).join() === 'sim-1', 60_000);
    await eventually(async () => Object.keys(await podsByNode('tolerant')).sort().join() === 'sim-0,sim-1', 60_000);
    await c.kubectlOk(['taint', 'node', 'sim-0', 'dedicated-']);
  });

  it('rolls an image change to every node', async () => {
    await c.kubectlOk(['set', 'image', 'daemonset/logs', 'agent=agent:2', ...ns]);
    await eventually(async () => Object.values(await podsByNode('logs')).join() === 'agent:2,agent:2', 60_000);
    const r = await c.kubectl(['rollout', 'status', 'daemonset/logs', ...ns, '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
  });
});
