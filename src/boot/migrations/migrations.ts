/**
 * The data dir's format history and the boot-time check: `ensureDataDirFormat` runs at the start of `tkube server`,
 * before anything else reads or writes the data dir (docs/datastore.md, "On-disk format").
 *
 * Adding a format: write the step in its own file (data-dir-migration.ts says what a step must do), append it to
 * DATA_DIR_MIGRATIONS and raise DATA_DIR_FORMAT_VERSION.
 *
 * | version | step from the previous version |
 * |---|---|
 * | 1 | — (every data dir made before format.json) |
 * | 2 | private-database: db/ 0700, its files 0600 |
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { TKUBE_VERSION } from '../../api/version.js';
import type { Logger } from '../../base/log/logger.js';
import type { DataDirMigration } from './data-dir-migration.js';
import { formatPath } from './data-dir-format.js';
import { migrateDataDir, type MigrationOutcome } from './migration-runner.js';
import { privateDatabase } from './private-database.js';

/** DATA_DIR_FORMAT_VERSION is the format this tkube writes and reads. */
export const DATA_DIR_FORMAT_VERSION = 2;

/** DATA_DIR_MIGRATIONS are the steps from version 1 up to DATA_DIR_FORMAT_VERSION. */
export const DATA_DIR_MIGRATIONS: readonly DataDirMigration[] = [privateDatabase];

/**
 * SERVER_STATE are entries only a server that ran writes: a data dir with none of them (new, or holding only files
 * a user or test put there first, such as registries.yaml) is fresh and is stamped with the latest format.
 */
const SERVER_STATE = ['db', 'tls', 'cred', 'server-id', 'admin.kubeconfig'];

/**
 * ensureDataDirFormat migrates `dataDir` to DATA_DIR_FORMAT_VERSION (the directory must exist). Resolves with what
 * it did; throws one plain line, naming both versions and what to do, when the data dir cannot be used.
 */
export async function ensureDataDirFormat(dataDir: string, log: Logger): Promise<MigrationOutcome> {
  const outcome = await migrateDataDir({
    dataDir,
    migrations: DATA_DIR_MIGRATIONS,
    latest: DATA_DIR_FORMAT_VERSION,
    writtenBy: TKUBE_VERSION,
    fresh: !SERVER_STATE.some((name) => existsSync(join(dataDir, name))),
    log,
  });
  const message = refusalOf(dataDir, outcome);
  if (message) throw new Error(message);
  if (outcome.kind === 'migrated') log.info('Data dir migrated', { from: outcome.from, to: outcome.to, steps: outcome.steps.join(',') });
  return outcome;
}

/** refusalOf is the one line for an outcome that stops the start, undefined for one that does not. */
export function refusalOf(dataDir: string, outcome: MigrationOutcome): string | undefined {
  switch (outcome.kind) {
    case 'newer':
      return `the data dir ${dataDir} has on-disk format version ${outcome.found}${outcome.writtenBy ? ` (written by tkube ${outcome.writtenBy})` : ''}, but this tkube (${TKUBE_VERSION}) reads format ${outcome.supported} at most: run a tkube at least as new as the one that wrote it, or give this one a fresh --data-dir`;
    case 'invalid':
      return `cannot read the data dir's format version ${formatPath(dataDir)}: ${outcome.reason}; fix it, or remove it if the data dir was made by a tkube from before format versions (it is then migrated from version 1)`;
    case 'failed':
      return `cannot migrate the data dir ${dataDir} from on-disk format version ${outcome.version} to ${DATA_DIR_FORMAT_VERSION}: step ${outcome.step} failed: ${outcome.reason}; the data dir stays at version ${outcome.version} and the step runs again at the next start`;
    default:
      return undefined;
  }
}
