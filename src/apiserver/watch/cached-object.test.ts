import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { lazyList, listJson } from '../negotiation/object-json.js';
import { encodeObject } from '../registry/stored-object.js';
import { CachedObject, RecentObjects } from './cached-object.js';
import type { ObjectAttributes } from './cached-object.js';
import { WatchCache } from './watch-cache.js';
import type { WatchPredicate } from './watch-cache.js';
import type { WatchEvent } from './watch-event.js';

const PREFIX = '/registry/configmaps/';

function cm(name: string, labels: Record<string, string> = {}): Uint8Array {
  return encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data: { k: 'v' } });
}

const attributesOf = (obj: KubeObject): ObjectAttributes => ({ labels: obj.metadata?.labels ?? {}, field: (name) => (name === 'metadata.name' ? (obj.metadata?.name ?? '') : undefined) });

/** A predicate on label app=web that fails the test if the cache asks it about a decoded object. */
function attributesOnly(): WatchPredicate {
  return {
    matches: () => assert.fail('the predicate was given a decoded object although the attributes tell'),
    matchesAttributes: (a) => a.labels['app'] === 'web',
  };
}

void describe('CachedObject', () => {
  void it('decodes its bytes once while the object is in use, and its JSON parts equal the decoded JSON', () => {
    const recent = new RecentObjects(2);
    const entry = new CachedObject(`${PREFIX}default/a`, cm('a', { app: 'web' }), 7, { recent });
    const obj = entry.object();
    assert.equal(obj.metadata?.resourceVersion, '7');
    assert.equal(entry.object(), obj, 'a second call shares the decoded object');
    assert.equal(recent.size, 1);
    const parts = entry.jsonParts();
    assert.ok(parts);
    assert.deepEqual(JSON.parse(Buffer.concat(parts).toString()), obj);
  });

  void it('RecentObjects keeps at most its capacity, dropping the least recently used', () => {
    const recent = new RecentObjects(2);
    const entries = ['a', 'b', 'c'].map((n, i) => new CachedObject(`${PREFIX}default/${n}`, cm(n), i + 1, { recent }));
    for (const e of entries) e.object();
    assert.equal(recent.size, 2);
    recent.forget(entries[2]!);
    assert.equal(recent.size, 1);
  });
});

void describe('WatchCache with selection attributes', () => {
  void it('lists entries in key order and selects by attributes without decoding', async () => {
    const storage = new MemoryStorage();
    const cache = new WatchCache({ storage, prefix: PREFIX, clock: new FakeClock(), kind: 'ConfigMap', apiVersion: 'v1', attributesOf, recentObjects: 0 });
    await storage.create(`${PREFIX}default/b`, cm('b', { app: 'web' }));
    await storage.create(`${PREFIX}default/a`, cm('a', { app: 'db' }));
    const { entries, revision } = await cache.entries(PREFIX);
    assert.deepEqual(entries.map((e) => e.key), [`${PREFIX}default/a`, `${PREFIX}default/b`]);
    assert.equal(revision, 2);
    const web = entries.filter((e) => attributesOnly().matchesAttributes!(e.attributes!));
    assert.deepEqual(web.map((e) => e.object().metadata?.name), ['b']);
    // An initial-state watch selects by attributes too.
    const w = await cache.watch({ prefix: PREFIX, resourceVersion: '0', predicate: attributesOnly() });
    const first = await w.next();
    assert.equal((first?.object as KubeObject).metadata?.name, 'b');
    w.close();
    cache.stop();
  });

  void it('an object leaving the selection is DELETED with its previous version, decoded from the kept bytes', async () => {
    const storage = new MemoryStorage();
    const cache = new WatchCache({ storage, prefix: PREFIX, clock: new FakeClock(), kind: 'ConfigMap', apiVersion: 'v1', attributesOf, recentObjects: 0 });
    await storage.create(`${PREFIX}default/a`, cm('a', { app: 'web' }));
    await cache.ready();
    const w = await cache.watch({ prefix: PREFIX, resourceVersion: '1', predicate: attributesOnly() });
    await storage.update(`${PREFIX}default/a`, cm('a', { app: 'db' }), 1);
    const events: WatchEvent[] = [];
    const e = await w.next();
    if (e) events.push(e);
    assert.equal(events[0]?.type, 'DELETED');
    const gone = events[0]?.object as KubeObject;
    assert.equal(gone.metadata?.labels?.['app'], 'web', 'the last version that matched');
    assert.equal(gone.metadata?.resourceVersion, '2', 'at the revision of the change');
    w.close();
    cache.stop();
  });
});

void describe('lazyList', () => {
  void it('writes JSON from the items\' bytes, equal to the decoded list, and decodes when items are read', () => {
    const recent = new RecentObjects(0);
    const items = ['a', 'b'].map((n, i) => new CachedObject(`${PREFIX}default/${n}`, cm(n), i + 1, { recent }));
    const list = lazyList({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '2' } }, items);
    const lazyBody = JSON.parse(listJson(list).toBuffer().toString()) as unknown;
    assert.equal(list.items.length, 2);
    assert.deepEqual(lazyBody, JSON.parse(JSON.stringify(list)));
    list.items = list.items.slice(1);
    const after = JSON.parse(listJson(list).toBuffer().toString()) as { items: KubeObject[] };
    assert.deepEqual(after.items.map((o) => o.metadata?.name), ['b']);
  });

  void it('writes a lazy list body into one buffer, the bytes the items\' parts give, and falls back to parts', () => {
    const items = ['a', 'b', 'c'].map((n, i) => new CachedObject(`${PREFIX}default/${n}`, cm(n, { app: 'ü' }), 10 ** i * 7, { recent: new RecentObjects(0) }));
    const head = { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '700', continue: 'ñ' } };
    const body = listJson(lazyList(head, items));
    assert.equal(body.parts.length, 1, 'one buffer');
    // The same items without copyJson go through their parts: the bytes must not differ.
    const viaParts = listJson(lazyList(head, items.map((e) => ({ jsonParts: () => e.jsonParts(), object: () => e.object() }))));
    assert.ok(viaParts.parts.length > 1);
    assert.equal(body.toBuffer().toString('utf8'), viaParts.toBuffer().toString('utf8'));
    assert.equal(body.byteLength, viaParts.byteLength);
    assert.deepEqual(JSON.parse(body.toBuffer().toString('utf8')), { ...head, items: items.map((e) => e.object()) });
    const empty = listJson(lazyList(head, []));
    assert.deepEqual(JSON.parse(empty.toBuffer().toString('utf8')), { ...head, items: [] });
    // An item whose bytes are not compact JSON with metadata cannot copy them: the list is serialised from parts.
    const odd = new CachedObject(`${PREFIX}default/odd`, Buffer.from('{ "metadata":{"name":"odd"}}'), 3, { recent: new RecentObjects(0) });
    const mixed = listJson(lazyList(head, [items[0]!, odd]));
    assert.ok(mixed.parts.length > 1);
    assert.deepEqual((JSON.parse(mixed.toBuffer().toString('utf8')) as { items: KubeObject[] }).items.map((o) => o.metadata?.name), ['a', 'odd']);
  });
});
