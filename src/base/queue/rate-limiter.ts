/**
 * RateLimiter decides how long an item waits before it is retried. It keeps per-item failure counts, so one
 * failing item backs off without slowing the others (client-go's ItemExponentialFailureRateLimiter).
 */

/** RateLimiter tells how long to wait before handing out an item again. */
export interface RateLimiter<T> {
  /** when records one more failure of `item` and returns the delay in milliseconds before its retry. */
  when(item: T): number;
  /** forget clears the failure history of `item` (it succeeded, or was given up on). */
  forget(item: T): void;
  /** numRequeues is how many failures of `item` are on record. */
  numRequeues(item: T): number;
}

/** ExponentialFailureRateLimiterConfig constructs an ExponentialFailureRateLimiter. */
export interface ExponentialFailureRateLimiterConfig {
  /** The delay after the first failure. @default 5 */
  readonly baseDelayMs?: number;
  /** The largest delay. @default 1_000_000 (1000 s) */
  readonly maxDelayMs?: number;
}

/** DEFAULT_BASE_DELAY_MS is client-go's default controller backoff start. */
export const DEFAULT_BASE_DELAY_MS = 5;
/** DEFAULT_MAX_DELAY_MS is client-go's default controller backoff cap (1000 s). */
export const DEFAULT_MAX_DELAY_MS = 1_000_000;

/** ExponentialFailureRateLimiter: base × 2^failures, capped at max; failure counts are per item. */
export class ExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  readonly #base: number;
  readonly #max: number;
  readonly #failures = new Map<T, number>();

  constructor(config: ExponentialFailureRateLimiterConfig = {}) {
    this.#base = config.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.#max = config.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    if (!(this.#base > 0) || !(this.#max >= this.#base)) {
      throw new Error(`Cannot create rate limiter: want 0 < baseDelayMs <= maxDelayMs, got ${this.#base} and ${this.#max}`);
    }
  }

  when(item: T): number {
    const n = this.#failures.get(item) ?? 0;
    this.#failures.set(item, n + 1);
    // 2^n overflows to Infinity for large n; the cap keeps the answer finite.
    return Math.min(this.#max, this.#base * 2 ** n);
  }

  forget(item: T): void {
    this.#failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }
}
