/**
 * Table-driven tests of the default profile's filter and score plugins.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CycleState } from '../framework/cycle-state.js';
import { NodeInfo } from '../framework/node-info.js';
import type { Node, Pod } from '../framework/objects.js';
import type { FilterPlugin, NodeScore, ScorePlugin } from '../framework/plugin.js';
import { NODE_AFFINITY_FILTER, NODE_AFFINITY_SCORE } from './node-affinity.js';
import { NODE_NAME } from './node-name.js';
import { NODE_PORTS } from './node-ports.js';
import { NODE_RESOURCES_FIT_FILTER, nodeResourcesFitScore } from './node-resources-fit.js';
import { NODE_UNSCHEDULABLE } from './node-unschedulable.js';
import { TAINT_TOLERATION_FILTER, TAINT_TOLERATION_SCORE } from './taint-toleration.js';

function node(name: string, extra: Partial<Node> = {}, allocatable: Record<string, string> = { cpu: '4', memory: '8Gi', pods: '110' }): Node {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.metadata?.labels } }, spec: extra.spec ?? {}, status: { allocatable } };
}

function pod(name: string, spec: Pod['spec'] = {}, requests?: Record<string, string>): Pod {
  return { metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', ...(requests ? { resources: { requests } } : {}) }], ...spec } };
}

function info(n: Node, pods: Pod[] = []): NodeInfo {
  const i = new NodeInfo(n.metadata?.name ?? '', n);
  for (const p of pods) i.addPod({ ...p, spec: { ...p.spec, nodeName: i.name } });
  return i;
}

interface FilterCase {
  readonly name: string;
  readonly plugin: FilterPlugin;
  readonly pod: Pod;
  readonly node: NodeInfo;
  /** Expected code and reasons. */
  readonly want: [string, string[]];
}

const FILTER_CASES: FilterCase[] = [
  { name: 'NodeName: unset fits', plugin: NODE_NAME, pod: pod('p'), node: info(node('a')), want: ['Success', []] },
  { name: 'NodeName: other node', plugin: NODE_NAME, pod: pod('p', { nodeName: 'b' }), node: info(node('a')), want: ['UnschedulableAndUnresolvable', ["node(s) didn't match the requested node name"]] },
  { name: 'NodeUnschedulable: cordoned', plugin: NODE_UNSCHEDULABLE, pod: pod('p'), node: info(node('a', { spec: { unschedulable: true } })), want: ['UnschedulableAndUnresolvable', ['node(s) were unschedulable']] },
  {
    name: 'NodeUnschedulable: tolerated',
    plugin: NODE_UNSCHEDULABLE,
    pod: pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
    node: info(node('a', { spec: { unschedulable: true } })),
    want: ['Success', []],
  },
  {
    name: 'TaintToleration: untolerated NoSchedule',
    plugin: TAINT_TOLERATION_FILTER,
    pod: pod('p'),
    node: info(node('a', { spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } })),
    want: ['UnschedulableAndUnresolvable', ['node(s) had untolerated taint {k: v}']],
  },
  {
    name: 'TaintToleration: PreferNoSchedule does not filter',
    plugin: TAINT_TOLERATION_FILTER,
    pod: pod('p'),
    node: info(node('a', { spec: { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] } })),
    want: ['Success', []],
  },
  {
    name: 'TaintToleration: Equal toleration',
    plugin: TAINT_TOLERATION_FILTER,
    pod: pod('p', { tolerations: [{ key: 'k', operator: 'Equal', value: 'v' }] }),
    node: info(node('a', { spec: { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] } })),
    want: ['Success', []],
  },
  {
    name: 'TaintToleration: wrong value',
    plugin: TAINT_TOLERATION_FILTER,
    pod: pod('p', { tolerations: [{ key: 'k', operator: 'Equal', value: 'x' }] }),
    node: info(node('a', { spec: { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] } })),
    want: ['UnschedulableAndUnresolvable', ['node(s) had untolerated taint {k: v}']],
  },
  {
    name: 'TaintToleration: empty key Exists tolerates all',
    plugin: TAINT_TOLERATION_FILTER,
    pod: pod('p', { tolerations: [{ operator: 'Exists' }] }),
    node: info(node('a', { spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } })),
    want: ['Success', []],
  },
  { name: 'NodeAffinity: nodeSelector matches', plugin: NODE_AFFINITY_FILTER, pod: pod('p', { nodeSelector: { 'kubernetes.io/hostname': 'a' } }), node: info(node('a')), want: ['Success', []] },
  {
    name: 'NodeAffinity: nodeSelector mismatch',
    plugin: NODE_AFFINITY_FILTER,
    pod: pod('p', { nodeSelector: { disk: 'ssd' } }),
    node: info(node('a')),
    want: ['UnschedulableAndUnresolvable', ["node(s) didn't match Pod's node affinity/selector"]],
  },
  {
    name: 'NodeAffinity: required In over terms (ORed)',
    plugin: NODE_AFFINITY_FILTER,
    pod: pod('p', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }],
          },
        },
      },
    }),
    node: info(node('a')),
    want: ['Success', []],
  },
  {
    name: 'NodeAffinity: Gt on a numeric label',
    plugin: NODE_AFFINITY_FILTER,
    pod: pod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }] } } } }),
    node: info(node('a', { metadata: { labels: { cores: '4' } } })),
    want: ['UnschedulableAndUnresolvable', ["node(s) didn't match Pod's node affinity/selector"]],
  },
  { name: 'NodeResourcesFit: fits', plugin: NODE_RESOURCES_FIT_FILTER, pod: pod('p', {}, { cpu: '1', memory: '1Gi' }), node: info(node('a')), want: ['Success', []] },
  {
    name: 'NodeResourcesFit: cpu and memory short',
    plugin: NODE_RESOURCES_FIT_FILTER,
    pod: pod('p', {}, { cpu: '3500m', memory: '7Gi' }),
    node: info(node('a'), [pod('q', {}, { cpu: '1', memory: '2Gi' })]),
    want: ['Unschedulable', ['Insufficient cpu', 'Insufficient memory']],
  },
  {
    name: 'NodeResourcesFit: too many pods',
    plugin: NODE_RESOURCES_FIT_FILTER,
    pod: pod('p'),
    node: info(node('a', {}, { cpu: '4', memory: '8Gi', pods: '1' }), [pod('q')]),
    want: ['Unschedulable', ['Too many pods']],
  },
  {
    name: 'NodeResourcesFit: extended resource missing',
    plugin: NODE_RESOURCES_FIT_FILTER,
    pod: pod('p', {}, { 'example.com/gpu': '1' }),
    node: info(node('a')),
    want: ['Unschedulable', ['Insufficient example.com/gpu']],
  },
  {
    name: 'NodePorts: conflict on the wildcard address',
    plugin: NODE_PORTS,
    pod: { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ ports: [{ containerPort: 80, hostPort: 8080 }] }] } },
    node: info(node('a'), [{ metadata: { name: 'q', namespace: 'default' }, spec: { containers: [{ ports: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }] }] } }]),
    want: ['Unschedulable', ["node(s) didn't have free ports for the requested pod ports"]],
  },
  {
    name: 'NodePorts: other protocol is free',
    plugin: NODE_PORTS,
    pod: { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ ports: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] }] } },
    node: info(node('a'), [{ metadata: { name: 'q', namespace: 'default' }, spec: { containers: [{ ports: [{ containerPort: 53, hostPort: 53 }] }] } }]),
    want: ['Success', []],
  },
];

void describe('filter plugins', () => {
  for (const c of FILTER_CASES) {
    void it(c.name, () => {
      const s = c.plugin.filter(c.pod, c.node, new CycleState());
      assert.deepEqual([s.code, [...s.reasons]], c.want);
    });
  }
});

interface ScoreCase {
  readonly name: string;
  readonly plugin: ScorePlugin;
  readonly pod: Pod;
  readonly nodes: NodeInfo[];
  /** Normalized scores per node, in node order. */
  readonly want: number[];
}

const SCORE_CASES: ScoreCase[] = [
  {
    name: 'LeastAllocated prefers the emptier node',
    plugin: nodeResourcesFitScore('LeastAllocated'),
    pod: pod('p', {}, { cpu: '1', memory: '1Gi' }),
    nodes: [info(node('a'), [pod('q', {}, { cpu: '2', memory: '4Gi' })]), info(node('b'))],
    // a: cpu (4-3)/4=25, mem (8-5)/8=37 → 31; b: cpu 75, mem 87 → 81
    want: [31, 81],
  },
  {
    name: 'MostAllocated prefers the fuller node',
    plugin: nodeResourcesFitScore('MostAllocated'),
    pod: pod('p', {}, { cpu: '1', memory: '1Gi' }),
    nodes: [info(node('a'), [pod('q', {}, { cpu: '2', memory: '4Gi' })]), info(node('b'))],
    want: [68, 18],
  },
  {
    name: 'TaintToleration: fewer untolerated PreferNoSchedule taints score higher',
    plugin: TAINT_TOLERATION_SCORE,
    pod: pod('p'),
    nodes: [
      info(node('a', { spec: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }, { key: 'y', effect: 'PreferNoSchedule' }] } })),
      info(node('b', { spec: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] } })),
      info(node('c')),
    ],
    want: [0, 50, 100],
  },
  {
    name: 'NodeAffinity: preferred weights, normalized',
    plugin: NODE_AFFINITY_SCORE,
    pod: pod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
            { weight: 30, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
          ],
        },
      },
    }),
    nodes: [info(node('a', { metadata: { labels: { disk: 'ssd' } } })), info(node('b', { metadata: { labels: { disk: 'ssd', zone: 'z' } } })), info(node('c'))],
    want: [25, 100, 0],
  },
];

void describe('score plugins', () => {
  for (const c of SCORE_CASES) {
    void it(c.name, () => {
      const state = new CycleState();
      const scores: NodeScore[] = c.nodes.map((n) => ({ node: n.name, score: c.plugin.score(c.pod, n, state) }));
      c.plugin.normalize?.(c.pod, scores);
      assert.deepEqual(
        scores.map((s) => s.score),
        c.want,
      );
    });
  }
});
