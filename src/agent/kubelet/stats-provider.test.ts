import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerStats, ContainerStatus, RuntimeService } from '../cri/runtime-service.js';
import type { NodeStats } from './node-stats.js';
import { StatsProvider } from './stats-provider.js';

const node: NodeStats = {
  timestamp: 1_000_000,
  memory: { capacityBytes: 1000, availableBytes: 400, workingSetBytes: 600, usageBytes: 700, rssBytes: 300 },
  cpuUsageCoreNanoSeconds: 1e12,
  fs: { capacityBytes: 10_000, availableBytes: 4000, usedBytes: 6000, inodes: 100, inodesFree: 40, inodesUsed: 60 },
  pids: { max: 32768, running: 123 },
};

function container(id: string, pod: string, name: string): ContainerStatus {
  return {
    id, sandboxId: `sb-${pod}`, metadata: { name, attempt: 0 }, state: 'CONTAINER_RUNNING', createdAt: 1000, startedAt: 2000, finishedAt: 0, exitCode: 0,
    image: 'busybox', imageRef: 'sha256:x', reason: '', message: '', annotations: {}, logPath: '/nonexistent/log',
    labels: { 'io.kubernetes.pod.uid': `uid-${pod}`, 'io.kubernetes.pod.name': pod, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.container.name': name },
  };
}

void describe('StatsProvider', () => {
  void it('builds the Summary: node, pods summed over containers, cpu rate from the second reading on', async () => {
    let now = 10_000;
    let cpu = 1e9;
    const runtime = {
      listContainers: async () => [container('a1', 'web', 'app'), container('a2', 'web', 'side')],
      containerStats: async (id: string): Promise<ContainerStats> => ({ id, timestamp: now, cpuUsageCoreNanoSeconds: cpu, memoryUsageBytes: 200, memoryWorkingSetBytes: 100, writableLayerUsedBytes: 50 }),
    } as unknown as RuntimeService;
    const p = new StatsProvider({ nodeName: 'n1', runtime, node: { read: async () => node }, startedAt: 0 });
    const first = await p.summary();
    assert.equal(first.node.nodeName, 'n1');
    assert.equal(first.node.memory.availableBytes, 400);
    assert.equal(first.node.fs.capacityBytes, 10_000);
    assert.deepEqual(first.node.rlimit, { time: first.node.rlimit.time, maxpid: 32768, curproc: 123 });
    assert.equal(first.pods.length, 1);
    const web = first.pods[0];
    assert.deepEqual(web?.podRef, { name: 'web', namespace: 'default', uid: 'uid-web' });
    assert.deepEqual(web?.containers.map((c) => c.name), ['app', 'side']);
    assert.equal(web?.memory.workingSetBytes, 200);
    assert.equal(web?.['ephemeral-storage'].usedBytes, 100);
    assert.equal(web?.containers[0]?.cpu.usageNanoCores, undefined);
    // One second later, half a core each.
    now += 1000;
    cpu += 5e8;
    const second = await p.summary();
    assert.equal(second.pods[0]?.containers[0]?.cpu.usageNanoCores, 5e8);
    assert.equal(second.pods[0]?.cpu.usageNanoCores, 1e9);
    const usage = await p.podUsage();
    assert.equal(usage.get('uid-web')?.memoryWorkingSetBytes, 200);
    assert.equal(usage.get('uid-web')?.containers.get('side'), 100);
  });
});
