import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeletSummary } from './kubelet-summary.js';
import { MetricsStore, usageBetween } from './metrics-store.js';

const T0 = Date.UTC(2026, 0, 1);

function summary(at: number, nodeCpuNs: number, containers: Record<string, { cpuNs: number; mem: number; start?: string }>): KubeletSummary {
  const time = new Date(at).toISOString();
  const pods = new Map<string, { name: string; cpu: { time: string; usageCoreNanoSeconds: number }; memory: { time: string; workingSetBytes: number }; startTime: string }[]>();
  for (const [key, c] of Object.entries(containers)) {
    const [pod = '', name = ''] = key.split('/');
    pods.set(pod, [...(pods.get(pod) ?? []), { name, startTime: c.start ?? '2026-01-01T00:00:00Z', cpu: { time, usageCoreNanoSeconds: c.cpuNs }, memory: { time, workingSetBytes: c.mem } }]);
  }
  return {
    node: { nodeName: 'n1', startTime: '2026-01-01T00:00:00Z', cpu: { time, usageCoreNanoSeconds: nodeCpuNs }, memory: { time, workingSetBytes: 2 * 1024 ** 3 } },
    pods: [...pods].map(([name, cs]) => ({ podRef: { name, namespace: 'default' }, containers: cs })),
  };
}

const labelsOf = (_ns: string, name: string) => ({ labels: { app: name } });

void describe('MetricsStore', () => {
  void it('computes nanocores from two cumulative readings over their time apart', () => {
    assert.equal(usageBetween(undefined, { at: T0, cpuNs: 5, memoryBytes: 1 }), undefined);
    const u = usageBetween({ at: T0, cpuNs: 1e9, memoryBytes: 1 }, { at: T0 + 2000, cpuNs: 2e9, memoryBytes: 7 });
    assert.deepEqual(u, { nanoCores: 5e8, memoryBytes: 7, at: T0 + 2000, windowMs: 2000 });
    assert.equal(usageBetween({ at: T0, cpuNs: 9, memoryBytes: 1 }, { at: T0 + 1000, cpuNs: 8, memoryBytes: 1 }), undefined, 'counter went backwards');
    assert.equal(usageBetween({ at: T0, cpuNs: 1, memoryBytes: 1, startedAt: 'a' }, { at: T0 + 1000, cpuNs: 8, memoryBytes: 1, startedAt: 'b' }), undefined, 'restarted');
  });

  void it('publishes nodes and pods once they have two samples, with pod labels', () => {
    const s = new MetricsStore();
    s.record('n1', summary(T0, 0, { 'web/app': { cpuNs: 0, mem: 1024 ** 2 }, 'web/sidecar': { cpuNs: 0, mem: 0 } }), { labels: { zone: 'a' } }, labelsOf);
    s.publish();
    assert.deepEqual(s.nodes(), []);
    assert.deepEqual(s.pods(), []);
    s.record('n1', summary(T0 + 1000, 1.5e9, { 'web/app': { cpuNs: 1e9, mem: 3 * 1024 ** 2 }, 'web/sidecar': { cpuNs: 1e6, mem: 0 } }), { labels: { zone: 'a' } }, labelsOf);
    s.publish();
    const [node] = s.nodes();
    assert.equal(node?.metadata?.name, 'n1');
    assert.deepEqual(node?.metadata?.labels, { zone: 'a' });
    assert.deepEqual(node?.usage, { cpu: '1500m', memory: '2Gi' });
    assert.equal(node?.window, '1s');
    assert.equal(node?.timestamp, '2026-01-01T00:00:01Z');
    const [pod] = s.pods();
    assert.equal(pod?.metadata?.namespace, 'default');
    assert.deepEqual(pod?.metadata?.labels, { app: 'web' });
    assert.deepEqual(pod?.containers, [
      { name: 'app', usage: { cpu: '1', memory: '3Mi' } },
      { name: 'sidecar', usage: { cpu: '1m', memory: '0' } },
    ]);
  });

  void it('leaves out a pod with a restarted container until it has two samples again, and pods the cluster lost', () => {
    const s = new MetricsStore();
    s.record('n1', summary(T0, 0, { 'a/c': { cpuNs: 0, mem: 1 }, 'b/c': { cpuNs: 0, mem: 1 } }), {}, labelsOf);
    s.record('n1', summary(T0 + 1000, 0, { 'a/c': { cpuNs: 1e8, mem: 1 }, 'b/c': { cpuNs: 1e8, mem: 1 } }), {}, labelsOf);
    s.publish();
    assert.deepEqual(s.pods().map((p) => p.metadata?.name), ['a', 'b']);
    // a's container restarted (new start time, counter from zero); b's pod is gone from the cluster.
    s.record('n1', summary(T0 + 2000, 0, { 'a/c': { cpuNs: 5, mem: 1, start: '2026-01-01T00:00:02Z' }, 'b/c': { cpuNs: 2e8, mem: 1 } }), {}, (ns, name) => (name === 'b' ? undefined : { labels: {} }));
    s.publish();
    assert.deepEqual(s.pods(), []);
    s.record('n1', summary(T0 + 3000, 0, { 'a/c': { cpuNs: 1e8 + 5, mem: 1, start: '2026-01-01T00:00:02Z' } }), {}, labelsOf);
    s.publish();
    assert.deepEqual(s.pods().map((p) => [p.metadata?.name, p.containers[0]?.usage.cpu]), [['a', '100m']]);
  });

  void it('ignores a repeated reading and forgets nodes that are not retained', () => {
    const s = new MetricsStore();
    s.record('n1', summary(T0, 0, {}), {}, labelsOf);
    s.record('n1', summary(T0 + 1000, 1e9, {}), {}, labelsOf);
    s.record('n1', summary(T0 + 1000, 1e9, {}), {}, labelsOf);
    s.publish();
    assert.equal(s.nodes()[0]?.usage.cpu, '1');
    s.retain(new Set());
    s.publish();
    assert.deepEqual(s.nodes(), []);
  });
});
