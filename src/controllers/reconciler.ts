/**
 * Reconciler: the heart of a controller (controller-runtime's contract). `reconcile(key)` reads the current
 * state, moves the cluster one step towards the desired state and returns. It is level-based — it must not
 * depend on which event woke it — and idempotent, because a key may be reconciled any number of times.
 *
 *   - resolves with nothing: done until the next event about this key;
 *   - resolves with `requeueAfterMs`: look again after that long (e.g. content still being deleted);
 *   - throws: retried with per-key exponential backoff (5 ms → 1000 s).
 */

/** ReconcileResult asks for a timed recheck. */
export interface ReconcileResult {
  /** Reconcile the key again after this many milliseconds. */
  readonly requeueAfterMs?: number;
}

/** Reconciler converges one key (`namespace/name`, or `name` for cluster-scoped objects). */
export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult | void>;
}
