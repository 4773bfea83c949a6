import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import type { RestClient } from '../../client/rest-client.js';
import type { RuntimeService } from '../cri/runtime-service.js';
import { EvictionManager, evictionMessage, rankForEviction, type EvictionCandidate } from './eviction-manager.js';
import { observe, parseEvictionHard, thresholdsMet, type Threshold } from './eviction-thresholds.js';
import type { NodeStats } from './node-stats.js';
import { nanoCores, type PodUsage } from './stats-provider.js';

const MI = 2 ** 20;
const GI = 2 ** 30;

function nodeStats(memAvailable: number, fsAvailable = 50 * GI): NodeStats {
  return {
    timestamp: 0,
    memory: { capacityBytes: 8 * GI, availableBytes: memAvailable, workingSetBytes: 8 * GI - memAvailable, usageBytes: 0, rssBytes: 0 },
    cpuUsageCoreNanoSeconds: 0,
    fs: { capacityBytes: 100 * GI, availableBytes: fsAvailable, usedBytes: 100 * GI - fsAvailable, inodes: 1000, inodesFree: 900, inodesUsed: 100 },
    pids: { max: 32768, running: 100 },
  };
}

void describe('eviction thresholds', () => {
  void it('parses quantities and percentages and rejects junk with a clear message', () => {
    const t = parseEvictionHard('memory.available<100Mi, nodefs.available<10%');
    assert.deepEqual(t, [
      { signal: 'memory.available', text: '100Mi', quantity: 100 * MI },
      { signal: 'nodefs.available', text: '10%', percentage: 0.1 },
    ]);
    assert.match((parseEvictionHard('memory.free<1Gi') as { error: string }).error, /invalid eviction threshold "memory.free<1Gi"/);
    assert.match((parseEvictionHard('memory.available<lots') as { error: string }).error, /is not a quantity/);
    assert.match((parseEvictionHard('nodefs.available<120%') as { error: string }).error, /0-100%/);
  });

  void it('is met when the available amount falls below the threshold', () => {
    const t = parseEvictionHard('memory.available<100Mi,nodefs.available<10%') as Threshold[];
    assert.deepEqual(thresholdsMet(t, observe(nodeStats(GI))), []);
    assert.deepEqual(thresholdsMet(t, observe(nodeStats(50 * MI))).map((x) => x.signal), ['memory.available']);
    assert.deepEqual(thresholdsMet(t, observe(nodeStats(GI, 5 * GI))).map((x) => x.signal), ['nodefs.available']);
  });
});

void describe('eviction ranking', () => {
  const cand = (uid: string, qos: EvictionCandidate['qos'], usage: number, request: number, priority = 0): EvictionCandidate => ({
    uid, qos, priority, memoryUsageBytes: usage, memoryRequestBytes: request, ephemeralUsageBytes: 0, ephemeralRequestBytes: 0,
  });

  void it('evicts pods over their memory request first (BestEffort), then by priority, then by usage above request', () => {
    const pods = [
      cand('guaranteed', 'Guaranteed', 4 * MI, 64 * MI),
      cand('burstable-under', 'Burstable', 10 * MI, 64 * MI),
      cand('besteffort-small', 'BestEffort', 1 * MI, 0),
      cand('burstable-over', 'Burstable', 200 * MI, 64 * MI),
      cand('besteffort-big', 'BestEffort', 50 * MI, 0),
    ];
    assert.deepEqual(rankForEviction(pods, 'memory.available').map((c) => c.uid), ['burstable-over', 'besteffort-big', 'besteffort-small', 'burstable-under', 'guaranteed']);
    // Priority decides among pods over their requests.
    const prio = [cand('low-small', 'BestEffort', 1 * MI, 0, 0), cand('high-big', 'BestEffort', 500 * MI, 0, 1000)];
    assert.deepEqual(rankForEviction(prio, 'memory.available').map((c) => c.uid), ['low-small', 'high-big']);
  });

  void it('ranks pid pressure by priority, then BestEffort before Burstable before Guaranteed', () => {
    const pods = [cand('g', 'Guaranteed', 0, 0), cand('b', 'Burstable', 0, 0), cand('e', 'BestEffort', 0, 0)];
    assert.deepEqual(rankForEviction(pods, 'pid.available').map((c) => c.uid), ['e', 'b', 'g']);
  });

  void it("says why, in upstream's words", () => {
    const [t] = parseEvictionHard('memory.available<100Mi') as Threshold[];
    assert.ok(t);
    assert.equal(
      evictionMessage(t, { available: 50 * MI, capacity: 8 * GI }, [{ name: 'app', usage: 2 * MI, request: 0 }, { name: 'side', usage: MI, request: 2 * MI }]),
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. Container app was using 2048Ki, request is 0, has larger consumption of memory. ',
    );
  });
});

void describe('cpu rate', () => {
  void it('needs two readings', () => {
    assert.equal(nanoCores(undefined, { cpuNs: 5e9, at: 1000 }), undefined);
    // 0.5 s of CPU over 1 s of wall time = half a core.
    assert.equal(nanoCores({ cpuNs: 5e9, at: 1000 }, { cpuNs: 5.5e9, at: 2000 }), 5e8);
    assert.equal(nanoCores({ cpuNs: 5e9, at: 1000 }, { cpuNs: 5e9, at: 1000 }), undefined);
  });
});

void describe('EvictionManager', () => {
  void it('reports MemoryPressure and evicts the BestEffort pod first, marking it Failed/Evicted', async () => {
    const patches: { path: Record<string, unknown>; body: Record<string, unknown> }[] = [];
    const conditions = [
      { type: 'MemoryPressure', status: 'False' },
      { type: 'DiskPressure', status: 'False' },
      { type: 'PIDPressure', status: 'False' },
      { type: 'Ready', status: 'True' },
    ];
    const pods = [
      { metadata: { uid: 'b1', name: 'burst', namespace: 'default' }, spec: { containers: [{ name: 'c', resources: { requests: { memory: '64Mi' } } }] }, status: { phase: 'Running', qosClass: 'Burstable' } },
      { metadata: { uid: 'e1', name: 'best', namespace: 'default' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', qosClass: 'BestEffort' } },
    ];
    const client = {
      get: async () => ({ status: { conditions } }),
      list: async () => ({ items: pods }),
      patch: async (path: Record<string, unknown>, _t: string, body: Record<string, unknown>) => {
        patches.push({ path, body });
        return {};
      },
    } as unknown as RestClient;
    const stopped: string[] = [];
    const runtime = {
      listPodSandbox: async (f: { labelSelector?: Record<string, string> }) => (f.labelSelector ? [{ id: `sb-${f.labelSelector['io.kubernetes.pod.uid'] ?? ''}` }] : []),
      stopPodSandbox: async (id: string) => void stopped.push(id),
      listContainers: async () => [],
    } as unknown as RuntimeService;
    const usage = new Map<string, PodUsage>([
      ['b1', { memoryWorkingSetBytes: 10 * MI, ephemeralBytes: 0, containers: new Map([['c', 10 * MI]]) }],
      ['e1', { memoryWorkingSetBytes: 1 * MI, ephemeralBytes: 0, containers: new Map([['c', 1 * MI]]) }],
    ]);
    let available = 50 * MI;
    const m = new EvictionManager({
      client,
      nodeName: 'n1',
      runtime,
      usage: { nodeStats: async () => nodeStats(available), podUsage: async () => usage },
      thresholds: parseEvictionHard('memory.available<100Mi') as Threshold[],
      clock: new FakeClock(),
      log: newLogger('eviction-test'),
    });
    assert.equal(await m.synchronize(), 'e1');
    assert.ok(m.isEvicted('e1'));
    assert.deepEqual(stopped, ['sb-e1']);
    const nodePatch = patches.find((p) => p.path['resource'] === 'nodes');
    const sent = (nodePatch?.body['status'] as { conditions: { type: string; status: string; reason: string }[] }).conditions;
    assert.deepEqual(sent.find((c) => c.type === 'MemoryPressure')?.reason, 'KubeletHasInsufficientMemory');
    assert.equal(sent.find((c) => c.type === 'Ready')?.status, 'True');
    const podPatch = patches.find((p) => p.path['resource'] === 'pods');
    const status = podPatch?.body['status'] as { phase: string; reason: string; message: string };
    assert.equal(status.phase, 'Failed');
    assert.equal(status.reason, 'Evicted');
    assert.match(status.message, /^The node was low on resource: memory\. Threshold quantity: 100Mi, available: 51200Ki\. Container c was using 1024Ki, request is 0/);
    // Next round: the Burstable pod (the evicted one is skipped).
    assert.equal(await m.synchronize(), 'b1');
    // Under MemoryPressure a new BestEffort pod is refused unless it tolerates the taint; others are admitted.
    patches.length = 0;
    assert.equal(await m.admit({ metadata: { uid: 'n1', name: 'new', namespace: 'default' }, spec: { containers: [{ name: 'c' }] } }), false);
    assert.equal((patches[0]?.body['status'] as { message: string }).message, 'The node had condition: [MemoryPressure]. ');
    assert.ok(m.isEvicted('n1'));
    assert.equal(await m.admit({ metadata: { uid: 'n2' }, spec: { tolerations: [{ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' }], containers: [{ name: 'c' }] } }), true);
    assert.equal(await m.admit({ metadata: { uid: 'n3' }, spec: { containers: [{ name: 'c', resources: { requests: { memory: '1Mi' } } }] } }), true);
    // Pressure gone: nothing more is evicted (the condition stays True for the transition period).
    available = 4 * GI;
    assert.equal(await m.synchronize(), undefined);
  });
});
