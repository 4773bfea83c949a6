/**
 * JSON record files: the small on-disk records the node keeps (runtime records, pod network records, warm
 * namespace entries). A record is written through a temp file and a rename, so a reader — or an agent restarted
 * over the same directory after a kill — sees the old record or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileWorkers } from './file-workers.js';

/** writeJsonAtomic writes `value` as JSON to `path` (creating its directory) through a temp file and a rename. */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

/**
 * writeJsonAtomicAsync is writeJsonAtomic off the event loop, on the process's file worker threads (see
 * file-workers.ts); `path`'s directory must exist. A failed write leaves no temp file.
 */
export function writeJsonAtomicAsync(path: string, value: unknown): Promise<void> {
  return fileWorkers.run([{ op: 'replace', path, data: JSON.stringify(value) }]);
}

/** readJson reads a JSON file; undefined when it is missing or unreadable (callers treat both as "no record"). */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
