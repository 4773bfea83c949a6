/**
 * JSON record files: the small on-disk records the node keeps (runtime records, pod network records, warm
 * namespace entries). A record is written through a temp file and a rename, so a reader — or an agent restarted
 * over the same directory after a kill — sees the old record or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** writeJsonAtomic writes `value` as JSON to `path` (creating its directory) through a temp file and a rename. */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

/** readJson reads a JSON file; undefined when it is missing or unreadable (callers treat both as "no record"). */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
