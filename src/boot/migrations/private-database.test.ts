import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { TKUBE_VERSION } from '../../api/version.js';
import type { Logger } from '../../base/log/logger.js';
import { readDataDirFormat } from './data-dir-format.js';
import { DATA_DIR_FORMAT_VERSION, ensureDataDirFormat } from './migrations.js';
import { privateDatabase } from './private-database.js';

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => quiet };

const modeOf = (p: string): number => statSync(p).mode & 0o777;

void describe('private-database (format 1 → 2)', () => {
  void it('makes db/ 0700 and its files 0600, keeps the old modes, and is idempotent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-migrate-'));
    try {
      // What a tkube before format 2 left: db/ 0755, state.db and its WAL 0644.
      mkdirSync(join(dir, 'db'));
      chmodSync(join(dir, 'db'), 0o755);
      for (const f of ['state.db', 'state.db-wal']) writeFileSync(join(dir, 'db', f), 'x', { mode: 0o644 });
      mkdirSync(join(dir, 'tls'), { mode: 0o700 });
      const outcome = await ensureDataDirFormat(dir, quiet);
      assert.deepEqual(outcome, { kind: 'migrated', from: 1, to: DATA_DIR_FORMAT_VERSION, steps: ['private-database'] });
      assert.equal(modeOf(join(dir, 'db')), 0o700);
      assert.equal(modeOf(join(dir, 'db', 'state.db')), 0o600);
      assert.equal(modeOf(join(dir, 'db', 'state.db-wal')), 0o600);
      assert.equal(readFileSync(join(dir, 'db', 'state.db'), 'utf8'), 'x', 'contents untouched');
      const backup = join(dir, 'migrations', '0001-private-database', 'modes.json');
      const modes = JSON.parse(readFileSync(backup, 'utf8')) as Record<string, string>;
      assert.deepEqual(modes, { [join(dir, 'db')]: '0755', [join(dir, 'db', 'state.db')]: '0644', [join(dir, 'db', 'state.db-wal')]: '0644' });
      assert.deepEqual(readDataDirFormat(dir), { kind: 'versioned', version: DATA_DIR_FORMAT_VERSION, writtenBy: TKUBE_VERSION });
      // Run again over its own result (a crash before the version was recorded): nothing changes, the backup keeps the originals.
      await privateDatabase.run({ dataDir: dir, backupDir: join(dir, 'migrations', '0001-private-database'), log: quiet });
      assert.deepEqual(JSON.parse(readFileSync(backup, 'utf8')), modes);
      assert.equal(modeOf(join(dir, 'db', 'state.db')), 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('passes over a data dir without a SQLite database (etcd datastore), and a fresh one is stamped at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-migrate-'));
    try {
      assert.deepEqual(await ensureDataDirFormat(dir, quiet), { kind: 'initialized', version: DATA_DIR_FORMAT_VERSION });
      rmSync(join(dir, 'format.json'));
      mkdirSync(join(dir, 'tls'));
      assert.equal((await ensureDataDirFormat(dir, quiet)).kind, 'migrated');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('refuses a data dir from a newer tkube with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-migrate-'));
    try {
      writeFileSync(join(dir, 'format.json'), '{"version": 999}');
      await assert.rejects(ensureDataDirFormat(dir, quiet), /^Error: the data dir .* has on-disk format version 999, but this tkube .* reads format 2 at most/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
