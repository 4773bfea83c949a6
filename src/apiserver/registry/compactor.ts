/**
 * Compactor: the API server's periodic storage compaction (upstream compacts etcd every 5 minutes). Each tick
 * compacts to the older of (a) the revision seen at the previous tick and (b) the current revision minus
 * `keepRevisions`, so history of at least one interval and at least `keepRevisions` revisions stays readable for
 * watches and paged lists; anything older answers 410 Expired.
 */
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { Storage } from '../../storage/storage.js';

/** DEFAULT_COMPACTION_INTERVAL_MS is upstream's default (--etcd-compaction-interval=5m). */
export const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;
/** DEFAULT_KEEP_REVISIONS is the minimum number of recent revisions kept. */
export const DEFAULT_KEEP_REVISIONS = 1000;

/** CompactorConfig constructs a Compactor. */
export interface CompactorConfig {
  readonly storage: Storage;
  readonly clock: Clock;
  /** @default DEFAULT_COMPACTION_INTERVAL_MS */
  readonly intervalMs?: number;
  /** @default DEFAULT_KEEP_REVISIONS */
  readonly keepRevisions?: number;
  /** Told about a failed compaction; the next tick tries again. @default ignore */
  readonly onError?: (err: unknown) => void;
}

/** Compactor runs compaction on a timer. */
export class Compactor {
  #storage: Storage;
  #clock: Clock;
  #intervalMs: number;
  #keep: number;
  #onError: (err: unknown) => void;
  #timer: Timer | undefined;
  #previous = 0;
  #running = false;

  constructor(config: CompactorConfig) {
    this.#storage = config.storage;
    this.#clock = config.clock;
    this.#intervalMs = config.intervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS;
    this.#keep = config.keepRevisions ?? DEFAULT_KEEP_REVISIONS;
    this.#onError = config.onError ?? (() => undefined);
    if (!(this.#intervalMs > 0)) throw new Error(`Cannot start compactor: interval ${this.#intervalMs} ms is not positive`);
  }

  /** start schedules ticks; idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  /** stop cancels future ticks. */
  stop(): void {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimer(this.#intervalMs, () => {
      this.tick()
        .catch((err: unknown) => this.#onError(err))
        .finally(() => {
          if (this.#running) this.#schedule();
        });
    });
  }

  /** tick runs one compaction step; returns the revision compacted to, or undefined when nothing was due. */
  async tick(): Promise<number | undefined> {
    const current = await this.#storage.currentRevision();
    const target = Math.min(this.#previous, current - this.#keep);
    this.#previous = current;
    if (target <= 0 || target <= this.#storage.compactRevision()) return undefined;
    await this.#storage.compact(target);
    return target;
  }
}
