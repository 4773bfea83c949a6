/**
 * Node-pressure eviction on a real runc node: with a hard threshold no machine meets
 * (`--eviction-hard memory.available<1000Ti`), the node reports MemoryPressure, gets the
 * `node.kubernetes.io/memory-pressure:NoSchedule` taint, and evicts the BestEffort pod before the Burstable one
 * that stays within its request: phase Failed, reason Evicted, upstream's message; a BestEffort pod that does not
 * tolerate the pressure is not admitted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { deletePodsAndCleanUp } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PodJson {
  status?: { phase?: string; reason?: string; message?: string; conditions?: { type: string; status: string; reason?: string }[]; containerStatuses?: { state: { terminated?: { exitCode: number } } }[] };
}

interface NodeJson {
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}

const tolerate = [{ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' }];

function pod(name: string, resources: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, tolerations: tolerate, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources }] } };
}

void describe('node-pressure eviction on a runc node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-evict-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0', '--eviction-hard', 'memory.available<1000Ti'] });
  });
  after(async () => {
    if (!c) return;
    await deletePodsAndCleanUp(c);
  });

  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(await c.kubectlOk(['get', ...args, '-o', 'json'])) as T;

  void it('reports MemoryPressure with its taint and evicts the BestEffort pod first', async () => {
    const n = await eventually(async () => {
      const x = await get<NodeJson>('node', node);
      const pressure = x.status?.conditions?.find((k) => k.type === 'MemoryPressure');
      return pressure?.status === 'True' && x.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/memory-pressure' && t.effect === 'NoSchedule') ? x : undefined;
    }, 30_000);
    assert.equal(n.status?.conditions?.find((k) => k.type === 'MemoryPressure')?.reason, 'KubeletHasInsufficientMemory');
    assert.equal(n.status?.conditions?.find((k) => k.type === 'Ready')?.status, 'True');
    // Both at once, so both are on the node when a round ranks them.
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('burstable', { requests: { memory: '64Mi' } }), pod('besteffort', {})] }),
    });
    const evicted = await eventually(async () => {
      const p = await get<PodJson>('pod', 'besteffort');
      return p.status?.phase === 'Failed' ? p : undefined;
    }, 45_000, 200);
    assert.equal(evicted.status?.reason, 'Evicted');
    assert.match(evicted.status?.message ?? '', /^The node was low on resource: memory\. Threshold quantity: 1000Ti, available: \d+Ki\. /);
    assert.equal(evicted.status?.conditions?.find((k) => k.type === 'DisruptionTarget')?.reason, 'TerminationByKubelet');
    const burstable = await get<PodJson>('pod', 'burstable');
    assert.notEqual(burstable.status?.phase, 'Failed', 'the Burstable pod within its request goes after the BestEffort one');
    // A BestEffort pod that does not tolerate the pressure is refused by the node (placed there directly).
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'refused' }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } }),
    });
    const refused = await eventually(async () => {
      const p = await get<PodJson>('pod', 'refused');
      return p.status?.phase === 'Failed' ? p : undefined;
    }, 30_000, 200);
    assert.equal(refused.status?.reason, 'Evicted');
    assert.equal(refused.status?.message, 'The node had condition: [MemoryPressure]. ');
    // The pressure persists, so the Burstable pod is next. (The BestEffort pod may have gone before its container
    // started: upstream too ranks a pod without stats first.)
    await eventually(async () => (await get<PodJson>('pod', 'burstable')).status?.reason === 'Evicted', 30_000, 200);
    // Its container (running by then) was killed at once — hard eviction has no grace — and shows so.
    await eventually(async () => (await get<PodJson>('pod', 'burstable')).status?.containerStatuses?.[0]?.state.terminated?.exitCode === 137, 15_000, 200);
  });
});
