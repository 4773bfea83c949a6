import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { encodeObject } from '../registry/stored-object.js';
import type { CacheWatcher } from './cache-watcher.js';
import { TooOldError, WatchCache } from './watch-cache.js';
import type { WatchCacheConfig } from './watch-cache.js';
import type { WatchEvent } from './watch-event.js';

const PREFIX = '/registry/configmaps/';

function setup(extra: Partial<WatchCacheConfig> = {}) {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const cache = new WatchCache({ storage, prefix: PREFIX, clock, kind: 'ConfigMap', apiVersion: 'v1', ...extra });
  return { storage, clock, cache };
}

function cm(name: string, labels: Record<string, string> = {}): Uint8Array {
  return encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels } });
}

async function take(w: CacheWatcher, n: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = await Promise.race([w.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 2000).unref())]);
    assert.notEqual(e, 'timeout', `timed out waiting for event ${i + 1} of ${n}`);
    if (e === undefined || e === 'timeout') break;
    out.push(e);
  }
  return out;
}

const brief = (events: WatchEvent[]) => events.map((e) => `${e.type} ${(e.object as KubeObject).metadata?.name ?? ''}@${(e.object as KubeObject).metadata?.resourceVersion}`);

/** caughtUp polls until the cache applied `revision` (storage hands events on asynchronously), with a deadline. */
async function caughtUp(cache: WatchCache, revision: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (cache.revision < revision) {
    assert.ok(Date.now() < deadline, `cache at ${cache.revision}, waiting for ${revision}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

void describe('WatchCache', () => {
  void it('eventsAfter counts the events above a revision (how far a watcher is behind), at most the ring', async () => {
    const { storage, cache } = setup({ capacity: 100 });
    await cache.ready();
    let last = 0;
    for (let i = 0; i < 60; i++) last = (await storage.create(`${PREFIX}default/e${i}`, cm(`e${i}`))).modRevision;
    await caughtUp(cache, last);
    assert.equal(cache.eventsAfter(last), 0);
    assert.equal(cache.eventsAfter(last - 10), 10);
    assert.equal(cache.eventsAfter(0), 60);
    for (let i = 60; i < 150; i++) last = (await storage.create(`${PREFIX}default/e${i}`, cm(`e${i}`))).modRevision;
    await caughtUp(cache, last);
    assert.equal(cache.eventsAfter(0), 100);
    assert.equal(cache.eventsAfter(last - 1), 1);
    cache.stop();
  });

  void it('watch() from "" sends ADDED for current objects, then live events', async () => {
    const { storage, cache } = setup();
    await storage.create(`${PREFIX}default/a`, cm('a'));
    const w = await cache.watch({ prefix: PREFIX, resourceVersion: '' });
    const upd = await storage.update(`${PREFIX}default/a`, cm('a', { x: '1' }), 1);
    await storage.delete(`${PREFIX}default/a`);
    assert.deepEqual(brief(await take(w, 3)), ['ADDED a@1', `MODIFIED a@${upd.modRevision}`, 'DELETED a@3']);
    w.close();
    cache.stop();
  });

  void it('a watch that starts further behind than its buffer gets the whole backlog (ring, state, storage)', async () => {
    const { storage, cache } = setup({ capacity: 100, watcherBuffer: 10 });
    await cache.ready();
    for (let i = 0; i < 60; i++) await storage.create(`${PREFIX}default/b${i}`, cm(`b${i}`));
    const fromRing = await cache.watch({ prefix: PREFIX, resourceVersion: '5' });
    assert.equal((await take(fromRing, 55)).length, 55);
    assert.equal(fromRing.closed, false);
    const fromState = await cache.watch({ prefix: PREFIX, resourceVersion: '0' });
    assert.equal((await take(fromState, 60)).length, 60);
    for (let i = 60; i < 150; i++) await storage.create(`${PREFIX}default/b${i}`, cm(`b${i}`));
    const fromStorage = await cache.watch({ prefix: PREFIX, resourceVersion: '1' });
    assert.equal((await take(fromStorage, 149)).length, 149);
    // Live events are still bounded: a reader that stops reading is closed once 10 more are waiting.
    for (let i = 150; i < 170; i++) await storage.create(`${PREFIX}default/b${i}`, cm(`b${i}`));
    assert.equal(fromState.closed, true);
    for (const w of [fromRing, fromStorage]) w.close();
    cache.stop();
  });

  void it('watch() resumes from the ring, from storage past the ring, and answers TooOld past compaction', async () => {
    const { storage, cache } = setup({ capacity: 3 });
    await cache.ready();
    for (let i = 0; i < 5; i++) await storage.create(`${PREFIX}default/c${i}`, cm(`c${i}`));
    const w = await cache.watch({ prefix: PREFIX, resourceVersion: '3' });
    assert.deepEqual(brief(await take(w, 2)), ['ADDED c3@4', 'ADDED c4@5']);
    const fromStorage = await cache.watch({ prefix: PREFIX, resourceVersion: '1' });
    assert.deepEqual(brief(await take(fromStorage, 4)), ['ADDED c1@2', 'ADDED c2@3', 'ADDED c3@4', 'ADDED c4@5']);
    await storage.update(`${PREFIX}default/c0`, cm('c0', { v: '2' }), 1);
    assert.deepEqual(brief(await take(fromStorage, 1)), ['MODIFIED c0@6']);
    fromStorage.close();
    await storage.compact(2);
    await assert.rejects(cache.watch({ prefix: PREFIX, resourceVersion: '1' }), (err: unknown) => err instanceof TooOldError && /too old resource version: 1 \(2\)/.test(err.message));
    w.close();
    assert.equal(cache.watcherCount, 0);
    cache.stop();
  });

  void it('watch() answers TooOld for a revision storage compacted', async () => {
    const { storage, cache } = setup();
    await cache.ready();
    for (let i = 0; i < 4; i++) await storage.create(`${PREFIX}default/c${i}`, cm(`c${i}`));
    await storage.compact(3);
    await assert.rejects(cache.watch({ prefix: PREFIX, resourceVersion: '2' }), TooOldError);
    cache.stop();
  });

  void it('a predicate turns MODIFIED into ADDED/DELETED when an object starts or stops matching', async () => {
    const { storage, cache } = setup();
    await cache.ready();
    const sel = { matches: (o: KubeObject) => o.metadata?.labels?.['app'] === 'web' };
    const w = await cache.watch({ prefix: PREFIX, resourceVersion: '0', predicate: sel });
    const k = `${PREFIX}default/a`;
    await storage.create(k, cm('a'));
    await storage.update(k, cm('a', { app: 'web' }), 1);
    await storage.update(k, cm('a', { app: 'web', v: '2' }), 2);
    await storage.update(k, cm('a', { app: 'db' }), 3);
    await storage.delete(k);
    assert.deepEqual(brief(await take(w, 3)), ['ADDED a@2', 'MODIFIED a@3', 'DELETED a@4']);
    assert.equal(w.buffered, 0);
    w.close();
    cache.stop();
  });

  void it('a watch resumed from the ring gets each version as it was, and predicates see the version before', async () => {
    const { storage, cache } = setup({ capacity: 4 });
    await cache.ready();
    const k = `${PREFIX}default/a`;
    await storage.create(`${PREFIX}default/other`, cm('other'));
    await storage.create(k, cm('a'));
    await storage.update(k, cm('a', { app: 'web' }), 2);
    await storage.update(k, cm('a', { app: 'web', v: '2' }), 3);
    await storage.update(k, cm('a', { app: 'db' }), 4);
    await storage.delete(k);
    // The ring (4 events) starts after revision 2; each replayed prev is the ring's version before.
    const all = await cache.watch({ prefix: PREFIX, resourceVersion: '2' });
    const events = await take(all, 4);
    assert.deepEqual(brief(events), ['MODIFIED a@3', 'MODIFIED a@4', 'MODIFIED a@5', 'DELETED a@6']);
    assert.deepEqual(events.map((e) => (e.object as KubeObject).metadata?.labels), [{ app: 'web' }, { app: 'web', v: '2' }, { app: 'db' }, { app: 'db' }]);
    const sel = { matches: (o: KubeObject) => o.metadata?.labels?.['app'] === 'web' };
    const web = await cache.watch({ prefix: PREFIX, resourceVersion: '2', predicate: sel });
    assert.deepEqual(brief(await take(web, 3)), ['ADDED a@3', 'MODIFIED a@4', 'DELETED a@5']);
    assert.equal(web.buffered, 0, 'the deletion of an object that no longer matched is not sent');
    for (const w of [all, web]) w.close();
    cache.stop();
  });

  void it('a ring event whose version before left the ring keeps that version (as storage reported it)', async () => {
    const { storage, cache } = setup({ capacity: 2 });
    await cache.ready();
    const k = `${PREFIX}default/a`;
    await storage.create(k, cm('a'));
    await storage.create(`${PREFIX}default/b`, cm('b'));
    await storage.create(`${PREFIX}default/c`, cm('c'));
    await storage.update(k, cm('a', { app: 'web' }), 1);
    await storage.update(k, cm('a', { app: 'db' }), 4);
    const sel = { matches: (o: KubeObject) => o.metadata?.labels?.['app'] === 'web' };
    const web = await cache.watch({ prefix: PREFIX, resourceVersion: '3', predicate: sel });
    assert.deepEqual(brief(await take(web, 2)), ['ADDED a@4', 'DELETED a@5']);
    web.close();
    cache.stop();
  });

  void it('a replayed event of the current version is the cached object itself (one copy, shared)', async () => {
    const { storage, cache } = setup();
    await cache.ready();
    const k = `${PREFIX}default/a`;
    await storage.create(k, cm('a'));
    await storage.update(k, cm('a', { v: '2' }), 1);
    const [current] = (await cache.snapshot(PREFIX)).items;
    const w = await cache.watch({ prefix: PREFIX, resourceVersion: '0' });
    const resumed = await cache.watch({ prefix: PREFIX, resourceVersion: '1' });
    const [live] = await take(w, 1);
    const [replayed] = await take(resumed, 1);
    assert.equal(replayed!.object, current);
    assert.equal(live!.object, current);
    for (const x of [w, resumed]) x.close();
    cache.stop();
  });

  void it('namespaces are separated by prefix; snapshot() serves the current objects', async () => {
    const { storage, cache } = setup();
    await storage.create(`${PREFIX}default/a`, cm('a'));
    await storage.create(`${PREFIX}other/b`, encodeObject({ metadata: { name: 'b', namespace: 'other' } }));
    const snap = await cache.snapshot(`${PREFIX}other/`);
    assert.deepEqual(
      snap.items.map((o) => o.metadata?.name),
      ['b'],
    );
    assert.equal(snap.revision, 2);
    cache.stop();
  });

  void it('a watcher that falls behind its buffer is closed, and memory stays bounded', async () => {
    const { storage, cache } = setup({ watcherBuffer: 5 });
    await cache.ready();
    const slow = await cache.watch({ prefix: PREFIX, resourceVersion: '0' });
    for (let i = 0; i < 10; i++) await storage.create(`${PREFIX}default/c${i}`, cm(`c${i}`));
    assert.equal(slow.closed, true);
    assert.equal(slow.reason, 'overflow');
    assert.equal(await slow.next(), undefined);
    assert.equal(cache.watcherCount, 0);
    cache.stop();
  });

  void it('bookmarks are sent periodically when allowed, and watch-list ends its initial events with a marked BOOKMARK', async () => {
    const { storage, cache, clock } = setup({ bookmarkIntervalMs: 1000 });
    await storage.create(`${PREFIX}default/a`, cm('a'));
    const w = await cache.watch({ prefix: PREFIX, resourceVersion: '', sendInitialEvents: true, allowBookmarks: true });
    const initial = await take(w, 2);
    assert.deepEqual(brief(initial), ['ADDED a@1', 'BOOKMARK @1']);
    assert.deepEqual((initial[1]!.object as KubeObject).metadata?.annotations, { 'k8s.io/initial-events-end': 'true' });
    await storage.create(`${PREFIX}default/b`, cm('b'));
    clock.advance(1000);
    const later = await take(w, 2);
    assert.deepEqual(brief(later), ['ADDED b@2', 'BOOKMARK @2']);
    assert.deepEqual(Object.keys((later[1]!.object as KubeObject).metadata ?? {}), ['resourceVersion']);
    assert.equal((later[1]!.object as KubeObject).kind, 'ConfigMap');
    w.close();
    cache.stop();
  });
});
