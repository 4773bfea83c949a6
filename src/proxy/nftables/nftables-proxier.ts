/**
 * NftablesProxier: the nftables proxy mode. One table of our own (`ip <name>`), programmed with `nft -f -`.
 *
 * Contracts (beyond Proxier's):
 *  - The first sync, a sync after a failure, and any sync more than `fullSyncIntervalMs` after the last whole
 *    write replace the table whole (so rules someone else changed or deleted are put back); other syncs send only
 *    the difference from what was last written (one nft transaction either way). An unchanged snapshot between
 *    whole writes runs no nft at all.
 *  - After a sync, UDP flows to removed endpoints (and rejected flows of Services that got endpoints) are deleted
 *    from conntrack (see conntrack-cleanup.ts); a failure there is logged, not thrown.
 *  - Small diffs go through one long-lived `nft -i` process (NftSession): starting nft costs more than a small
 *    transaction. Whole writes and large diffs run `nft -f -`. Either way a sync is one nft transaction.
 *  - `close()` ends that process (it also ends by itself when Node exits); `cleanup()` does too.
 *  - `netns` runs nft inside a named network namespace (benchmarks and tests of the rules alone).
 */
import { spawn } from 'node:child_process';
import { RealClock, type Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { deleteConntrackFlows, staleUdpFlows } from '../conntrack-cleanup.js';
import type { Proxier, ProxyMode } from '../proxier.js';
import type { ProxySnapshot } from '../proxy-state.js';
import { NftSession } from './nft-session.js';
import { buildNftablesTable, renderTable, TableState } from './nftables-table.js';

/** NftablesProxierConfig constructs a NftablesProxier. */
export interface NftablesProxierConfig {
  /** The table's name (family ip), e.g. `tkube-proxy-<node>`: letters, digits, "-", "_", at most 64. */
  readonly table: string;
  /** Run nft in this named network namespace (`ip netns exec`). */
  readonly netns?: string;
  /** @default 3_600_000 (an hour, as upstream's full resync) */
  readonly fullSyncIntervalMs?: number;
  /** @default RealClock */
  readonly clock?: Clock;
  /** @default "nft" */
  readonly nftPath?: string;
  /**
   * Send small diffs through one long-lived `nft -i` process. False runs `nft -f` for every sync (the reference
   * bench/proxy-sync.ts compares against). @default true
   */
  readonly interactive?: boolean;
  /** Where failures to delete stale UDP flows are reported (they do not fail the sync). */
  readonly log?: Logger;
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** proxyTableName is the conventional table name of a node's proxy. */
export function proxyTableName(nodeName: string): string {
  return `tkube-proxy-${nodeName.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64);
}

/** NftablesProxier programs Services into one nftables table. */
export class NftablesProxier implements Proxier {
  readonly mode: ProxyMode = 'nftables';
  readonly table: string;
  readonly #c: NftablesProxierConfig;
  readonly #clock: Clock;
  readonly #session: NftSession;
  /** What the kernel holds, as last written; undefined when unknown (start, after a failure). */
  #written: TableState | undefined;
  #lastFullAt = 0;
  /** The last snapshot programmed: stale UDP flows are found against it. */
  #programmed: ProxySnapshot | undefined;
  /** Whether the last sync wrote the whole table (for logs and benchmarks). */
  lastSyncWasFull = false;
  /** How long the last sync spent building and rendering the table, before nft (ms, for benchmarks). */
  lastRenderMs = 0;

  /** Throws on a bad table name. */
  constructor(config: NftablesProxierConfig) {
    if (!TABLE_NAME.test(config.table)) throw new Error(`Cannot use "${config.table}" as the proxy's nftables table: want up to 64 letters, digits, "-" or "_", starting with a letter`);
    this.#c = config;
    this.table = config.table;
    this.#clock = config.clock ?? new RealClock();
    this.#session = new NftSession({ ...(config.nftPath ? { nftPath: config.nftPath } : {}), ...(config.netns ? { netns: config.netns } : {}) });
  }

  async sync(snapshot: ProxySnapshot): Promise<void> {
    const started = performance.now();
    const next = buildNftablesTable(this.table, snapshot);
    const now = this.#clock.now();
    const due = now - this.#lastFullAt >= (this.#c.fullSyncIntervalMs ?? 3_600_000);
    // diffTo moves the state to `next`; it is dropped below until nft says it took the change.
    const diff = this.#written && !due ? this.#written.diffTo(next) : undefined;
    const script = diff ?? renderTable(next);
    this.lastRenderMs = performance.now() - started;
    const state = this.#written;
    this.#written = undefined; // unknown until nft says it took the change
    this.lastSyncWasFull = diff === undefined;
    if (diff === undefined) {
      await this.#nft(script);
      this.#lastFullAt = now;
      this.#written = new TableState(next);
    } else {
      if (diff !== '') await (this.#c.interactive !== false && Buffer.byteLength(diff) <= NftSession.maxScriptBytes ? this.#nftSession(diff) : this.#nft(diff));
      this.#written = state;
    }
    const stale = staleUdpFlows(this.#programmed, snapshot);
    this.#programmed = snapshot;
    if (stale.length > 0) {
      const failures = await deleteConntrackFlows(stale, this.#c.netns);
      if (failures.length > 0) this.#c.log?.warn('Cannot delete stale UDP flows', { table: this.table, failures: failures.slice(0, 3) });
    }
  }

  /**
   * cleanup removes the table in both families: a dual-stack node's IPv6 proxier writes an `ip6` table of the same
   * name (the snapshot's family decides), and a clean-up that knows only the name must take both.
   */
  async cleanup(): Promise<void> {
    this.#written = undefined;
    await this.#session.close();
    await this.#nft(['ip', 'ip6'].map((f) => `table ${f} ${this.table} {}\ndelete table ${f} ${this.table}\n`).join(''));
  }

  /** close ends the long-lived nft process; the next sync starts another when it needs one. */
  close(): Promise<void> {
    return this.#session.close();
  }

  async #nftSession(script: string): Promise<void> {
    const r = await this.#session.run(script);
    if (!r.ok) throw new Error(`nft could not program table ${this.table}: ${firstLines(r.message)}`);
  }

  #nft(script: string): Promise<void> {
    const nft = this.#c.nftPath ?? 'nft';
    const [cmd, args] = this.#c.netns ? ['ip', ['netns', 'exec', this.#c.netns, nft, '-f', '-']] : [nft, ['-f', '-']];
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', (err) => reject(new Error(`Cannot run nft: ${err.message}`)));
      child.once('close', (code) => {
        if (code === 0) resolve();
        else reject(new Error(`nft could not program table ${this.table}: ${firstLines(stderr) || `exit ${String(code)}`}`));
      });
      child.stdin.on('error', () => undefined); // nft exiting early shows up as its exit code
      child.stdin.end(script);
    });
  }
}

function firstLines(s: string): string {
  return s.trim().split('\n').slice(0, 3).join(' / ');
}
