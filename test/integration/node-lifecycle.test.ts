/**
 * The node lifecycle controller with shortened timing (`--node-monitor-grace-period 15s`, pods tolerate unreachable
 * nodes for 2 s by default): a node that never heartbeats becomes Unknown and is tainted unreachable, its pods are
 * evicted once their toleration runs out (a pod tolerating the taint forever stays), pod GC removes the pods of a
 * deleted node, and live simulated nodes keep Ready without taints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface NodeView {
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}

describe('node lifecycle controller', () => {
  let c: TestCluster;
  const node = async (name: string): Promise<NodeView> => JSON.parse(await c.kubectlOk(['get', 'node', name, '-o', 'json'])) as NodeView;
  const pod = (name: string, tolerations: unknown[] = []): string =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'ghost', tolerations, containers: [{ name: 'c', image: 'busybox:1.36' }] } });

  before(async () => {
    c = await TestCluster.start({
      args: ['--simulated-nodes', '1', '--node-monitor-grace-period', '15s', '--default-unreachable-toleration-seconds', '2', '--default-not-ready-toleration-seconds', '2'],
    });
  });
  after(async () => {
    await c?.stop();
  });

  it('marks a silent node Unknown and taints it unreachable', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'ghost' } }) });
    const n = await eventually(async () => {
      const v = await node('ghost');
      const taints = (v.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
      return taints.join() === 'node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule' ? v : undefined;
    }, 60_000);
    const ready = n.status?.conditions?.find((x) => x.type === 'Ready');
    assert.equal(ready?.status, 'Unknown');
    assert.equal(ready?.reason, 'NodeStatusNeverUpdated');
    const table = await c.kubectlOk(['get', 'node', 'ghost']);
    assert.match(table, /ghost\s+NotReady/);
  });

  it('evicts pods after their default toleration, keeps pods that tolerate it forever', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: pod('doomed') });
    await c.kubectlOk(['create', '-f', '-'], { input: pod('stubborn', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]) });
    const tol = await c.kubectlOk(['get', 'pod', 'doomed', '-n', 'default', '-o', 'jsonpath={.spec.tolerations[?(@.key=="node.kubernetes.io/unreachable")].tolerationSeconds}']);
    assert.equal(tol, '2');
    await eventually(async () => {
      const r = await c.kubectl(['get', 'pod', 'doomed', '-n', 'default', '-o', 'jsonpath={.metadata.deletionTimestamp}']);
      return r.code !== 0 || r.stdout !== '';
    }, 30_000);
    const stubborn = await c.kubectlOk(['get', 'pod', 'stubborn', '-n', 'default', '-o', 'jsonpath={.metadata.deletionTimestamp}']);
    assert.equal(stubborn, '');
  });

  it('pod GC removes the pods of a node that is deleted, after the quarantine', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'gone' } }) });
    await c.kubectlOk(['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stranded', namespace: 'default' }, spec: { nodeName: 'gone', tolerations: [{ operator: 'Exists' }], containers: [{ name: 'c', image: 'busybox:1.36' }] } }),
    });
    await c.kubectlOk(['delete', 'node', 'gone']);
    await eventually(async () => (await c.kubectl(['get', 'pod', 'stranded', '-n', 'default'])).code !== 0, 90_000, 500);
  });

  it('leaves live nodes Ready and untainted', async () => {
    const sim = await node('sim-0');
    assert.equal(sim.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
    assert.deepEqual(sim.spec?.taints ?? [], []);
  });
});
