/**
 * AuditLogWriter: audit events as JSON lines, to stdout (`-`) or to a file that rotates by size. Rotation follows
 * upstream's (lumberjack's) naming: the full file is renamed to `<name>-<UTC time>.<ext>` (time as
 * `2006-01-02T15-04-05.000`), a new file is started, and only the newest `maxBackups` rotated files are kept.
 * Writes are synchronous appends, so an event is in the file (page cache) when write() returns, and a crash never
 * leaves half a line behind a complete one. The file is created with mode 0600: audit data is sensitive.
 */
import { closeSync, fstatSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** AuditLogWriterConfig configures the destination and rotation. */
export interface AuditLogWriterConfig {
  /** File path, or "-" for stdout. */
  readonly path: string;
  /** Rotate when a write would take the file past this many bytes; 0 = never. @default 0 */
  readonly maxSizeBytes?: number;
  /** Rotated files to keep; 0 = keep all. @default 0 */
  readonly maxBackups?: number;
  /** Time source for backup names. @default Date.now */
  readonly now?: () => number;
}

function backupTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '').replace(/:/g, '-');
}

/** AuditLogWriter appends JSON lines with size-based rotation. */
export class AuditLogWriter {
  readonly #c: AuditLogWriterConfig;
  #fd: number | undefined;
  #size = 0;

  constructor(config: AuditLogWriterConfig) {
    this.#c = config;
    if (config.path !== '-') this.#open();
  }

  #open(): void {
    this.#fd = openSync(this.#c.path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  /** write appends one event as a line. */
  write(event: unknown): void {
    const line = Buffer.from(`${JSON.stringify(event)}\n`);
    if (this.#c.path === '-') {
      process.stdout.write(line);
      return;
    }
    const max = this.#c.maxSizeBytes ?? 0;
    if (max > 0 && this.#size > 0 && this.#size + line.length > max) this.#rotate();
    if (this.#fd === undefined) this.#open();
    this.#size += writeSync(this.#fd ?? 0, line);
  }

  #rotate(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    const ext = extname(this.#c.path);
    const stem = basename(this.#c.path, ext);
    const dir = dirname(this.#c.path);
    let target = join(dir, `${stem}-${backupTime((this.#c.now ?? Date.now)())}${ext}`);
    // Two rotations in one millisecond must not overwrite each other.
    for (let n = 1; this.#exists(target); n++) target = join(dir, `${stem}-${backupTime((this.#c.now ?? Date.now)())}.${n}${ext}`);
    renameSync(this.#c.path, target);
    this.#open();
    this.#prune(dir, stem, ext);
  }

  #exists(path: string): boolean {
    try {
      closeSync(openSync(path, 'r'));
      return true;
    } catch {
      return false;
    }
  }

  #prune(dir: string, stem: string, ext: string): void {
    const keep = this.#c.maxBackups ?? 0;
    if (keep <= 0) return;
    const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}(\\.\\d+)?${ext.replace('.', '\\.')}$`);
    const backups = readdirSync(dir).filter((f) => pattern.test(f)).sort();
    for (const old of backups.slice(0, Math.max(0, backups.length - keep))) rmSync(join(dir, old), { force: true });
  }

  /** close releases the file. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
