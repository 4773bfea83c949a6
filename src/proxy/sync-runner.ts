/**
 * SyncRunner: runs one async function no more often than every `minIntervalMs`, at least every
 * `periodicIntervalMs`, never two at once, and again after a failure with back-off (upstream's
 * BoundedFrequencyRunner, plus retries). Callers say "something changed" with `request()`; any number of requests
 * while a run is pending or in flight fold into one more run — that is the batching of informer events.
 *
 * Contracts:
 *  - A request when the last run started at least minInterval ago runs at once (next timer tick); otherwise the
 *    run starts minInterval after the last start.
 *  - A request during a run schedules exactly one run after it.
 *  - A failed run is retried after a back-off (growing to `maxBackoffMs`); requests during the back-off wait for
 *    it, so a failing proxier is not hammered by a busy cluster. A success resets the back-off.
 *  - `stop()` cancels timers; an in-flight run finishes on its own.
 */
import type { Clock, Timer } from '../base/clock/clock.js';
import { Backoff } from '../base/wait/backoff.js';

/** SyncRunnerConfig constructs a SyncRunner. */
export interface SyncRunnerConfig {
  readonly run: () => Promise<void>;
  readonly clock: Clock;
  readonly minIntervalMs: number;
  /** 0 turns periodic runs off. */
  readonly periodicIntervalMs: number;
  /** @default 1000 */
  readonly initialBackoffMs?: number;
  /** @default 30000 */
  readonly maxBackoffMs?: number;
  /** Called with each failure (the runner retries on its own). */
  readonly onError?: (err: unknown) => void;
}

/** SyncRunner schedules runs of one function. */
export class SyncRunner {
  readonly #c: SyncRunnerConfig;
  readonly #backoff: Backoff;
  #timer: Timer | undefined;
  #timerAt = 0;
  #periodic: Timer | undefined;
  #running = false;
  #pending = false;
  #lastStart = Number.NEGATIVE_INFINITY;
  #retryAt = Number.NEGATIVE_INFINITY;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];
  /** Completed runs (successful or not). */
  runs = 0;

  constructor(config: SyncRunnerConfig) {
    this.#c = config;
    this.#backoff = new Backoff({ initialMs: config.initialBackoffMs ?? 1000, maxMs: config.maxBackoffMs ?? 30_000, jitter: 0.1 });
    this.#armPeriodic();
  }

  /** request asks for a run (batched with any other request until it starts). */
  request(): void {
    if (this.#stopped) return;
    this.#pending = true;
    if (!this.#running) this.#schedule();
  }

  /** stop cancels pending runs. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#periodic?.cancel();
    this.#timer = undefined;
  }

  /** idle resolves once no run is pending or in flight (tests, benchmarks). */
  idle(): Promise<void> {
    if (!this.#running && !this.#pending) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    const now = this.#c.clock.now();
    const at = Math.max(now, this.#lastStart + this.#c.minIntervalMs, this.#retryAt);
    if (this.#timer && this.#timerAt <= at) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    this.#timer = this.#c.clock.setTimer(at - now, () => {
      this.#timer = undefined;
      void this.#run();
    });
  }

  #armPeriodic(): void {
    if (this.#c.periodicIntervalMs <= 0 || this.#stopped) return;
    this.#periodic = this.#c.clock.setTimer(this.#c.periodicIntervalMs, () => {
      this.request();
      this.#armPeriodic();
    });
  }

  async #run(): Promise<void> {
    if (this.#stopped || this.#running || !this.#pending) return;
    this.#running = true;
    this.#pending = false;
    this.#lastStart = this.#c.clock.now();
    try {
      await this.#c.run();
      this.#backoff.reset();
      this.#retryAt = Number.NEGATIVE_INFINITY;
    } catch (err) {
      this.#pending = true;
      this.#retryAt = this.#c.clock.now() + this.#backoff.next();
      this.#c.onError?.(err);
    } finally {
      this.#running = false;
      this.runs++;
    }
    if (this.#pending && !this.#stopped) this.#schedule();
    else {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
