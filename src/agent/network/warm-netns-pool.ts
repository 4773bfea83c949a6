/**
 * WarmNetnsPool: a few network namespaces made ahead of need, each with its veth pair already made (`eth0` inside,
 * the host end on the node's bridge, up), so a new sandbox only gets its address, default route and links up: one
 * `ip` run on the pod's start path instead of two, and no `netns add` there, which is slow in the kernel under
 * load. The pool refills in the background after each take.
 *
 * Adaptive and bounded: the pool keeps `size` free entries, and more while pods start quickly — as many as were
 * taken in the last few seconds, up to `maxSize` — so a burst of pod starts is not left making every namespace on
 * its start path once the first few are taken. Entries are made `batch` at a time by one `make` (one `ip` run for
 * several namespaces); entries beyond `size` are deleted again after a quiet while.
 *
 * What the pool makes never outlives what knows of it:
 *  - every free entry has a record (`<dir>/<netns>.json`), written before the namespace is made, so an agent killed
 *    half-way leaves a record: the next start adopts entries whose namespace and veth are both there and deletes
 *    the remnants of the others;
 *  - a taken entry's record is removed before it is handed over: from then on the sandbox that took it owns it (the
 *    runtime deletes the namespace with the sandbox);
 *  - `stop` deletes the free entries (deleting a namespace deletes the veth pair with it);
 *  - every namespace of the pool is named `<prefix><random>`, so a clean-up without the agent (`destroyBridgeNetwork`)
 *    finds the pool's, free or taken, by prefix.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../base/fs/json-file.js';
import type { Logger } from '../../base/log/logger.js';

/** WarmNetns is one pre-made namespace and the host end of its veth pair. */
export interface WarmNetns {
  /** The name under /run/netns. */
  readonly netns: string;
  readonly hostVeth: string;
}

/** WarmNetnsPoolConfig constructs a WarmNetnsPool. */
export interface WarmNetnsPoolConfig {
  /** Where the free entries' records live. */
  readonly dir: string;
  /** Names of the pool's namespaces start with it (see the file comment). */
  readonly prefix: string;
  /** How many free entries to keep. */
  readonly size: number;
  /** The most free entries kept while pods start quickly (see the file comment). @default size */
  readonly maxSize?: number;
  /** The most entries one `make` makes. @default 1 */
  readonly batch?: number;
  /** hostVethOf names an entry's host veth (fixed per namespace name, within IFNAMSIZ). */
  readonly hostVethOf: (netns: string) => string;
  /** make creates the namespaces and their veth pairs; on failure it leaves whatever `destroy` removes. */
  readonly make: (entries: readonly WarmNetns[]) => Promise<void>;
  /** destroy deletes an entry's namespace and veth (missing parts are fine). */
  readonly destroy: (entry: WarmNetns) => Promise<void>;
  /** exists tells whether an adopted entry is whole (its namespace and host veth are there). */
  readonly exists: (entry: WarmNetns) => boolean;
  readonly log: Logger;
}

/** WarmNetnsPool: see the file comment. */
export class WarmNetnsPool {
  readonly #c: WarmNetnsPoolConfig;
  readonly #free: WarmNetns[] = [];
  #filling: Promise<void> | undefined;
  #stopped = false;
  /** Consecutive failures of make: refilling pauses after a few, until the next take. */
  #failures = 0;
  /** When recent takes happened (ms), for the adaptive target; only the last DEMAND_WINDOW_MS are kept. */
  #takes: number[] = [];
  /** Deletes the entries beyond `size` once takes stop (see #scheduleTrim). */
  #trimTimer: NodeJS.Timeout | undefined;

  constructor(config: WarmNetnsPoolConfig) {
    this.#c = config;
  }

  /** start adopts the entries an earlier run left (see the file comment) and starts filling the pool. */
  async start(): Promise<void> {
    mkdirSync(this.#c.dir, { recursive: true });
    for (const f of readdirSync(this.#c.dir)) {
      const path = join(this.#c.dir, f);
      if (!f.endsWith('.json')) {
        rmSync(path, { force: true });
        continue;
      }
      const entry = readEntry(path);
      if (entry && entry.netns.startsWith(this.#c.prefix) && this.#c.exists(entry) && this.#free.length < this.#c.size) {
        this.#free.push(entry);
        continue;
      }
      if (entry) await this.#c.destroy(entry).catch((err: unknown) => this.#c.log.warn('Cannot delete a warm network namespace', { netns: entry.netns, error: String(err) }));
      rmSync(path, { force: true });
    }
    this.#refill();
  }

  /** size is the number of free entries now. */
  get size(): number {
    return this.#free.length;
  }

  /** take hands over a free entry (its record removed: the caller owns it now), or undefined when there is none. */
  take(): WarmNetns | undefined {
    const entry = this.#stopped ? undefined : this.#free.shift();
    if (entry) rmSync(this.#recordPath(entry.netns), { force: true });
    this.#failures = 0;
    this.#takes.push(Date.now());
    this.#refill();
    this.#scheduleTrim();
    return entry;
  }

  /** target is how many free entries the pool makes up to now: `size`, or the recent takes, up to `maxSize`. */
  get target(): number {
    const since = Date.now() - DEMAND_WINDOW_MS;
    while ((this.#takes[0] ?? Infinity) < since) this.#takes.shift();
    return Math.min(Math.max(this.#c.maxSize ?? this.#c.size, this.#c.size), Math.max(this.#c.size, this.#takes.length));
  }

  /** #scheduleTrim deletes the free entries beyond `size` once no take came for TRIM_AFTER_MS. */
  #scheduleTrim(): void {
    if (this.#trimTimer) clearTimeout(this.#trimTimer);
    this.#trimTimer = setTimeout(() => {
      this.#trimTimer = undefined;
      if (this.#stopped || this.#filling) return;
      for (const entry of this.#free.splice(this.#c.size)) {
        void this.#c
          .destroy(entry)
          .catch((err: unknown) => this.#c.log.warn('Cannot delete a warm network namespace', { netns: entry.netns, error: String(err) }))
          .finally(() => rmSync(this.#recordPath(entry.netns), { force: true }));
      }
    }, TRIM_AFTER_MS);
    this.#trimTimer.unref();
  }

  /** filled resolves when the refill under way (if any) has ended: for tests. */
  async filled(): Promise<void> {
    while (this.#filling) await this.#filling;
  }

  /** stop ends refilling and deletes the free entries. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#trimTimer) clearTimeout(this.#trimTimer);
    this.#trimTimer = undefined;
    await this.filled();
    for (const entry of this.#free.splice(0)) {
      await this.#c.destroy(entry).catch((err: unknown) => this.#c.log.warn('Cannot delete a warm network namespace', { netns: entry.netns, error: String(err) }));
      rmSync(this.#recordPath(entry.netns), { force: true });
    }
  }

  #refill(): void {
    if (this.#filling || this.#stopped) return;
    this.#filling = (async () => {
      for (let want = this.target - this.#free.length; !this.#stopped && want > 0 && this.#failures < 3; want = this.target - this.#free.length) {
        const entries = Array.from({ length: Math.min(want, this.#c.batch ?? 1) }, (): WarmNetns => {
          const netns = `${this.#c.prefix}${randomBytes(4).toString('hex')}`;
          return { netns, hostVeth: this.#c.hostVethOf(netns) };
        });
        // Records first: an agent killed while they are made leaves records, and the next start deletes the rest.
        for (const entry of entries) writeJsonAtomic(this.#recordPath(entry.netns), entry);
        const drop = async (): Promise<void> => {
          for (const entry of entries) {
            await this.#c.destroy(entry).catch(() => undefined);
            rmSync(this.#recordPath(entry.netns), { force: true });
          }
        };
        try {
          await this.#c.make(entries);
          this.#failures = 0;
        } catch (err) {
          this.#failures++;
          this.#c.log.warn('Cannot make a warm network namespace', { netns: entries.map((e) => e.netns).join(' '), error: err instanceof Error ? err.message : String(err) });
          await drop();
          continue;
        }
        // Stopped while they were made: they go at once (stop waits for this refill to end).
        if (this.#stopped) {
          await drop();
          return;
        }
        this.#free.push(...entries);
      }
    })().finally(() => {
      this.#filling = undefined;
    });
  }

  #recordPath(netns: string): string {
    return join(this.#c.dir, `${netns}.json`);
  }
}

/** How far back takes count towards the pool's target (ms). */
const DEMAND_WINDOW_MS = 5_000;
/** How long after the last take the entries beyond `size` are deleted (ms). */
const TRIM_AFTER_MS = 30_000;

/** netnsExists tells whether /run/netns has a namespace of that name. */
export function netnsExists(name: string): boolean {
  return existsSync(join('/run/netns', name));
}

function readEntry(path: string): WarmNetns | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<WarmNetns>;
    return typeof v.netns === 'string' && typeof v.hostVeth === 'string' && /^[\w-]+$/.test(v.netns) ? { netns: v.netns, hostVeth: v.hostVeth } : undefined;
  } catch {
    return undefined;
  }
}

