/**
 * Reconciler: the heart of a controller (controller-runtime's contract). `reconcile(key)` reads the current
 * state, moves the cluster one step towards the desired state and returns. It is level-based — it must not
 * depend on which event woke it — and idempotent, because a key may be reconciled any number of times.
 *
 *   - resolves with nothing: done until the next event about this key;
 *   - resolves with `requeueAfterMs`: look again after that long (e.g. content still being deleted);
 *   - resolves with `requeue: true`: look again after the per-key backoff (as a failure, without the log line);
 *   - throws: retried with per-key exponential backoff (5 ms → 1000 s);
 *   - throws a TerminalError: not retried (the input is wrong, not the moment); reported once.
 */

const TERMINAL = Symbol.for('tkube.TerminalError');

/** ReconcileResult asks for a timed recheck. */
export interface ReconcileResult {
  /** Reconcile the key again after this many milliseconds. */
  readonly requeueAfterMs?: number;
  /** Reconcile the key again after the rate limiter's backoff (ignored when requeueAfterMs is set). */
  readonly requeue?: boolean;
}

/**
 * TerminalError is a failure that retrying cannot fix (an invalid spec, an object owned by someone else): the
 * controller forgets the key instead of backing off, until the next event about it.
 */
export class TerminalError extends Error {
  /** A brand instead of `instanceof`: an operator file may load its own copy of this module (tsx reloads do). */
  readonly [TERMINAL] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** isTerminalError tells whether `err` is a TerminalError from any copy of this module. */
export function isTerminalError(err: unknown): err is TerminalError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[TERMINAL] === true;
}

/** Reconciler converges one key (`namespace/name`, or `name` for cluster-scoped objects). */
export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult | void>;
}
