/**
 * The logs of the background components in a data dir: `logs/server.log` (written by `tkube up`/`init`) and
 * `logs/agent.log` (written by `tkube join`). Read whole with a line limit, or followed as they grow; a file that
 * shrinks (truncated or replaced) is read again from its start.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** LOG_COMPONENTS are the components that keep a log in the data dir. */
export const LOG_COMPONENTS = ['server', 'agent'] as const;
export type LogComponent = (typeof LOG_COMPONENTS)[number];

/** componentLogPath is where a component's background log lives. */
export function componentLogPath(dataDir: string, component: LogComponent): string {
  return join(dataDir, 'logs', `${component}.log`);
}

/** presentLogs lists the components (of those asked for) whose log file exists. */
export function presentLogs(dataDir: string, components: readonly LogComponent[]): LogComponent[] {
  return components.filter((c) => existsSync(componentLogPath(dataDir, c)));
}

/** lastLines keeps the last `n` lines of a text (all of it for n < 0); the result ends with a newline unless empty. */
export function lastLines(text: string, n: number): string {
  if (text === '') return '';
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const kept = n < 0 ? lines : n === 0 ? [] : lines.slice(-n);
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}

/** readFrom reads a file from byte `offset` to its current end. */
function readFrom(path: string, offset: number, size: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/**
 * LogFollower reads a log file in pieces: `poll()` returns what was appended since the last call (the whole file
 * the first time), or everything again after the file shrank. A missing file reads as nothing.
 */
export class LogFollower {
  #offset = 0;

  constructor(readonly path: string) {}

  poll(): string {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      this.#offset = 0;
      return '';
    }
    if (size < this.#offset) this.#offset = 0;
    if (size === this.#offset) return '';
    const chunk = readFrom(this.path, this.#offset, size);
    // Only whole lines go out, so two followed files interleave line by line; a partial last line waits.
    const cut = chunk.lastIndexOf(0x0a);
    if (cut < 0) return '';
    this.#offset += cut + 1;
    return chunk.subarray(0, cut + 1).toString('utf8');
  }
}
