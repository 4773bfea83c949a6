/**
 * Preemption: victims are the fewest, least important lower-priority pods that make room; nodes preemption
 * cannot help are reported as such.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Framework } from './framework/framework.js';
import { NodeInfo } from './framework/node-info.js';
import type { Pod } from './framework/objects.js';
import { defaultProfile } from './plugins/registry.js';
import { ERR_NOT_ELIGIBLE_NEVER, ERR_NOT_ELIGIBLE_TERMINATING, findPreemption, splitByBudget, type DisruptionBudget } from './preemption.js';

function pod(name: string, cpu: string, priority: number, extra: Partial<Pod['metadata']> = {}): Pod {
  return { metadata: { name, namespace: 'default', ...extra }, spec: { priority, containers: [{ name: 'c', resources: { requests: { cpu } } }] } };
}

function node(name: string, pods: Pod[], taint = false): NodeInfo {
  const info = new NodeInfo(name, {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: taint ? { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } : {},
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
  });
  for (const p of pods) info.addPod({ ...p, spec: { ...p.spec, nodeName: name } });
  return info;
}

function framework(): Framework {
  const p = defaultProfile();
  return new Framework({ filters: p.filters, scores: p.scores, random: () => 0 });
}

function run(incoming: Pod, nodes: NodeInfo[], nominated?: string, budgets: DisruptionBudget[] = []): ReturnType<typeof findPreemption> {
  const f = framework();
  const r = f.schedule(incoming, nodes);
  assert.equal(r.node, undefined, 'the pod must not fit without preemption');
  return findPreemption(incoming, f, r.rejected, new Map(nodes.map((n) => [n.name, n])), nodes.length, nominated, budgets);
}

void describe('findPreemption', () => {
  void it('evicts the fewest, least important pods; keeps the ones it can', () => {
    const nodes = [
      node('a', [pod('a-low', '1', 10), pod('a-mid', '2', 50), pod('a-rest', '1', 10)]),
      node('b', [pod('b-low1', '2', 10), pod('b-low2', '2', 10)]),
    ];
    const r = run(pod('big', '2', 100), nodes);
    // a keeps a-mid (reprieved first) but must evict both priority-10 pods; b needs one priority-10 victim: less harm.
    assert.equal(r.candidate?.node, 'b');
    assert.deepEqual(r.candidate?.victims.map((v) => v.metadata?.name), ['b-low2']);
  });

  void it('prefers the node whose victims no PodDisruptionBudget protects', () => {
    const guarded = { labels: { app: 'db' } };
    const nodes = [node('a', [pod('a-db', '4', 10, guarded)]), node('b', [pod('b-web', '4', 20)])];
    const budgets: DisruptionBudget[] = [{ namespace: 'default', selector: { matchLabels: { app: 'db' } }, disruptionsAllowed: 0 }];
    // Without budgets the lower-priority a-db is the cheaper victim; with a budget at 0 it is spared.
    assert.equal(run(pod('big', '2', 100), nodes).candidate?.node, 'a');
    const r = run(pod('big', '2', 100), nodes, undefined, budgets);
    assert.equal(r.candidate?.node, 'b');
    assert.equal(r.candidate?.pdbViolations, 0);
  });

  void it('splitByBudget spends each budget\'s allowed disruptions in order', () => {
    const pods = [pod('p1', '1', 0, { labels: { app: 'x' } }), pod('p2', '1', 0, { labels: { app: 'x' } }), pod('p3', '1', 0, { labels: { app: 'y' } })];
    const { violating, nonViolating } = splitByBudget(pods, [{ namespace: 'default', selector: { matchLabels: { app: 'x' } }, disruptionsAllowed: 1 }]);
    assert.deepEqual(violating.map((p) => p.metadata?.name), ['p2']);
    assert.deepEqual(nonViolating.map((p) => p.metadata?.name), ['p1', 'p3']);
  });

  void it('reports unhelpful nodes and nodes without victims', () => {
    const nodes = [node('t', [pod('t1', '4', 0)], true), node('u', [pod('u1', '4', 500)])];
    const r = run(pod('big', '2', 100), nodes);
    assert.equal(r.candidate, undefined);
    assert.equal(r.message, 'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.');
  });

  void it('a pod that cannot fit even on an empty node keeps its filter reason', () => {
    const r = run(pod('huge', '100', 100), [node('a', [pod('a1', '1', 0)])]);
    assert.equal(r.message, 'preemption: 0/1 nodes are available: 1 Insufficient cpu.');
  });

  void it('is not eligible with preemptionPolicy Never, or while victims on the nominated node terminate', () => {
    const never = pod('big', '2', 100);
    never.spec = { ...never.spec, preemptionPolicy: 'Never' };
    assert.equal(run(never, [node('a', [pod('a1', '4', 0)])]).message, ERR_NOT_ELIGIBLE_NEVER);
    const terminating = node('a', [pod('a1', '3', 0, { deletionTimestamp: '2026-01-01T00:00:00Z' })]);
    assert.equal(run(pod('big', '2', 100), [terminating], 'a').message, ERR_NOT_ELIGIBLE_TERMINATING);
  });
});
