/**
 * Controller: a work queue of keys and the workers that feed them to a Reconciler. Event handlers call `enqueue`
 * and nothing else; the queue guarantees a key is never reconciled by two workers at once, and that a key
 * enqueued while it is being reconciled is reconciled again afterwards.
 */
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { WorkQueue } from '../base/queue/work-queue.js';
import type { Reconciler } from './reconciler.js';
import { CONTROLLER_METRICS, type ControllerMetrics } from './controller-metrics.js';

/** ControllerConfig constructs a Controller. */
export interface ControllerConfig {
  /** The controller's name (as in `--controllers`). */
  readonly name: string;
  readonly reconciler: Reconciler;
  readonly clock: Clock;
  readonly log: Logger;
  /** Concurrent workers. @default 1 */
  readonly workers?: number;
  /** Where queue depth, adds, retries and reconcile durations are recorded. @default CONTROLLER_METRICS */
  readonly metrics?: ControllerMetrics;
}

/** Controller runs a Reconciler over a work queue. */
export class Controller {
  readonly name: string;
  readonly #reconciler: Reconciler;
  readonly #queue: WorkQueue<string>;
  readonly #log: Logger;
  readonly #workers: number;
  readonly #metrics: ControllerMetrics;

  constructor(config: ControllerConfig) {
    this.name = config.name;
    this.#reconciler = config.reconciler;
    this.#queue = new WorkQueue<string>({ clock: config.clock });
    this.#log = config.log;
    this.#workers = config.workers ?? 1;
    this.#metrics = config.metrics ?? CONTROLLER_METRICS;
  }

  /** enqueue asks for `key` to be reconciled (de-duplicated with pending requests). */
  enqueue(key: string): void {
    this.#metrics.added(this.name);
    this.#queue.add(key);
  }

  /** enqueueAfter asks for `key` to be reconciled after `delayMs`. */
  enqueueAfter(key: string, delayMs: number): void {
    this.#metrics.added(this.name);
    this.#queue.addAfter(key, delayMs);
  }

  /** run starts the workers; resolves once `signal` aborted and every worker finished its current key. */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => this.#queue.shutDown(), { once: true });
    const unwatch = this.#metrics.watchDepth(this.name, () => this.#queue.len());
    try {
      await Promise.all(Array.from({ length: this.#workers }, () => this.#worker(signal)));
    } finally {
      unwatch();
    }
  }

  async #worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      if (signal.aborted) {
        this.#queue.done(key);
        continue;
      }
      const started = performance.now();
      try {
        const result = await this.#reconciler.reconcile(key);
        this.#queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.#queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        const retries = this.#queue.numRequeues(key);
        // Quiet first retries: conflicts and races are normal; persistent failures deserve a warning.
        if (retries >= 3) this.#log.warn('Reconcile failed; retrying', { key, retries, error: err });
        else this.#log.debug('Reconcile failed; retrying', { key, retries, error: err });
        this.#metrics.retried(this.name);
        this.#queue.addRateLimited(key);
      } finally {
        this.#metrics.worked(this.name, (performance.now() - started) / 1000);
        this.#queue.done(key);
      }
    }
  }
}
