import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuantity } from '../../api/validation/quantity.js';
import { desiredSlicesWithHints, type SliceTopology } from './endpointslice-controller.js';
import type { PodShape, ServiceShape } from './service-endpoints.js';
import { allocateHints, hintsMode, zoneShares, type HintCandidate, type TopologyNode } from './topology-hints.js';

const node = (name: string, zone: string | undefined, cpu: string | undefined, extra: { ready?: boolean; labels?: Record<string, string> } = {}): TopologyNode => ({
  metadata: { name, labels: { ...(zone !== undefined ? { 'topology.kubernetes.io/zone': zone } : {}), ...(extra.labels ?? {}) } },
  status: { ...(cpu !== undefined ? { allocatable: { cpu } } : {}), conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }] },
});
const shares = (nodes: TopologyNode[]) => zoneShares(nodes, parseQuantity);
/** Endpoints by zone: 'a' = ready in zone a, '-' = ready without zone, 'a!' = not ready in zone a. */
const eps = (...spec: string[]): HintCandidate[] => spec.map((s) => (s === '-' ? { ready: true } : s.endsWith('!') ? { ready: false, zone: s.slice(0, -1) } : { ready: true, zone: s }));
const count = (hints: readonly (string | undefined)[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const h of hints) if (h !== undefined) out[h] = (out[h] ?? 0) + 1;
  return out;
};

void describe('hintsMode', () => {
  const cases: [Record<string, string> | undefined, string | undefined, string][] = [
    [{ 'service.kubernetes.io/topology-mode': 'Auto' }, undefined, 'Auto'],
    [{ 'service.kubernetes.io/topology-mode': 'auto' }, undefined, 'Auto'],
    [{ 'service.kubernetes.io/topology-aware-hints': 'auto' }, undefined, 'Auto'],
    // The newer annotation wins when both are present.
    [{ 'service.kubernetes.io/topology-mode': 'Disabled', 'service.kubernetes.io/topology-aware-hints': 'Auto' }, undefined, 'None'],
    [{ 'service.kubernetes.io/topology-mode': 'Auto' }, 'PreferClose', 'Auto'],
    [undefined, 'PreferClose', 'PreferClose'],
    [{ 'service.kubernetes.io/topology-mode': 'Disabled' }, 'PreferClose', 'PreferClose'],
    [undefined, undefined, 'None'],
  ];
  for (const [annotations, td, want] of cases) void it(`${JSON.stringify(annotations)} + ${td ?? '-'} → ${want}`, () => assert.equal(hintsMode(annotations, td), want));
});

void describe('zoneShares', () => {
  void it('shares CPU by zone among ready, non-control-plane nodes', () => {
    const z = shares([node('n1', 'a', '3'), node('n2', 'b', '1000m'), node('n3', 'c', '8', { ready: false }), node('cp', 'c', '8', { labels: { 'node-role.kubernetes.io/control-plane': 'true' } })]);
    assert.ok('shares' in z);
    assert.deepEqual([...z.shares], [['a', 0.75], ['b', 0.25]]);
  });
  const problems: [string, TopologyNode[], RegExp][] = [
    ['a node without a zone', [node('n1', 'a', '1'), node('n2', undefined, '1')], /insufficient node information: node n2/],
    ['a node without CPU', [node('n1', 'a', '1'), node('n2', 'b', undefined)], /insufficient node information/],
    ['one zone', [node('n1', 'a', '1'), node('n2', 'a', '1')], /one zone only/],
    ['no nodes', [], /insufficient node information/],
  ];
  for (const [name, nodes, want] of problems) {
    void it(`no shares with ${name}`, () => {
      const z = shares(nodes);
      assert.ok('problem' in z);
      assert.match(z.problem, want);
    });
  }
});

void describe('allocateHints', () => {
  const even = shares([node('n1', 'a', '2'), node('n2', 'b', '2')]);
  const skewed = shares([node('n1', 'a', '3'), node('n2', 'b', '1')]);
  const lopsided = shares([node('n1', 'a', '9'), node('n2', 'b', '1')]);
  const three = shares([node('n1', 'a', '1'), node('n2', 'b', '1'), node('n3', 'c', '1')]);
  const ok: [string, typeof even, HintCandidate[], Record<string, number>][] = [
    ['each endpoint serves its own zone when spread evenly', even, eps('a', 'a', 'b', 'b'), { a: 2, b: 2 }],
    ['a zone holding too many gives to the one holding too few', skewed, eps('a', 'b', 'b', 'b'), { a: 3, b: 1 }],
    ['a zone without endpoints receives some', even, eps('a', 'a', 'a', 'a'), { a: 2, b: 2 }],
    ['three zones, six endpoints in two', three, eps('a', 'a', 'a', 'b', 'b', 'b'), { a: 2, b: 2, c: 2 }],
    ['not-ready endpoints get no hints and do not count', even, eps('a', 'b', 'a!', 'b!'), { a: 1, b: 1 }],
    ['endpoints of a zone with no counted node are given away', even, eps('a', 'a', 'x', 'x'), { a: 2, b: 2 }],
  ];
  for (const [name, zones, endpoints, want] of ok) {
    void it(name, () => {
      const got = allocateHints(endpoints, zones);
      assert.ok('hints' in got, JSON.stringify(got));
      assert.deepEqual(count(got.hints), want);
      endpoints.forEach((e, i) => assert.equal(got.hints[i] !== undefined, e.ready, `endpoint ${i}`));
      // Deterministic: the same input gives the same hints (a repeated reconcile writes nothing).
      assert.deepEqual(allocateHints(endpoints, zones), got);
    });
  }
  const refused: [string, typeof even, HintCandidate[], RegExp][] = [
    ['fewer ready endpoints than zones', three, eps('a', 'b', 'c!'), /insufficient number of endpoints \(2 endpoints, 3 zones\)/],
    ['the minimum per zone exceeds the overload threshold', lopsided, eps('a', 'a', 'b'), /overload threshold/],
    ['a ready endpoint without a zone', even, eps('a', 'b', 'a', '-'), /without a zone/],
    ['the nodes give no shares', shares([node('n1', 'a', '1')]), eps('a', 'a'), /one zone only/],
  ];
  for (const [name, zones, endpoints, want] of refused) {
    void it(`none when ${name}`, () => {
      const got = allocateHints(endpoints, zones);
      assert.ok('problem' in got);
      assert.match(got.problem, want);
    });
  }
  void it('no zone exceeds its share by more than the threshold once hinted (sweep)', () => {
    for (let n = 2; n <= 30; n++) {
      const endpoints = eps(...Array.from({ length: n }, (_v, i) => (i % 5 === 0 ? 'b' : 'a')));
      const got = allocateHints(endpoints, skewed);
      if (!('hints' in got)) continue;
      const c = count(got.hints);
      // Zone a has 75 % of the CPU: each of its endpoints carries 0.75·n/c.a of an even load.
      assert.ok(0.75 * n <= (c['a'] ?? 0) * 1.2 + 1e-9 || (c['a'] ?? 0) >= Math.round(0.75 * n), `n=${n} ${JSON.stringify(c)}`);
      assert.ok((c['a'] ?? 0) > 0 && (c['b'] ?? 0) > 0, `n=${n}`);
    }
  });
});

void describe('desiredSlicesWithHints', () => {
  const service = (annotations: Record<string, string>, trafficDistribution?: string): ServiceShape => ({
    metadata: { namespace: 'ns', name: 'web', annotations },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...(trafficDistribution ? { trafficDistribution } : {}) },
  });
  const pod = (name: string, ip: string, nodeName: string, ready = true): PodShape => ({
    metadata: { namespace: 'ns', name, uid: name },
    spec: { nodeName, containers: [] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const zones: Record<string, string> = { n1: 'a', n2: 'b', n3: 'b' };
  const topology: SliceTopology = { zoneOf: (n) => (n ? zones[n] : undefined), zones: shares([node('n1', 'a', '2'), node('n2', 'b', '1'), node('n3', 'b', '1')]) };
  const pods = [pod('p1', '10.42.0.2', 'n1'), pod('p2', '10.42.1.2', 'n2'), pod('p3', '10.42.2.2', 'n3'), pod('p4', '10.42.1.3', 'n2'), pod('p5', '10.42.1.4', 'n2', false)];
  const hintsOf = (r: ReturnType<typeof desiredSlicesWithHints>) => r.slices.flatMap((s) => s.endpoints.map((e) => [(e['addresses'] as string[])[0], e['zone'], (e['hints'] as { forZones: { name: string }[] } | undefined)?.forZones.map((z) => z.name).join(',')]));

  void it('Auto: zones on every endpoint, hints spread by CPU, not-ready endpoints without', () => {
    const r = desiredSlicesWithHints(service({ 'service.kubernetes.io/topology-mode': 'Auto' }), pods, topology);
    assert.deepEqual(r.hints, { mode: 'Auto' });
    assert.deepEqual(hintsOf(r), [
      ['10.42.0.2', 'a', 'a'],
      ['10.42.1.2', 'b', 'a'],
      ['10.42.1.3', 'b', 'b'],
      ['10.42.1.4', 'b', undefined],
      ['10.42.2.2', 'b', 'b'],
    ]);
  });
  void it('PreferClose: each ready endpoint for its own zone', () => {
    const r = desiredSlicesWithHints(service({}, 'PreferClose'), pods, topology);
    assert.deepEqual(r.hints, { mode: 'PreferClose' });
    assert.deepEqual(hintsOf(r).map((h) => h[2]), ['a', 'b', 'b', undefined, 'b']);
  });
  void it('no mode: zones but no hints; a refused allocation says why', () => {
    assert.deepEqual(hintsOf(desiredSlicesWithHints(service({}), pods, topology)).map((h) => h.slice(1)), [['a', undefined], ['b', undefined], ['b', undefined], ['b', undefined], ['b', undefined]]);
    const r = desiredSlicesWithHints(service({ 'service.kubernetes.io/topology-mode': 'Auto' }), pods.slice(0, 1), topology);
    assert.match(r.hints.problem ?? '', /insufficient number of endpoints/);
    assert.deepEqual(hintsOf(r), [['10.42.0.2', 'a', undefined]]);
  });
});
