/**
 * AuditLogWriter: audit events as JSON lines, to stdout (`-`) or to a file that rotates by size and age. Rotation
 * follows upstream's (lumberjack's) naming: the full file is renamed to `<name>-<UTC time>.<ext>` (time as
 * `2006-01-02T15-04-05.000`), a new file is started, and only the newest `maxBackups` rotated files younger than
 * `maxAgeMs` are kept.
 *
 * Writes are buffered, as upstream's buffered audit backend: write() only serialises the event and queues the line,
 * so the request that produced it never waits on the disk. Queued lines are written in batches, one asynchronous
 * write at a time, the first BATCH_DELAY_MS after a line is queued into an empty queue (at once when the queue holds
 * BATCH_BYTES): each write hands work to a thread-pool thread and back, and a line per request made that hand-off
 * once per request, which costs the event loop a scheduling delay on a busy machine. Lines are whole in every write,
 * so a crash never leaves half a line behind a complete one; what a crash (kill -9) can lose is the lines still
 * queued — at most the events of the last moment. close() writes everything queued before it returns, so a graceful
 * stop loses nothing. When the queue exceeds `maxBufferedBytes` (the disk cannot keep up), new events are dropped and counted
 * rather than letting memory grow without bound. The file is created with mode 0600: audit data is sensitive.
 */
import { closeSync, fstatSync, openSync, readdirSync, renameSync, rmSync, write as fsWrite, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** AuditLogWriterConfig configures the destination, rotation and buffering. */
export interface AuditLogWriterConfig {
  /** File path, or "-" for stdout. */
  readonly path: string;
  /** Rotate when a write would take the file past this many bytes; 0 = never. @default 0 */
  readonly maxSizeBytes?: number;
  /** Rotated files to keep; 0 = keep all. @default 0 */
  readonly maxBackups?: number;
  /** Rotated files older than this (by the time in their name) are removed at the next rotation; 0 = keep. @default 0 */
  readonly maxAgeMs?: number;
  /** Queued bytes beyond which new events are dropped. @default 64 MiB */
  readonly maxBufferedBytes?: number;
  /** Time source for backup names and ages. @default Date.now */
  readonly now?: () => number;
  /**
   * Called when a batch cannot be written or events are dropped; the writer carries on (the next batch tries again).
   * Called once per outage: not again until a batch has been written.
   */
  readonly onError?: (err: unknown) => void;
}

const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * How long a queued line waits for others before its batch is written: several requests' worth at one client's
 * pace (a create takes 1–3 ms), short enough that a kill -9 loses only the last moment's events.
 */
const BATCH_DELAY_MS = 10;

/** Queued bytes that start a write at once, without waiting for BATCH_DELAY_MS. */
const BATCH_BYTES = 256 * 1024;
const BACKUP_TIME = /-(\d{4}-\d\d-\d\dT\d\d)-(\d\d)-(\d\d\.\d{3})(?:\.\d+)?$/;

function backupTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '').replace(/:/g, '-');
}

/** AuditLogWriter appends JSON lines through a bounded in-memory queue, with size- and age-based rotation. */
export class AuditLogWriter {
  readonly #c: AuditLogWriterConfig;
  #fd: number | undefined;
  #size = 0;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  /** The batch being written, when one is; drained() waits for it. */
  #inFlight: Promise<void> | undefined;
  /** The timer that writes the queued lines (see BATCH_DELAY_MS), while one is set. */
  #scheduled: NodeJS.Timeout | undefined;
  /** Set by close(): no new batches start; close() writes the rest itself. */
  #closing: Promise<void> | undefined;
  #closed = false;
  #dropped = 0;
  #failing = false;

  constructor(config: AuditLogWriterConfig) {
    this.#c = config;
    // Opened at once so that a bad path is a start-up error, not a silent loss later.
    if (config.path !== '-') this.#open();
  }

  /** dropped counts the events lost because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  #open(): void {
    this.#fd = openSync(this.#c.path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  /** write queues one event as a line; it never blocks on the disk and never throws for I/O. */
  write(event: unknown): void {
    if (this.#closed) return;
    const line = Buffer.from(`${JSON.stringify(event)}\n`);
    if (this.#c.path === '-') {
      process.stdout.write(line);
      return;
    }
    if (this.#queuedBytes + line.length > (this.#c.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES)) {
      this.#dropped++;
      this.#report(new Error(`audit log queue full: ${this.#dropped} events dropped so far`));
      return;
    }
    this.#queue.push(line);
    this.#queuedBytes += line.length;
    if (this.#inFlight !== undefined) return; // its completion writes what queued meanwhile
    // #pump clears the timer itself.
    if (this.#queuedBytes >= BATCH_BYTES) this.#pump();
    else this.#scheduled ??= setTimeout(() => this.#pump(), BATCH_DELAY_MS);
  }

  /** flush resolves once every line queued before the call is in the file (page cache). */
  async flush(): Promise<void> {
    while (this.#inFlight !== undefined || this.#queue.length > 0) {
      if (this.#closing) return this.#closing;
      if (this.#inFlight === undefined) this.#pump();
      await this.#inFlight;
    }
  }

  #report(err: unknown): void {
    if (!this.#failing) this.#c.onError?.(err);
    this.#failing = true;
  }

  /** #pump starts writing the next batch unless one is being written. */
  #pump(): void {
    clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#inFlight !== undefined || this.#queue.length === 0 || this.#closing) return;
    const batch = this.#takeBatch();
    this.#inFlight = this.#writeAsync(batch).finally(() => {
      this.#inFlight = undefined;
      this.#pump();
    });
  }

  /**
   * #takeBatch takes the queued lines that fit in the current file (rotating first when the next line does not fit
   * and the file is not empty), so a batch never straddles a rotation.
   */
  #takeBatch(): Buffer {
    const max = this.#c.maxSizeBytes ?? 0;
    const first = this.#queue[0];
    if (max > 0 && first && this.#size > 0 && this.#size + first.length > max) this.#rotateSafely();
    let n = 0;
    let bytes = 0;
    for (const line of this.#queue) {
      if (n > 0 && max > 0 && this.#size + bytes + line.length > max) break;
      bytes += line.length;
      n++;
    }
    const lines = this.#queue.splice(0, n);
    this.#queuedBytes -= bytes;
    return lines.length === 1 && lines[0] ? lines[0] : Buffer.concat(lines, bytes);
  }

  async #writeAsync(batch: Buffer): Promise<void> {
    try {
      if (this.#fd === undefined) this.#open();
      const fd = this.#fd ?? 0;
      let off = 0;
      while (off < batch.length) {
        off += await new Promise<number>((resolve, reject) => fsWrite(fd, batch, off, batch.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
      }
      this.#size += batch.length;
      this.#failing = false;
    } catch (err) {
      this.#report(err);
      this.#closeFd(); // reopened for the next batch: the file may have been removed or the disk remounted
    }
  }

  #rotateSafely(): void {
    try {
      this.#rotate();
    } catch (err) {
      this.#report(err);
    }
  }

  #rotate(): void {
    this.#closeFd();
    const ext = extname(this.#c.path);
    const stem = basename(this.#c.path, ext);
    const dir = dirname(this.#c.path);
    const now = this.#now();
    let target = join(dir, `${stem}-${backupTime(now)}${ext}`);
    // Two rotations in one millisecond must not overwrite each other.
    for (let n = 1; this.#exists(target); n++) target = join(dir, `${stem}-${backupTime(now)}.${n}${ext}`);
    renameSync(this.#c.path, target);
    this.#open();
    this.#prune(dir, stem, ext, now);
  }

  #now(): number {
    return (this.#c.now ?? Date.now)();
  }

  #exists(path: string): boolean {
    try {
      closeSync(openSync(path, 'r'));
      return true;
    } catch {
      return false;
    }
  }

  #prune(dir: string, stem: string, ext: string, now: number): void {
    const keep = this.#c.maxBackups ?? 0;
    const maxAge = this.#c.maxAgeMs ?? 0;
    if (keep <= 0 && maxAge <= 0) return;
    const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}(\\.\\d+)?${ext.replace('.', '\\.')}$`);
    const backups = readdirSync(dir).filter((f) => pattern.test(f)).sort();
    const old = new Set(keep > 0 ? backups.slice(0, Math.max(0, backups.length - keep)) : []);
    if (maxAge > 0) {
      for (const f of backups) {
        const m = BACKUP_TIME.exec(basename(f, ext));
        const at = m ? Date.parse(`${m[1]}:${m[2]}:${m[3]}Z`) : NaN;
        if (Number.isFinite(at) && now - at > maxAge) old.add(f);
      }
    }
    for (const f of old) rmSync(join(dir, f), { force: true });
  }

  #closeFd(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /**
   * close writes what is queued and releases the file; events written after close are ignored. The batch in flight
   * is waited for, the rest written synchronously (a stop is no request path).
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeNow();
    return this.#closing;
  }

  async #closeNow(): Promise<void> {
    clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    await this.#inFlight;
    this.#closed = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#takeBatch();
        if (this.#fd === undefined) this.#open();
        writeSync(this.#fd ?? 0, batch);
        this.#size += batch.length;
      }
    } catch (err) {
      this.#report(err);
    } finally {
      this.#queue = [];
      this.#queuedBytes = 0;
      this.#closeFd();
    }
  }
}
