import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { BUILTIN_RESOURCES } from '../../api/scheme.js';
import type { ResourceInfo } from '../../api/scheme.js';
import { FakeClock } from '../../base/clock/clock.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { GenericStore } from './generic-store.js';
import type { GenericStoreConfig } from './generic-store.js';
import { NAME_ALPHABET } from './name-generator.js';
import { parseSelectionPredicate } from './selection-predicate.js';
import { WatchCache } from '../watch/watch-cache.js';

function info(group: string, resource: string): ResourceInfo {
  const r = BUILTIN_RESOURCES.find((x) => x.group === group && x.resource === resource);
  assert.ok(r);
  return r;
}

function setup(group = '', resource = 'configmaps', extra: Partial<GenericStoreConfig> = {}) {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const store = new GenericStore({ resource: info(group, resource), strategy: {}, storage, clock, ...extra });
  return { storage, clock, store };
}

async function rejects(p: Promise<unknown>, code: number, message?: RegExp): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError, `expected StatusError, got ${String(err)}`);
    assert.equal(err.status.code, code, err.message);
    if (message) assert.match(err.status.message ?? '', message);
    return err;
  }
  assert.fail('expected a rejection');
}

const cm = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { a: '1' },
});

void describe('GenericStore', () => {
  void it('create() stamps uid, creationTimestamp, resourceVersion and namespace; get() reads it back', async () => {
    const { store, storage } = setup();
    const created = await store.create('default', cm('a'));
    assert.equal(created.metadata?.namespace, 'default');
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(created.metadata?.creationTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(created.metadata?.resourceVersion, String(await storage.currentRevision()));
    assert.equal(created.metadata?.generation, undefined);
    const got = await store.get('default', 'a');
    assert.deepEqual(got, created);
    const raw = await storage.get('/registry/configmaps/default/a');
    assert.ok(raw);
    assert.equal((JSON.parse(Buffer.from(raw.value).toString()) as KubeObject).metadata?.resourceVersion, undefined);
  });

  void it('create() answers 409 AlreadyExists, 400 on namespace mismatch, 422 without a name', async () => {
    const { store } = setup();
    await store.create('default', cm('a'));
    await rejects(store.create('default', cm('a')), 409, /configmaps "a" already exists/);
    const other = cm('b');
    other.metadata!.namespace = 'x';
    await rejects(store.create('default', other), 400, /does not match the namespace sent on the request/);
    await rejects(store.create('default', { kind: 'ConfigMap', metadata: {} }), 422, /name or generateName is required/);
    await rejects(store.create('default', { kind: 'Pod', metadata: { name: 'p' } }), 400);
  });

  void it('create() with generateName appends five characters of the upstream alphabet', async () => {
    const { store } = setup();
    const created = await store.create('default', { metadata: { generateName: 'web-' } });
    const name = created.metadata?.name ?? '';
    assert.match(name, new RegExp(`^web-[${NAME_ALPHABET}]{5}$`));
  });

  void it('create() into a missing namespace is 404, into a terminating one 403', async () => {
    const namespaces = new Map<string, KubeObject>([
      ['default', { metadata: { name: 'default' }, status: { phase: 'Active' } }],
      ['gone', { metadata: { name: 'gone', deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Terminating' } }],
    ]);
    const { store } = setup('', 'configmaps', { namespaces: async (n) => namespaces.get(n) });
    await rejects(store.create('nope', cm('a')), 404, /namespaces "nope" not found/);
    await rejects(store.create('gone', cm('a')), 403, /unable to create new content in namespace gone because it is being terminated/);
    await store.create('default', cm('a'));
  });

  void it('create() with dryRun validates but stores nothing', async () => {
    const { store } = setup();
    const out = await store.create('default', cm('a'), { dryRun: true });
    assert.equal(out.metadata?.name, 'a');
    await rejects(store.get('default', 'a'), 404, /configmaps "a" not found/);
  });

  void it('update() with a stale resourceVersion is 409; without one it is unconditional', async () => {
    const { store } = setup();
    const created = await store.create('default', cm('a'));
    const first = await store.update('default', 'a', { ...created, data: { a: '2' } });
    assert.notEqual(first.metadata?.resourceVersion, created.metadata?.resourceVersion);
    assert.equal(first.metadata?.uid, created.metadata?.uid);
    await rejects(
      store.update('default', 'a', { ...created, data: { a: '3' } }),
      409,
      /Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again/,
    );
    const unconditional = structuredClone(created);
    delete unconditional.metadata!.resourceVersion;
    unconditional['data'] = { a: '4' };
    const second = await store.update('default', 'a', unconditional);
    assert.deepEqual(second['data'], { a: '4' });
    await rejects(store.update('default', 'zzz', cm('zzz')), 404);
    await rejects(store.update('default', 'a', cm('b')), 400, /does not match the name on the URL/);
  });

  void it('update() bumps generation on spec changes only and keeps status for resources with a status subresource', async () => {
    const { store } = setup('apps', 'deployments');
    const created = await store.create('default', { metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 7 } });
    assert.equal(created.metadata?.generation, 1);
    const relabel = await store.update('default', 'd', { ...created, metadata: { ...created.metadata, labels: { x: 'y' } } });
    assert.equal(relabel.metadata?.generation, 1);
    const scaled = await store.update('default', 'd', { ...relabel, spec: { replicas: 3 }, status: { replicas: 99 } });
    assert.equal(scaled.metadata?.generation, 2);
    assert.deepEqual(scaled['status'], { replicas: 7 });
    const status = await store.update('default', 'd', { ...scaled, spec: { replicas: 50 }, status: { replicas: 3 } }, { subresource: 'status' });
    assert.deepEqual(status['status'], { replicas: 3 });
    assert.deepEqual(status['spec'], { replicas: 3 });
    assert.equal(status.metadata?.generation, 2);
  });

  void it('scale subresource reads and writes spec.replicas', async () => {
    const { store } = setup('apps', 'deployments');
    await store.create('default', { metadata: { name: 'd' }, spec: { replicas: 2, selector: { matchLabels: { app: 'd' } } }, status: { replicas: 2 } });
    const scale = await store.get('default', 'd', 'scale');
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.deepEqual(scale['spec'], { replicas: 2 });
    assert.deepEqual(scale['status'], { replicas: 2, selector: 'app=d' });
    const out = await store.update('default', 'd', { ...scale, spec: { replicas: 5 } }, { subresource: 'scale' });
    assert.deepEqual(out['spec'], { replicas: 5 });
    const d = await store.get('default', 'd');
    assert.equal((d['spec'] as { replicas: number }).replicas, 5);
    assert.equal(d.metadata?.generation, 2);
    await rejects(store.update('default', 'd', { ...scale, spec: { replicas: 6 } }, { subresource: 'scale' }), 409);
  });

  void it('delete() removes at once, or waits for finalizers and deletes when the last one is removed', async () => {
    const { store } = setup();
    await store.create('default', cm('plain'));
    const plain = await store.delete('default', 'plain');
    assert.equal(plain.deleted, true);
    await rejects(store.get('default', 'plain'), 404);
    await rejects(store.delete('default', 'plain'), 404);

    const held = await store.create('default', { ...cm('held'), metadata: { name: 'held', finalizers: ['example.com/x'] } });
    const marked = await store.delete('default', 'held');
    assert.equal(marked.deleted, false);
    assert.equal(marked.object.metadata?.deletionTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(marked.object.metadata?.deletionGracePeriodSeconds, 0);
    const still = await store.get('default', 'held');
    assert.equal(still.metadata?.uid, held.metadata?.uid);
    const cleared = structuredClone(still);
    cleared.metadata!.finalizers = [];
    await store.update('default', 'held', cleared);
    await rejects(store.get('default', 'held'), 404);
  });

  void it('delete() of a namespace with spec.finalizers marks it Terminating until finalize clears them', async () => {
    const { store } = setup('', 'namespaces');
    await store.create('', { metadata: { name: 'ns1' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    const res = await store.delete('', 'ns1');
    assert.equal(res.deleted, false);
    assert.deepEqual(res.object['status'], { phase: 'Terminating' });
    assert.ok(res.object.metadata?.deletionTimestamp);
    const cur = await store.get('', 'ns1');
    await store.update('', 'ns1', { ...cur, spec: { finalizers: [] } }, { subresource: 'finalize' });
    await rejects(store.get('', 'ns1'), 404, /namespaces "ns1" not found/);
  });

  void it('delete() checks uid and resourceVersion preconditions and records propagation finalizers', async () => {
    const { store } = setup();
    const a = await store.create('default', cm('a'));
    await rejects(store.delete('default', 'a', { preconditions: { uid: 'nope' } }), 409, /Precondition failed: UID in precondition: nope/);
    await rejects(store.delete('default', 'a', { preconditions: { resourceVersion: '1' + (a.metadata?.resourceVersion ?? '') } }), 409);
    const fg = await store.delete('default', 'a', { propagationPolicy: 'Foreground' });
    assert.equal(fg.deleted, false);
    assert.deepEqual(fg.object.metadata?.finalizers, ['foregroundDeletion']);
  });

  void it('delete() of a bound pod is graceful; an unbound pod goes at once', async () => {
    const grace = (obj: KubeObject, o: { gracePeriodSeconds?: number }) => {
      const spec = obj['spec'] as { nodeName?: string };
      return spec.nodeName ? (o.gracePeriodSeconds ?? 30) : 0;
    };
    const { store } = setup('', 'pods', { gracefulDeletion: grace });
    await store.create('default', { metadata: { name: 'free' }, spec: {} });
    assert.equal((await store.delete('default', 'free')).deleted, true);
    await store.create('default', { metadata: { name: 'bound' }, spec: { nodeName: 'n1' } });
    const res = await store.delete('default', 'bound');
    assert.equal(res.deleted, false);
    assert.equal(res.object.metadata?.deletionGracePeriodSeconds, 30);
    assert.equal(res.object.metadata?.deletionTimestamp, '2026-01-01T00:00:30Z');
    assert.equal((await store.delete('default', 'bound', { gracePeriodSeconds: 0 })).deleted, true);
  });

  void it('list() filters by label and field selectors and pages with continue tokens at one revision', async () => {
    const { store, storage } = setup();
    for (let i = 0; i < 7; i++) await store.create('default', cm(`cm-${i}`, { parity: i % 2 === 0 ? 'even' : 'odd' }));
    await store.create('other', cm('elsewhere', { parity: 'even' }));
    const all = await store.list('');
    assert.equal(all.items.length, 8);
    assert.equal(all.kind, 'ConfigMapList');
    const strategy = {};
    const even = await store.list('default', { predicate: parseSelectionPredicate('parity=even', '', strategy, true) });
    assert.deepEqual(
      even.items.map((o) => o.metadata?.name),
      ['cm-0', 'cm-2', 'cm-4', 'cm-6'],
    );
    const byName = await store.list('', { predicate: parseSelectionPredicate('', 'metadata.name=elsewhere', strategy, true) });
    assert.deepEqual(
      byName.items.map((o) => o.metadata?.namespace),
      ['other'],
    );
    assert.throws(() => parseSelectionPredicate('', 'spec.foo=1', strategy, true), /field label not supported: spec.foo/);

    const page1 = await store.list('default', { limit: 3 });
    assert.equal(page1.items.length, 3);
    assert.ok(page1.metadata.continue);
    await store.create('default', cm('cm-late'));
    const page2 = await store.list('default', { limit: 3, continue: page1.metadata.continue });
    const page3 = await store.list('default', { limit: 3, continue: page2.metadata.continue });
    assert.equal(page3.metadata.continue, undefined);
    const names = [...page1.items, ...page2.items, ...page3.items].map((o) => o.metadata?.name);
    assert.deepEqual(names, ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
    assert.equal(page2.metadata.resourceVersion, page1.metadata.resourceVersion);

    const evenPaged = await store.list('default', { limit: 2, predicate: parseSelectionPredicate('parity=even', '', strategy, true) });
    assert.equal(evenPaged.items.length, 2);
    assert.ok(evenPaged.metadata.continue);

    await storage.compact(await storage.currentRevision());
    await rejects(store.list('default', { limit: 3, continue: page1.metadata.continue }), 410, /continue parameter is too old/);
    await rejects(store.list('default', { resourceVersion: '2', resourceVersionMatch: 'Exact' }), 410);
  });

  void it('list() honours resourceVersionMatch=Exact and rejects bad combinations', async () => {
    const { store } = setup();
    const a = await store.create('default', cm('a'));
    await store.create('default', cm('b'));
    const exact = await store.list('default', { resourceVersion: a.metadata?.resourceVersion, resourceVersionMatch: 'Exact' });
    assert.deepEqual(
      exact.items.map((o) => o.metadata?.name),
      ['a'],
    );
    const newer = await store.list('default', { resourceVersion: a.metadata?.resourceVersion, resourceVersionMatch: 'NotOlderThan' });
    assert.equal(newer.items.length, 2);
    await rejects(store.list('default', { resourceVersionMatch: 'Exact' }), 400);
    await rejects(store.list('default', { resourceVersion: '999', resourceVersionMatch: 'NotOlderThan' }), 504);
  });

  void it('list() at resourceVersion "0" is served from the watch cache', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const watchCache = new WatchCache({ storage, prefix: '/registry/configmaps/', clock, kind: 'ConfigMap', apiVersion: 'v1' });
    const store = new GenericStore({ resource: info('', 'configmaps'), strategy: {}, storage, clock, watchCache });
    await store.create('default', cm('a', { x: '1' }));
    await store.create('default', cm('b'));
    const list = await store.list('default', { resourceVersion: '0', predicate: parseSelectionPredicate('x', '', {}, true) });
    assert.deepEqual(
      list.items.map((o) => o.metadata?.name),
      ['a'],
    );
    assert.equal(list.metadata.resourceVersion, '2');
    watchCache.stop();
  });

  void it('list() serves the first page of a paged consistent list from the watch cache, with the continue token storage gives', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const watchCache = new WatchCache({ storage, prefix: '/registry/configmaps/', clock, kind: 'ConfigMap', apiVersion: 'v1' });
    const cached = new GenericStore({ resource: info('', 'configmaps'), strategy: {}, storage, clock, watchCache });
    const uncached = new GenericStore({ resource: info('', 'configmaps'), strategy: {}, storage, clock });
    for (let i = 0; i < 5; i++) await cached.create('default', cm(`cm-${i}`, { parity: i % 2 === 0 ? 'even' : 'odd' }));
    await cached.create('other', cm('x', { parity: 'even' }));
    await cached.create('zzz', cm('y', { parity: 'odd' }));
    const even = parseSelectionPredicate('parity=even', '', {}, true);
    const cases: [string, Parameters<GenericStore['list']>[1]][] = [
      ['default', { limit: 2 }],
      ['', { limit: 3 }],
      ['', { limit: 5, predicate: even }],
      ['default', { limit: 2, predicate: even }],
      ['default', { limit: 5 }],
      ['default', { limit: 9 }],
      // Namespaces between others, last, before all, and without objects (the page starts at a binary search).
      ['other', { limit: 1 }],
      ['zzz', { limit: 1 }],
      ['aaa', { limit: 2 }],
      ['nothing', { limit: 2 }],
      ['zzzz', { limit: 2 }],
    ];
    for (const [ns, params] of cases) {
      const fromCache = await cached.list(ns, params);
      const fromStorage = await uncached.list(ns, params);
      assert.deepEqual(fromCache, fromStorage, `${ns} ${JSON.stringify({ limit: params?.limit, even: params?.predicate !== undefined })}`);
      // The rest comes from storage at the page's revision, even after a write.
      const late = `late-${fromCache.metadata.resourceVersion}`;
      await cached.create('default', cm(late));
      let token = fromCache.metadata.continue;
      const names = fromCache.items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);
      while (token) {
        const next = await cached.list(ns, { ...params, continue: token });
        assert.equal(next.metadata.resourceVersion, fromCache.metadata.resourceVersion);
        names.push(...next.items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`));
        token = next.metadata.continue;
      }
      assert.ok(!names.includes(`default/${late}`), names.join(' '));
      assert.equal(new Set(names).size, names.length);
    }
    watchCache.stop();
  });

  void it('deleteCollection() deletes the selected objects', async () => {
    const { store } = setup();
    await store.create('default', cm('a', { x: '1' }));
    await store.create('default', cm('b', { x: '2' }));
    const out = await store.deleteCollection('default', { predicate: parseSelectionPredicate('x=1', '', {}, true) });
    assert.equal(out.items.length, 1);
    const left = await store.list('default');
    assert.deepEqual(
      left.items.map((o) => o.metadata?.name),
      ['b'],
    );
  });

  void it('guaranteedUpdate() retries when another writer wins the race', async () => {
    const { store } = setup();
    await store.create('default', cm('a'));
    let calls = 0;
    const out = await store.guaranteedUpdate('default', 'a', async (cur) => {
      calls++;
      if (calls === 1) await store.update('default', 'a', { ...cm('a'), data: { a: 'race' } });
      return { ...cur, data: { ...(cur['data'] as Record<string, string>), b: '2' } };
    });
    assert.equal(calls, 2);
    assert.deepEqual(out['data'], { a: 'race', b: '2' });
  });
});
