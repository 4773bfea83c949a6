/**
 * RegisterWorkload: concurrent clients doing create / get / update-if-resourceVersion / delete-if-resourceVersion
 * on ConfigMaps (one key = one ConfigMap name, one register), every call recorded in a HistoryRecorder for the
 * checkers. Each write stores a value no other write uses (`data.v`), so reads say which write they saw.
 *
 * Keys are either owned (client i only touches its own keys: its knowledge of them is exact, which lets the
 * durability suite say which acknowledged write each key must still hold) or shared (every client picks any key:
 * contention, conflicts, stale preconditions — the linearizability suite).
 *
 * Faults are the test's business: when the server is unreachable a client waits on the ServerGate, so a kill or a
 * pause only turns the calls in flight into `info` operations.
 */
import { setMaxListeners } from 'node:events';
import type { HistoryRecorder, Pending } from '../history/history.js';
import type { ApiAnswer, ApiClient } from './api-client.js';

/** ServerGate tells clients whether the server is up; they wait on it after a refused or lost call. */
export class ServerGate {
  #up = true;
  #waiters: (() => void)[] = [];

  get up(): boolean {
    return this.#up;
  }

  down(): void {
    this.#up = false;
  }

  open(): void {
    this.#up = true;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** waitUp resolves once the gate is open (at once when it is) or `signal` aborts; after `ms` at most. */
  waitUp(signal: AbortSignal, ms = 100): Promise<void> {
    if (this.#up && ms === 0) return Promise.resolve();
    return new Promise((r) => {
      const done = (): void => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        r();
      };
      const t = setTimeout(done, ms);
      if (!this.#up) this.#waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** KeyKnowledge is what a client last learned of a key. */
interface KeyKnowledge {
  exists: boolean;
  rv: number;
}

/** WorkloadStats are the figures of one workload run. */
export interface WorkloadStats {
  ops: number;
  ackedWrites: number;
  conflicts: number;
  infos: number;
  maxAckedRv: number;
}

/** RegisterWorkloadOptions configure the clients. */
export interface RegisterWorkloadOptions {
  readonly api: ApiClient;
  readonly recorder: HistoryRecorder;
  readonly gate: ServerGate;
  readonly namespace: string;
  readonly clients: number;
  /** owned: `keys` per client, touched by that client only; shared: `keys` in all, touched by everyone. */
  readonly keys: number;
  readonly mode: 'owned' | 'shared';
  /** Fraction of calls that are gets. @default 0.2 */
  readonly readRatio?: number;
  /** Fraction of calls that are deletes. @default 0.1 */
  readonly deleteRatio?: number;
  /** Stop after this many calls per client (default: until the signal aborts). */
  readonly opsPerClient?: number;
  readonly random?: () => number;
}

/** keyName names a workload key. */
export function keyName(mode: 'owned' | 'shared', client: number, k: number): string {
  return mode === 'owned' ? `r-c${client}-k${k}` : `r-s${k}`;
}

/** rvOf reads metadata.resourceVersion of a JSON object. */
function parse(body: string): { rv: number; value: string | undefined } {
  const o = JSON.parse(body) as { metadata?: { resourceVersion?: string }; data?: { v?: string } };
  return { rv: Number(o.metadata?.resourceVersion ?? 'NaN'), value: o.data?.v };
}

/** RegisterWorkload runs the clients until `signal` aborts (or each did `opsPerClient` calls). */
export class RegisterWorkload {
  readonly #o: RegisterWorkloadOptions;
  readonly #rand: () => number;
  readonly #know = new Map<string, KeyKnowledge>();
  #seq = 0;
  readonly stats: WorkloadStats = { ops: 0, ackedWrites: 0, conflicts: 0, infos: 0, maxAckedRv: 0 };
  /** Unexpected answers (a 4xx the workload never provokes, a 2xx without a revision): a bug, reported by the test. */
  readonly unexpected: string[] = [];
  /** Every value a write tried to store. */
  readonly attempted = new Set<string>();

  constructor(o: RegisterWorkloadOptions) {
    this.#o = o;
    this.#rand = o.random ?? Math.random;
  }

  /** keys lists every key the workload may touch. */
  keys(): string[] {
    const out: string[] = [];
    if (this.#o.mode === 'shared') for (let k = 0; k < this.#o.keys; k++) out.push(keyName('shared', 0, k));
    else for (let c = 0; c < this.#o.clients; c++) for (let k = 0; k < this.#o.keys; k++) out.push(keyName('owned', c, k));
    return out;
  }

  /** run starts every client and resolves when all stopped. */
  async run(signal: AbortSignal): Promise<void> {
    // Every client may wait on the signal at once.
    setMaxListeners(0, signal);
    await Promise.all(Array.from({ length: this.#o.clients }, (_, c) => this.#client(c, signal)));
  }

  /** forget drops what clients know (after a crash their last calls' fates are unknown); they re-read as needed. */
  forget(): void {
    this.#know.clear();
  }

  async #client(c: number, signal: AbortSignal): Promise<void> {
    const o = this.#o;
    for (let n = 0; !signal.aborted && (o.opsPerClient === undefined || n < o.opsPerClient); n++) {
      const k = Math.floor(this.#rand() * o.keys);
      const key = keyName(o.mode, c, k);
      const know = this.#know.get(key);
      const roll = this.#rand();
      let answer: ApiAnswer;
      if (know === undefined || roll < (o.readRatio ?? 0.2)) answer = await this.get(c, key);
      else if (!know.exists) answer = await this.#create(c, key);
      else if (roll < (o.readRatio ?? 0.2) + (o.deleteRatio ?? 0.1)) answer = await this.#delete(c, key, know.rv);
      else answer = await this.#update(c, key, know.rv);
      if (answer.kind !== 'http' || answer.status >= 500 || answer.status === 429) await o.gate.waitUp(signal);
    }
  }

  #path(key?: string): string {
    return `/api/v1/namespaces/${this.#o.namespace}/configmaps${key === undefined ? '' : `/${key}`}`;
  }

  /**
   * settle records a call's outcome. Refused calls and 429s never reached storage: they are dropped (as if never
   * made). Lost calls and 5xx are `info` for writes (the write may have happened).
   */
  #settle(p: Pending, a: ApiAnswer, ok: (status: number, body: string) => boolean): void {
    this.stats.ops++;
    if (a.kind === 'refused') return;
    if (a.kind === 'http' && a.status === 429) return;
    if (a.kind !== 'http' || a.status >= 500) {
      this.stats.infos++;
      this.#know.delete(p.key);
      this.#o.recorder.info(p);
      return;
    }
    if (!ok(a.status, a.body)) {
      this.unexpected.push(`${p.kind} ${p.key}: ${a.status} ${a.body.slice(0, 300)}`);
      this.#know.delete(p.key);
      this.#o.recorder.info(p);
    }
  }

  #acked(p: Pending, rv: number): void {
    this.stats.ackedWrites++;
    this.stats.maxAckedRv = Math.max(this.stats.maxAckedRv, rv);
    this.#o.recorder.ok(p, { rv });
  }

  /** get reads a key and records the read (also used by the suites for their final reads). */
  async get(c: number, key: string): Promise<ApiAnswer> {
    const p = this.#o.recorder.invoke(c, key, 'get');
    const a = await this.#o.api.send('GET', this.#path(key));
    this.#settle(p, a, (status, body) => {
      if (status === 404) {
        this.#o.recorder.ok(p, { read: null });
        this.#know.set(key, { exists: false, rv: 0 });
        return true;
      }
      if (status !== 200) return false;
      const { rv, value } = parse(body);
      if (!Number.isFinite(rv) || value === undefined) return false;
      this.#o.recorder.ok(p, { read: value, rv });
      this.#know.set(key, { exists: true, rv });
      return true;
    });
    return a;
  }

  #value(c: number): string {
    const v = `v${c}-${this.#seq++}`;
    this.attempted.add(v);
    return v;
  }

  async #create(c: number, key: string): Promise<ApiAnswer> {
    const value = this.#value(c);
    const p = this.#o.recorder.invoke(c, key, 'create', { value });
    const a = await this.#o.api.send('POST', this.#path(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: key }, data: { v: value } });
    this.#settle(p, a, (status, body) => {
      if (status === 409) {
        this.stats.conflicts++;
        this.#o.recorder.fail(p, 'exists');
        this.#know.delete(key);
        return true;
      }
      if (status !== 201 && status !== 200) return false;
      const { rv } = parse(body);
      if (!Number.isFinite(rv)) return false;
      this.#acked(p, rv);
      this.#know.set(key, { exists: true, rv });
      return true;
    });
    return a;
  }

  async #update(c: number, key: string, expectedRv: number): Promise<ApiAnswer> {
    const value = this.#value(c);
    const p = this.#o.recorder.invoke(c, key, 'update', { value, expectedRv });
    const a = await this.#o.api.send('PUT', this.#path(key), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: key, resourceVersion: String(expectedRv) }, data: { v: value } });
    this.#settle(p, a, (status, body) => this.#precondition(p, status, body));
    return a;
  }

  async #delete(c: number, key: string, expectedRv: number): Promise<ApiAnswer> {
    const p = this.#o.recorder.invoke(c, key, 'delete', { expectedRv });
    const a = await this.#o.api.send('DELETE', this.#path(key), { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: String(expectedRv) } });
    this.#settle(p, a, (status, body) => this.#precondition(p, status, body));
    return a;
  }

  /** Settles an update or delete: 200 acknowledged, 409 stale precondition, 404 missing. */
  #precondition(p: Pending, status: number, body: string): boolean {
    if (status === 409) {
      this.stats.conflicts++;
      this.#o.recorder.fail(p, 'conflict');
      this.#know.delete(p.key);
      return true;
    }
    if (status === 404) {
      this.#o.recorder.fail(p, 'notfound');
      this.#know.set(p.key, { exists: false, rv: 0 });
      return true;
    }
    if (status !== 200 && status !== 202) return false;
    if (p.kind === 'delete') {
      // A ConfigMap delete answers with a Success Status (as upstream does), which carries no revision.
      this.stats.ackedWrites++;
      this.#o.recorder.ok(p);
      this.#know.set(p.key, { exists: false, rv: 0 });
      return true;
    }
    const { rv } = parse(body);
    if (!Number.isFinite(rv)) return false;
    this.#acked(p, rv);
    this.#know.set(p.key, { exists: true, rv });
    return true;
  }
}
