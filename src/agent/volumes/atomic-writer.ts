/**
 * AtomicWriter: how ConfigMap, Secret, projected and downwardAPI volumes are written, upstream's layout, so a
 * reader inside the container never sees half an update:
 *
 *   <dir>/..2026_12_06_14_26_48.123456/<files>   the payload, one timestamped directory per version
 *   <dir>/..data -> ..2026_12_06_14_26_48.123456  swapped by rename(2), atomically
 *   <dir>/<top-level name> -> ..data/<name>       the paths users see, stable across versions
 *
 * An unchanged payload writes nothing. Paths are relative, with no `..` element and no leading `..`.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** FileProjection is one file of a payload. */
export interface FileProjection {
  readonly data: Buffer;
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
}

const DATA_DIR = '..data';
const DATA_DIR_TMP = '..data_tmp';

/** validatePayloadPath says why a payload path is unsafe, or undefined when it is fine. */
export function validatePayloadPath(p: string): string | undefined {
  if (p === '') return 'invalid path: must not be empty';
  if (p.startsWith('/')) return `invalid path: must be relative path: ${p}`;
  if (p.split('/').includes('..')) return `invalid path: must not contain '..': ${p}`;
  if (p.startsWith('..')) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

function stamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `..${d.getUTCFullYear()}_${two(d.getUTCMonth() + 1)}_${two(d.getUTCDate())}_${two(d.getUTCHours())}_${two(d.getUTCMinutes())}_${two(d.getUTCSeconds())}.`;
}

function currentFiles(root: string): Map<string, { data: Buffer; mode: number }> | undefined {
  const out = new Map<string, { data: Buffer; mode: number }>();
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p, r);
      else out.set(r, { data: readFileSync(p), mode: statSync(p).mode & 0o7777 });
    }
  };
  try {
    walk(root, '');
  } catch {
    return undefined;
  }
  return out;
}

function samePayload(a: ReadonlyMap<string, FileProjection>, b: ReadonlyMap<string, { data: Buffer; mode: number }>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const o = b.get(k);
    if (!o || o.mode !== v.mode || !o.data.equals(v.data)) return false;
  }
  return true;
}

/**
 * writeAtomic makes `dir` show exactly `payload`; resolves to whether anything changed. Throws only on I/O
 * failure or an unsafe path (callers validate paths first to report them as values).
 */
export function writeAtomic(dir: string, payload: ReadonlyMap<string, FileProjection>, nowMs: number): boolean {
  for (const p of payload.keys()) {
    const bad = validatePayloadPath(p);
    if (bad) throw new Error(bad);
  }
  mkdirSync(dir, { recursive: true });
  const dataLink = join(dir, DATA_DIR);
  let oldTarget: string | undefined;
  try {
    oldTarget = readlinkSync(dataLink);
  } catch {
    oldTarget = undefined;
  }
  if (oldTarget !== undefined) {
    const old = currentFiles(join(dir, oldTarget));
    if (old && samePayload(payload, old)) return false;
  }
  const tsDir = mkdtempSync(join(dir, stamp(nowMs)));
  for (const [p, f] of payload) {
    const file = join(tsDir, p);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, f.data);
    chmodSync(file, f.mode);
  }
  chmodSync(tsDir, 0o755);
  const tmpLink = join(dir, DATA_DIR_TMP);
  rmSync(tmpLink, { force: true });
  symlinkSync(tsDir.slice(dir.length + 1), tmpLink);
  renameSync(tmpLink, dataLink);
  const top = new Set([...payload.keys()].map((p) => p.split('/')[0] ?? p));
  for (const name of top) {
    const link = join(dir, name);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join(DATA_DIR, name), link);
  }
  // Names the new version no longer has go; only our own links are touched.
  for (const e of readdirSync(dir)) {
    if (e.startsWith('..') || top.has(e)) continue;
    const link = join(dir, e);
    if (isSymlink(link) && readlinkSync(link).startsWith(`${DATA_DIR}/`)) unlinkSync(link);
  }
  if (oldTarget !== undefined && oldTarget.startsWith('..') && oldTarget !== DATA_DIR) rmSync(join(dir, oldTarget), { recursive: true, force: true });
  return true;
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
