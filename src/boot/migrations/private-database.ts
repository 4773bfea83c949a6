/**
 * Format 1 → 2, "private-database": the SQLite database was the one part of the data dir not kept private. tls/,
 * cred/, logs/ and manifests/ are 0700 with 0600 files, but SQLite made `db/` 0755 and `state.db` (with its -wal
 * and -shm files, which inherit the database's mode) 0644 under the umask, although the file holds every object of
 * the cluster. Only the data dir's own 0700 kept other users out, and nothing did once the directory was
 * copied, restored from a snapshot, or made by an administrator with looser permissions.
 *
 * The step makes `db/` 0700 and every file directly in it 0600 (the embedded etcd member's own directory is made
 * 0700 by etcd's rules already and is left alone). Since format 2, SqliteStorage creates new databases that way.
 * What it rewrites is metadata, not contents: the previous modes are kept in `<backupDir>/modes.json`
 * (`{"<path>": "0644", …}`), the first run's record winning, so `chmod` can restore them by hand.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { DataDirMigration, MigrationContext } from './data-dir-migration.js';

const GROUP_OTHER_BITS = 0o077;

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/** privateDatabase: see the file comment. */
export const privateDatabase: DataDirMigration = {
  from: 1,
  name: 'private-database',
  run(ctx: MigrationContext): void {
    const db = join(ctx.dataDir, 'db');
    if (!existsSync(db)) return;
    const wanted: { path: string; mode: number }[] = [{ path: db, mode: 0o700 }];
    for (const entry of readdirSync(db, { withFileTypes: true })) {
      if (entry.isFile()) wanted.push({ path: join(db, entry.name), mode: 0o600 });
    }
    const changes = wanted
      .map((w) => ({ ...w, current: statSync(w.path).mode & 0o777 }))
      .filter((w) => (w.current & GROUP_OTHER_BITS) !== 0);
    if (changes.length === 0) return;
    // Back up first: a crash after some chmods re-runs the step, and the first record keeps the original modes.
    const backupFile = join(ctx.backupDir, 'modes.json');
    const previous = existsSync(backupFile) ? (JSON.parse(readFileSync(backupFile, 'utf8')) as Record<string, string>) : {};
    const record: Record<string, string> = { ...Object.fromEntries(changes.map((c) => [c.path, octal(c.current)])), ...previous };
    writeFileSync(backupFile, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    for (const c of changes) chmodSync(c.path, c.mode);
    ctx.log.info('Made the database private', { files: changes.map((c) => `${c.path} ${octal(c.current)} → ${octal(c.mode)}`) });
  },
};
