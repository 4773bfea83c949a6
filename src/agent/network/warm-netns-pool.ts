/**
 * WarmNetnsPool: a few network namespaces made ahead of need, each with its veth pair already made (`eth0` inside,
 * the host end on the node's bridge) and both ends up, so a new sandbox only gets its address and default route: one
 * `ip` run on the pod's start path instead of two, and no `netns add` there, which is slow in the kernel under
 * load. The pool refills in the background after each take, all the missing entries at once (one `make`, which
 * for the bridge network is one `ip` run for them all).
 *
 * In a burst (more starts at once than the pool holds) a start that finds the pool empty waits for the next make
 * (`acquire`), which is sized for every start then waiting plus the pool's own refill (up to MAX_BATCH): the
 * namespaces of a burst are made in a few `ip` runs, not two runs a start, and the pool in effect grows with the
 * demand while it lasts. A start is never left waiting on a pool that cannot make: after a failed make its waiters
 * get nothing (and make their own namespace), as after `stop`.
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
  /** hostVethOf names an entry's host veth (fixed per namespace name, within IFNAMSIZ). */
  readonly hostVethOf: (netns: string) => string;
  /** make creates the entries' namespaces and veth pairs; on failure it leaves whatever `destroy` removes. */
  readonly make: (entries: readonly WarmNetns[]) => Promise<void>;
  /** destroy deletes an entry's namespace and veth (missing parts are fine). */
  readonly destroy: (entry: WarmNetns) => Promise<void>;
  /** exists tells whether an adopted entry is whole (its namespace and host veth are there). */
  readonly exists: (entry: WarmNetns) => boolean;
  readonly log: Logger;
}

/** The most entries one make is asked for (a burst's waiters beyond it wait for the next make). */
export const MAX_BATCH = 64;

/** WarmNetnsPool: see the file comment. */
export class WarmNetnsPool {
  readonly #c: WarmNetnsPoolConfig;
  readonly #free: WarmNetns[] = [];
  /** Starts waiting for the next make (acquire), first come first served. */
  readonly #waiters: Array<(entry: WarmNetns | undefined) => void> = [];
  #filling: Promise<void> | undefined;
  #stopped = false;
  /** Consecutive failures of make: refilling pauses after a few, until the next take. */
  #failures = 0;

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
    this.#refill();
    return entry;
  }

  /**
   * acquire hands over a free entry as take does; when there is none it waits for the next make (see the file
   * comment), and resolves with undefined when that fails or the pool stops.
   */
  acquire(): Promise<WarmNetns | undefined> {
    if (this.#stopped || this.#free.length > 0) return Promise.resolve(this.take());
    this.#failures = 0;
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#refill();
    });
  }

  /** filled resolves when the refill under way (if any) has ended: for tests. */
  async filled(): Promise<void> {
    while (this.#filling) await this.#filling;
  }

  /** stop ends refilling and deletes the free entries. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#serveWaiters([]);
    await this.filled();
    for (const entry of this.#free.splice(0)) {
      await this.#c.destroy(entry).catch((err: unknown) => this.#c.log.warn('Cannot delete a warm network namespace', { netns: entry.netns, error: String(err) }));
      rmSync(this.#recordPath(entry.netns), { force: true });
    }
  }

  #refill(): void {
    if (this.#filling || this.#stopped) return;
    this.#filling = (async () => {
      while (!this.#stopped && (this.#free.length < this.#c.size || this.#waiters.length > 0) && this.#failures < 3) {
        const wanted = Math.min(MAX_BATCH, Math.max(0, this.#c.size - this.#free.length) + this.#waiters.length);
        const entries = Array.from({ length: wanted }, (): WarmNetns => {
          const netns = `${this.#c.prefix}${randomBytes(4).toString('hex')}`;
          return { netns, hostVeth: this.#c.hostVethOf(netns) };
        });
        for (const entry of entries) writeJsonAtomic(this.#recordPath(entry.netns), entry);
        const discard = async (): Promise<void> => {
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
          this.#c.log.warn('Cannot make warm network namespaces', { netns: entries.map((e) => e.netns), error: err instanceof Error ? err.message : String(err) });
          await discard();
          // Those waiting make their own namespace rather than wait on a pool that may not make any.
          this.#serveWaiters([]);
          continue;
        }
        // Stopped while they were made: they go at once (stop waits for this refill to end).
        if (this.#stopped) return discard();
        this.#free.push(...this.#serveWaiters(entries));
      }
      // Paused after failures: nobody is left waiting.
      this.#serveWaiters([]);
    })().finally(() => {
      this.#filling = undefined;
    });
  }

  /**
   * #serveWaiters hands `entries` to the waiting starts in their order (their records removed: they own them now),
   * undefined to those beyond them when `entries` is empty, and returns what is left over.
   */
  #serveWaiters(entries: readonly WarmNetns[]): WarmNetns[] {
    const left = [...entries];
    while (this.#waiters.length > 0 && (left.length > 0 || entries.length === 0)) {
      const entry = left.shift();
      if (entry) rmSync(this.#recordPath(entry.netns), { force: true });
      this.#waiters.shift()?.(entry);
    }
    return left;
  }

  #recordPath(netns: string): string {
    return join(this.#c.dir, `${netns}.json`);
  }
}

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

