/**
 * MemoryStorage: an in-process Storage for unit tests elsewhere. It keeps every version in memory and honours the
 * whole Storage contract (revisions, history reads, watches, compaction) except durability: nothing survives the
 * process. It passes the same conformance suite as the durable backends.
 */
import { CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError, StorageUnavailableError } from '../errors.js';
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

/** One version of a key in the log: the write that produced it and the version it replaced. */
interface Row {
  readonly type: WatchEvent['type'];
  readonly kv: KeyValue;
  readonly prev: KeyValue | undefined;
}

interface Watcher {
  readonly prefix: string;
  readonly options: WatchOptions;
  /** Events up to this revision were delivered (or replay has not run yet and starts after it). */
  cursor: number;
  /** False until the history replay has run; live events are not pushed before, the replay reads them. */
  live: boolean;
  closed: boolean;
}

/** MemoryStorage keeps all versions in memory; writes apply synchronously and watchers are notified at once. */
export class MemoryStorage implements Storage {
  /** Every retained version in revision order. */
  #log: Row[] = [];
  /** Retained versions per key, oldest first. */
  #history = new Map<string, Row[]>();
  #revision = 0;
  #compactRevision = 0;
  #watchers = new Set<Watcher>();
  #closed = false;

  currentRevision(): Promise<number> {
    return this.#guard(() => this.#revision);
  }

  get(key: string, revision?: number): Promise<KeyValue | undefined> {
    return this.#guard(() => {
      const at = this.#readRevision(revision);
      return this.#versionAt(key, at);
    });
  }

  list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    return this.#guard(() => {
      const at = this.#readRevision(options.revision);
      const keys: string[] = [];
      for (const key of this.#history.keys()) {
        if (!key.startsWith(prefix)) continue;
        if (options.startAfter !== undefined && compareKeys(key, options.startAfter) <= 0) continue;
        keys.push(key);
      }
      keys.sort(compareKeys);
      const limit = options.limit ?? 0;
      const items: KeyValue[] = [];
      let more = false;
      for (const key of keys) {
        const kv = this.#versionAt(key, at);
        if (kv === undefined) continue;
        if (limit > 0 && items.length === limit) {
          more = true;
          break;
        }
        items.push(kv);
      }
      return { items, revision: at, more };
    });
  }

  count(prefix: string): Promise<number> {
    return this.#guard(() => {
      let n = 0;
      for (const key of this.#history.keys()) {
        if (key.startsWith(prefix) && this.#versionAt(key, this.#revision) !== undefined) n++;
      }
      return n;
    });
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    return this.#guard(() => {
      if (this.#versionAt(key, this.#revision) !== undefined) throw new KeyExistsError(key);
      const revision = this.#revision + 1;
      const kv: KeyValue = { key, value: copy(value), createRevision: revision, modRevision: revision };
      this.#append({ type: 'create', kv, prev: undefined });
      return kv;
    });
  }

  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    return this.#guard(() => {
      const current = this.#versionAt(key, this.#revision);
      if (current === undefined) throw new KeyNotFoundError(key);
      if (current.modRevision !== expectedModRevision) throw new ConflictError(key, current);
      const kv: KeyValue = {
        key,
        value: copy(value),
        createRevision: current.createRevision,
        modRevision: this.#revision + 1,
      };
      this.#append({ type: 'update', kv, prev: current });
      return kv;
    });
  }

  delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.#guard(() => {
      const current = this.#versionAt(key, this.#revision);
      if (current === undefined) throw new KeyNotFoundError(key);
      if (expectedModRevision !== undefined && current.modRevision !== expectedModRevision) {
        throw new ConflictError(key, current);
      }
      const kv: KeyValue = { ...current, modRevision: this.#revision + 1 };
      this.#append({ type: 'delete', kv, prev: current });
      return kv;
    });
  }

  watch(prefix: string, options: WatchOptions): Watch {
    if (this.#closed) throw new StorageUnavailableError('Cannot watch: storage is closed');
    if (options.afterRevision < this.#compactRevision) {
      throw new CompactedError(options.afterRevision, this.#compactRevision);
    }
    const watcher: Watcher = { prefix, options, cursor: options.afterRevision, live: false, closed: false };
    this.#watchers.add(watcher);
    // Replay on a microtask so that onEvents never runs before watch() has returned its handle.
    queueMicrotask(() => this.#replay(watcher));
    return {
      close: () => {
        watcher.closed = true;
        this.#watchers.delete(watcher);
      },
    };
  }

  compact(revision: number): Promise<void> {
    return this.#guard(() => {
      const target = Math.min(revision, this.#revision);
      if (target <= this.#compactRevision) return;
      this.#compactRevision = target;
      for (const [key, rows] of this.#history) {
        // Keep the newest version at or below the target (it is the state at the target) unless it is a delete.
        let newest = -1;
        for (let i = 0; i < rows.length && (rows[i]?.kv.modRevision ?? Infinity) <= target; i++) newest = i;
        if (newest < 0) continue;
        const keepFrom = rows[newest]?.type === 'delete' ? newest + 1 : newest;
        const kept = rows.slice(keepFrom);
        if (kept.length === 0) this.#history.delete(key);
        else this.#history.set(key, kept);
      }
      this.#log = this.#log.filter((row) => {
        if (row.kv.modRevision > target) return true;
        const rows = this.#history.get(row.kv.key);
        return rows !== undefined && rows[0] === row;
      });
    });
  }

  compactRevision(): number {
    return this.#compactRevision;
  }

  stats(): Promise<StorageStats> {
    return this.#guard(() => {
      let bytes = 0;
      for (const row of this.#log) bytes += row.kv.key.length + row.kv.value.byteLength;
      let keys = 0;
      for (const key of this.#history.keys()) if (this.#versionAt(key, this.#revision) !== undefined) keys++;
      return {
        dbSizeBytes: bytes,
        currentRevision: this.#revision,
        compactRevision: this.#compactRevision,
        keys,
      };
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const w of [...this.#watchers]) this.#endWatch(w, new StorageUnavailableError('Cannot watch: storage is closed'));
    return Promise.resolve();
  }

  /** Runs `fn` unless closed, turning its result or throw into a promise. */
  #guard<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StorageUnavailableError('Cannot use storage: it is closed'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
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

  /** The live version of `key` at revision `at`, or undefined when absent or deleted then. */
  #versionAt(key: string, at: number): KeyValue | undefined {
    const rows = this.#history.get(key);
    if (rows === undefined) return undefined;
    for (let i = rows.length - 1; i >= 0; i--) {
      const row = rows[i];
      if (row === undefined || row.kv.modRevision > at) continue;
      return row.type === 'delete' ? undefined : row.kv;
    }
    return undefined;
  }

  #append(row: Row): void {
    this.#revision = row.kv.modRevision;
    this.#log.push(row);
    const rows = this.#history.get(row.kv.key);
    if (rows === undefined) this.#history.set(row.kv.key, [row]);
    else rows.push(row);
    for (const w of [...this.#watchers]) {
      if (!w.live || w.closed || row.kv.modRevision <= w.cursor) continue;
      w.cursor = row.kv.modRevision;
      if (row.kv.key.startsWith(w.prefix)) this.#deliver(w, [row]);
      if (!w.closed && w.options.onProgress) {
        try {
          w.options.onProgress(row.kv.modRevision);
        } catch (err) {
          this.#endWatch(w, err);
        }
      }
    }
  }

  #replay(w: Watcher): void {
    if (w.closed) return;
    if (w.cursor < this.#compactRevision) {
      // Compacted between watch() and the replay: the history the watcher needs is gone.
      this.#endWatch(w, new CompactedError(w.cursor, this.#compactRevision));
      return;
    }
    const rows = this.#log.filter((r) => r.kv.modRevision > w.cursor && r.kv.key.startsWith(w.prefix));
    w.live = true;
    // afterRevision may lie in the future; the cursor never moves back below it.
    w.cursor = Math.max(w.cursor, this.#revision);
    if (rows.length > 0) this.#deliver(w, rows);
  }

  /** Hands events to a watcher; a consumer that throws breaks the onEvents contract and loses its watch. */
  #deliver(w: Watcher, rows: readonly Row[]): void {
    const events = rows.map((r): WatchEvent =>
      r.prev === undefined ? { type: r.type, kv: r.kv } : { type: r.type, kv: r.kv, prevKv: r.prev },
    );
    try {
      w.options.onEvents(events);
    } catch (err) {
      this.#endWatch(w, err);
    }
  }

  /** Ends a watch for a reason other than close(): no more delivery, onError called once. */
  #endWatch(w: Watcher, err: unknown): void {
    w.closed = true;
    this.#watchers.delete(w);
    w.options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}

function copy(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}
