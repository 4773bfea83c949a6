/**
 * FloodProcess: the flood client (flood-client.ts) run as a child process in a session of its own, for the overload
 * suite and bench/fairness.ts. Its own process, because 48 TLS connections' work in the measuring process would
 * delay that process's own timers and reads and be counted as the other user's latency; its own session, because
 * Linux groups the CPU time of a session's processes (sched autogroup): in the measuring session the flood client
 * would take its CPU from the server under test, as a client on another machine does not. Started and stopped as a
 * ChildScript (test/harness/child-script.ts).
 */
import { ChildScript } from '../harness/child-script.js';
import type { FloodResult } from './flood-client.js';

export type { FloodResult } from './flood-client.js';

const CLIENT = 'test/reliability/flood-client.ts';

/** FloodOptions say whom the flood is, what it lists and how it treats a 429. */
export interface FloodOptions {
  readonly url: string;
  readonly token: string;
  readonly caFile: string;
  readonly concurrency: number;
  /** polite: wait Retry-After after a 429 (as client-go does); eager: send again at once. */
  readonly mode: 'polite' | 'eager';
  readonly path: string;
  /** Run in a session of its own (see above); false only to measure what sharing costs. @default true */
  readonly ownSession?: boolean;
}

function isResult(m: unknown): m is { result: FloodResult } {
  return typeof m === 'object' && m !== null && 'result' in m;
}

/** FloodProcess is one running flood client. */
export class FloodProcess {
  readonly #script: ChildScript;

  private constructor(script: ChildScript) {
    this.#script = script;
  }

  /** start launches the client and resolves once it is ready (its connections open on the first flood). */
  static async start(o: FloodOptions): Promise<FloodProcess> {
    const { child } = await ChildScript.start<{ ready: boolean }>(CLIENT, [o.url, o.token, o.caFile, String(o.concurrency), o.mode, o.path], {
      ownSession: o.ownSession ?? true,
    });
    return new FloodProcess(child);
  }

  /** pid of the client process (to read its CPU time). */
  get pid(): number {
    return this.#script.pid;
  }

  /** flood sends requests for `ms` (in `mode`, default the one it started with) and resolves with what it saw. */
  async flood(ms: number, mode?: FloodOptions['mode']): Promise<FloodResult> {
    // Listening before the start, so that an exit mid-flood is reported when awaited below (not as unhandled).
    const result = this.#script.next(isResult, ms + 60_000);
    result.catch(() => undefined);
    this.#script.send({ start: true, ...(mode ? { mode } : {}) });
    await new Promise((r) => setTimeout(r, ms));
    this.#script.send({ stop: true });
    return (await result).result;
  }

  /** close ends the client (stdin closed), killing it by pid if it has not exited within 5 s. */
  close(): Promise<void> {
    return this.#script.stop();
  }
}
