/**
 * Storage: the revisioned key-value store every API object lives in (kine's model, etcd's contract).
 *
 * Properties every implementation guarantees (checked by `runStorageConformance` in conformance.ts):
 * - One global, strictly increasing revision. Every successful write (create, update, delete) gets a
 *   revision greater than any revision returned before it, and is durable before its promise resolves.
 * - A key's `createRevision` is the revision that created it; `modRevision` the revision that last wrote it.
 * - Reads at a past revision see exactly the state after that revision, until it is compacted; reading
 *   at a compacted revision throws `CompactedError`.
 * - Watchers see every write on their prefix after the start revision, once, in revision order, without gaps;
 *   a start revision older than the compacted revision throws `CompactedError` from `watch()`.
 * - Keys and values are opaque to storage: it knows nothing of API types.
 *
 * Expected outcomes (a missing key on get) are values; precondition failures throw the typed errors of
 * errors.ts, which the registry translates to API statuses (404, 409, 410).
 */

/** KeyValue is one stored version of a key. */
export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  /** The revision at which the key was (last) created. */
  readonly createRevision: number;
  /** The revision of the write that produced this version. */
  readonly modRevision: number;
}

/** WatchEvent is one write seen by a watcher. */
export interface WatchEvent {
  readonly type: 'create' | 'update' | 'delete';
  /** For create/update: the new version. For delete: the deleted key, with modRevision = the delete's revision and the last value. */
  readonly kv: KeyValue;
  /** The version replaced by this write (update and delete), when the backend still has it. */
  readonly prevKv?: KeyValue;
}

/** ListOptions narrows a `list` call. */
export interface ListOptions {
  /** Read at this revision; 0 or undefined means the current revision. */
  readonly revision?: number;
  /** At most this many items; 0 or undefined means no limit. */
  readonly limit?: number;
  /** Start strictly after this key (for continue tokens). */
  readonly startAfter?: string;
}

/** ListResult is a page of keys under a prefix, in key order. */
export interface ListResult {
  readonly items: KeyValue[];
  /** The revision the list was read at (the current one when none was asked). */
  readonly revision: number;
  /** True when keys beyond this page remain at that revision. */
  readonly more: boolean;
}

/** Watcher receives batches of events; `close` stops delivery. */
export interface Watch {
  /** Stops the watch; no event is delivered after close returns. Idempotent. */
  close(): void;
}

/** WatchOptions configures a watch. */
export interface WatchOptions {
  /** Deliver writes with revision > afterRevision. */
  readonly afterRevision: number;
  /** Called with each batch of events, in revision order. Must not throw: a callback that throws ends its own watch (onError is called once). */
  readonly onEvents: (events: readonly WatchEvent[]) => void;
  /**
   * Progress notification (etcd's): when given, called with a revision R once every write at or below R on the
   * watched prefix has been delivered, so the watcher knows its view is current at R even when nothing on its
   * prefix changed. Backends call it at least after each commit while the watch is live. Must not throw.
   */
  readonly onProgress?: (revision: number) => void;
  /** Called once if the watch ends for a reason other than close() (backend closed, error). */
  readonly onError?: (err: Error) => void;
}

/** StorageStats are figures exported as metrics. */
export interface StorageStats {
  readonly dbSizeBytes: number;
  /** Bytes of the write-ahead log alone (part of dbSizeBytes), when the backend has one it reports. */
  readonly walSizeBytes?: number;
  /** Bytes of database pages holding data (free pages excluded): what a size quota limits. */
  readonly usedBytes?: number;
  /** Bytes of keys and values in every version held (live objects plus history not yet compacted). */
  readonly logicalBytes?: number;
  /** The size quota in bytes; 0 or absent means none. */
  readonly quotaBytes?: number;
  readonly currentRevision: number;
  readonly compactRevision: number;
  readonly keys: number;
  /** Durable commits (one per group-commit transaction), cumulative, when the backend measures them. */
  readonly commits?: StorageTimings;
  /** fsyncs that made commits durable (one covers every commit before it: group commit), cumulative. */
  readonly fsyncs?: StorageTimings;
  /** Compaction passes, cumulative; `maxPauseSeconds` is the longest single step writers waited behind. */
  readonly compactions?: StorageTimings & { readonly lastSeconds: number; readonly maxPauseSeconds: number };
}

/** StorageTimings are a cumulative count and duration of some operation. */
export interface StorageTimings {
  readonly count: number;
  readonly seconds: number;
}

/**
 * Storage is the seam between the API server's registry and a backend (memory, SQLite, etcd).
 */
export interface Storage {
  /**
   * Returns the newest revision whose write has been acknowledged and delivered to watchers (0 for an empty store).
   * A write still in flight (committed, awaiting its fsync) may be above it; every write whose promise resolved is
   * at or below it, so a reader that waits for a watch to reach it has seen every acknowledged write.
   */
  currentRevision(): Promise<number>;

  /**
   * Returns the key's version at `revision` (current when 0/undefined), or undefined when the key does not
   * exist at that revision. Throws CompactedError when revision is compacted, FutureRevisionError when it is newer
   * than the current revision.
   */
  get(key: string, revision?: number): Promise<KeyValue | undefined>;

  /** Lists keys starting with `prefix`, in byte order. Throws CompactedError for a compacted revision. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;

  /** Counts keys starting with `prefix` at the current revision. */
  count(prefix: string): Promise<number>;

  /**
   * Creates `key`. Throws KeyExistsError if it exists. Resolves once durable, with the new version. The store may
   * keep `value` without copying it (its events then carry the same bytes): callers never change it afterwards.
   */
  create(key: string, value: Uint8Array): Promise<KeyValue>;

  /**
   * Replaces `key`'s value if its modRevision equals `expectedModRevision`. Throws KeyNotFoundError if the key is
   * missing, ConflictError (carrying the current version) if the revision differs. Resolves with the new version.
   * As with create, `value` may be kept without a copy.
   */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue>;

  /**
   * Deletes `key`, if `expectedModRevision` is given only when it matches. Throws KeyNotFoundError or ConflictError.
   * Resolves with the deleted version whose modRevision is the delete's revision.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;

  /**
   * Watches writes under `prefix`. Throws CompactedError if afterRevision < compactRevision. `afterRevision` may lie
   * in the future: only writes after it are delivered.
   */
  watch(prefix: string, options: WatchOptions): Watch;

  /**
   * Forgets history at revisions <= `revision` (the newest version of each live key is kept). Runs in short steps
   * that never block writers for long. Resolves when done. Compacting to or below the current compact revision is a no-op.
   */
  compact(revision: number): Promise<void>;

  /** The revision at or below which history has been compacted (0 when none). */
  compactRevision(): number;

  /** Size and counters for metrics. */
  stats(): Promise<StorageStats>;

  /** Flushes and releases resources; pending writes complete first. Watches are closed. */
  close(): Promise<void>;
}
