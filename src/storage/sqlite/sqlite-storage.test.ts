import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';

import { runStorageConformance } from '../conformance.js';
import { CompactedError, KeyExistsError, QuotaExceededError, StorageUnavailableError } from '../errors.js';
import { SQLITE_SCHEMA_VERSION, SqliteStorage } from './sqlite-storage.js';

runStorageConformance('SqliteStorage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tkube-sqlite-'));
  const storage = await SqliteStorage.open({ path: join(dir, 'state.db') });
  return { storage, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

/** Makes a temp directory for one test and removes it afterwards. */
async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tkube-sqlite-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const enc = new TextEncoder();

void describe('SqliteStorage', () => {
  void it('makes a private file stamped with its schema version, and refuses a file from a newer schema', () =>
    withDir(async (dir) => {
      const path = join(dir, 'db', 'state.db');
      const s1 = await SqliteStorage.open({ path });
      await s1.create('/k/a', enc.encode('a'));
      await s1.close();
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'db')).mode & 0o777, 0o700);
      const raw = new Database(path);
      assert.equal(raw.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION);
      raw.pragma('user_version = 0'); // a file from before the version was recorded
      raw.close();
      const s2 = await SqliteStorage.open({ path });
      assert.equal((await s2.get('/k/a'))?.modRevision, 1);
      await s2.close();
      const newer = new Database(path);
      newer.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
      newer.close();
      await assert.rejects(SqliteStorage.open({ path }), (err: Error) => {
        assert.ok(err instanceof StorageUnavailableError);
        assert.match(err.message, new RegExp(`schema version is ${SQLITE_SCHEMA_VERSION + 1}, but this tkube reads schema ${SQLITE_SCHEMA_VERSION} at most`));
        return true;
      });
    }));

  void it('resumes revisions, data and the compact revision after a restart', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const s1 = await SqliteStorage.open({ path });
      const a = await s1.create('/k/a', enc.encode('a'));
      await s1.create('/k/b', enc.encode('b'));
      await s1.update('/k/a', enc.encode('a2'), a.modRevision);
      await s1.compact(await s1.currentRevision());
      // The newest row is a delete that compaction removes: the revision must not go back to the row before it.
      await s1.create('/k/c', enc.encode('c'));
      const d = await s1.delete('/k/c');
      await s1.compact(d.modRevision);
      await s1.close();

      const s2 = await SqliteStorage.open({ path });
      try {
        assert.equal(await s2.currentRevision(), d.modRevision);
        assert.equal(s2.compactRevision(), d.modRevision);
        assert.equal(new TextDecoder().decode((await s2.get('/k/a'))?.value), 'a2');
        assert.equal(await s2.get('/k/c'), undefined);
        await assert.rejects(s2.get('/k/a', a.modRevision), CompactedError);
        const next = await s2.create('/k/d', enc.encode('d'));
        assert.equal(next.modRevision, d.modRevision + 1);
      } finally {
        await s2.close();
      }
    }));

  void it('commits the writes of one event-loop turn in one transaction, failing only bad preconditions', () =>
    withDir(async (dir) => {
      const s = await SqliteStorage.open({ path: join(dir, 'state.db') });
      try {
        await s.create('/g/taken', enc.encode('v'));
        const batches: number[] = [];
        const w = s.watch('/g/', { afterRevision: await s.currentRevision(), onEvents: (e) => batches.push(e.length) });
        // Let the (empty) replay finish so that the watcher is live before the burst.
        await new Promise((r) => setImmediate(r));
        const results = await Promise.allSettled(
          range(0, 63).map((i) => s.create(i === 10 ? '/g/taken' : `/g/${i}`, enc.encode('v'))),
        );
        w.close();
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 63);
        assert.ok(results[10]?.status === 'rejected' && results[10].reason instanceof KeyExistsError);
        // The watcher sees one commit: all 63 writes arrive in a single batch.
        assert.deepEqual(batches, [63]);
      } finally {
        await s.close();
      }
    }));

  void it('refuses a second open of the same file while the first is open', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const s1 = await SqliteStorage.open({ path });
      try {
        await s1.create('/k', enc.encode('v'));
        await assert.rejects(SqliteStorage.open({ path, busyTimeoutMs: 50 }), (err: unknown) => {
          assert.ok(err instanceof StorageUnavailableError);
          assert.match(err.message, /another process has it open/);
          return true;
        });
        assert.equal((await s1.get('/k'))?.modRevision, 1);
      } finally {
        await s1.close();
      }
    }));

  void it('keeps the database bounded under churn when compacted', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const s = await SqliteStorage.open({ path, compactBatchSize: 100 });
      const value = new Uint8Array(2048).fill(7);
      const revs = new Map<string, number>();
      for (let i = 0; i < 100; i++) revs.set(`/churn/${i}`, (await s.create(`/churn/${i}`, value)).modRevision);
      let sizeAfterWarmup = 0;
      let maxSize = 0;
      for (let round = 0; round < 30; round++) {
        await Promise.all(
          [...revs].map(async ([key, rev]) => {
            revs.set(key, (await s.update(key, value, rev)).modRevision);
          }),
        );
        // Some keys come and go too, so deleted history is exercised.
        await s.create(`/churn/tmp/${round}`, value);
        await s.delete(`/churn/tmp/${round}`);
        await s.compact(await s.currentRevision());
        const size = (await s.stats()).dbSizeBytes;
        if (round === 4) sizeAfterWarmup = size;
        if (round > 4) maxSize = Math.max(maxSize, size);
      }
      const st = await s.stats();
      await s.close();
      assert.equal(st.keys, 100);
      // The timings exported as metrics count what happened.
      assert.ok((st.commits?.count ?? 0) >= 30 && (st.commits?.seconds ?? 0) > 0, JSON.stringify(st.commits));
      // One fsync covers every commit before it, so there are at most as many fsyncs as commits.
      assert.ok((st.fsyncs?.count ?? 0) > 0 && (st.fsyncs?.count ?? 0) <= (st.commits?.count ?? 0), JSON.stringify(st.fsyncs));
      assert.equal(st.compactions?.count, 30);
      assert.ok((st.compactions?.maxPauseSeconds ?? 0) > 0);
      assert.ok(maxSize <= sizeAfterWarmup * 1.5, `size grew from ${sizeAfterWarmup} to ${maxSize}`);
      const db = new Database(path, { readonly: true });
      try {
        const rows = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM kv').get();
        assert.equal(rows?.n, 100);
      } finally {
        db.close();
      }
    }));

  void it('refuses creates and updates beyond the quota but still deletes', () =>
    withDir(async (dir) => {
      const s = await SqliteStorage.open({ path: join(dir, 'state.db'), quotaBytes: 256 * 1024 });
      try {
        const value = new Uint8Array(8192);
        let refused: unknown;
        for (let i = 0; i < 100 && refused === undefined; i++) {
          await s.create(`/q/${i}`, value).catch((err: unknown) => (refused = err));
        }
        assert.ok(refused instanceof QuotaExceededError, `expected QuotaExceededError, got ${String(refused)}`);
        const first = await s.get('/q/0');
        assert.ok(first);
        await assert.rejects(s.update('/q/0', value, first.modRevision), QuotaExceededError);
        await s.delete('/q/0');
        assert.equal(await s.get('/q/0'), undefined);
      } finally {
        await s.close();
      }
    }));

  void it('admits writes again once deletes are compacted below the quota', () =>
    withDir(async (dir) => {
      const s = await SqliteStorage.open({ path: join(dir, 'state.db'), quotaBytes: 256 * 1024 });
      try {
        const value = new Uint8Array(8192);
        const created: string[] = [];
        for (let i = 0; i < 100; i++) {
          const ok = await s.create(`/q/${i}`, value).then(() => true, () => false);
          if (!ok) break;
          created.push(`/q/${i}`);
        }
        await assert.rejects(s.create('/q/next', value), QuotaExceededError);
        for (const key of created) await s.delete(key);
        await assert.rejects(s.create('/q/next', value), QuotaExceededError, 'tombstones still hold the values');
        await s.compact(await s.currentRevision());
        const st = await s.stats();
        assert.ok((st.usedBytes ?? Infinity) < 256 * 1024, `used ${st.usedBytes}`);
        await s.create('/q/next', value);
      } finally {
        await s.close();
      }
    }));

  void it('returns free pages to the file system during a long compaction pass, not only at its end', () =>
    withDir(async (dir) => {
      const s = await SqliteStorage.open({ path: join(dir, 'state.db'), compactBatchSize: 50 });
      try {
        // 1,500 keys created, updated and deleted: 4,500 rows of ~4 KiB, all of which the compaction deletes.
        const value = new Uint8Array(4096).fill(3);
        const keys = range(0, 1499).map((i) => `/big/${i}`);
        const created = await Promise.all(keys.map((k) => s.create(k, value)));
        const updated = await Promise.all(created.map((kv) => s.update(kv.key, value, kv.modRevision)));
        await Promise.all(updated.map((kv) => s.delete(kv.key, kv.modRevision)));
        const initial = await s.stats();
        const samples: { file: number; logical: number }[] = [];
        let done = false;
        const compaction = s.compact(await s.currentRevision()).finally(() => (done = true));
        while (!done) {
          const st = await s.stats();
          samples.push({ file: st.dbSizeBytes - (st.walSizeBytes ?? 0), logical: st.logicalBytes ?? 0 });
          await new Promise((r) => setImmediate(r));
        }
        await compaction;
        const final = await s.stats();
        // While rows were still being deleted (logical bytes above their final value), the file already shrank.
        const midPass = samples.filter((x) => x.logical > (final.logicalBytes ?? 0));
        const smallest = Math.min(...midPass.map((x) => x.file));
        const initialFile = initial.dbSizeBytes - (initial.walSizeBytes ?? 0);
        assert.ok(smallest < initialFile - 4 * 1024 * 1024, `file ${initialFile} → at least ${smallest} mid-pass (${midPass.length} samples)`);
      } finally {
        await s.close();
      }
    }));

  void it('keeps logical bytes equal to the keys and values of the rows it holds', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const scan = (): number => {
        const db = new Database(path, { readonly: true });
        try {
          return db.prepare<[], { b: number }>('SELECT COALESCE(SUM(length(CAST(name AS BLOB)) + length(value)), 0) AS b FROM kv').get()?.b ?? -1;
        } finally {
          db.close();
        }
      };
      const s1 = await SqliteStorage.open({ path });
      let logical: number | undefined;
      try {
        const a = await s1.create('/l/é', enc.encode('first'));
        await s1.update('/l/é', enc.encode('second value'), a.modRevision);
        const b = await s1.create('/l/b', enc.encode('bbb'));
        await s1.delete('/l/b', b.modRevision);
        await assert.rejects(s1.create('/l/é', enc.encode('x')), KeyExistsError);
        await s1.compact(await s1.currentRevision());
        await s1.create('/l/c', enc.encode('ccc'));
        logical = (await s1.stats()).logicalBytes;
      } finally {
        await s1.close();
      }
      // '/l/é' is 5 bytes in UTF-8; after compaction only its second version and '/l/c' remain.
      assert.equal(logical, 5 + 12 + 4 + 3);
      assert.equal(scan(), logical);
      const s2 = await SqliteStorage.open({ path });
      try {
        assert.equal((await s2.stats()).logicalBytes, logical, 'recomputed at open');
      } finally {
        await s2.close();
      }
    }));

  void it('lists 10,000 keys quickly, whole and in pages', () =>
    withDir(async (dir) => {
      const s = await SqliteStorage.open({ path: join(dir, 'state.db') });
      try {
        const value = new Uint8Array(1024).fill(1);
        for (let b = 0; b < 20; b++) {
          await Promise.all(range(0, 499).map((i) => s.create(`/registry/pods/ns${b}/pod-${i}`, value)));
        }
        // A few versions per key for part of the keys, as in a real store between compactions.
        const some = await s.list('/registry/pods/ns0/');
        await Promise.all(some.items.map((kv) => s.update(kv.key, value, kv.modRevision)));
        const started = performance.now();
        const all = await s.list('/registry/pods/');
        const whole = performance.now() - started;
        assert.equal(all.items.length, 10_000);
        let pages = 0;
        let seen = 0;
        let page = await s.list('/registry/pods/', { limit: 500 });
        for (;;) {
          pages++;
          seen += page.items.length;
          const last = page.items[page.items.length - 1];
          if (!page.more || last === undefined) break;
          page = await s.list('/registry/pods/', { limit: 500, startAfter: last.key, revision: page.revision });
        }
        const paged = performance.now() - started - whole;
        assert.equal(seen, 10_000);
        assert.equal(pages, 20);
        assert.equal(await s.count('/registry/pods/'), 10_000);
        assert.ok(whole < 3000, `whole list took ${whole.toFixed(0)} ms`);
        assert.ok(paged < 5000, `paged list took ${paged.toFixed(0)} ms`);
      } finally {
        await s.close();
      }
    }));

  void it('keeps every acknowledged write when the writing process is killed with SIGKILL', () => killedWriterKeepsAcknowledgedWrites(64, 5000));

  // One write at a time: every batch is a lone write, fsynced on the event loop while the disk is fast.
  void it('keeps every acknowledged write of a one-at-a-time writer killed with SIGKILL', () => killedWriterKeepsAcknowledgedWrites(1, 1000));

  void it('answers and notifies lone writes one by one, each with its own fsync', () =>
    withDir(async (dir) => {
      const s = await SqliteStorage.open({ path: join(dir, 'state.db') });
      try {
        const seen: number[] = [];
        const w = s.watch('/lone/', { afterRevision: 0, onEvents: (events) => seen.push(...events.map((e) => e.kv.modRevision)) });
        const before = await s.stats();
        const revisions: number[] = [];
        for (let i = 0; i < 50; i++) revisions.push((await s.create(`/lone/${i}`, enc.encode(String(i)))).modRevision);
        // A watcher hears of each write by the time its writer is answered (notify runs before the promise settles).
        assert.deepEqual(seen, revisions);
        assert.equal(await s.currentRevision(), revisions[revisions.length - 1]);
        const after = await s.stats();
        assert.equal((after.fsyncs?.count ?? 0) - (before.fsyncs?.count ?? 0), 50);
        assert.equal((after.commits?.count ?? 0) - (before.commits?.count ?? 0), 50);
        // Then concurrent writes, which share batches and fsyncs (on the thread pool).
        const many = await Promise.all(range(50, 149).map((i) => s.create(`/lone/${i}`, enc.encode(String(i)))));
        assert.equal(many.length, 100);
        assert.equal(seen.length, 150);
        w.close();
      } finally {
        await s.close();
      }
    }));
});

/**
 * Runs testdata/durability-writer.ts with `writers` writes in flight, kills it with SIGKILL once it has acknowledged
 * `lines` keys, and checks that every acknowledged key is in the database.
 */
function killedWriterKeepsAcknowledgedWrites(writers: number, lines: number): Promise<void> {
  return withDir(async (dir) => {
    const path = join(dir, 'state.db');
    const script = fileURLToPath(new URL('./testdata/durability-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path, String(writers)], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolveExit) => {
      child.on('exit', (code, signal) => resolveExit(signal ?? code));
    });
    try {
      const deadline = Date.now() + 30_000;
      // `lines` complete lines means one more piece after split (the last one is the torn or empty tail).
      while (out.split('\n').length <= lines) {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`writer did not get going: ${err}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // Only complete lines were acknowledged; a torn last line was not.
    const acked = out.split('\n').slice(0, -1);
    assert.ok(acked.length >= lines);
    const s = await SqliteStorage.open({ path });
    try {
      const missing = [];
      for (const key of acked) if ((await s.get(key)) === undefined) missing.push(key);
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.length} acknowledged keys are missing`);
      assert.ok((await s.currentRevision()) >= acked.length);
    } finally {
      await s.close();
    }
  });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
