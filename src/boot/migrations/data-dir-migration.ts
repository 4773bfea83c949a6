/**
 * DataDirMigration is one step of the data dir's on-disk format, from version `from` to `from + 1`.
 *
 * Contract for a step:
 *  - **idempotent**: the version is recorded only after the step returns, so a crash (or a failure) part-way runs
 *    the whole step again on the next start, over whatever it had already changed;
 *  - **backs up what it rewrites** into `backupDir` (made for it, kept after success) before changing it;
 *  - throws on failure with a message that says what it could not do; the runner leaves the version at `from`.
 */
import type { Logger } from '../../base/log/logger.js';

/** MigrationContext is what a step gets. */
export interface MigrationContext {
  readonly dataDir: string;
  /** `<data-dir>/migrations/<from>-<name>/`: where the step keeps copies of what it rewrites. */
  readonly backupDir: string;
  readonly log: Logger;
}

/** DataDirMigration: see the file comment. */
export interface DataDirMigration {
  /** The version this step migrates from; it leaves the data dir at `from + 1`. */
  readonly from: number;
  /** A short kebab-case name, used in logs, errors and the backup directory's name. */
  readonly name: string;
  run(ctx: MigrationContext): Promise<void> | void;
}
