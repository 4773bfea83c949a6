/**
 * WorkQueue: client-go's work queue contract, on an injected Clock.
 *
 *  - Fair: items are handed out in the order they were added.
 *  - Stingy: an item added many times before it is processed is processed once.
 *  - An item is never handed to two workers at once: `get` marks it processing until `done`; an `add` of an
 *    item being processed is remembered and the item is handed out again after `done`.
 *  - Delayed: `addAfter` adds an item once a delay has passed (the earliest pending time wins).
 *  - Rate-limited: `addRateLimited` adds after the RateLimiter's per-item delay; `forget` resets it.
 *  - `shutDown` stops accepting items; `get` then drains what is queued and resolves `undefined` when empty.
 */
import type { Clock, Timer } from '../clock/clock.js';
import { ExponentialFailureRateLimiter, type RateLimiter } from './rate-limiter.js';

/** WorkQueueConfig constructs a WorkQueue. */
export interface WorkQueueConfig<T> {
  /** Schedules delayed adds. */
  readonly clock: Clock;
  /** Per-item retry delays for `addRateLimited`. @default ExponentialFailureRateLimiter (5 ms → 1000 s) */
  readonly rateLimiter?: RateLimiter<T>;
}

interface Waiting {
  readonly at: number;
  readonly timer: Timer;
}

/**
 * WorkQueue hands items (typically `namespace/name` keys) to workers. `T` must not include `undefined`: `get`
 * uses it to say the queue shut down. Items are compared with `===` (Map semantics).
 */
export class WorkQueue<T extends NonNullable<unknown>> {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter<T>;
  /** Items waiting to be handed out, in order; each appears at most once. */
  #queue: T[] = [];
  /** Items that need processing (queued, or re-added while processing). */
  readonly #dirty = new Set<T>();
  /** Items handed out and not yet `done`. */
  readonly #processing = new Set<T>();
  /** Items scheduled by addAfter, with their due time. */
  readonly #waiting = new Map<T, Waiting>();
  /** Pending `get` calls. */
  #getters: ((item: T | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(config: WorkQueueConfig<T>) {
    this.#clock = config.clock;
    this.#limiter = config.rateLimiter ?? new ExponentialFailureRateLimiter<T>();
  }

  /** add queues `item` unless it is already queued; an item being processed is queued again after `done`. */
  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#push(item);
  }

  /** addAfter adds `item` once `delayMs` has passed; a pending earlier add of the same item wins. */
  addAfter(item: T, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const at = this.#clock.now() + delayMs;
    const pending = this.#waiting.get(item);
    if (pending) {
      if (pending.at <= at) return;
      pending.timer.cancel();
    }
    const timer = this.#clock.setTimer(delayMs, () => {
      this.#waiting.delete(item);
      this.add(item);
    });
    this.#waiting.set(item, { at, timer });
  }

  /** addRateLimited adds `item` after the rate limiter's delay for it (which grows with each call until `forget`). */
  addRateLimited(item: T): void {
    this.addAfter(item, this.#limiter.when(item));
  }

  /** forget resets `item`'s retry backoff; call it when the item was processed successfully. */
  forget(item: T): void {
    this.#limiter.forget(item);
  }

  /** numRequeues is how many rate-limited retries of `item` happened since the last `forget`. */
  numRequeues(item: T): number {
    return this.#limiter.numRequeues(item);
  }

  /**
   * get resolves the next item and marks it processing (the caller must call `done(item)`), or `undefined` once
   * the queue is shut down and empty.
   */
  get(): Promise<T | undefined> {
    const item = this.#pop();
    if (item !== undefined) return Promise.resolve(item);
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** done ends processing of `item`; if it was added meanwhile, it is queued again. */
  done(item: T): void {
    this.#processing.delete(item);
    if (this.#dirty.has(item)) this.#push(item);
  }

  /** len is the number of items waiting to be handed out (not counting delayed or processing ones). */
  len(): number {
    return this.#queue.length;
  }

  /** shutDown stops accepting items and cancels delayed adds; idle `get` calls resolve `undefined`. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const w of this.#waiting.values()) w.timer.cancel();
    this.#waiting.clear();
    if (this.#queue.length === 0) {
      const getters = this.#getters;
      this.#getters = [];
      for (const g of getters) g(undefined);
    }
  }

  /** shuttingDown tells whether `shutDown` was called. */
  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #push(item: T): void {
    const getter = this.#getters.shift();
    if (getter) {
      this.#dirty.delete(item);
      this.#processing.add(item);
      getter(item);
      return;
    }
    this.#queue.push(item);
  }

  #pop(): T | undefined {
    const item = this.#queue.shift();
    if (item === undefined) return undefined;
    this.#dirty.delete(item);
    this.#processing.add(item);
    return item;
  }
}
