/**
 * SqliteStorage: the embedded, durable Storage backend on better-sqlite3, using kine's model.
 *
 * - One append-only table `kv` whose row id IS the revision; a key's current version is its highest-id row, a delete
 *   is a row with `deleted = 1` carrying the last value. An index on (name, id) serves point reads, prefix lists at any
 *   revision and compaction.
 * - WAL mode, and a write's promise resolves only after the WAL holding its commit was fsynced, so an acknowledged
 *   write survives kill -9 and power loss. SQLite itself runs with `synchronous = NORMAL` (no fsync inside COMMIT);
 *   we fdatasync the WAL file ourselves on libuv's thread pool, so the event loop keeps serving requests (and
 *   batching the next writes) while the disk flushes (a lone write on a fast disk is fsynced on the event loop: see
 *   #sync). One fsync is in flight at a time and covers every commit before it; checkpoints are synced by SQLite
 *   (NORMAL syncs the WAL before and the database after each one).
 * - Group commit: writes queued in the same event-loop turn are applied in one transaction (each precondition is
 *   checked in queue order inside it; a failed precondition fails only its own write) and share one fsync.
 * - Visibility: reads see a commit as soon as it is applied, which may be a few milliseconds before its fsync
 *   completes (so a concurrent reader can see a write whose caller is still waiting for its acknowledgement, as with
 *   any write that is concurrent with a read). Watchers are notified only after the fsync, so a watch event always
 *   describes a durable write. Only a power loss in that window can lose a write some reader saw; kill -9 cannot,
 *   because the commit is already in the OS page cache.
 * - This process is the only writer (the file is opened in exclusive locking mode), so watchers are notified directly
 *   after each commit, in revision order; a watch starting in the past replays rows from the table first.
 * - Compaction deletes superseded rows in small transactions, yielding to the event loop between them, and records
 *   the compact revision in the `meta` table so it survives restarts. Revisions never go backwards across restarts
 *   (AUTOINCREMENT keeps the highest id ever used even when compaction deletes that row).
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import Database from 'better-sqlite3';

import {
  CompactedError,
  ConflictError,
  KeyExistsError,
  KeyNotFoundError,
  FutureRevisionError,
  StorageUnavailableError,
} from '../errors.js';
import { failpoint } from '../failpoints.js';
import { compareKeys } from '../key-order.js';
import type {
  KeyValue,
  ListOptions,
  ListResult,
  Storage,
  StorageStats,
  Watch,
  WatchEvent,
  WatchOptions,
} from '../storage.js';
import { isBusy, translateSqliteError as translate } from './sqlite-errors.js';
import { StorageQuota } from './storage-quota.js';

/** SqliteStorageConfig is the construction input of SqliteStorage. */
export interface SqliteStorageConfig {
  /** Path of the database file; it and its directory are created when missing. */
  readonly path: string;
  /** Rows examined per compaction transaction; smaller means shorter pauses for writers. @default 500 */
  readonly compactBatchSize?: number;
  /**
   * Creates and updates fail with QuotaExceededError once the pages in use reach this many bytes (deletes and reads
   * still work, so space can be reclaimed by deleting and compacting; see StorageQuota). 0 means no quota. @default 0
   */
  readonly quotaBytes?: number;
  /** WAL size in pages after which SQLite checkpoints on commit. @default 1000 */
  readonly walAutocheckpointPages?: number;
  /** Milliseconds SQLite waits on a lock before failing; only matters if another process touches the file. @default 5000 */
  readonly busyTimeoutMs?: number;
}

/** Free pages returned to the file system per step after a compaction (1 MiB at the default page size). */
const VACUUM_STEP_PAGES = 256;

/** Free pages that make a compaction return some to the file system before its pass ends (4 MiB at 4 KiB pages). */
const MID_PASS_VACUUM_PAGES = 4 * VACUUM_STEP_PAGES;

/**
 * A lone write is fsynced on the event loop (see #sync) while the moving average of fsyncs is at most this many ms:
 * several times a fast local disk's fdatasync (0.1–0.3 ms here), well below what a busy or remote disk takes.
 */
const INLINE_FSYNC_MAX_MS = 0.5;

/** Weight of the newest fsync in that moving average (about the last ten count). */
const FSYNC_AVERAGE_WEIGHT = 0.1;

/** Rows read per step when a watch replays history, so a long replay does not hold the event loop. */
const REPLAY_BATCH = 1000;

/**
 * Upper bound for "starts with prefix" ranges. SQLite compares TEXT with memcmp on UTF-8, and every key that starts
 * with `prefix` sorts below `prefix + U+10FFFF` (the largest code point) unless its next character is U+10FFFF itself,
 * which API keys never contain.
 */
const PREFIX_END = '\u{10FFFF}';

/**
 * SQLITE_SCHEMA_VERSION is the table layout this code reads, kept in the file's `PRAGMA user_version` (0 in files
 * made before it was recorded, which have version 1's tables). A file with a higher version was written by a newer
 * tkube and is refused rather than misread; a schema change raises it and converts older files in open().
 */
export const SQLITE_SCHEMA_VERSION = 1;

/** NewerSchemaError: the file's schema is newer than SQLITE_SCHEMA_VERSION. */
class NewerSchemaError extends Error {
  constructor(readonly found: number) {
    super(`its schema version is ${found}, but this tkube reads schema ${SQLITE_SCHEMA_VERSION} at most: it was written by a newer tkube; run that one`);
  }
}

/** A row of the kv table as read back. */
interface Row {
  readonly id: number;
  readonly name: string;
  readonly created: number;
  readonly deleted: number;
  readonly create_revision: number;
  readonly prev_revision: number;
  readonly value: Buffer;
}

/** A row joined with the row it replaced, for watch replay. */
interface HistoryRow extends Row {
  readonly p_id: number | null;
  readonly p_create_revision: number | null;
  readonly p_value: Buffer | null;
}

type WriteOp =
  | { readonly kind: 'create'; readonly key: string; readonly value: Uint8Array }
  | { readonly kind: 'update'; readonly key: string; readonly value: Uint8Array; readonly expected: number }
  | { readonly kind: 'delete'; readonly key: string; readonly expected: number | undefined };

interface PendingWrite {
  readonly op: WriteOp;
  readonly resolve: (kv: KeyValue) => void;
  readonly reject: (err: Error) => void;
}

/** A committed batch waiting for the fsync that makes it durable, after which its writers and watchers hear of it. */
interface CommittedBatch {
  readonly writes: readonly PendingWrite[];
  readonly outcomes: readonly (KeyValue | Error)[];
  readonly events: readonly WatchEvent[];
  /** The highest revision committed by this batch (or before it). */
  readonly revision: number;
  /** performance.now() when the transaction began, for the commit-latency metric. */
  readonly started: number;
}

interface Watcher {
  readonly prefix: string;
  readonly options: WatchOptions;
  /** Replay has delivered everything up to here. */
  cursor: number;
  /** Replay reads the table up to this revision; later writes arrive through notify(). */
  readonly replayTo: number;
  /** Live events that arrived while the replay was still running, delivered when it finishes. */
  buffered: WatchEvent[];
  live: boolean;
  closed: boolean;
}

interface Statements {
  readonly latest: Database.Statement<[string], Row>;
  readonly at: Database.Statement<[string, number], Row>;
  readonly insert: Database.Statement<[number, string, number, number, number, number, Buffer]>;
  readonly listFrom: Database.Statement<[string, string, number, number], Row>;
  readonly listAfter: Database.Statement<[string, string, number, number], Row>;
  readonly count: Database.Statement<[string, string, number], { n: number }>;
  readonly history: Database.Statement<[number, number, string, string, number], HistoryRow>;
  readonly compactScan: Database.Statement<[number, number, number], { id: number; name: string; deleted: number; bytes: number }>;
  readonly newerExists: Database.Statement<[string, number, number], { one: number }>;
  readonly deleteRow: Database.Statement<[number]>;
  readonly setMeta: Database.Statement<[string, number]>;
  /** `PRAGMA page_count` and `PRAGMA freelist_count`, prepared once: the quota measures them before every batch. */
  readonly pageCount: Database.Statement<[], number>;
  readonly freePages: Database.Statement<[], number>;
}

/** SqliteStorage is the durable Storage on a single SQLite file; open it with `SqliteStorage.open`. */
export class SqliteStorage implements Storage {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #stmts: Statements;
  readonly #compactBatchSize: number;
  readonly #quota: StorageQuota;
  /** The file's page size, fixed once the database exists (nothing here changes it). */
  readonly #pageSize: number;
  /**
   * The batch transaction, made once: better-sqlite3's transaction() builds four wrapper functions per call, which
   * #flush paid for every batch. Applies each write in queue order and returns their outcomes.
   */
  readonly #commitBatch: (batch: readonly PendingWrite[], used: number, events: WatchEvent[]) => (KeyValue | Error)[];
  /** Bytes of keys and values in every row held (live objects plus history not yet compacted), kept up to date. */
  #logicalBytes: number;
  #revision: number;
  #compactRevision: number;
  #queue: PendingWrite[] = [];
  #flushScheduled: NodeJS.Immediate | undefined;
  /** Committed batches whose fsync has not completed, oldest first. */
  #unsynced: CommittedBatch[] = [];
  /** True while an fdatasync of the WAL runs (on the thread pool, or on the event loop for a lone write). */
  #syncing = false;
  /**
   * Moving average of recent fsyncs in ms, from the call to its completion as the event loop sees it (so a pool
   * fsync counts its hand-offs too); starts high, so the first fsyncs use the pool and measure the disk.
   */
  #fsyncAverageMs = Number.POSITIVE_INFINITY;
  /** Resolved when no batch waits for an fsync (for close()). */
  #syncIdle: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Descriptor of the WAL file, opened at the first sync; reopened if the file was replaced. */
  #walFd: number | undefined;
  /** Set when an fsync failed: the file's durability is unknown, so every later call is refused. */
  #failed: Error | undefined;
  /** The highest revision watchers have been told about (everything at or below it is durable). */
  #notifiedRevision: number;
  readonly #timings = { commits: 0, commitSeconds: 0, fsyncs: 0, fsyncSeconds: 0, compactions: 0, compactSeconds: 0, lastCompactSeconds: 0, maxPauseSeconds: 0 };
  #watchers = new Set<Watcher>();
  /** The running (or last) compaction; compactions run one after another. */
  #compaction: Promise<void> = Promise.resolve();
  /** Set by close(): new calls are refused, queued writes still commit. */
  #closing = false;
  #closed: Promise<void> | undefined;

  // `private` rather than `#`: constructors cannot be #private, and callers must go through open().
  private constructor(db: Database.Database, path: string, config: SqliteStorageConfig) {
    this.#db = db;
    this.#path = path;
    this.#compactBatchSize = Math.max(1, config.compactBatchSize ?? 500);
    this.#quota = new StorageQuota(config.quotaBytes ?? 0);
    this.#stmts = prepare(db);
    this.#pageSize = Number(db.pragma('page_size', { simple: true }));
    this.#commitBatch = db
      .transaction((batch: readonly PendingWrite[], used: number, events: WatchEvent[]): (KeyValue | Error)[] => {
        const outcomes: (KeyValue | Error)[] = [];
        for (const { op } of batch) outcomes.push(this.#quota.admit(op.kind, op.key, used) ?? this.#apply(op, events));
        failpoint('sqlite-before-commit');
        return outcomes;
      })
      .immediate;
    // One scan at open; from here on #apply adds each new row and compaction subtracts each row it deletes.
    const logical = db.prepare<[], { b: number }>('SELECT COALESCE(SUM(length(CAST(name AS BLOB)) + length(value)), 0) AS b FROM kv').get();
    this.#logicalBytes = logical?.b ?? 0;
    const seq = db.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'kv'`).get();
    const max = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM kv').get();
    this.#revision = Math.max(seq?.seq ?? 0, max?.id ?? 0);
    this.#notifiedRevision = this.#revision;
    const compact = db.prepare<[], { value: number }>(`SELECT value FROM meta WHERE name = 'compact_revision'`).get();
    this.#compactRevision = compact?.value ?? 0;
  }

  /**
   * open opens (creating when missing) the database at `config.path` and resumes its revisions. Throws
   * StorageUnavailableError when the file cannot be opened, for instance because another process holds it.
   */
  static open(config: SqliteStorageConfig): Promise<SqliteStorage> {
    const path = resolve(config.path);
    let db: Database.Database | undefined;
    try {
      // The file holds every object of the cluster: private from the start (SQLite would take the umask's 0644,
      // and its -wal file copies the database's mode). Older data dirs are fixed by the private-database migration.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, 'a', 0o600));
      db = new Database(path, { timeout: config.busyTimeoutMs ?? 5000 });
      // Exclusive locking: only this process may use the file, which is what makes in-process watch delivery
      // complete; it also lets SQLite keep the WAL index in heap memory instead of a shared-memory file.
      db.pragma('locking_mode = EXCLUSIVE');
      // auto_vacuum only takes effect before the first table exists; on an existing file it is a no-op.
      db.pragma('auto_vacuum = INCREMENTAL');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`journal mode is "${String(mode)}", not "wal"`);
      // Commits are made durable by our own fdatasync of the WAL (see #sync); NORMAL keeps SQLite from doing it
      // again, synchronously, inside COMMIT, while still syncing around checkpoints.
      db.pragma('synchronous = NORMAL');
      db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.trunc(config.walAutocheckpointPages ?? 1000))}`);
      // After a checkpoint, truncate a WAL that grew large during a burst back to this size.
      db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      db.exec(`
        CREATE TABLE IF NOT EXISTS kv (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL COLLATE BINARY,
          created INTEGER NOT NULL,
          deleted INTEGER NOT NULL,
          create_revision INTEGER NOT NULL,
          prev_revision INTEGER NOT NULL,
          value BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS kv_name_id_deleted ON kv (name, id, deleted);
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      `);
      const schema = Number(db.pragma('user_version', { simple: true }));
      if (schema > SQLITE_SCHEMA_VERSION) throw new NewerSchemaError(schema);
      // 0: a new file, or one from before the schema was versioned (its tables are version 1's).
      if (schema < SQLITE_SCHEMA_VERSION) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      // A new file's directory entry must be durable too, or a power loss could lose the whole database.
      syncDirectory(dirname(path));
      return Promise.resolve(new SqliteStorage(db, path, config));
    } catch (err) {
      db?.close();
      const reason = isBusy(err) ? 'another process has it open' : err instanceof NewerSchemaError ? err.message : messageOf(err);
      return Promise.reject(new StorageUnavailableError(`Cannot open SQLite database "${path}": ${reason}`));
    }
  }

  currentRevision(): Promise<number> {
    // The last revision watchers have heard of: every acknowledged write is at or below it, and a watch cache that
    // has applied it is current (commits still waiting for their fsync are concurrent with the caller).
    return this.#read(() => this.#notifiedRevision);
  }

  get(key: string, revision?: number): Promise<KeyValue | undefined> {
    return this.#read(() => {
      const at = this.#readRevision(revision);
      const row = this.#stmts.at.get(key, at);
      return row === undefined || row.deleted !== 0 ? undefined : toKeyValue(row);
    });
  }

  list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    return this.#read(() => {
      const at = this.#readRevision(options.revision);
      const limit = options.limit ?? 0;
      const fetch = limit > 0 ? limit + 1 : -1;
      const end = prefix + PREFIX_END;
      const after = options.startAfter;
      const rows =
        after !== undefined && compareKeys(after, prefix) >= 0
          ? this.#stmts.listAfter.all(after, end, at, fetch)
          : this.#stmts.listFrom.all(prefix, end, at, fetch);
      const more = limit > 0 && rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map(toKeyValue);
      return { items, revision: at, more };
    });
  }

  count(prefix: string): Promise<number> {
    return this.#read(() => this.#stmts.count.get(prefix, prefix + PREFIX_END, this.#revision)?.n ?? 0);
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    return this.#enqueue({ kind: 'create', key, value });
  }

  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    return this.#enqueue({ kind: 'update', key, value, expected: expectedModRevision });
  }

  delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.#enqueue({ kind: 'delete', key, expected: expectedModRevision });
  }

  watch(prefix: string, options: WatchOptions): Watch {
    if (this.#closing) throw new StorageUnavailableError('Cannot watch: storage is closed');
    if (options.afterRevision < this.#compactRevision) {
      throw new CompactedError(options.afterRevision, this.#compactRevision);
    }
    const watcher: Watcher = {
      prefix,
      options,
      cursor: options.afterRevision,
      // Commits still waiting for their fsync reach this watcher through #notify, not the replay.
      replayTo: this.#notifiedRevision,
      buffered: [],
      live: false,
      closed: false,
    };
    this.#watchers.add(watcher);
    // Replay starts on a later turn so that onEvents never runs before watch() has returned its handle.
    setImmediate(() => this.#replay(watcher));
    return {
      close: () => {
        watcher.closed = true;
        watcher.buffered = [];
        this.#watchers.delete(watcher);
      },
    };
  }

  compact(revision: number): Promise<void> {
    if (this.#closing) return Promise.reject(new StorageUnavailableError('Cannot compact: storage is closed'));
    const target = Math.min(revision, this.#revision);
    if (target <= this.#compactRevision) return Promise.resolve();
    try {
      // Raise the compact revision before deleting anything: from now on reads and watches below it are refused,
      // so none of them can observe a half-compacted history.
      this.#stmts.setMeta.run('compact_revision', target);
      // Durable before any row goes: a power cut must not bring back an older compact revision over deleted rows.
      fsyncSync(this.#walDescriptor());
      failpoint('compaction-after-meta');
    } catch (err) {
      return Promise.reject(translate(err, 'compact'));
    }
    this.#compactRevision = target;
    const run = this.#compaction.then(() => this.#compactRows(target));
    // A failed compaction must not poison the next one; its caller sees the error.
    this.#compaction = run.catch(() => undefined);
    return run;
  }

  compactRevision(): number {
    return this.#compactRevision;
  }

  stats(): Promise<StorageStats> {
    return this.#read(() => ({
      dbSizeBytes: this.#fileBytes(),
      walSizeBytes: this.#walBytes(),
      usedBytes: this.#usedBytes(),
      logicalBytes: this.#logicalBytes,
      quotaBytes: this.#quota.bytes,
      currentRevision: this.#revision,
      compactRevision: this.#compactRevision,
      keys: this.#stmts.count.get('', PREFIX_END, this.#revision)?.n ?? 0,
      commits: { count: this.#timings.commits, seconds: this.#timings.commitSeconds },
      fsyncs: { count: this.#timings.fsyncs, seconds: this.#timings.fsyncSeconds },
      compactions: {
        count: this.#timings.compactions,
        seconds: this.#timings.compactSeconds,
        lastSeconds: this.#timings.lastCompactSeconds,
        maxPauseSeconds: this.#timings.maxPauseSeconds,
      },
    }));
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    if (this.#flushScheduled !== undefined) clearImmediate(this.#flushScheduled);
    this.#flush();
    if (this.#unsynced.length > 0 || this.#syncing) {
      this.#syncIdle ??= withResolvers();
      await this.#syncIdle.promise;
    }
    await this.#compaction;
    const watchers = [...this.#watchers];
    this.#watchers.clear();
    for (const w of watchers) {
      w.closed = true;
      w.options.onError?.(new StorageUnavailableError('Cannot watch: storage is closed'));
    }
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
    this.#db.close();
  }

  /** Runs a synchronous read unless closed, turning its result or throw into a promise. */
  #read<T>(fn: () => T): Promise<T> {
    if (this.#closing) return Promise.reject(new StorageUnavailableError('Cannot read: storage is closed'));
    if (this.#failed) return Promise.reject(this.#failed);
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof CompactedError ? err : translate(err, 'read'));
    }
  }

  /** Resolves the revision a read asks for, refusing compacted ones and ones not yet written. */
  #readRevision(revision: number | undefined): number {
    if (revision === undefined || revision === 0) return this.#revision;
    if (revision < this.#compactRevision) throw new CompactedError(revision, this.#compactRevision);
    if (revision > this.#revision) {
      throw new FutureRevisionError(revision, this.#revision);
    }
    return revision;
  }

  #enqueue(op: WriteOp): Promise<KeyValue> {
    if (this.#closing) return Promise.reject(new StorageUnavailableError(`Cannot ${op.kind} key "${op.key}": storage is closed`));
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise<KeyValue>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      // setImmediate runs after the current turn's promise continuations, so every write issued in this turn (for
      // instance by callers that each just got their previous write acknowledged) joins the same transaction.
      this.#flushScheduled ??= setImmediate(() => {
        this.#flushScheduled = undefined;
        this.#flush();
      });
    });
  }

  /** Commits every queued write in one transaction, then settles their promises and notifies watchers. */
  #flush(): void {
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const startRevision = this.#revision;
    const startLogicalBytes = this.#logicalBytes;
    const events: WatchEvent[] = [];
    let used = 0;
    try {
      // Measured once per batch (three pragmas, no I/O); skipped entirely without a quota.
      if (this.#quota.enabled) used = this.#usedBytes();
    } catch (err) {
      const failure = translate(err, 'write');
      for (const w of batch) w.reject(failure);
      return;
    }
    const started = performance.now();
    let outcomes: (KeyValue | Error)[];
    try {
      outcomes = this.#commitBatch(batch, used, events);
    } catch (err) {
      // The transaction rolled back (a full disk ends here): nothing of this batch exists, revisions are reused by the
      // next batch, and the store keeps serving — the next batch simply tries again.
      this.#revision = startRevision;
      this.#logicalBytes = startLogicalBytes;
      const failure = translate(err, 'write');
      for (const w of batch) w.reject(failure);
      return;
    }
    failpoint('sqlite-after-commit');
    this.#unsynced.push({ writes: batch, outcomes, events, revision: this.#revision, started });
    this.#sync();
  }

  /**
   * Starts one fdatasync of the WAL covering every batch committed so far, unless one is running (its completion
   * starts the next). When it completes, those batches' writers are answered and watchers notified, in commit order.
   *
   * A lone write (one batch of one write, nothing queued behind it) on a disk whose recent fsyncs were fast is synced
   * on the event loop instead: a client writing one object at a time then waits for the disk only, not also for a
   * thread-pool thread to be woken and for the event loop to be woken again by its completion (two thread hand-offs,
   * each a scheduling delay on a busy machine). Nothing else was waiting to run meanwhile, and the fsync is short; a
   * slow one raises the average and sends the next ones back to the thread pool. Batches of more than one write
   * always sync on the pool: that is when the loop has requests to serve during the fsync.
   */
  #sync(): void {
    if (this.#syncing || this.#unsynced.length === 0) return;
    const batches = this.#unsynced;
    this.#unsynced = [];
    let fd: number;
    try {
      fd = this.#walDescriptor();
    } catch (err) {
      this.#failSync(batches, err);
      return;
    }
    const lone = batches.length === 1 && batches[0]?.writes.length === 1 && this.#queue.length === 0;
    this.#syncing = true;
    failpoint('sqlite-before-fsync');
    const syncStarted = performance.now();
    if (lone && this.#fsyncAverageMs <= INLINE_FSYNC_MAX_MS) {
      try {
        fdatasyncSync(fd);
      } catch (err) {
        this.#syncing = false;
        this.#failSync(batches, err);
        return;
      }
      this.#synced(batches, syncStarted);
      return;
    }
    fdatasync(fd, (err) => {
      if (err) {
        this.#syncing = false;
        this.#failSync(batches, err);
        return;
      }
      this.#synced(batches, syncStarted);
    });
  }

  /** Completes a successful fsync begun at `syncStarted`: answers the batches' writers, notifies watchers, syncs on. */
  #synced(batches: readonly CommittedBatch[], syncStarted: number): void {
    this.#syncing = false;
    failpoint('sqlite-after-fsync');
    const now = performance.now();
    const ms = now - syncStarted;
    this.#timings.fsyncs++;
    this.#timings.fsyncSeconds += ms / 1000;
    this.#fsyncAverageMs = this.#timings.fsyncs === 1 ? ms : this.#fsyncAverageMs + FSYNC_AVERAGE_WEIGHT * (ms - this.#fsyncAverageMs);
    for (const b of batches) {
      this.#timings.commits++;
      this.#timings.commitSeconds += (now - b.started) / 1000;
      b.writes.forEach((w, i) => {
        const outcome = b.outcomes[i];
        if (outcome === undefined) w.reject(new Error('Cannot write: no outcome recorded'));
        else if (outcome instanceof Error) w.reject(outcome);
        else w.resolve(outcome);
      });
      this.#notifiedRevision = b.revision;
      if (b.events.length > 0) this.#notify(b.events, b.revision);
    }
    this.#sync();
    if (!this.#syncing && this.#unsynced.length === 0 && this.#syncIdle) {
      this.#syncIdle.resolve();
      this.#syncIdle = undefined;
    }
  }

  /**
   * A failed fsync leaves the durability of everything since the last good one unknown (the kernel may have dropped
   * the dirty pages), so the store stops: those writes are refused and so is every later call.
   */
  #failSync(batches: readonly CommittedBatch[], err: unknown): void {
    this.#failed = new StorageUnavailableError(`Cannot make writes durable: fsync of the WAL failed: ${messageOf(err)}`);
    const failed = [...batches, ...this.#unsynced];
    this.#unsynced = [];
    for (const b of failed) for (const w of b.writes) w.reject(this.#failed);
    this.#syncIdle?.resolve();
    this.#syncIdle = undefined;
  }

  /** The WAL's file descriptor, reopened when SQLite replaced the file (it is unlinked only on close). */
  #walDescriptor(): number {
    if (this.#walFd !== undefined && fstatSync(this.#walFd).nlink > 0) return this.#walFd;
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
    // fsync through a read-only descriptor flushes the file's dirty pages written by SQLite's own descriptor.
    this.#walFd = openSync(`${this.#path}-wal`, 'r');
    return this.#walFd;
  }

  /** Applies one write inside the batch transaction; a failed precondition is returned, not thrown. */
  #apply(op: WriteOp, events: WatchEvent[]): KeyValue | Error {
    const current = this.#stmts.latest.get(op.key);
    const live = current !== undefined && current.deleted === 0 ? current : undefined;
    const revision = this.#revision + 1;
    if (op.kind === 'create') {
      if (live !== undefined) return new KeyExistsError(op.key);
      const value = viewOf(op.value);
      this.#stmts.insert.run(revision, op.key, 1, 0, revision, current?.id ?? 0, value);
      this.#revision = revision;
      this.#logicalBytes += Buffer.byteLength(op.key) + value.length;
      const kv: KeyValue = { key: op.key, value, createRevision: revision, modRevision: revision };
      events.push({ type: 'create', kv });
      return kv;
    }
    if (live === undefined) return new KeyNotFoundError(op.key);
    const prevKv = toKeyValue(live);
    if (op.expected !== undefined && live.id !== op.expected) return new ConflictError(op.key, prevKv);
    if (op.kind === 'update') {
      const value = viewOf(op.value);
      this.#stmts.insert.run(revision, op.key, 0, 0, live.create_revision, live.id, value);
      this.#revision = revision;
      this.#logicalBytes += Buffer.byteLength(op.key) + value.length;
      const kv: KeyValue = { key: op.key, value, createRevision: live.create_revision, modRevision: revision };
      events.push({ type: 'update', kv, prevKv });
      return kv;
    }
    this.#stmts.insert.run(revision, op.key, 0, 1, live.create_revision, live.id, live.value);
    this.#revision = revision;
    this.#logicalBytes += Buffer.byteLength(op.key) + live.value.length;
    const kv: KeyValue = { key: op.key, value: live.value, createRevision: live.create_revision, modRevision: revision };
    events.push({ type: 'delete', kv, prevKv });
    return kv;
  }

  /** Hands a durable batch's events (committed up to `committed`) to every watcher, in revision order. */
  #notify(events: readonly WatchEvent[], committed: number): void {
    for (const w of [...this.#watchers]) {
      if (w.closed) continue;
      // afterRevision may lie in the future (a client's resourceVersion from elsewhere): skip what precedes it.
      const after = w.options.afterRevision;
      const mine = events.filter((e) => e.kv.modRevision > after && e.kv.key.startsWith(w.prefix));
      if (!w.live) {
        w.buffered.push(...mine);
        continue;
      }
      if (mine.length > 0) this.#deliver(w, mine);
      if (!w.closed && committed > after) this.#progress(w, committed);
    }
  }

  /** Tells a live watcher it has seen every write up to `revision`; a throwing callback ends its watch. */
  #progress(w: Watcher, revision: number): void {
    if (!w.options.onProgress) return;
    try {
      w.options.onProgress(revision);
    } catch (err) {
      this.#endWatch(w, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Delivers one step of a watcher's history replay, then its buffered live events once the replay is done. */
  #replay(w: Watcher): void {
    if (w.closed) return;
    if (w.cursor < this.#compactRevision) {
      // Compaction overtook the replay: the rows it still needs may be gone.
      this.#endWatch(w, new CompactedError(w.cursor, this.#compactRevision));
      return;
    }
    let rows: HistoryRow[];
    try {
      rows = this.#stmts.history.all(w.cursor, w.replayTo, w.prefix, w.prefix + PREFIX_END, REPLAY_BATCH);
    } catch (err) {
      this.#endWatch(w, translate(err, 'watch'));
      return;
    }
    const last = rows[rows.length - 1];
    if (last !== undefined) {
      w.cursor = last.id;
      this.#deliver(w, rows.map(toWatchEvent));
      if (w.closed) return;
    }
    if (rows.length === REPLAY_BATCH) {
      setImmediate(() => this.#replay(w));
      return;
    }
    w.live = true;
    const buffered = w.buffered;
    w.buffered = [];
    if (buffered.length > 0) this.#deliver(w, buffered);
  }

  /** Hands events to a watcher; a consumer that throws breaks the onEvents contract and loses its watch. */
  #deliver(w: Watcher, events: readonly WatchEvent[]): void {
    try {
      w.options.onEvents(events);
    } catch (err) {
      this.#endWatch(w, err instanceof Error ? err : new Error(String(err)));
    }
  }

  #endWatch(w: Watcher, err: Error): void {
    if (w.closed) return;
    w.closed = true;
    w.buffered = [];
    this.#watchers.delete(w);
    w.options.onError?.(err);
  }

  /**
   * Deletes rows at or below `target` that no read at or above `target` needs: versions superseded by a newer one
   * at or below `target`, and deletes (with them the key's whole history goes). Each batch is its own short
   * transaction; the event loop runs between batches so writers wait at most one batch.
   */
  async #compactRows(target: number): Promise<void> {
    const started = performance.now();
    try {
      await this.#compactRowsTimed(target);
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.#timings.compactions++;
      this.#timings.compactSeconds += seconds;
      this.#timings.lastCompactSeconds = seconds;
    }
  }

  /** Times one blocking step of compaction, the time writers may wait behind it. */
  #pause<T>(fn: () => T): T {
    const started = performance.now();
    try {
      return fn();
    } finally {
      this.#timings.maxPauseSeconds = Math.max(this.#timings.maxPauseSeconds, (performance.now() - started) / 1000);
    }
  }

  async #compactRowsTimed(target: number): Promise<void> {
    let cursor = 0;
    const batch = this.#compactBatchSize;
    const step = this.#db.transaction((from: number): { cursor: number; freed: number } => {
      const rows = this.#stmts.compactScan.all(from, target, batch);
      let freed = 0;
      for (const r of rows) {
        if (r.deleted !== 0 || this.#stmts.newerExists.get(r.name, r.id, target) !== undefined) {
          this.#stmts.deleteRow.run(r.id);
          freed += r.bytes;
        }
      }
      return { cursor: rows.length === batch ? (rows[rows.length - 1]?.id ?? target) : target, freed };
    });
    while (cursor < target) {
      if (this.#closing) {
        // Stop between batches; the rows left behind are harmless and the next compaction to a higher revision
        // (which rescans from the start) removes them.
        throw new StorageUnavailableError(`Cannot compact to revision ${target}: storage is closing`);
      }
      try {
        // Compaction batches are not fsynced on their own: losing one to a power cut only brings back rows that a
        // later compaction deletes again, and the next write's fsync of the (sequential) WAL covers them anyway.
        const done = this.#pause(() => step.immediate(cursor));
        // Counted only once the batch committed: a rolled-back batch deleted nothing.
        cursor = done.cursor;
        this.#logicalBytes -= done.freed;
      } catch (err) {
        throw translate(err, 'compact');
      }
      failpoint('compaction-mid');
      if (cursor < target) {
        await yieldToEventLoop();
        // A long pass frees pages long before its end. New rows reuse free pages, so only a pile of them is returned
        // now (one step at a time): the file then follows the data down during the pass, not only after it.
        if (this.#freePages() >= MID_PASS_VACUUM_PAGES) {
          if (this.#closing) throw new StorageUnavailableError(`Cannot compact to revision ${target}: storage is closing`);
          try {
            this.#pause(() => this.#db.pragma(`incremental_vacuum(${VACUUM_STEP_PAGES})`));
          } catch (err) {
            throw translate(err, 'compact');
          }
          await yieldToEventLoop();
        }
      }
    }
    try {
      // Return freed pages to the file system a step at a time (one big incremental_vacuum is one big transaction
      // that stalls writers and bloats the WAL), then keep the WAL itself from growing without bound.
      // Bounded by the free pages found now: writes never free pages, so this normally empties the free list.
      const steps = Math.ceil(Number(this.#db.pragma('freelist_count', { simple: true })) / VACUUM_STEP_PAGES);
      for (let i = 0; i < steps; i++) {
        if (this.#closing) throw new StorageUnavailableError(`Cannot compact to revision ${target}: storage is closing`);
        this.#pause(() => this.#db.pragma(`incremental_vacuum(${VACUUM_STEP_PAGES})`));
        await yieldToEventLoop();
      }
      this.#pause(() => this.#db.pragma('wal_checkpoint(TRUNCATE)'));
    } catch (err) {
      throw translate(err, 'compact');
    }
  }

  /** Bytes of the database file plus its WAL. */
  #fileBytes(): number {
    const pageSize = Number(this.#db.pragma('page_size', { simple: true }));
    const pages = Number(this.#db.pragma('page_count', { simple: true }));
    return pageSize * pages + this.#walBytes();
  }

  /** Bytes of the WAL file (0 when there is none). */
  #walBytes(): number {
    try {
      return statSync(`${this.#path}-wal`).size;
    } catch {
      // No WAL file (just checkpointed and removed): it contributes nothing.
      return 0;
    }
  }

  #freePages(): number {
    return Number(this.#db.pragma('freelist_count', { simple: true }));
  }

  /** Bytes of the pages holding data (free pages excluded), which is what the quota limits. */
  #usedBytes(): number {
    return this.#pageSize * (this.#stmts.pageCount.get()! - this.#stmts.freePages.get()!);
  }
}

function prepare(db: Database.Database): Statements {
  // The newest row of each key at or below a revision comes from the covering (name, id, deleted) index alone: with
  // a single MAX() aggregate SQLite takes bare columns (here `deleted`) from the row holding the maximum, and the
  // index order gives the GROUP BY and ORDER BY for free, so LIMIT stops the scan early and only the rows returned
  // are read from the table.
  const listSql = (lower: '>=' | '>'): string => `
    SELECT kv.id, kv.name, kv.created, kv.deleted, kv.create_revision, kv.prev_revision, kv.value
    FROM (
      SELECT name, MAX(id) AS mid, deleted FROM kv
      WHERE name ${lower} ? AND name < ? AND id <= ?
      GROUP BY name HAVING deleted = 0 ORDER BY name LIMIT ?
    ) AS m
    JOIN kv ON kv.id = m.mid
    ORDER BY m.name`;
  return {
    latest: db.prepare('SELECT * FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1'),
    at: db.prepare('SELECT * FROM kv WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1'),
    insert: db.prepare(
      'INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    listFrom: db.prepare(listSql('>=')),
    listAfter: db.prepare(listSql('>')),
    count: db.prepare(`
      SELECT COUNT(*) AS n FROM (
        SELECT MAX(id) AS mid, deleted FROM kv WHERE name >= ? AND name < ? AND id <= ? GROUP BY name HAVING deleted = 0
      )`),
    history: db.prepare(`
      SELECT c.*, p.id AS p_id, p.create_revision AS p_create_revision, p.value AS p_value
      FROM kv AS c LEFT JOIN kv AS p ON p.id = c.prev_revision AND c.created = 0
      WHERE c.id > ? AND c.id <= ? AND c.name >= ? AND c.name < ?
      ORDER BY c.id
      LIMIT ?`),
    compactScan: db.prepare(
      'SELECT id, name, deleted, length(CAST(name AS BLOB)) + length(value) AS bytes FROM kv WHERE id > ? AND id <= ? ORDER BY id LIMIT ?',
    ),
    newerExists: db.prepare('SELECT 1 AS one FROM kv WHERE name = ? AND id > ? AND id <= ? LIMIT 1'),
    deleteRow: db.prepare('DELETE FROM kv WHERE id = ?'),
    setMeta: db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    // db.pragma() prepares its statement on every call; these run once per batch with a quota, so they are kept.
    pageCount: db.prepare<[], number>('PRAGMA page_count').pluck(),
    freePages: db.prepare<[], number>('PRAGMA freelist_count').pluck(),
  };
}

function toKeyValue(row: Row): KeyValue {
  return { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

function toWatchEvent(row: HistoryRow): WatchEvent {
  const kv = toKeyValue(row);
  const type = row.deleted !== 0 ? 'delete' : row.created !== 0 ? 'create' : 'update';
  if (type === 'create' || row.p_id === null || row.p_value === null || row.p_create_revision === null) return { type, kv };
  return {
    type,
    kv,
    prevKv: { key: row.name, value: row.p_value, createRevision: row.p_create_revision, modRevision: row.p_id },
  };
}

/** Makes a directory's entries durable (a new file's name is not on disk until its directory is synced). */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A promise with its resolve function (Promise.withResolvers arrived after Node 20). */
function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * viewOf is `value` as a Buffer without copying it (Storage.create/update: callers never change a value they
 * wrote), so a watch event carries the very bytes the writer encoded and the API server can recognise them.
 */
function viewOf(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
