/**
 * InterPodAffinity: required affinity and anti-affinity (own and existing pods'), the first-pod rule, and
 * preferred terms' scores.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CycleState } from '../framework/cycle-state.js';
import { NodeInfo } from '../framework/node-info.js';
import type { Pod, PodAffinityTerm } from '../framework/objects.js';
import type { NodeScore } from '../framework/plugin.js';
import { ERR_AFFINITY, ERR_ANTI_AFFINITY, ERR_EXISTING_ANTI_AFFINITY, INTER_POD_AFFINITY_FILTER, INTER_POD_AFFINITY_SCORE } from './inter-pod-affinity.js';

function term(app: string, topologyKey = 'zone'): PodAffinityTerm {
  return { labelSelector: { matchLabels: { app } }, topologyKey };
}

function podOf(name: string, labels: Record<string, string>, affinity: NonNullable<Pod['spec']>['affinity'] = undefined, namespace = 'default'): Pod {
  return { metadata: { name, namespace, labels }, spec: { containers: [{ name: 'c' }], ...(affinity ? { affinity } : {}) } };
}

function cluster(placed: Record<string, Pod[]>): NodeInfo[] {
  const zones: Record<string, string> = { a1: 'a', a2: 'a', b1: 'b' };
  return Object.entries(zones).map(([name, zone]) => {
    const info = new NodeInfo(name, { metadata: { name, labels: { zone, 'kubernetes.io/hostname': name } }, spec: {}, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
    for (const p of placed[name] ?? []) info.addPod({ ...p, spec: { ...p.spec, nodeName: name } });
    return info;
  });
}

function verdicts(pod: Pod, nodes: NodeInfo[]): Record<string, string> {
  const state = new CycleState(nodes);
  if (INTER_POD_AFFINITY_FILTER.skip?.(pod, state)) return Object.fromEntries(nodes.map((n) => [n.name, 'ok']));
  return Object.fromEntries(nodes.map((n) => [n.name, INTER_POD_AFFINITY_FILTER.filter(pod, n, state).reasons[0] ?? 'ok']));
}

void describe('InterPodAffinity namespaceSelector', () => {
  void it('selects namespaces by their labels', () => {
    const nodes = cluster({ a1: [podOf('db', { app: 'db' }, undefined, 'team-a')], b1: [podOf('db', { app: 'db' }, undefined, 'other')] });
    const pod = podOf('web', { app: 'web' }, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...term('db'), namespaceSelector: { matchLabels: { team: 'a' } } }] } });
    const state = new CycleState(nodes, () => [
      { name: 'team-a', labels: { team: 'a' } },
      { name: 'other', labels: { team: 'b' } },
    ]);
    const got = Object.fromEntries(nodes.map((n) => [n.name, INTER_POD_AFFINITY_FILTER.filter(pod, n, state).reasons[0] ?? 'ok']));
    // Only team-a's db counts: zone a is forbidden, zone b (the other namespace's db) is not.
    assert.deepEqual(got, { a1: ERR_ANTI_AFFINITY, a2: ERR_ANTI_AFFINITY, b1: 'ok' });
  });
});

void describe('InterPodAffinity filter', () => {
  const cases: { name: string; pod: Pod; placed: Record<string, Pod[]>; want: Record<string, string> }[] = [
    {
      name: 'required affinity: only the zone holding a matching pod',
      pod: podOf('web', { app: 'web' }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } }),
      placed: { a2: [podOf('db', { app: 'db' })] },
      want: { a1: 'ok', a2: 'ok', b1: ERR_AFFINITY },
    },
    {
      name: 'required affinity: the first pod of a self-matching group goes anywhere',
      pod: podOf('web', { app: 'web' }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } }),
      placed: {},
      want: { a1: 'ok', a2: 'ok', b1: 'ok' },
    },
    {
      name: 'required affinity: another namespace does not count',
      pod: podOf('web', { app: 'web' }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } }),
      placed: { a2: [podOf('db', { app: 'db' }, undefined, 'other')] },
      want: { a1: ERR_AFFINITY, a2: ERR_AFFINITY, b1: ERR_AFFINITY },
    },
    {
      name: 'required anti-affinity by hostname: not next to a matching pod',
      pod: podOf('web', { app: 'web' }, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'kubernetes.io/hostname')] } }),
      placed: { a1: [podOf('web-0', { app: 'web' })] },
      want: { a1: ERR_ANTI_AFFINITY, a2: 'ok', b1: 'ok' },
    },
    {
      name: "an existing pod's anti-affinity keeps matching pods out of its zone",
      pod: podOf('web', { app: 'web' }),
      placed: { b1: [podOf('loner', { app: 'loner' }, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } })] },
      want: { a1: 'ok', a2: 'ok', b1: ERR_EXISTING_ANTI_AFFINITY },
    },
  ];
  for (const c of cases) void it(c.name, () => assert.deepEqual(verdicts(c.pod, cluster(c.placed)), c.want));
});

void describe('InterPodAffinity score', () => {
  void it('preferred affinity pulls towards, preferred anti-affinity pushes away; min-max normalized', () => {
    const nodes = cluster({ a1: [podOf('db', { app: 'db' })], b1: [podOf('cache', { app: 'cache' })] });
    const pod = podOf('web', { app: 'web' }, {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term('db') }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, podAffinityTerm: term('cache') }] },
    });
    const state = new CycleState(nodes);
    assert.equal(INTER_POD_AFFINITY_SCORE.skip?.(pod, state), false);
    const scores: NodeScore[] = nodes.map((n) => ({ node: n.name, score: INTER_POD_AFFINITY_SCORE.score(pod, n, state) }));
    assert.deepEqual(scores.map((s) => s.score), [50, 50, -20]);
    INTER_POD_AFFINITY_SCORE.normalize?.(pod, scores);
    assert.deepEqual(scores.map((s) => s.score), [100, 100, 0]);
  });

  void it('is skipped when no pod has affinity terms', () => {
    const nodes = cluster({ a1: [podOf('db', { app: 'db' })] });
    assert.equal(INTER_POD_AFFINITY_SCORE.skip?.(podOf('web', { app: 'web' }), new CycleState(nodes)), true);
  });
});
