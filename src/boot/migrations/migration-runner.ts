/**
 * migrateDataDir brings a data dir to the format this tkube writes, one recorded step at a time:
 *   read format.json (absent: version 1, or the latest for a data dir nothing has used yet) → refuse a version newer
 *   than this tkube knows → run each step from the found version up, recording `from + 1` after each succeeds.
 * A step that fails leaves the version at the last step that succeeded, so the next start resumes there; steps are
 * idempotent (data-dir-migration.ts) because a crash between a step and its record runs it again.
 *
 * Outcomes are values: boot (migrations.ts) turns the refusals into one line for the user.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { Logger } from '../../base/log/logger.js';
import type { DataDirMigration } from './data-dir-migration.js';
import { readDataDirFormat, UNVERSIONED_FORMAT, writeDataDirFormat } from './data-dir-format.js';

/** MigrationOutcome is what migrateDataDir found and did. */
export type MigrationOutcome =
  /** Already at `version`; nothing ran. */
  | { readonly kind: 'current'; readonly version: number }
  /** A data dir nothing had used yet: stamped with the latest version, no step ran. */
  | { readonly kind: 'initialized'; readonly version: number }
  /** Steps ran and each was recorded; the data dir is now at `to`. */
  | { readonly kind: 'migrated'; readonly from: number; readonly to: number; readonly steps: readonly string[] }
  /** Written by a newer tkube: nothing was touched. */
  | { readonly kind: 'newer'; readonly found: number; readonly supported: number; readonly writtenBy?: string }
  /** format.json exists but is not a version record: nothing was touched. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** Step `step` failed; the data dir is left at `version` (its steps in `completed` were recorded). */
  | { readonly kind: 'failed'; readonly version: number; readonly step: string; readonly reason: string; readonly completed: readonly string[] };

/** MigrateOptions say which data dir, which steps and which version is the newest. */
export interface MigrateOptions {
  readonly dataDir: string;
  /** The steps, one per version from 1 to `latest - 1` (any order). */
  readonly migrations: readonly DataDirMigration[];
  /** The format this tkube writes. */
  readonly latest: number;
  /** Recorded in format.json beside the version (this tkube's version). */
  readonly writtenBy: string;
  /**
   * True when the data dir holds nothing a tkube made (a new or empty directory): it is stamped with `latest` at
   * once instead of being taken for a version-1 dir.
   */
  readonly fresh: boolean;
  readonly log: Logger;
}

/** migrateDataDir: see the file comment. Only an I/O error recording a version after a step succeeded throws. */
export async function migrateDataDir(opts: MigrateOptions): Promise<MigrationOutcome> {
  const reading = readDataDirFormat(opts.dataDir);
  if (reading.kind === 'invalid') return { kind: 'invalid', reason: reading.reason };
  if (reading.kind === 'absent' && opts.fresh) {
    writeDataDirFormat(opts.dataDir, opts.latest, opts.writtenBy);
    return { kind: 'initialized', version: opts.latest };
  }
  const found = reading.kind === 'versioned' ? reading.version : UNVERSIONED_FORMAT;
  if (found > opts.latest) {
    return { kind: 'newer', found, supported: opts.latest, ...(reading.kind === 'versioned' && reading.writtenBy ? { writtenBy: reading.writtenBy } : {}) };
  }
  if (found === opts.latest) {
    // An unversioned data dir when version 1 is the latest: record it, so the next tkube knows.
    if (reading.kind === 'absent') writeDataDirFormat(opts.dataDir, found, opts.writtenBy);
    return { kind: 'current', version: found };
  }
  const completed: string[] = [];
  for (let version = found; version < opts.latest; version++) {
    const step = opts.migrations.find((m) => m.from === version);
    if (!step) return { kind: 'failed', version, step: `(none from version ${version})`, reason: 'this tkube has no migration from that version', completed };
    const backupDir = join(opts.dataDir, 'migrations', `${String(version).padStart(4, '0')}-${step.name}`);
    opts.log.info('Migrating the data dir', { step: step.name, from: version, to: version + 1, backupDir });
    try {
      mkdirSync(backupDir, { recursive: true, mode: 0o700 });
      await step.run({ dataDir: opts.dataDir, backupDir, log: opts.log });
    } catch (err) {
      return { kind: 'failed', version, step: step.name, reason: err instanceof Error ? err.message : String(err), completed };
    }
    writeDataDirFormat(opts.dataDir, version + 1, opts.writtenBy);
    completed.push(step.name);
  }
  return { kind: 'migrated', from: found, to: opts.latest, steps: completed };
}
