/**
 * FloodProcess: the flood client (flood-client.ts) run as a child process in a session of its own, for the overload
 * suite and bench/fairness.ts. Its own process, because 48 TLS connections' work in the measuring process would
 * delay that process's own timers and reads and be counted as the other user's latency; its own session, because
 * Linux groups the CPU time of a session's processes (sched autogroup): in the measuring session the flood client
 * would take its CPU from the server under test, as a client on another machine does not. Stopped by its own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { FloodResult } from './flood-client.js';

export type { FloodResult } from './flood-client.js';

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'flood-client.ts');

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

/** FloodProcess is one running flood client. */
export class FloodProcess {
  readonly #child: ChildProcess;
  #stderr = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.#stderr = (this.#stderr + d).slice(-10_000)));
  }

  /** start launches the client and resolves once it is ready (its connections open on the first flood). */
  static async start(o: FloodOptions): Promise<FloodProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, o.url, o.token, o.caFile, String(o.concurrency), o.mode, o.path], {
      stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
      detached: o.ownSession ?? true,
    });
    const flood = new FloodProcess(child);
    try {
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`Cannot start the flood client: not ready within 60 s:\n${flood.#stderr}`)), 60_000);
        child.stdout?.setEncoding('utf8').once('data', () => {
          clearTimeout(timer);
          done();
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          fail(new Error(`Cannot start the flood client: it exited with ${code}:\n${flood.#stderr}`));
        });
      });
    } catch (err) {
      await flood.close();
      throw err;
    }
    return flood;
  }

  /** pid of the client process (to read its CPU time). */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** flood sends requests for `ms` (in `mode`, default the one it started with) and resolves with what it saw. */
  async flood(ms: number, mode?: FloodOptions['mode']): Promise<FloodResult> {
    const result = new Promise<FloodResult>((done, fail) => {
      const onMessage = (m: { result?: FloodResult }): void => {
        if (!m.result) return;
        this.#child.off('message', onMessage);
        done(m.result);
      };
      this.#child.on('message', onMessage);
      this.#child.once('exit', (code) => fail(new Error(`The flood client exited with ${code}:\n${this.#stderr}`)));
    });
    this.#child.send({ start: true, ...(mode ? { mode } : {}) });
    await new Promise((r) => setTimeout(r, ms));
    this.#child.send({ stop: true });
    return result;
  }

  /** close ends the client (stdin closed), killing it by pid if it has not exited within 5 s. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
