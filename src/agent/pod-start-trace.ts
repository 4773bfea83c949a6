/**
 * PodStartTrace: when each step of a pod's start began and ended, per pod — to find where a burst of pod starts
 * queues up (issue 6: how many pods are inside each step at once, over time). The kubelet, the runc runtime and the
 * host command runner report steps; `bench/pod-start-trace.ts` reads the file and prints durations and concurrency.
 *
 * Off by default (`NO_POD_START_TRACE`, one call per step that does nothing). Boot turns it on when
 * `TKUBE_POD_START_TRACE=<file>` is set: JSON lines `{"k":<key>,"s":<step>,"t0":<ms>,"t1":<ms>[,"n":<name>]}`,
 * times in ms since the epoch with sub-ms precision, buffered in memory and appended every half second (a burst
 * writes thousands of lines; one write each would be a synchronous file call each on the event loop).
 */
import { appendFileSync } from 'node:fs';

/** PodStartTrace records the steps of pod starts; see the file comment. */
export interface PodStartTrace {
  /** begin marks the start of `step` for `key` (a pod UID, or `cmd` for host commands) and returns its end. */
  begin(key: string, step: string): () => void;
  /** mark records an instant, with a name (the pod's name when the kubelet first sees it). */
  mark(key: string, step: string, name?: string): void;
  /** close writes out what is buffered and stops recording. */
  close(): void;
}

/** NO_POD_START_TRACE records nothing. */
export const NO_POD_START_TRACE: PodStartTrace = {
  begin: () => () => undefined,
  mark: () => undefined,
  close: () => undefined,
};

/** nowMs is the wall clock with sub-ms precision, comparable between processes (the bench's and the server's). */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** FilePodStartTrace appends the records to a file; see the file comment. */
export class FilePodStartTrace implements PodStartTrace {
  readonly #path: string;
  #lines: string[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(path: string) {
    this.#path = path;
    this.#timer = setInterval(() => this.flush(), 500);
    this.#timer.unref();
  }

  begin(key: string, step: string): () => void {
    const t0 = nowMs();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#lines.push(JSON.stringify({ k: key, s: step, t0: round(t0), t1: round(nowMs()) }));
    };
  }

  mark(key: string, step: string, name?: string): void {
    const t = round(nowMs());
    this.#lines.push(JSON.stringify({ k: key, s: step, t0: t, t1: t, ...(name !== undefined ? { n: name } : {}) }));
  }

  /** flush appends what is buffered (also done every half second). A write that fails drops the lines. */
  flush(): void {
    if (this.#lines.length === 0) return;
    const text = this.#lines.join('\n') + '\n';
    this.#lines = [];
    try {
      appendFileSync(this.#path, text);
    } catch {
      // A diagnostic aid only: a trace that cannot be written must not disturb the node.
    }
  }

  /** close flushes and stops the timer. */
  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** podStartTraceFromEnv is the trace `TKUBE_POD_START_TRACE` asks for (a FilePodStartTrace), else the no-op one. */
export function podStartTraceFromEnv(env: NodeJS.ProcessEnv = process.env): PodStartTrace {
  const path = env['TKUBE_POD_START_TRACE'];
  return path !== undefined && path !== '' ? new FilePodStartTrace(path) : NO_POD_START_TRACE;
}
