/**
 * A linearizability checker for a revisioned key-value store (our own, after Wing & Gong with Lowe's memoization):
 * the history is split per key (linearizability is compositional), and each key's operations are searched for an
 * order that respects real time (an operation that completed before another was invoked comes first) and that a
 * single register with revisions would have produced:
 * - create succeeds only on a missing key, update and delete only when the key's modRevision equals the
 *   precondition, and every write's revision is greater than every revision the key had before (revisions never go
 *   back); a 409/404 is legal only when the precondition really failed at that point;
 * - a get returns the value and modRevision of the last write ordered before it (no stale reads, no lost writes);
 * - an `info` operation (outcome unknown) may take effect at any point after its invocation, or never.
 * Two global checks complete it: no two acknowledged writes share a revision, and a write acknowledged before
 * another was issued has the smaller revision (so revisions never go backwards, even across a server restart).
 *
 * The search is exponential in the worst case; it gives up after `maxSteps` per key and reports the key as
 * undecided, never as a pass.
 */
import type { Operation } from './history.js';

/** Violation is one reason a history is not linearizable. */
export interface Violation {
  readonly key: string;
  readonly reason: string;
  /** Ids of the operations involved (all of a key's operations when the search found no order). */
  readonly ops: readonly number[];
}

/** CheckResult summarizes a check. */
export interface CheckResult {
  readonly ok: boolean;
  readonly operations: number;
  readonly keys: number;
  readonly violations: readonly Violation[];
  /** Keys whose search hit the step budget (neither proven nor refuted). */
  readonly undecided: readonly string[];
  readonly steps: number;
}

/** The register's state between operations. */
interface State {
  readonly exists: boolean;
  readonly value: string | undefined;
  /** The key's modRevision, or -1 when it was set by an `info` write nobody read back. */
  readonly rv: number;
  /** The highest revision the key is known to have had; the next write must exceed it. */
  readonly floor: number;
}

const INITIAL: State = { exists: false, value: undefined, rv: 0, floor: 0 };

function rvMatches(s: State, expected: number | undefined): boolean {
  if (expected === undefined) return true;
  // An unread info write left the revision unknown: any revision above what the key had is possible.
  return s.rv === -1 ? expected > s.floor : s.rv === expected;
}

/** applyOk steps the model for an operation whose outcome is known; undefined when the model forbids it. */
function applyKnown(s: State, op: Operation): State | undefined {
  if (op.outcome === 'fail') {
    switch (op.failure) {
      case 'exists':
        return s.exists ? s : undefined;
      case 'notfound':
        return s.exists ? undefined : s;
      case 'conflict':
        return s.exists && !(s.rv !== -1 && s.rv === op.expectedRv) ? s : undefined;
      default:
        return undefined;
    }
  }
  const rv = op.rv ?? -1;
  switch (op.kind) {
    case 'get':
      if (op.read === null || op.read === undefined) return s.exists ? undefined : s;
      if (!s.exists || s.value !== op.read) return undefined;
      if (s.rv === -1) return rv > s.floor ? { ...s, rv, floor: rv } : undefined;
      return s.rv === rv ? s : undefined;
    case 'create':
      if (s.exists || rv <= s.floor) return undefined;
      return { exists: true, value: op.value, rv, floor: rv };
    case 'update':
      if (!s.exists || !rvMatches(s, op.expectedRv) || rv <= s.floor) return undefined;
      return { exists: true, value: op.value, rv, floor: rv };
    case 'delete':
      // A delete's answer may carry no revision (a Success Status): then only its precondition is checked.
      if (op.rv === undefined) return s.exists && rvMatches(s, op.expectedRv) ? { exists: false, value: undefined, rv: 0, floor: s.floor } : undefined;
      if (!s.exists || !rvMatches(s, op.expectedRv) || rv <= s.floor) return undefined;
      return { exists: false, value: undefined, rv: 0, floor: rv };
  }
}

/** applyInfo steps the model for an `info` write that took effect here (its revision learned from reads when possible). */
function applyInfo(s: State, op: Operation, seenRv: ReadonlyMap<string, number>): State | undefined {
  const known = op.value !== undefined ? seenRv.get(op.value) : undefined;
  const rv = known ?? -1;
  if (known !== undefined && known <= s.floor) return undefined;
  const floor = known ?? s.floor;
  switch (op.kind) {
    case 'create':
      return s.exists ? undefined : { exists: true, value: op.value, rv, floor };
    case 'update':
      return s.exists && rvMatches(s, op.expectedRv) ? { exists: true, value: op.value, rv, floor } : undefined;
    case 'delete':
      return s.exists && rvMatches(s, op.expectedRv) ? { exists: false, value: undefined, rv: 0, floor } : undefined;
    case 'get':
      return s;
  }
}

/** Frame is one level of the depth-first search: the model state there and the next candidate to try. */
interface Frame {
  readonly s: State;
  /** The lowest index whose operation is neither done nor `info`: every non-info operation below it is done. */
  readonly lo: number;
  /** Candidates are below this index: operations invoked before the earliest pending completion (the horizon). */
  readonly end: number;
  /** The set of done operations plus the state, as remembered once refuted. */
  readonly memo: string;
  /** Next position in the list of info operations below `lo` (undone ones may still take effect). */
  infoPos: number;
  /** Next index in [lo, end) to try. */
  next: number;
  /** The operation this frame applied to reach its current child (-1: none). */
  chosen: number;
}

/**
 * checkKey searches one key's operations for a legal linear order. The search is iterative (an explicit stack):
 * the long modes give one key several thousand operations, past what recursion can hold. Each step costs the
 * window of concurrent operations, not the whole history: operations below `lo` are all done (except `info` ones,
 * kept in their own list), and no done operation lies past the horizon.
 */
function checkKey(ops: readonly Operation[], seenRv: ReadonlyMap<string, number>, maxSteps: number): { ok: boolean; undecided: boolean; steps: number } {
  const sorted = [...ops].sort((a, b) => a.invoke - b.invoke);
  const n = sorted.length;
  const done = new Uint8Array(n);
  const isInfo = sorted.map((o) => o.outcome === 'info');
  const infoIdx: number[] = [];
  for (let i = 0; i < n; i++) if (isInfo[i]) infoIdx.push(i);
  let required = n - infoIdx.length;
  const failed = new Set<string>();
  let steps = 0;
  let undecided = false;

  // enter opens a frame at state `s` (true: every required operation is placed; false: refuted or out of budget).
  const enter = (s: State, parentLo: number): Frame | boolean => {
    if (required === 0) return true;
    if (++steps > maxSteps) {
      undecided = true;
      return false;
    }
    let lo = parentLo;
    while (lo < n && (done[lo] === 1 || isInfo[lo] === true)) lo++;
    // The horizon: the earliest completion among pending operations (info ones never complete). Operations are
    // sorted by invocation, so one invoked at or after the horizon ends the scan: it cannot lower it.
    let horizon = Infinity;
    let end = lo;
    let doneInWindow = '';
    for (; end < n; end++) {
      const o = sorted[end];
      if (o === undefined || o.invoke >= horizon) break;
      if (done[end] === 0) {
        if (o.complete < horizon) horizon = o.complete;
      } else doneInWindow += `${end},`;
    }
    let infoDone = '';
    for (const i of infoIdx) {
      if (i >= lo) break;
      if (done[i] === 1) infoDone += `${i},`;
    }
    const memo = `${lo}|${doneInWindow}|${infoDone}|${s.exists ? 1 : 0}|${s.value ?? ''}|${s.rv}|${s.floor}`;
    if (failed.has(memo)) return false;
    return { s, lo, end, memo, infoPos: 0, next: lo, chosen: -1 };
  };
  const undo = (i: number): void => {
    done[i] = 0;
    if (isInfo[i] !== true) required++;
  };

  const root = enter(INITIAL, 0);
  if (typeof root === 'boolean') return { ok: root, undecided, steps };
  const stack: Frame[] = [root];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f === undefined) break;
    if (f.chosen >= 0) {
      undo(f.chosen);
      f.chosen = -1;
    }
    let cand = -1;
    let nextState: State | undefined;
    // Info operations below lo (still pending: they may take effect at any point after their invocation) ...
    while (cand < 0 && f.infoPos < infoIdx.length) {
      const i = infoIdx[f.infoPos] ?? n;
      if (i >= f.lo) {
        f.infoPos = infoIdx.length;
        break;
      }
      f.infoPos++;
      const o = sorted[i];
      if (o === undefined || done[i] === 1) continue;
      nextState = applyInfo(f.s, o, seenRv);
      if (nextState !== undefined) cand = i;
    }
    // ... then every pending operation in the window.
    while (cand < 0 && f.next < f.end) {
      const i = f.next++;
      const o = sorted[i];
      if (o === undefined || done[i] === 1) continue;
      nextState = isInfo[i] === true ? applyInfo(f.s, o, seenRv) : applyKnown(f.s, o);
      if (nextState !== undefined) cand = i;
    }
    if (cand < 0 || nextState === undefined) {
      failed.add(f.memo);
      stack.pop();
      continue;
    }
    done[cand] = 1;
    if (isInfo[cand] !== true) required--;
    f.chosen = cand;
    const child = enter(nextState, f.lo);
    if (child === true) return { ok: true, undecided, steps };
    if (child === false) {
      if (undecided) return { ok: false, undecided, steps };
      continue;
    }
    stack.push(child);
  }
  return { ok: false, undecided, steps };
}

/** checkRegisterHistory checks a whole history (every key) plus the global revision rules. */
export function checkRegisterHistory(history: readonly Operation[], opts: { maxStepsPerKey?: number } = {}): CheckResult {
  // Reads whose answer never arrived constrain nothing.
  const ops = history.filter((o) => !(o.kind === 'get' && o.outcome !== 'ok'));
  const violations: Violation[] = [];
  const undecided: string[] = [];
  const seenRv = new Map<string, number>();
  for (const o of ops) if (o.kind === 'get' && o.outcome === 'ok' && typeof o.read === 'string' && o.rv !== undefined) seenRv.set(o.read, o.rv);

  const writes = ops.filter((o) => o.kind !== 'get' && o.outcome === 'ok' && !(o.kind === 'delete' && o.rv === undefined));
  const byRv = new Map<number, Operation>();
  for (const w of writes) {
    if (w.rv === undefined) {
      violations.push({ key: w.key, reason: `acknowledged ${w.kind} carries no revision`, ops: [w.id] });
      continue;
    }
    const other = byRv.get(w.rv);
    if (other) violations.push({ key: w.key, reason: `revision ${w.rv} given to two writes (${other.key}, ${w.key})`, ops: [other.id, w.id] });
    else byRv.set(w.rv, w);
  }
  // Real-time order of revisions, across keys and restarts: sweep invocations against completions.
  const byInvoke = [...writes].sort((a, b) => a.invoke - b.invoke);
  const byComplete = [...writes].sort((a, b) => a.complete - b.complete);
  let j = 0;
  let maxDone: Operation | undefined;
  for (const w of byInvoke) {
    for (; j < byComplete.length; j++) {
      const c = byComplete[j];
      if (c === undefined || c.complete >= w.invoke) break;
      if (maxDone === undefined || (c.rv ?? 0) > (maxDone.rv ?? 0)) maxDone = c;
    }
    if (maxDone !== undefined && (w.rv ?? 0) <= (maxDone.rv ?? 0)) {
      violations.push({ key: w.key, reason: `revision went back: ${w.kind} got ${w.rv} after a write acknowledged at ${maxDone.rv}`, ops: [maxDone.id, w.id] });
    }
  }

  const perKey = new Map<string, Operation[]>();
  for (const o of ops) {
    const list = perKey.get(o.key) ?? [];
    list.push(o);
    perKey.set(o.key, list);
  }
  let steps = 0;
  for (const [key, list] of perKey) {
    const r = checkKey(list, seenRv, opts.maxStepsPerKey ?? 2_000_000);
    steps += r.steps;
    if (r.undecided) undecided.push(key);
    else if (!r.ok) violations.push({ key, reason: 'no linearization: the key\'s operations fit no sequential order of a register', ops: list.map((o) => o.id) });
  }
  return { ok: violations.length === 0 && undecided.length === 0, operations: ops.length, keys: perKey.size, violations, undecided, steps };
}
