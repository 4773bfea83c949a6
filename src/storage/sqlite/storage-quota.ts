/**
 * StorageQuota: the size quota of the SQLite store (`--datastore-quota-bytes`, after etcd's `--quota-backend-bytes`).
 *
 * What counts is the bytes of the database pages holding data — pages in use, free pages excluded — because that is
 * what compaction can give back: deleting objects and compacting their history frees pages, and the quota is
 * measured again before every batch, so writes are admitted again as soon as compaction brought the store below it.
 * The WAL is not counted: it is bounded on its own (checkpointed every `wal_autocheckpoint` pages, truncated by each
 * compaction) and holds no data that is not also in a page.
 *
 * Over the quota, creates and updates are refused; deletes are admitted (they are how space is reclaimed, each
 * costing one small row until compaction removes the key's whole history), and so are reads. The check runs once per
 * group-commit batch, so a batch admitted just below the quota may end a little above it, by at most that batch.
 */
import { QuotaExceededError } from '../errors.js';

/** The writes the quota knows about. */
export type QuotaWriteKind = 'create' | 'update' | 'delete';

/** StorageQuota decides whether a write is admitted at a given size. */
export class StorageQuota {
  /** The quota in bytes; 0 means none. */
  readonly bytes: number;

  constructor(bytes: number) {
    // A quota that is not a positive finite number is no quota (the flag's 0 means off).
    this.bytes = Number.isFinite(bytes) && bytes > 0 ? Math.trunc(bytes) : 0;
  }

  /** enabled is false when there is no quota, so callers can skip measuring the store. */
  get enabled(): boolean {
    return this.bytes > 0;
  }

  /** reached is true once `usedBytes` is at or above the quota. */
  reached(usedBytes: number): boolean {
    return this.enabled && usedBytes >= this.bytes;
  }

  /**
   * admit returns the error refusing a write of `kind` on `key` when the store uses `usedBytes`, or undefined when the
   * write may go ahead (always for deletes).
   */
  admit(kind: QuotaWriteKind, key: string, usedBytes: number): QuotaExceededError | undefined {
    if (kind === 'delete' || !this.reached(usedBytes)) return undefined;
    return new QuotaExceededError(
      `Cannot ${kind} key "${key}": the database uses ${usedBytes} bytes, at or above its quota of ${this.bytes} bytes ` +
        '(--datastore-quota-bytes); delete objects, then compaction frees their space',
    );
  }
}
