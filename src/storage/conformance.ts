/**
 * runStorageConformance: the behaviour suite every Storage backend runs (memory, SQLite, etcd), so that the registry
 * can rely on the contract written in storage.ts whatever the backend. Each case gets a fresh, empty storage from
 * `makeStorage` and cleans it up afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CompactedError, ConflictError, KeyExistsError, KeyNotFoundError, StorageUnavailableError } from './errors.js';
import type { KeyValue, Storage, WatchEvent } from './storage.js';

/** StorageFactory makes a fresh, empty storage and a function that releases everything it made. */
export type StorageFactory = () => Promise<{ storage: Storage; cleanup: () => Promise<void> }>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

function text(v: Uint8Array | undefined): string | undefined {
  return v === undefined ? undefined : decoder.decode(v);
}

/** Polls `cond` until it holds or the deadline passes; tests never sleep-then-assert. */
async function eventually(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Collects a watch's events and errors. */
interface Recorder {
  readonly events: WatchEvent[];
  readonly batches: number[];
  readonly errors: Error[];
  onEvents: (events: readonly WatchEvent[]) => void;
  onError: (err: Error) => void;
}

function recorder(): Recorder {
  const r: Recorder = {
    events: [],
    batches: [],
    errors: [],
    onEvents: (events) => {
      r.batches.push(events.length);
      r.events.push(...events);
    },
    onError: (err) => {
      r.errors.push(err);
    },
  };
  return r;
}

function revisions(events: readonly WatchEvent[]): number[] {
  return events.map((e) => e.kv.modRevision);
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

function assertStrictlyIncreasing(revs: readonly number[]): void {
  for (let i = 1; i < revs.length; i++) {
    assert.ok((revs[i] ?? 0) > (revs[i - 1] ?? 0), `revisions not strictly increasing at ${i}: ${revs.join(',')}`);
  }
}

/**
 * runStorageConformance registers a `describe` block named `name` whose cases check the Storage contract on
 * storages made by `makeStorage`.
 */
export function runStorageConformance(name: string, makeStorage: StorageFactory): void {
  /** Runs `body` on a fresh storage, closing and cleaning it up afterwards whatever happens. */
  async function withStorage(body: (s: Storage) => Promise<void>): Promise<void> {
    const { storage, cleanup } = await makeStorage();
    try {
      await body(storage);
    } finally {
      await storage.close();
      await cleanup();
    }
  }

  void describe(`Storage conformance: ${name}`, () => {
    void it('starts empty at revision 0', () =>
      withStorage(async (s) => {
        assert.equal(await s.currentRevision(), 0);
        assert.equal(s.compactRevision(), 0);
        assert.equal(await s.get('/a'), undefined);
        const l = await s.list('/');
        assert.deepEqual(l.items, []);
        assert.equal(l.more, false);
        assert.equal(await s.count('/'), 0);
      }));

    void it('create() assigns a new revision and get() returns the stored bytes', () =>
      withStorage(async (s) => {
        const value = new Uint8Array(256).map((_, i) => i);
        const kv = await s.create('/registry/pods/default/a', value);
        assert.equal(kv.key, '/registry/pods/default/a');
        assert.ok(kv.modRevision > 0);
        assert.equal(kv.createRevision, kv.modRevision);
        assert.deepEqual([...kv.value], [...value]);
        assert.equal(await s.currentRevision(), kv.modRevision);
        const got = await s.get('/registry/pods/default/a');
        assert.ok(got);
        assert.deepEqual([...got.value], [...value]);
        assert.equal(got.modRevision, kv.modRevision);
        assert.equal(got.createRevision, kv.createRevision);
        // Mutating the caller's buffer afterwards must not change what is stored.
        value[0] = 99;
        const again = await s.get('/registry/pods/default/a');
        assert.equal(again?.value[0], 0);
        const empty = await s.create('/registry/empty', new Uint8Array(0));
        assert.equal((await s.get('/registry/empty'))?.value.byteLength, 0);
        assert.ok(empty.modRevision > kv.modRevision);
      }));

    void it('create() of an existing key throws KeyExistsError and writes nothing', () =>
      withStorage(async (s) => {
        await s.create('/k', bytes('v1'));
        const before = await s.currentRevision();
        await assert.rejects(s.create('/k', bytes('v2')), KeyExistsError);
        assert.equal(await s.currentRevision(), before);
        assert.equal(text((await s.get('/k'))?.value), 'v1');
      }));

    void it('update() checks the expected modRevision and keeps createRevision', () =>
      withStorage(async (s) => {
        const c = await s.create('/k', bytes('v1'));
        const u = await s.update('/k', bytes('v2'), c.modRevision);
        assert.ok(u.modRevision > c.modRevision);
        assert.equal(u.createRevision, c.createRevision);
        assert.equal(text(u.value), 'v2');
        const before = await s.currentRevision();
        const err = await s.update('/k', bytes('v3'), c.modRevision).then(
          () => assert.fail('stale update succeeded'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ConflictError);
        assert.equal(err.key, '/k');
        assert.equal(err.current.modRevision, u.modRevision);
        assert.equal(text(err.current.value), 'v2');
        await assert.rejects(s.update('/missing', bytes('x'), 1), KeyNotFoundError);
        assert.equal(await s.currentRevision(), before);
        assert.equal(text((await s.get('/k'))?.value), 'v2');
      }));

    void it('delete() returns the last value at the delete revision and honours expectedModRevision', () =>
      withStorage(async (s) => {
        const c = await s.create('/k', bytes('v1'));
        const u = await s.update('/k', bytes('v2'), c.modRevision);
        await assert.rejects(s.delete('/k', c.modRevision), ConflictError);
        const d = await s.delete('/k', u.modRevision);
        assert.ok(d.modRevision > u.modRevision);
        assert.equal(d.createRevision, c.createRevision);
        assert.equal(text(d.value), 'v2');
        assert.equal(await s.currentRevision(), d.modRevision);
        assert.equal(await s.get('/k'), undefined);
        await assert.rejects(s.delete('/k'), KeyNotFoundError);
        await assert.rejects(s.update('/k', bytes('v3'), d.modRevision), KeyNotFoundError);
        // Unconditional delete, and re-creation starts a new lifetime.
        const c2 = await s.create('/k', bytes('v4'));
        assert.ok(c2.createRevision > d.modRevision);
        assert.equal(c2.createRevision, c2.modRevision);
        const d2 = await s.delete('/k');
        assert.equal(text(d2.value), 'v4');
        assert.equal(d2.createRevision, c2.createRevision);
      }));

    void it('get() at a past revision sees the state after that revision', () =>
      withStorage(async (s) => {
        const c = await s.create('/k', bytes('v1'));
        const other = await s.create('/other', bytes('o'));
        const u = await s.update('/k', bytes('v2'), c.modRevision);
        const d = await s.delete('/k');
        const c2 = await s.create('/k', bytes('v3'));
        assert.equal(text((await s.get('/k', c.modRevision))?.value), 'v1');
        assert.equal(text((await s.get('/k', other.modRevision))?.value), 'v1');
        assert.equal(text((await s.get('/k', u.modRevision))?.value), 'v2');
        assert.equal((await s.get('/k', u.modRevision))?.modRevision, u.modRevision);
        assert.equal(await s.get('/k', d.modRevision), undefined);
        const now = await s.get('/k', c2.modRevision);
        assert.equal(text(now?.value), 'v3');
        assert.equal(now?.createRevision, c2.modRevision);
        assert.equal(await s.get('/other', c.modRevision), undefined);
      }));

    void it('list() returns live keys under the prefix in byte order', () =>
      withStorage(async (s) => {
        // UTF-8 byte order: 'a' < 'b' < U+00E9 < U+FFEF < U+1F600 (UTF-16 order would put U+1F600 before U+FFEF).
        const keys = ['/p/b', '/p/\u{1F600}', '/p/a', '/p/\uffef', '/p/\u00e9', '/p/a/child'];
        for (const k of keys) await s.create(k, bytes(k));
        await s.create('/pa', bytes('not under /p/'));
        await s.create('/o', bytes('before'));
        await s.create('/p/gone', bytes('x'));
        await s.delete('/p/gone');
        const l = await s.list('/p/');
        assert.deepEqual(
          l.items.map((kv) => kv.key),
          ['/p/a', '/p/a/child', '/p/b', '/p/\u00e9', '/p/\uffef', '/p/\u{1F600}'],
        );
        for (const kv of l.items) assert.equal(text(kv.value), kv.key);
        assert.equal(l.revision, await s.currentRevision());
        assert.equal(l.more, false);
        assert.equal((await s.list('')).items.length, 8);
        assert.deepEqual((await s.list('/nothing/')).items, []);
        assert.equal(await s.count('/p/'), 6);
        assert.equal(await s.count('/p'), 7);
        assert.equal(await s.count(''), 8);
      }));

    void it('list() pages with limit and startAfter', () =>
      withStorage(async (s) => {
        for (let i = 0; i < 7; i++) await s.create(`/p/${i}`, bytes(String(i)));
        const p1 = await s.list('/p/', { limit: 3 });
        assert.deepEqual(p1.items.map((kv) => kv.key), ['/p/0', '/p/1', '/p/2']);
        assert.equal(p1.more, true);
        const p2 = await s.list('/p/', { limit: 3, startAfter: '/p/2', revision: p1.revision });
        assert.deepEqual(p2.items.map((kv) => kv.key), ['/p/3', '/p/4', '/p/5']);
        assert.equal(p2.more, true);
        const p3 = await s.list('/p/', { limit: 3, startAfter: '/p/5', revision: p1.revision });
        assert.deepEqual(p3.items.map((kv) => kv.key), ['/p/6']);
        assert.equal(p3.more, false);
        const exact = await s.list('/p/', { limit: 7 });
        assert.equal(exact.items.length, 7);
        assert.equal(exact.more, false);
        // startAfter need not be an existing key.
        const mid = await s.list('/p/', { startAfter: '/p/3x' });
        assert.deepEqual(mid.items.map((kv) => kv.key), ['/p/4', '/p/5', '/p/6']);
      }));

    void it('list() pages at a fixed revision form a consistent snapshot while writes continue', () =>
      withStorage(async (s) => {
        const want = new Map<string, string>();
        for (let i = 0; i < 25; i++) {
          const k = `/p/${String(i).padStart(2, '0')}`;
          await s.create(k, bytes(`v${i}`));
          want.set(k, `v${i}`);
        }
        const seen = new Map<string, string>();
        let page = await s.list('/p/', { limit: 10 });
        const rev = page.revision;
        let round = 0;
        for (;;) {
          for (const kv of page.items) seen.set(kv.key, text(kv.value) ?? '');
          // Writes between pages: update a listed key, delete an unlisted one, add new keys on both sides.
          const cur = await s.get(`/p/${String(round * 3).padStart(2, '0')}`);
          if (cur) await s.update(cur.key, bytes('changed'), cur.modRevision);
          const victim = `/p/${String(24 - round).padStart(2, '0')}`;
          if (await s.get(victim)) await s.delete(victim);
          await s.create(`/p/${String(round).padStart(2, '0')}x`, bytes('new'));
          await s.create(`/p/zz${round}`, bytes('new'));
          round++;
          if (!page.more) break;
          const last = page.items[page.items.length - 1];
          assert.ok(last);
          page = await s.list('/p/', { limit: 10, startAfter: last.key, revision: rev });
          assert.equal(page.revision, rev);
        }
        assert.deepEqual(seen, want);
        assert.equal(await s.count('/p/'), 25 - round + 2 * round);
      }));

    void it('list() at a past revision sees that state', () =>
      withStorage(async (s) => {
        const a = await s.create('/p/a', bytes('a1'));
        const b = await s.create('/p/b', bytes('b1'));
        await s.update('/p/a', bytes('a2'), a.modRevision);
        await s.delete('/p/b');
        await s.create('/p/c', bytes('c1'));
        const atB = await s.list('/p/', { revision: b.modRevision });
        assert.equal(atB.revision, b.modRevision);
        assert.deepEqual(atB.items.map((kv) => [kv.key, text(kv.value), kv.modRevision]), [
          ['/p/a', 'a1', a.modRevision],
          ['/p/b', 'b1', b.modRevision],
        ]);
        const now = await s.list('/p/');
        assert.deepEqual(now.items.map((kv) => [kv.key, text(kv.value)]), [
          ['/p/a', 'a2'],
          ['/p/c', 'c1'],
        ]);
      }));

    void it('watch() delivers creates, updates and deletes under the prefix in order, with prevKv', () =>
      withStorage(async (s) => {
        const start = await s.currentRevision();
        const r = recorder();
        const w = s.watch('/p/', { afterRevision: start, onEvents: r.onEvents, onError: r.onError });
        const c = await s.create('/p/a', bytes('v1'));
        await s.create('/q/a', bytes('other prefix'));
        await s.create('/pa', bytes('not under /p/'));
        const u = await s.update('/p/a', bytes('v2'), c.modRevision);
        const d = await s.delete('/p/a');
        await eventually('three events', () => r.events.length >= 3);
        w.close();
        assert.deepEqual(r.errors, []);
        assert.equal(r.events.length, 3);
        const [ec, eu, ed] = r.events;
        assert.equal(ec?.type, 'create');
        assert.equal(ec?.kv.modRevision, c.modRevision);
        assert.equal(text(ec?.kv.value), 'v1');
        assert.equal(ec?.prevKv, undefined);
        assert.equal(eu?.type, 'update');
        assert.equal(eu?.kv.modRevision, u.modRevision);
        assert.equal(eu?.kv.createRevision, c.modRevision);
        assert.equal(text(eu?.kv.value), 'v2');
        assert.equal(eu?.prevKv?.modRevision, c.modRevision);
        assert.equal(text(eu?.prevKv?.value), 'v1');
        assert.equal(ed?.type, 'delete');
        assert.equal(ed?.kv.key, '/p/a');
        assert.equal(ed?.kv.modRevision, d.modRevision);
        assert.equal(text(ed?.kv.value), 'v2');
        assert.equal(ed?.prevKv?.modRevision, u.modRevision);
      }));

    void it('watch() from a past revision replays history, then live events, without gap or duplicate', () =>
      withStorage(async (s) => {
        const written: KeyValue[] = [];
        for (let i = 0; i < 30; i++) written.push(await s.create(`/p/${i}`, bytes(`v${i}`)));
        const from = written[9]?.modRevision ?? 0;
        const r = recorder();
        const w = s.watch('/p/', { afterRevision: from, onEvents: r.onEvents, onError: r.onError });
        for (let i = 0; i < 10; i++) {
          const cur = written[i];
          assert.ok(cur);
          written.push(await s.update(cur.key, bytes('u'), cur.modRevision));
        }
        const last = await s.currentRevision();
        await eventually('all events', () => r.events.length >= last - from);
        w.close();
        assert.deepEqual(revisions(r.events), range(from + 1, last));
        assert.deepEqual(r.errors, []);
        // afterRevision 0 replays everything still in history.
        const all = recorder();
        const w0 = s.watch('/p/', { afterRevision: 0, onEvents: all.onEvents });
        await eventually('full replay', () => all.events.length >= last);
        w0.close();
        assert.deepEqual(revisions(all.events), range(1, last));
      }));

    void it('watch() started while writes are in flight loses and duplicates nothing', () =>
      withStorage(async (s) => {
        const pending: Promise<KeyValue>[] = [];
        for (let i = 0; i < 100; i++) pending.push(s.create(`/p/${i}`, bytes(`v${i}`)));
        // Let part of the writes commit, then start watching while the rest are still queued.
        await pending[20];
        const from = await s.currentRevision();
        const r = recorder();
        const w = s.watch('/p/', { afterRevision: from, onEvents: r.onEvents, onError: r.onError });
        for (let i = 100; i < 200; i++) pending.push(s.create(`/p/${i}`, bytes(`v${i}`)));
        await Promise.all(pending);
        const last = await s.currentRevision();
        await eventually('all events', () => r.events.length >= last - from);
        // Give a duplicate a chance to show up before closing: one more write must arrive right after the others.
        const extra = await s.create('/p/extra', bytes('x'));
        await eventually('extra event', () => r.events.some((e) => e.kv.modRevision === extra.modRevision));
        w.close();
        assert.deepEqual(revisions(r.events), range(from + 1, extra.modRevision));
        assert.deepEqual(r.errors, []);
      }));

    void it('watch() replaying a long history while writes continue joins replay and live events exactly', () =>
      withStorage(async (s) => {
        for (let b = 0; b < 25; b++) {
          await Promise.all(range(1, 100).map((i) => s.create(`/p/${b}/${i}`, bytes('v'))));
        }
        const r = recorder();
        const w = s.watch('/p/', { afterRevision: 0, onEvents: r.onEvents, onError: r.onError });
        for (let b = 0; b < 10; b++) {
          await Promise.all(range(1, 50).map((i) => s.create(`/p/live/${b}/${i}`, bytes('v'))));
          await s.create(`/q/${b}`, bytes('other prefix'));
        }
        const last = await s.currentRevision();
        const want = range(1, last).filter((rev) => (rev - 2500) % 51 !== 0 || rev <= 2500);
        await eventually('all events', () => r.events.length >= want.length);
        w.close();
        assert.deepEqual(revisions(r.events), want);
        assert.deepEqual(r.errors, []);
      }));

    void it('watch() from a revision not yet reached delivers only writes after it', () =>
      withStorage(async (s) => {
        const now = await s.currentRevision();
        const r = recorder();
        const w = s.watch('', { afterRevision: now + 5, onEvents: r.onEvents, onError: r.onError });
        for (let i = 1; i <= 10; i++) await s.create(`/f/${i}`, bytes('v'));
        await eventually('events after the start revision', () => r.events.length >= 5);
        const extra = await s.create('/f/extra', bytes('v'));
        await eventually('extra event', () => r.events.some((e) => e.kv.modRevision === extra.modRevision));
        w.close();
        assert.deepEqual(revisions(r.events), range(now + 6, extra.modRevision));
        assert.deepEqual(r.errors, []);
      }));

    void it('watch() with onProgress learns it is current after writes elsewhere', () =>
      withStorage(async (s) => {
        const r = recorder();
        let progress = 0;
        const w = s.watch('/mine/', {
          afterRevision: await s.currentRevision(),
          onEvents: r.onEvents,
          onError: r.onError,
          onProgress: (rev) => (progress = Math.max(progress, rev)),
        });
        // A write elsewhere must advance the watcher's known-current revision without an event. The watch may still
        // be starting (a replay step), so keep writing until one is reported.
        let other = 0;
        for (let i = 0; i < 50; i++) {
          other = (await s.create(`/other/${i}`, bytes('v'))).modRevision;
          await new Promise((r) => setImmediate(r));
          if (progress >= other) break;
        }
        await eventually('progress past a write elsewhere', () => progress >= other);
        const mine = await s.create('/mine/a', bytes('v'));
        await eventually('own event', () => r.events.length === 1 && progress >= mine.modRevision);
        w.close();
        assert.deepEqual(revisions(r.events), [mine.modRevision]);
        assert.deepEqual(r.errors, []);
      }));

    void it('watch() batches arrive in revision order and close() stops delivery', () =>
      withStorage(async (s) => {
        const r = recorder();
        const w = s.watch('', { afterRevision: 0, onEvents: r.onEvents, onError: r.onError });
        await Promise.all(range(1, 50).map((i) => s.create(`/k/${i}`, bytes('v'))));
        await eventually('50 events', () => r.events.length >= 50);
        assertStrictlyIncreasing(revisions(r.events));
        assert.equal(r.batches.reduce((a, b) => a + b, 0), 50);
        w.close();
        w.close();
        await s.create('/k/after-close', bytes('v'));
        const probe = recorder();
        const pw = s.watch('', { afterRevision: await s.currentRevision() - 1, onEvents: probe.onEvents });
        await eventually('probe sees the write', () => probe.events.length >= 1);
        pw.close();
        assert.equal(r.events.length, 50);
        assert.deepEqual(r.errors, []);
      }));

    void it('watch() whose onEvents throws ends that watch with onError and spares the others', () =>
      withStorage(async (s) => {
        const bad = recorder();
        const good = recorder();
        const failure = new Error('consumer broke its contract');
        const now = await s.currentRevision();
        s.watch('', { afterRevision: now, onEvents: () => { throw failure; }, onError: bad.onError });
        const w = s.watch('', { afterRevision: now, onEvents: good.onEvents, onError: good.onError });
        const kv = await s.create('/k', bytes('v'));
        await s.create('/k2', bytes('v'));
        await eventually('good watcher events', () => good.events.length >= 2);
        w.close();
        assert.equal(kv.key, '/k');
        assert.deepEqual(bad.errors, [failure]);
        assert.deepEqual(good.errors, []);
      }));

    void it('watch() closed before its replay runs delivers nothing', () =>
      withStorage(async (s) => {
        await s.create('/k', bytes('v'));
        const r = recorder();
        const w = s.watch('', { afterRevision: 0, onEvents: r.onEvents, onError: r.onError });
        w.close();
        await s.create('/k2', bytes('v'));
        const probe = recorder();
        const pw = s.watch('', { afterRevision: 0, onEvents: probe.onEvents });
        await eventually('probe replay', () => probe.events.length >= 2);
        pw.close();
        assert.deepEqual(r.events, []);
        assert.deepEqual(r.errors, []);
      }));

    void it('compact() forgets history but keeps the latest values', () =>
      withStorage(async (s) => {
        const a = await s.create('/p/a', bytes('a1'));
        const a2 = await s.update('/p/a', bytes('a2'), a.modRevision);
        await s.create('/p/b', bytes('b1'));
        await s.delete('/p/b');
        const c = await s.create('/p/c', bytes('c1'));
        const target = await s.currentRevision();
        const a3 = await s.update('/p/a', bytes('a3'), a2.modRevision);
        await s.compact(target);
        assert.equal(s.compactRevision(), target);
        assert.equal((await s.stats()).compactRevision, target);

        await assert.rejects(s.get('/p/a', a.modRevision), CompactedError);
        await assert.rejects(s.list('/p/', { revision: target - 1 }), CompactedError);
        assert.throws(() => s.watch('/p/', { afterRevision: target - 1, onEvents: () => undefined }), CompactedError);

        // At the compact revision the state is intact; deleted keys are gone.
        const atTarget = await s.list('/p/', { revision: target });
        assert.deepEqual(atTarget.items.map((kv) => [kv.key, text(kv.value), kv.modRevision]), [
          ['/p/a', 'a2', a2.modRevision],
          ['/p/c', 'c1', c.modRevision],
        ]);
        assert.equal(await s.get('/p/b', target), undefined);
        assert.equal(text((await s.get('/p/a'))?.value), 'a3');
        assert.equal((await s.get('/p/a'))?.createRevision, a.modRevision);
        assert.equal(await s.count('/p/'), 2);

        // A watch from the compact revision still sees later writes, with prevKv from the kept version.
        const r = recorder();
        const w = s.watch('/p/', { afterRevision: target, onEvents: r.onEvents, onError: r.onError });
        await eventually('replayed update', () => r.events.length >= 1);
        w.close();
        assert.equal(r.events[0]?.kv.modRevision, a3.modRevision);
        assert.equal(text(r.events[0]?.prevKv?.value), 'a2');

        // Writes keep working, a recreated key starts fresh, and compacting lower is a no-op.
        const b = await s.create('/p/b', bytes('b2'));
        assert.equal(b.createRevision, b.modRevision);
        await s.compact(target - 1);
        assert.equal(s.compactRevision(), target);
        await s.compact(await s.currentRevision());
        assert.equal(s.compactRevision(), await s.currentRevision());
        assert.deepEqual((await s.list('/p/')).items.map((kv) => text(kv.value)), ['a3', 'b2', 'c1']);
      }));

    void it('compact() to the current revision keeps live keys and drops deleted ones', () =>
      withStorage(async (s) => {
        for (let i = 0; i < 20; i++) {
          const c = await s.create(`/p/${i}`, bytes('v'));
          await s.update(c.key, bytes('w'), c.modRevision);
          if (i % 2 === 0) await s.delete(c.key);
        }
        const before = await s.stats();
        assert.equal(before.keys, 10);
        await s.compact(await s.currentRevision());
        const after = await s.stats();
        assert.equal(after.keys, 10);
        assert.equal(after.currentRevision, before.currentRevision);
        const all = recorder();
        const w = s.watch('', { afterRevision: s.compactRevision(), onEvents: all.onEvents });
        await s.create('/p/new', bytes('v'));
        await eventually('new event', () => all.events.length >= 1);
        w.close();
        assert.equal(all.events.length, 1);
        assert.equal(await s.count('/p/'), 11);
      }));

    void it('close() completes pending writes, then refuses work and ends watches', () =>
      withStorage(async (s) => {
        const r = recorder();
        s.watch('', { afterRevision: 0, onEvents: r.onEvents, onError: r.onError });
        const pending = range(1, 20).map((i) => s.create(`/k/${i}`, bytes('v')));
        await s.close();
        const done = await Promise.all(pending);
        assert.equal(new Set(done.map((kv) => kv.modRevision)).size, 20);
        await assert.rejects(s.create('/k/late', bytes('v')), StorageUnavailableError);
        await assert.rejects(s.get('/k/1'), StorageUnavailableError);
        await assert.rejects(s.list('/k/'), StorageUnavailableError);
        assert.equal(r.errors.length, 1);
        assert.ok(r.errors[0] instanceof StorageUnavailableError);
        await s.close();
      }));

    void it('200 concurrent create() calls all succeed with distinct revisions', () =>
      withStorage(async (s) => {
        const before = await s.currentRevision();
        const results = await Promise.all(range(1, 200).map((i) => s.create(`/c/${i}`, bytes(`v${i}`))));
        const revs = results.map((kv) => kv.modRevision).sort((a, b) => a - b);
        assert.deepEqual(revs, range(before + 1, before + 200));
        assert.equal(await s.currentRevision(), before + 200);
        assert.equal(await s.count('/c/'), 200);
        // Concurrent conflicting writers: exactly one create of the same key wins.
        const same = await Promise.allSettled(range(1, 10).map(() => s.create('/same', bytes('v'))));
        assert.equal(same.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of same) if (r.status === 'rejected') assert.ok(r.reason instanceof KeyExistsError);
        // Concurrent updates at the same expected revision: exactly one wins, the rest conflict.
        const base = await s.get('/same');
        assert.ok(base);
        const ups = await Promise.allSettled(range(1, 10).map((i) => s.update('/same', bytes(`u${i}`), base.modRevision)));
        assert.equal(ups.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of ups) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
      }));

    void it('stats() reports revisions, live keys and a size', () =>
      withStorage(async (s) => {
        const before = await s.currentRevision();
        for (let i = 0; i < 10; i++) await s.create(`/k/${i}`, new Uint8Array(1000));
        await s.delete('/k/0');
        const st = await s.stats();
        assert.equal(st.currentRevision, before + 11);
        assert.equal(st.compactRevision, 0);
        assert.equal(st.keys, 9);
        assert.ok(st.dbSizeBytes > 0);
      }));
  });
}
