/**
 * The data dir's on-disk format version, kept in `<data-dir>/format.json` as `{"version": N, "writtenBy": "0.1.0"}`.
 *
 * A data dir without the file was made by a tkube from before versioning: that layout is version 1. The file is
 * replaced atomically (write, fsync, rename, fsync the directory), so a crash leaves either the old or the new
 * version, never a torn file.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** FORMAT_FILE is the version file's name inside the data dir. */
export const FORMAT_FILE = 'format.json';

/** UNVERSIONED_FORMAT is the version of a data dir made before format.json existed. */
export const UNVERSIONED_FORMAT = 1;

/**
 * FormatReading is what the data dir says about its format: a version, no file at all (`absent`), or a file that
 * cannot be read as one (`invalid`, with the reason).
 */
export type FormatReading =
  | { readonly kind: 'versioned'; readonly version: number; readonly writtenBy?: string }
  | { readonly kind: 'absent' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** formatPath is where the version file of `dataDir` lives. */
export function formatPath(dataDir: string): string {
  return join(dataDir, FORMAT_FILE);
}

/** readDataDirFormat reads `<dataDir>/format.json`; never throws. */
export function readDataDirFormat(dataDir: string): FormatReading {
  const path = formatPath(dataDir);
  if (!existsSync(path)) return { kind: 'absent' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { kind: 'invalid', reason: err instanceof Error ? err.message : String(err) };
  }
  const o = parsed as { version?: unknown; writtenBy?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1) {
    return { kind: 'invalid', reason: 'expected {"version": <integer ≥ 1>}' };
  }
  return { kind: 'versioned', version: o.version, ...(typeof o.writtenBy === 'string' ? { writtenBy: o.writtenBy } : {}) };
}

/** writeDataDirFormat records `version` durably (see the file comment). Throws on an I/O error. */
export function writeDataDirFormat(dataDir: string, version: number, writtenBy: string): void {
  const path = formatPath(dataDir);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ version, writtenBy })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dataDir, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
