/**
 * Backoff: growing, jittered delays for retry loops (a reflector reconnecting, a client retrying). Each `next()`
 * returns the delay to wait before the next attempt; `reset()` starts over after a success. Jitter spreads the
 * retries of many clients so they do not hit a recovering server at the same instant.
 */

/** BackoffConfig constructs a Backoff. */
export interface BackoffConfig {
  /** The first delay. @default 800 (client-go's reflector) */
  readonly initialMs?: number;
  /** The largest delay before jitter. @default 30_000 */
  readonly maxMs?: number;
  /** Growth per attempt. @default 2 */
  readonly factor?: number;
  /** Each delay is stretched by up to this fraction: d × (1 + jitter × random). @default 1 */
  readonly jitter?: number;
  /** Random numbers in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** jittered returns `ms` stretched by a random fraction of up to `factor` (client-go's wait.Jitter). */
export function jittered(ms: number, factor: number, random: () => number = Math.random): number {
  if (factor <= 0) return ms;
  return ms + ms * factor * random();
}

/** Backoff yields exponentially growing, capped, jittered delays. */
export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #current: number;

  constructor(config: BackoffConfig = {}) {
    this.#initial = config.initialMs ?? 800;
    this.#max = config.maxMs ?? 30_000;
    this.#factor = config.factor ?? 2;
    this.#jitter = config.jitter ?? 1;
    this.#random = config.random ?? Math.random;
    if (!(this.#initial > 0) || !(this.#max >= this.#initial) || !(this.#factor >= 1)) {
      throw new Error(`Cannot create backoff: want 0 < initialMs <= maxMs and factor >= 1, got ${this.#initial}, ${this.#max}, ${this.#factor}`);
    }
    this.#current = this.#initial;
  }

  /** next returns the delay before the next attempt and grows the following one. */
  next(): number {
    const d = this.#current;
    this.#current = Math.min(this.#max, this.#current * this.#factor);
    return jittered(d, this.#jitter, this.#random);
  }

  /** reset makes the next delay the initial one again. */
  reset(): void {
    this.#current = this.#initial;
  }
}
