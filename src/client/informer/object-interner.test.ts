import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObjectInterner } from './object-interner.js';

const pod = (name: string, ip: string): Record<string, unknown> =>
  JSON.parse(
    JSON.stringify({
      metadata: { name, uid: `uid-of-${name}-0000-0000`, labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m' } } }],
        tolerations: [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ],
        securityContext: {},
      },
      status: { podIP: ip, conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-07T14:24:56Z' }] },
    }),
  ) as Record<string, unknown>;

type Pod = { spec: { containers: { image: string; resources: unknown }[]; tolerations: unknown[]; securityContext: unknown }; status: { podIP: string; conditions: unknown[] }; metadata: { labels: unknown; uid: string } };

describe('ObjectInterner', () => {
  it('returns an equal value without changing its input', () => {
    const interner = new ObjectInterner();
    const input = pod('a', '10.0.0.1');
    const copy = structuredClone(input);
    const out = interner.intern(input);
    assert.deepEqual(out, copy);
    assert.deepEqual(input, copy);
    assert.notEqual(out, input);
  });

  it('shares equal small subtrees and long strings between objects, and keeps what differs apart', () => {
    const interner = new ObjectInterner();
    const a = interner.intern(pod('a', '10.0.0.1')) as unknown as Pod;
    const b = interner.intern(pod('b', '10.0.0.2')) as unknown as Pod;
    assert.equal(a.spec.tolerations, b.spec.tolerations);
    assert.equal(a.spec.containers[0]?.resources, b.spec.containers[0]?.resources);
    assert.equal(a.spec.securityContext, b.spec.securityContext);
    assert.equal(a.status.conditions, b.status.conditions);
    assert.equal(a.metadata.labels, b.metadata.labels);
    assert.notEqual(a.status, b.status);
    assert.equal(a.status.podIP, '10.0.0.1');
    assert.equal(b.status.podIP, '10.0.0.2');
    assert.notEqual(a.metadata.uid, b.metadata.uid);
    assert.ok(interner.stats().hits > 0);
  });

  it('tells apart values whose text could be confused: types, key order, separators inside strings', () => {
    const interner = new ObjectInterner();
    const values: unknown[] = [
      { a: '1' },
      { a: 1 },
      { a: true },
      { a: 'true' },
      { a: null },
      { a: 'null' },
      { a: [] },
      { a: {} },
      { a: '', b: '' },
      { b: '', a: '' },
      { 'a=1:b': '' },
      { a: '1:b=' },
      ['a,b'],
      ['a', 'b'],
      [['a'], 'b'],
      { x: 'a-long-string-value', y: 'another-long-value' },
      { x: 'a-long-string-value,y=another-long-value' },
    ];
    const interned = values.map((v) => interner.intern(structuredClone(v)));
    for (let i = 0; i < values.length; i++) {
      assert.deepEqual(interned[i], values[i]);
      assert.deepEqual(Object.keys(interned[i] as object), Object.keys(values[i] as object));
    }
  });

  it('keeps a "__proto__" key as data, as JSON.parse does', () => {
    const interner = new ObjectInterner();
    const input = JSON.parse('{"__proto__":{"polluted":"yes"},"a":"b"}') as Record<string, unknown>;
    const out = interner.intern(input) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__', 'a']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('bounds its table: unique values age out, recurring ones are shared again once re-entered', () => {
    const interner = new ObjectInterner(16);
    for (let i = 0; i < 1000; i++) interner.intern(pod(`p-${i}`, `10.0.${i % 250}.${i % 200}`));
    assert.ok(interner.stats().entries <= 32);
    const x = interner.intern(pod('x', '10.1.0.1')) as unknown as Pod;
    const y = interner.intern(pod('y', '10.1.0.2')) as unknown as Pod;
    assert.equal(x.spec.tolerations, y.spec.tolerations);
  });

  it('freezes what it shares when the tests ask for it (TKUBE_FREEZE_SHARED_OBJECTS=1)', { skip: process.env['TKUBE_FREEZE_SHARED_OBJECTS'] !== '1' }, () => {
    const interner = new ObjectInterner();
    const a = interner.intern(pod('a', '10.0.0.1')) as unknown as Pod;
    assert.ok(Object.isFrozen(a.spec.tolerations));
    assert.throws(() => (a.spec.tolerations as unknown[]).push({}), TypeError);
  });

  it('interns an update against the previous version: unchanged parts are the previous ones, changed ones shared as usual', () => {
    const interner = new ObjectInterner();
    const before = interner.intern(pod('a', '10.0.0.1')) as unknown as Pod;
    const next = pod('a', '10.0.0.9') as unknown as Pod & { spec: { nodeName?: string } };
    next.spec.nodeName = 'node-1';
    next.status.conditions = [{ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-12-07T14:25:00Z' }];
    const copy = structuredClone(next);
    const after = interner.intern(next, before) as unknown as Pod;
    assert.deepEqual(after, copy);
    assert.deepEqual(next, copy, 'the input is not changed');
    assert.equal(after.spec.tolerations, before.spec.tolerations);
    assert.equal(after.spec.containers, before.spec.containers);
    assert.equal(after.metadata.labels, before.metadata.labels);
    assert.notEqual(after.spec, before.spec);
    assert.ok(interner.stats().reused > 0);
    // A second pod updated the same way shares the changed parts with the first (keys of reused parts are known).
    const other = interner.intern(pod('b', '10.0.0.2')) as unknown as Pod;
    const otherNext = pod('b', '10.0.0.2') as unknown as Pod;
    otherNext.status.conditions = [{ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-12-07T14:25:00Z' }];
    const otherAfter = interner.intern(otherNext, other) as unknown as Pod;
    assert.equal(otherAfter.status.conditions, after.status.conditions);
    assert.equal(otherAfter.spec, other.spec, 'an unchanged subtree is the previous version itself');
  });

  it('remembers a reference only for subtrees found again, and still shares a parent of one on an update', () => {
    const interner = new ObjectInterner();
    for (let i = 0; i < 100; i++) interner.intern({ own: { ip: `10.0.0.${i}` }, name: `n${i}` });
    assert.equal(interner.stats().referenced, 0, "a subtree no other object has gets no reference");
    const a = interner.intern(pod('a', '10.0.0.1')) as unknown as Pod;
    const referenced = interner.stats().referenced;
    const b = interner.intern(pod('b', '10.0.0.2')) as unknown as Pod;
    assert.ok(interner.stats().referenced > referenced);
    // b's update leaves its tolerations (found again, so referenced) as they were and changes the container's
    // resources: the new spec is shared with the first pod's spec updated the same way.
    const withCpu = (p: Pod): Pod => ({ ...p, spec: { ...p.spec, containers: [{ ...p.spec.containers[0]!, resources: { requests: { cpu: '20m' } } }] } });
    const a2 = interner.intern(withCpu(structuredClone(a)), a) as unknown as Pod;
    const b2 = interner.intern(withCpu(structuredClone(b)), b) as unknown as Pod;
    assert.equal(b2.spec.tolerations, b.spec.tolerations);
    assert.equal(b2.spec, a2.spec);
  });

  it('treats a reordered or retyped part as changed', () => {
    const interner = new ObjectInterner();
    const before = interner.intern<Record<string, unknown>>({ a: { x: 1, y: 2 }, b: [1, 2], c: { k: 'v' } });
    const after = interner.intern<Record<string, unknown>>({ a: { y: 2, x: 1 }, b: { 0: 1, 1: 2 }, c: { k: 'v' } }, before);
    assert.deepEqual(Object.keys(after['a'] as object), ['y', 'x']);
    assert.ok(!Array.isArray(after['b']));
    assert.equal(after['c'], before['c']);
  });
});
