/**
 * The SDK's reconcile contract: `reconcile(request)` for one object key, resolving with nothing (done),
 * `{ requeueAfterMs }` (look again later), or `{ requeue: true }` (again after the rate-limited backoff); a thrown
 * error is retried with per-key exponential backoff, a thrown TerminalError is not (it is logged and recorded as
 * a Warning event on the object).
 */
import type { ReconcileResult } from '../controllers/reconciler.js';

export { TerminalError, isTerminalError, type ReconcileResult } from '../controllers/reconciler.js';

/** ReconcileRequest names the object to converge. */
export interface ReconcileRequest {
  /** `namespace/name`, or `name` for cluster-scoped objects. */
  readonly key: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

/** Reconciler converges one object. */
export interface Reconciler {
  reconcile(request: ReconcileRequest): Promise<ReconcileResult | void>;
}

/** ReconcileFunc is a Reconciler as a plain function. */
export type ReconcileFunc = (request: ReconcileRequest) => Promise<ReconcileResult | void>;

/** requestFor splits a key into a ReconcileRequest. */
export function requestFor(key: string): ReconcileRequest {
  const slash = key.indexOf('/');
  return slash < 0 ? { key, namespace: '', name: key } : { key, namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
