/**
 * Snapshots of a cluster's state (`tkube snapshot save|restore`): a point-in-time copy of the datastore plus the
 * data dir's key material (`tls/`: CA, serving and service-account keys; `cred/`: the encryption-at-rest key), so a
 * snapshot restored into a fresh data dir serves the same objects, readable secrets included, to the same clients.
 *
 * The datastore copy is SQLite's online backup API (a consistent copy of the file) or etcd's snapshot API (its
 * database at one revision, the file `etcdctl snapshot restore` takes).
 *
 * File format (one file, written to FILE.tmp and renamed):
 *   "TKUBE-SNAPSHOT 1\n" + one JSON line (SnapshotHeader) + the database bytes + each file's bytes, in header order.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';

import Database from 'better-sqlite3';

import { EtcdStorage, type EtcdStorageOptions } from '../storage/etcd/etcd-storage.js';
import { resolveDatastore, type DatastoreConfig } from './datastore.js';

const MAGIC = 'TKUBE-SNAPSHOT 1\n';
/** The data dir folders whose files travel with a snapshot. */
const KEY_MATERIAL_DIRS = ['tls', 'cred'];

/** SnapshotHeader describes what follows it. */
interface SnapshotHeader {
  readonly datastore: 'sqlite' | 'etcd';
  readonly createdAt: string;
  readonly databaseBytes: number;
  readonly files: readonly { readonly path: string; readonly mode: number; readonly bytes: number }[];
}

/** SnapshotSummary is what save and restore report. */
export interface SnapshotSummary {
  readonly datastore: 'sqlite' | 'etcd';
  readonly databaseBytes: number;
  readonly files: number;
  /** Where the database went (restore). */
  readonly databasePath?: string;
}

/** saveSnapshot writes a snapshot of the configured datastore and the data dir's key material to `file`. */
export async function saveSnapshot(config: DatastoreConfig, file: string): Promise<SnapshotSummary> {
  const target = resolve(file);
  const dbTmp = `${target}.db.tmp`;
  const tmp = `${target}.tmp`;
  try {
    const ds = resolveDatastore(config);
    if (ds.kind === 'sqlite') await backupSqlite(ds.path, dbTmp);
    else await backupEtcd(ds.options, dbTmp);
    const files = keyMaterial(config.dataDir);
    const header: SnapshotHeader = {
      datastore: ds.kind,
      createdAt: new Date().toISOString(),
      databaseBytes: statSync(dbTmp).size,
      files: files.map((f) => ({ path: f.path, mode: f.mode, bytes: f.bytes })),
    };
    const out = createWriteStream(tmp, { mode: 0o600 });
    out.write(MAGIC + JSON.stringify(header) + '\n');
    await pipeline(createReadStream(dbTmp), out, { end: false });
    for (const f of files) out.write(readFileSync(join(config.dataDir, f.path)));
    out.end();
    await once(out, 'finish');
    renameSync(tmp, target);
    return { datastore: ds.kind, databaseBytes: header.databaseBytes, files: files.length };
  } finally {
    rmSync(dbTmp, { force: true });
    rmSync(tmp, { force: true });
  }
}

/**
 * restoreSnapshot unpacks `file` into a fresh data dir: the key material, and the database as `db/state.db` (SQLite,
 * used by `tkube server --data-dir D` as is) or `db/etcd-snapshot.db` (etcd: restore it with `etcdctl snapshot
 * restore` into a new etcd data dir, start etcd on it and point `--datastore-endpoint` there).
 */
export async function restoreSnapshot(file: string, dataDir: string): Promise<SnapshotSummary> {
  const { header, offset } = readHeader(resolve(file));
  const dir = resolve(dataDir);
  for (const taken of ['db/state.db', 'tls', 'cred']) {
    if (existsSync(join(dir, taken))) throw new Error(`Cannot restore into ${dir}: it already has ${taken}; restore into a fresh data dir`);
  }
  mkdirSync(join(dir, 'db'), { recursive: true, mode: 0o700 });
  const databasePath = join(dir, 'db', header.datastore === 'sqlite' ? 'state.db' : 'etcd-snapshot.db');
  let at = offset;
  await copyRange(file, at, header.databaseBytes, databasePath, 0o600);
  at += header.databaseBytes;
  for (const f of header.files) {
    const path = resolve(dir, f.path);
    if (relative(dir, path).startsWith('..')) throw new Error(`Cannot restore ${f.path}: it points outside the data dir`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    await copyRange(file, at, f.bytes, path, f.mode & 0o777);
    at += f.bytes;
  }
  return { datastore: header.datastore, databaseBytes: header.databaseBytes, files: header.files.length, databasePath };
}

/** backupSqlite copies a SQLite database consistently; a running server holds it exclusively, so this needs it stopped. */
async function backupSqlite(path: string, dest: string): Promise<void> {
  if (!existsSync(path)) throw new Error(`Cannot snapshot ${path}: no such database`);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 1000 });
    // A read takes the shared lock up front, so a server holding the file fails here within the timeout; the backup
    // API itself would keep retrying a busy database.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    await db.backup(dest);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/locked|busy/i.test(msg)) throw new Error(`Cannot snapshot ${path}: a running tkube server holds it; stop the server first`);
    throw new Error(`Cannot snapshot ${path}: ${msg}`);
  } finally {
    db?.close();
  }
}

async function backupEtcd(options: EtcdStorageOptions, dest: string): Promise<void> {
  const storage = await EtcdStorage.open(options);
  const out = createWriteStream(dest, { mode: 0o600 });
  try {
    await storage.snapshot((chunk) => void out.write(chunk));
  } finally {
    out.end();
    await once(out, 'finish');
    await storage.close();
  }
}

/** keyMaterial lists the files under the data dir's key folders. */
function keyMaterial(dataDir: string): { path: string; mode: number; bytes: number }[] {
  const out: { path: string; mode: number; bytes: number }[] = [];
  const walk = (rel: string): void => {
    const abs = join(dataDir, rel);
    if (!existsSync(abs)) return;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const p = join(rel, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const st = statSync(join(dataDir, p));
        out.push({ path: p, mode: st.mode & 0o777, bytes: st.size });
      }
    }
  };
  for (const d of KEY_MATERIAL_DIRS) walk(d);
  return out;
}

function readHeader(file: string): { header: SnapshotHeader; offset: number } {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1024 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n);
    if (head.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) throw new Error(`Cannot restore ${file}: not a tkube snapshot`);
    const end = head.indexOf(0x0a, MAGIC.length);
    if (end < 0) throw new Error(`Cannot restore ${file}: its header is damaged`);
    const header = JSON.parse(head.subarray(MAGIC.length, end).toString('utf8')) as SnapshotHeader;
    if ((header.datastore !== 'sqlite' && header.datastore !== 'etcd') || !Array.isArray(header.files)) throw new Error(`Cannot restore ${file}: its header is damaged`);
    const offset = end + 1;
    const total = offset + header.databaseBytes + header.files.reduce((a, f) => a + f.bytes, 0);
    if (statSync(file).size !== total) throw new Error(`Cannot restore ${file}: it is truncated or damaged (${statSync(file).size} bytes, want ${total})`);
    return { header, offset };
  } finally {
    closeSync(fd);
  }
}

async function copyRange(file: string, start: number, bytes: number, dest: string, mode: number): Promise<void> {
  if (bytes === 0) {
    writeFileSync(dest, '', { mode });
    return;
  }
  await pipeline(createReadStream(file, { start, end: start + bytes - 1 }), createWriteStream(dest, { mode }));
}
