import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { Logger } from '../../base/log/logger.js';
import type { DataDirMigration } from './data-dir-migration.js';
import { readDataDirFormat, writeDataDirFormat } from './data-dir-format.js';
import { migrateDataDir, type MigrateOptions } from './migration-runner.js';
import { refusalOf } from './migrations.js';

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => quiet };

function withDataDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-migrate-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** A fake step that appends its name to `<dir>/ran` (so tests see which steps ran, and how often). */
function step(from: number, name: string, fail?: string): DataDirMigration {
  return {
    from,
    name,
    run: ({ dataDir, backupDir }) => {
      assert.ok(existsSync(backupDir), 'the backup dir is made before the step runs');
      if (fail) throw new Error(fail);
      writeFileSync(join(dataDir, 'ran'), `${name}\n`, { flag: 'a' });
    },
  };
}

function ran(dir: string): string[] {
  return existsSync(join(dir, 'ran')) ? readFileSync(join(dir, 'ran'), 'utf8').trim().split('\n') : [];
}

function opts(dir: string, migrations: DataDirMigration[], latest: number, fresh = false): MigrateOptions {
  return { dataDir: dir, migrations, latest, writtenBy: 'test', fresh, log: quiet };
}

void describe('migrateDataDir', () => {
  void it('takes a data dir without format.json for version 1 and runs every step in order, recording each', () =>
    withDataDir(async (dir) => {
      const out = await migrateDataDir(opts(dir, [step(2, 'b'), step(1, 'a'), step(3, 'c')], 4));
      assert.deepEqual(out, { kind: 'migrated', from: 1, to: 4, steps: ['a', 'b', 'c'] });
      assert.deepEqual(ran(dir), ['a', 'b', 'c']);
      assert.deepEqual(readDataDirFormat(dir), { kind: 'versioned', version: 4, writtenBy: 'test' });
      assert.ok(existsSync(join(dir, 'migrations', '0001-a')));
      // A second start finds it current and runs nothing.
      assert.deepEqual(await migrateDataDir(opts(dir, [step(1, 'a'), step(2, 'b'), step(3, 'c')], 4)), { kind: 'current', version: 4 });
      assert.deepEqual(ran(dir), ['a', 'b', 'c']);
    }));

  void it('starts from the recorded version', () =>
    withDataDir(async (dir) => {
      writeDataDirFormat(dir, 2, 'older');
      const out = await migrateDataDir(opts(dir, [step(1, 'a'), step(2, 'b')], 3));
      assert.equal(out.kind, 'migrated');
      assert.deepEqual(ran(dir), ['b']);
    }));

  void it('leaves the version of the last step that succeeded when one fails mid-way, and resumes there', () =>
    withDataDir(async (dir) => {
      const out = await migrateDataDir(opts(dir, [step(1, 'a'), step(2, 'b', 'disk on fire'), step(3, 'c')], 4));
      assert.deepEqual(out, { kind: 'failed', version: 2, step: 'b', reason: 'disk on fire', completed: ['a'] });
      assert.deepEqual(readDataDirFormat(dir), { kind: 'versioned', version: 2, writtenBy: 'test' });
      assert.deepEqual(ran(dir), ['a']);
      assert.match(refusalOf(dir, out) ?? '', /from on-disk format version 2 to .*step b failed: disk on fire; the data dir stays at version 2/);
      // Fixed: the next start runs b and c only.
      const again = await migrateDataDir(opts(dir, [step(1, 'a'), step(2, 'b'), step(3, 'c')], 4));
      assert.deepEqual(again, { kind: 'migrated', from: 2, to: 4, steps: ['b', 'c'] });
      assert.deepEqual(ran(dir), ['a', 'b', 'c']);
    }));

  void it('a failing first step leaves an unversioned data dir unversioned', () =>
    withDataDir(async (dir) => {
      const out = await migrateDataDir(opts(dir, [step(1, 'a', 'nope')], 2));
      assert.equal(out.kind, 'failed');
      assert.deepEqual(readDataDirFormat(dir), { kind: 'absent' });
    }));

  void it('refuses a data dir from a newer tkube without touching it, naming both versions', () =>
    withDataDir(async (dir) => {
      writeDataDirFormat(dir, 999, '9.9.9');
      const out = await migrateDataDir(opts(dir, [step(1, 'a')], 2));
      assert.deepEqual(out, { kind: 'newer', found: 999, supported: 2, writtenBy: '9.9.9' });
      assert.deepEqual(ran(dir), []);
      assert.deepEqual(readDataDirFormat(dir), { kind: 'versioned', version: 999, writtenBy: '9.9.9' });
      const line = refusalOf(dir, out) ?? '';
      assert.match(line, /on-disk format version 999 \(written by tkube 9\.9\.9\), but this tkube \(.*\) reads format 2 at most: run a tkube at least as new/);
      assert.ok(!line.includes('\n'));
    }));

  void it('stamps a fresh data dir with the latest version without running steps', () =>
    withDataDir(async (dir) => {
      assert.deepEqual(await migrateDataDir(opts(dir, [step(1, 'a')], 2, true)), { kind: 'initialized', version: 2 });
      assert.deepEqual(ran(dir), []);
      assert.equal(readDataDirFormat(dir).kind, 'versioned');
    }));

  void it('refuses a format.json it cannot read and names a step that is missing', () =>
    withDataDir(async (dir) => {
      writeFileSync(join(dir, 'format.json'), '{"version": "two"}');
      const out = await migrateDataDir(opts(dir, [], 2));
      assert.equal(out.kind, 'invalid');
      assert.match(refusalOf(dir, out) ?? '', /cannot read the data dir's format version .*format\.json: expected/);
      writeFileSync(join(dir, 'format.json'), '{"version": 1}');
      const missing = await migrateDataDir(opts(dir, [step(2, 'b')], 3));
      assert.deepEqual(missing, { kind: 'failed', version: 1, step: '(none from version 1)', reason: 'this tkube has no migration from that version', completed: [] });
    }));
});
