/**
 * ContainerLogManager: the kubelet's container log rotation (upstream's containerLogMaxSize / containerLogMaxFiles,
 * 10Mi and 5 by default). Every 10 s it looks at each running container's log file; one above the size limit is
 * rotated the way upstream does it:
 *
 *  1. leftovers of an interrupted earlier pass are removed (`*.tmp`, a rotated file whose `.gz` also exists);
 *  2. the oldest rotated files go until at most maxFiles - 2 remain (with the one made now and the live file, the
 *     total stays within maxFiles);
 *  3. every rotated file except the newest is gzip-compressed (`<file>.<stamp>.gz`, written to `.tmp` then renamed),
 *     so after the pass the two newest rotated files are plain;
 *  4. the live file is renamed to `<file>.<YYYYMMDD-HHMMSS>` (UTC) and the writer is told to reopen its path: the
 *     runtime's `reopenContainerLog` when it has one (containerd's CRI ReopenContainerLog); the runc shim and the
 *     process supervisor notice the path's inode change by themselves within a second (the kubelet creates the
 *     empty new file for them, so the path never goes missing). If the reopen fails the
 *     rename is undone, so the writer never writes to a file nobody reads.
 *
 * Readers (`kubectl logs`) see the newest rotated file (uncompressed) followed by the live one: `rotatedLogFiles`
 * lists them. Failures are logged and retried at the next pass: rotation is housekeeping, never fatal.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from '../../base/log/logger.js';
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { RuntimeService } from '../cri/runtime-service.js';

/** DEFAULT_CONTAINER_LOG_MAX_SIZE is upstream's containerLogMaxSize (10Mi). */
export const DEFAULT_CONTAINER_LOG_MAX_SIZE = 10 * 1024 * 1024;
/** DEFAULT_CONTAINER_LOG_MAX_FILES is upstream's containerLogMaxFiles. */
export const DEFAULT_CONTAINER_LOG_MAX_FILES = 5;
/** ROTATION_PERIOD_MS is how often log files are checked (upstream's containerLogMonitorInterval default). */
export const ROTATION_PERIOD_MS = 10_000;

const STAMP = /^\d{8}-\d{6}$/;

/** ContainerLogPolicy bounds each container's logs. */
export interface ContainerLogPolicy {
  /** Bytes above which the live file is rotated. */
  readonly maxSizeBytes: number;
  /** Files kept per container, the live one included; at least 2. */
  readonly maxFiles: number;
  /** How often the logs are checked (upstream's containerLogMonitorInterval). */
  readonly monitorIntervalMs: number;
}

/** ContainerLogManagerConfig constructs a ContainerLogManager. */
export interface ContainerLogManagerConfig {
  readonly runtime: Pick<RuntimeService, 'listContainers' | 'reopenContainerLog'>;
  readonly policy?: Partial<ContainerLogPolicy>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** RotatedLog is one rotated file of a container log. */
export interface RotatedLog {
  readonly path: string;
  /** `YYYYMMDD-HHMMSS`; equal stamps are told apart by a `-<n>` suffix on the path. */
  readonly stamp: string;
  readonly compressed: boolean;
}

/** rotatedLogFiles lists the rotated files of the log at `path`, oldest first. */
export async function rotatedLogFiles(path: string): Promise<RotatedLog[]> {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return [];
  }
  const found: RotatedLog[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || name.endsWith('.tmp')) continue;
    const rest = name.slice(prefix.length);
    const compressed = rest.endsWith('.gz');
    const core = compressed ? rest.slice(0, -3) : rest;
    const stamp = core.slice(0, 15);
    if (!STAMP.test(stamp) || (core.length > 15 && !/^-\d+$/.test(core.slice(15)))) continue;
    found.push({ path: join(dirname(path), name), stamp, compressed });
  }
  // The stamp sorts by time; a collision suffix (-1, -2) sorts after the bare stamp.
  const key = (r: RotatedLog): string => r.path.replace(/\.gz$/, '').slice(path.length + 1).replace(/^(\d{8}-\d{6})$/, '$1-0');
  return found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** rotationStamp renders upstream's rotated-file timestamp (`20060102-150405`), in UTC. */
export function rotationStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** ContainerLogManager rotates container logs; see the file comment. */
export class ContainerLogManager {
  readonly #c: ContainerLogManagerConfig;
  readonly policy: ContainerLogPolicy;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(config: ContainerLogManagerConfig) {
    this.#c = config;
    this.policy = {
      maxSizeBytes: config.policy?.maxSizeBytes ?? DEFAULT_CONTAINER_LOG_MAX_SIZE,
      maxFiles: Math.max(2, config.policy?.maxFiles ?? DEFAULT_CONTAINER_LOG_MAX_FILES),
      monitorIntervalMs: config.policy?.monitorIntervalMs ?? ROTATION_PERIOD_MS,
    };
  }

  /** start checks the logs every monitorIntervalMs until stop(). */
  start(): void {
    const tick = (): void => {
      this.#timer = this.#c.clock.setTimer(this.policy.monitorIntervalMs, () => {
        if (this.#stopped) return;
        void this.rotateLogs().finally(() => {
          if (!this.#stopped) tick();
        });
      });
    };
    tick();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** rotateLogs runs one pass over the running containers; resolves with the IDs whose log was rotated. */
  async rotateLogs(): Promise<string[]> {
    let containers;
    try {
      containers = await this.#c.runtime.listContainers({ state: 'CONTAINER_RUNNING' });
    } catch (err) {
      this.#c.log.warn('Cannot list containers for log rotation', { error: err });
      return [];
    }
    const rotated: string[] = [];
    for (const c of containers) {
      try {
        const size = (await stat(c.logPath).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err))))?.size;
        // No file yet (nothing written): nothing to rotate.
        if (size === undefined) continue;
        if (size <= this.policy.maxSizeBytes) continue;
        await this.#rotate(c.id, c.logPath);
        rotated.push(c.id);
      } catch (err) {
        // A container that went away, or a log it never wrote: the next pass looks again.
        this.#c.log.warn('Cannot rotate container log', { container: c.id, path: c.logPath, error: err });
      }
    }
    return rotated;
  }

  async #rotate(id: string, path: string): Promise<void> {
    await this.#cleanupUnused(path);
    let rotated = await rotatedLogFiles(path);
    const excess = rotated.length - (this.policy.maxFiles - 2);
    for (const r of rotated.slice(0, Math.max(0, excess))) await rm(r.path, { force: true });
    rotated = rotated.slice(Math.max(0, excess));
    for (const r of rotated.slice(0, -1)) if (!r.compressed) await this.#compress(r.path);
    await this.#rotateLatest(id, path);
  }

  /** #cleanupUnused removes what an interrupted pass left: temp files, and originals already compressed. */
  async #cleanupUnused(path: string): Promise<void> {
    const dir = dirname(path);
    const prefix = `${basename(path)}.`;
    for (const name of await readdir(dir)) {
      if (!name.startsWith(prefix)) continue;
      if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
    }
    for (const r of await rotatedLogFiles(path)) {
      if (!r.compressed && (await exists(`${r.path}.gz`))) await rm(r.path, { force: true });
    }
  }

  async #compress(path: string): Promise<void> {
    const tmp = `${path}.gz.tmp`;
    await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp));
    await rename(tmp, `${path}.gz`);
    await rm(path, { force: true });
  }

  async #rotateLatest(id: string, path: string): Promise<void> {
    const base = `${path}.${rotationStamp(this.#c.clock.now())}`;
    let target = base;
    for (let n = 1; (await exists(target)) || (await exists(`${target}.gz`)); n++) target = `${base}-${n}`;
    await rename(path, target);
    if (!this.#c.runtime.reopenContainerLog) {
      // The writer reopens the path by itself within a second; an empty file meanwhile keeps the path readable.
      await writeFile(path, '', { flag: 'a', mode: 0o640 });
      return;
    }
    try {
      await this.#c.runtime.reopenContainerLog(id);
    } catch (err) {
      // The writer still has the renamed file: give it its name back so readers keep seeing the output.
      await rename(target, path).catch(() => undefined);
      throw err;
    }
  }
}
