/**
 * FileWorkers runs small file system jobs (make a directory, write a file, replace a file through a temp file and a
 * rename) on worker threads of their own, so the event loop goes on while the kernel waits on the disk or on a lock
 * (a cgroup mkdir waits on the kernel's cgroup lock).
 *
 * Why not libuv's thread pool (`fs/promises`): the pool is the whole process's, 4 threads unless UV_THREADPOOL_SIZE
 * is set before its first use — and an ES module entry has used it (to read the module) before any of our code
 * runs. The datastore's fdatasync of every API write runs there, and a 200-pod burst put ~30 small file jobs per pod
 * start in the same queue (issue 6, session 10: measured slower than the synchronous calls). A job here is one
 * message to a worker and one back, whatever its number of steps, so a pod start's records and directories cost a
 * few messages instead of dozens of pool round trips, each waiting for its turn of the event loop.
 *
 * Contract: `run` resolves once every step of the job is done, in order, on one thread; it rejects with an Error
 * carrying the failing step's `code` (ENOENT, EEXIST, …) at the first step that fails and is not `optional` (the
 * steps after it are not run; a `replace` that failed leaves no temp file). Jobs given to `run` one after another
 * may run at the same time on different threads: a caller that needs an order awaits. Threads start on first use
 * and end after `idleMs` without jobs (an idle node keeps no thread's memory). A thread that dies fails its jobs;
 * the next job starts a new one.
 */
import { Worker } from 'node:worker_threads';

/** One step of a job. */
export type FileStep =
  /** mkdir -p; with `optional` a failure is ignored (e.g. a cgroup hierarchy that is not mounted). */
  | { readonly op: 'mkdir'; readonly path: string; readonly optional?: boolean }
  /** Writes (creates or truncates) the file. */
  | { readonly op: 'write'; readonly path: string; readonly data: string; readonly optional?: boolean }
  /** Writes `<path>.<random>.tmp` and renames it over `path`: readers see the old file or the new one, whole. */
  | { readonly op: 'replace'; readonly path: string; readonly data: string; readonly optional?: boolean };

/** FileJobError is a failed step, shaped as Node's fs errors (callers read `code`). */
export class FileJobError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'FileJobError';
    this.code = code;
  }
}

/** The worker's loop (a CommonJS script, evaluated: nothing to find on disk beside the bundle). */
const WORKER_SCRIPT = String.raw`
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { randomBytes } = require('node:crypto');
function step(s) {
  if (s.op === 'mkdir') fs.mkdirSync(s.path, { recursive: true });
  else if (s.op === 'write') fs.writeFileSync(s.path, s.data);
  else if (s.op === 'replace') {
    const tmp = s.path + '.' + randomBytes(4).toString('hex') + '.tmp';
    try {
      fs.writeFileSync(tmp, s.data);
      fs.renameSync(tmp, s.path);
    } catch (e) {
      try { fs.rmSync(tmp, { force: true }); } catch {}
      throw e;
    }
  } else throw Object.assign(new Error('unknown file step ' + s.op), { code: 'EINVAL' });
}
parentPort.on('message', (m) => {
  let error;
  for (const s of m.steps) {
    try { step(s); } catch (e) {
      if (s.optional) continue;
      error = { message: String(e && e.message), code: e && e.code };
      break;
    }
  }
  parentPort.postMessage(error ? { id: m.id, error } : { id: m.id });
});
`;

interface Pending {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/** FileWorkers: see the file comment. */
export class FileWorkers {
  readonly #size: number;
  readonly #idleMs: number;
  readonly #threads: Thread[] = [];
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;

  /**
   * `threads`: at most this many worker threads (8: a cgroup mkdir can hold one for long, and a thread costs memory
   * only while jobs come); `idleMs`: threads end after this long with no job.
   */
  constructor(opts: { threads?: number; idleMs?: number } = {}) {
    this.#size = Math.max(1, opts.threads ?? 8);
    this.#idleMs = opts.idleMs ?? 10_000;
  }

  /** run runs one job (see the contract above). */
  run(steps: readonly FileStep[]): Promise<void> {
    if (steps.length === 0) return Promise.resolve();
    const thread = this.#pick();
    const id = this.#nextId++;
    if (this.#idleTimer) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    return new Promise<void>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      // A thread with jobs holds the process open (their callers wait); an idle one does not.
      thread.worker.ref();
      thread.worker.postMessage({ id, steps });
    });
  }

  /** threadCount is how many threads run now (0 when idle for idleMs). */
  get threadCount(): number {
    return this.#threads.length;
  }

  /** close ends every thread now; their unfinished jobs are rejected. */
  async close(): Promise<void> {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** #pick is the thread with the fewest jobs, or a new one while there are fewer than `threads` and all are busy. */
  #pick(): Thread {
    let best: Thread | undefined;
    for (const t of this.#threads) if (!best || t.pending.size < best.pending.size) best = t;
    if (best && (best.pending.size === 0 || this.#threads.length >= this.#size)) return best;
    return this.#start();
  }

  #start(): Thread {
    const worker = new Worker(WORKER_SCRIPT, { eval: true, name: 'tkube-file-worker' });
    const thread: Thread = { worker, pending: new Map() };
    this.#threads.push(thread);
    worker.on('message', (m: { id: number; error?: { message: string; code?: string } }) => {
      const p = thread.pending.get(m.id);
      if (!p) return;
      thread.pending.delete(m.id);
      if (m.error) p.reject(new FileJobError(m.error.message, m.error.code));
      else p.resolve();
      if (thread.pending.size === 0) {
        worker.unref();
        this.#armIdle();
      }
    });
    const fail = (err: Error): void => {
      const i = this.#threads.indexOf(thread);
      if (i >= 0) this.#threads.splice(i, 1);
      for (const p of thread.pending.values()) p.reject(err);
      thread.pending.clear();
    };
    worker.on('error', (err) => fail(new FileJobError(`File worker failed: ${err.message}`, undefined)));
    worker.on('exit', (code) => fail(new FileJobError(`File worker exited (${code})`, undefined)));
    return thread;
  }

  /** #armIdle ends the threads once none has had a job for idleMs. */
  #armIdle(): void {
    if (this.#idleTimer || this.#threads.some((t) => t.pending.size > 0)) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#threads.some((t) => t.pending.size > 0)) return;
      void this.close();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }
}

/** fileWorkers is the process's one set of file threads (started on first use). */
export const fileWorkers = new FileWorkers();
