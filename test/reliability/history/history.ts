/**
 * History: what clients did to a key-value store with revisions, recorded as Jepsen-style operations — each with
 * the client that issued it, its wall-clock interval (invoke .. complete) and its outcome:
 * - `ok`: it took effect (a write) or returned this (a read);
 * - `fail`: it certainly did not take effect (a precondition failed: 409, 404);
 * - `info`: unknown (the connection broke, the server died, a 5xx): it may or may not have taken effect, at any
 *   instant after its invocation.
 * Every write carries a value no other write uses, so a read tells exactly which write it saw.
 */

/** OpKind is what an operation did to its key. */
export type OpKind = 'create' | 'get' | 'update' | 'delete';

/** Outcome of an operation (see the file comment). */
export type Outcome = 'ok' | 'fail' | 'info';

/** FailReason says which precondition refused a `fail` operation. */
export type FailReason = 'exists' | 'conflict' | 'notfound';

/** Operation is one completed (or abandoned) call. */
export interface Operation {
  readonly id: number;
  readonly client: number;
  readonly key: string;
  readonly kind: OpKind;
  /** create/update: the value written (unique in the history). */
  readonly value?: string;
  /** update/delete: the modRevision the write required (delete without precondition: undefined). */
  readonly expectedRv?: number;
  /** Milliseconds (monotonic clock) when the call was issued. */
  readonly invoke: number;
  /** Milliseconds when the answer arrived; Infinity for `info`. */
  readonly complete: number;
  readonly outcome: Outcome;
  /** ok write: the revision it got; ok get of a live key: the key's modRevision. */
  readonly rv?: number;
  /** ok get: the value read, or null when the key did not exist. */
  readonly read?: string | null;
  readonly failure?: FailReason;
}

/** Pending is an invoked operation awaiting its outcome. */
export interface Pending {
  readonly id: number;
  readonly client: number;
  readonly key: string;
  readonly kind: OpKind;
  readonly value?: string;
  readonly expectedRv?: number;
  readonly invoke: number;
}

/** HistoryRecorder collects operations from concurrent clients of one test. */
export class HistoryRecorder {
  readonly #ops: Operation[] = [];
  readonly #now: () => number;
  #next = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** invoke records the start of a call; settle it with ok, fail or info. */
  invoke(client: number, key: string, kind: OpKind, args: { value?: string; expectedRv?: number } = {}): Pending {
    return { id: this.#next++, client, key, kind, ...args, invoke: this.#now() };
  }

  ok(p: Pending, result: { rv?: number; read?: string | null } = {}): void {
    this.#ops.push({ ...p, complete: this.#now(), outcome: 'ok', ...result });
  }

  fail(p: Pending, failure: FailReason): void {
    this.#ops.push({ ...p, complete: this.#now(), outcome: 'fail', failure });
  }

  info(p: Pending): void {
    this.#ops.push({ ...p, complete: Infinity, outcome: 'info' });
  }

  /** operations in the order they were settled. */
  get operations(): readonly Operation[] {
    return this.#ops;
  }
}
