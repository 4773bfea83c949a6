/**
 * PodDisruptionBudgets, the eviction API and `kubectl drain|cordon|uncordon` on a server with simulated nodes: a
 * budget that allows no disruption makes drain give up with upstream's message, one that allows one lets drain
 * move every pod off the node one at a time, and the budget's status follows the pods.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

describe('disruption budgets and drain', () => {
  let c: TestCluster;
  const ns = ['-n', 'default'];
  const podNodes = async (): Promise<string[]> =>
    (await c.kubectlOk(['get', 'pods', ...ns, '-l', 'app=web', '--field-selector', 'status.phase=Running', '-o', 'jsonpath={.items[*].spec.nodeName}'])).split(' ').filter(Boolean).sort();
  const pdb = (spec: Record<string, unknown>): string =>
    JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });

  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
    await c.kubectlOk(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=4', ...ns]);
    // Spread over both nodes (the scheduler balances by allocation).
    await eventually(async () => (await podNodes()).length === 4, 60_000);
  });
  after(async () => {
    await c?.stop();
  });

  it('keeps the budget status current', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: pdb({ minAvailable: 4 }) });
    const status = await eventually(async () => {
      const s = JSON.parse(await c.kubectlOk(['get', 'pdb', 'web', ...ns, '-o', 'jsonpath={.status}']) || '{}') as { currentHealthy?: number; desiredHealthy?: number; disruptionsAllowed?: number; expectedPods?: number };
      return s.currentHealthy === 4 ? s : undefined;
    });
    assert.deepEqual([status.expectedPods, status.desiredHealthy, status.disruptionsAllowed], [4, 4, 0]);
    assert.match(await c.kubectlOk(['get', 'pdb', 'web', ...ns]), /web\s+4\s+N\/A\s+0/);
  });

  it('drain gives up while the budget allows no disruption', async () => {
    const node = (await podNodes())[0]!;
    const r = await c.kubectl(['drain', node, '--ignore-daemonsets', '--timeout=4s'], { timeoutMs: 60_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.match(await c.kubectlOk(['get', 'node', node]), /SchedulingDisabled/);
    await c.kubectlOk(['uncordon', node]);
  });

  it('drain moves every pod off the node when the budget allows one disruption at a time', async () => {
    await c.kubectlOk(['delete', 'pdb', 'web', ...ns]);
    await c.kubectlOk(['create', '-f', '-'], { input: pdb({ maxUnavailable: 1 }) });
    await eventually(async () => (await c.kubectlOk(['get', 'pdb', 'web', ...ns, '-o', 'jsonpath={.status.disruptionsAllowed}'])) === '1');
    const node = (await podNodes())[0]!;
    const other = node === 'sim-0' ? 'sim-1' : 'sim-0';
    const r = await c.kubectl(['drain', node, '--ignore-daemonsets', '--timeout=90s'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`node/${node} drained`));
    await eventually(async () => (await podNodes()).join() === [other, other, other, other].join(), 60_000);
    await c.kubectlOk(['uncordon', node]);
  });
});
