/**
 * PodTopologySpread: hard constraints filter by skew, soft ones score emptier domains higher.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CycleState } from '../framework/cycle-state.js';
import { NodeInfo } from '../framework/node-info.js';
import type { Pod, TopologySpreadConstraint } from '../framework/objects.js';
import type { NodeScore } from '../framework/plugin.js';
import { ERR_TOPOLOGY_LABEL, ERR_TOPOLOGY_SPREAD, POD_TOPOLOGY_SPREAD_FILTER, POD_TOPOLOGY_SPREAD_SCORE } from './pod-topology-spread.js';

function nodeIn(name: string, zone: string | undefined, appPods: number): NodeInfo {
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name };
  if (zone) labels['zone'] = zone;
  const info = new NodeInfo(name, { metadata: { name, labels }, spec: {}, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
  for (let i = 0; i < appPods; i++) info.addPod({ metadata: { name: `${name}-p${i}`, namespace: 'default', labels: { app: 'web' } }, spec: { nodeName: name, containers: [{ name: 'c' }] } });
  return info;
}

function pod(constraint: Partial<TopologySpreadConstraint>): Pod {
  return {
    metadata: { name: 'new', namespace: 'default', labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'c' }],
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...constraint }],
    },
  };
}

void describe('PodTopologySpread', () => {
  const cases: { name: string; constraint: Partial<TopologySpreadConstraint>; want: Record<string, string> }[] = [
    {
      name: 'maxSkew 1 admits only the emptiest zone',
      constraint: {},
      // zone a: 2 pods, zone b: 1 pod → placing in a gives skew 2.
      want: { a1: ERR_TOPOLOGY_SPREAD, b1: 'ok', none: ERR_TOPOLOGY_LABEL },
    },
    { name: 'maxSkew 2 admits both zones', constraint: { maxSkew: 2 }, want: { a1: 'ok', b1: 'ok', none: ERR_TOPOLOGY_LABEL } },
    { name: 'minDomains above the domain count makes the minimum 0', constraint: { maxSkew: 2, minDomains: 3 }, want: { a1: ERR_TOPOLOGY_SPREAD, b1: 'ok', none: ERR_TOPOLOGY_LABEL } },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const nodes = [nodeIn('a1', 'a', 2), nodeIn('b1', 'b', 1), nodeIn('none', undefined, 0)];
      const state = new CycleState(nodes);
      const p = pod(c.constraint);
      const got = Object.fromEntries(nodes.map((n) => [n.name, POD_TOPOLOGY_SPREAD_FILTER.filter(p, n, state).reasons[0] ?? 'ok']));
      assert.deepEqual(got, c.want);
    });
  }

  void it('ScheduleAnyway scores emptier domains higher; no constraints score 0', () => {
    const nodes = [nodeIn('a1', 'a', 3), nodeIn('b1', 'b', 1), nodeIn('c1', 'c', 0)];
    const state = new CycleState(nodes);
    const p = pod({ whenUnsatisfiable: 'ScheduleAnyway' });
    const scores: NodeScore[] = nodes.map((n) => ({ node: n.name, score: POD_TOPOLOGY_SPREAD_SCORE.score(p, n, state) }));
    POD_TOPOLOGY_SPREAD_SCORE.normalize?.(p, scores);
    assert.deepEqual(scores.map((s) => s.score), [0, 67, 100]);
    const plain: Pod = { metadata: { name: 'x', namespace: 'default' }, spec: { containers: [{ name: 'c' }] } };
    const flat: NodeScore[] = nodes.map((n) => ({ node: n.name, score: POD_TOPOLOGY_SPREAD_SCORE.score(plain, n, state) }));
    POD_TOPOLOGY_SPREAD_SCORE.normalize?.(plain, flat);
    assert.deepEqual(flat.map((s) => s.score), [0, 0, 0]);
  });
});
