/**
 * Framework and FailedScheduling message: first failing filter per node, weighted scores, the adaptive search
 * size and upstream's message shape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultProfile } from '../plugins/registry.js';
import { findPreemption } from '../preemption.js';
import { fitErrorMessage, NO_NODES_AVAILABLE } from './fit-error.js';
import { Framework, numFeasibleNodesToFind } from './framework.js';
import { NodeInfo } from './node-info.js';
import type { Node, Pod } from './objects.js';

function node(name: string, extra: Partial<Node> = {}): NodeInfo {
  return new NodeInfo(name, { metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: extra.spec ?? {}, status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' } } });
}

function pod(spec: Pod['spec'] = {}, cpu?: string): Pod {
  return { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', ...(cpu ? { resources: { requests: { cpu } } } : {}) }], ...spec } };
}

function framework(): Framework {
  const p = defaultProfile();
  return new Framework({ filters: p.filters, scores: p.scores, random: () => 0 });
}

void describe('Framework', () => {
  void it('reports the first failing filter per node and the upstream message', () => {
    const nodes = [node('a', { spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } }), node('b'), node('c')];
    const p = pod({}, '3');
    const r = framework().schedule(p, nodes);
    assert.equal(r.node, undefined);
    assert.equal(r.rejected.get('a')?.plugin, 'TaintToleration');
    assert.equal(r.rejected.get('b')?.plugin, 'NodeResourcesFit');
    assert.equal(
      fitErrorMessage(r.numAllNodes, r.rejected, findPreemption(p, framework(), r.rejected, new Map(nodes.map((n) => [n.name, n])), r.numAllNodes, undefined).message),
      '0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
  });

  void it('says so when there are no nodes, or when the pod may not preempt', () => {
    const p = pod({ preemptionPolicy: 'Never' }, '3');
    assert.equal(fitErrorMessage(0, new Map()), NO_NODES_AVAILABLE);
    const nodes = [node('a')];
    const r = framework().schedule(p, nodes);
    assert.equal(fitErrorMessage(1, r.rejected, findPreemption(p, framework(), r.rejected, new Map(), 1, undefined).message), '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  });

  void it('picks the best weighted score and explains every plugin that has a preference', () => {
    const busy = node('busy');
    busy.addPod({ ...pod({ nodeName: 'busy' }, '1'), metadata: { name: 'q', namespace: 'default' } });
    const r = framework().schedule(pod({}, '500m'), [busy, node('idle')]);
    assert.equal(r.node, 'idle');
    assert.deepEqual(Object.keys(r.scores[0]?.byPlugin ?? {}).sort(), ['NodeResourcesFit', 'TaintToleration']);
    assert.ok((r.scores[0]?.total ?? 0) > (r.scores[1]?.total ?? 0));
  });

  void it('searches an adaptive share of large clusters, rotating the start', () => {
    assert.equal(numFeasibleNodesToFind(50), 50);
    assert.equal(numFeasibleNodesToFind(1000), 420);
    assert.equal(numFeasibleNodesToFind(5000), 500);
    const nodes = Array.from({ length: 200 }, (_, i) => node(`n${i}`));
    const f = framework();
    const first = f.schedule(pod(), nodes);
    assert.equal(first.scores.length + first.rejected.size, numFeasibleNodesToFind(200));
    const second = f.schedule(pod(), nodes);
    assert.notDeepEqual(second.scores.map((s) => s.node).sort(), first.scores.map((s) => s.node).sort());
  });

  void it('keeps only the best scores when asked, still counting every feasible node', () => {
    const nodes = Array.from({ length: 30 }, (_, i) => node(`n${i}`));
    // n7 is the emptiest: the best LeastAllocated score.
    for (const [i, n] of nodes.entries()) if (i !== 7) n.addPod({ ...pod({ nodeName: n.name }, '1'), metadata: { name: `q${i}`, namespace: 'default' } });
    const p = defaultProfile();
    const r = new Framework({ filters: p.filters, scores: p.scores, random: () => 0, keptScores: 3 }).schedule(pod({}, '100m'), nodes);
    assert.equal(r.node, 'n7');
    assert.equal(r.numFeasible, 30);
    assert.equal(r.scores.length, 3);
    assert.equal(r.scores[0]?.node, 'n7');
    // Equal totals keep node order.
    assert.deepEqual(r.scores.slice(1).map((s) => s.node), ['n0', 'n1']);
    const all = framework().schedule(pod({}, '100m'), nodes);
    assert.deepEqual(all.scores.slice(0, 3), r.scores);
  });

  void it('trusts the caller\'s count of pods with affinity terms instead of visiting every node', () => {
    const a = node('a');
    a.addPod({ ...pod({ nodeName: 'a', affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'x' } } }] } } }), metadata: { name: 'q', namespace: 'default', labels: { app: 'x' } } });
    const incoming: Pod = { ...pod(), metadata: { name: 'p', namespace: 'default', labels: { app: 'x' } } };
    assert.equal(framework().schedule(incoming, [a]).node, undefined);
    assert.equal(framework().schedule(incoming, [a], { podsWithAffinity: 1 }).node, undefined);
  });
});
