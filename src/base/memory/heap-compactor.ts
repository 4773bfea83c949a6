/**
 * HeapCompactor: gives the memory a burst of work left behind back to the system, once the burst is over.
 *
 * Why: after a burst (10,000 pods created and started in a minute) V8 keeps the old-space pages the burst filled
 * with short-lived objects: the total heap stays about twice the live heap (issue 5: ~430 MB total for ~190 MB live
 * at 10,000 pods), and RSS with it. V8 returns a page only when it is empty, and its own memory reducer starts only
 * when the allocation rate is low — which 1,000 nodes' lease renewals and status writes (100 writes a second) never
 * let it be. One full, compacting collection once things are quiet again brought a 3,000-pod server from 281 MB of
 * heap to 71 MB and from 449 to 236 MB of RSS (issue 5, session 12).
 *
 * Rule (level-based, checked every `intervalMs`): compact when the event loop has been quiet (utilization below
 * QUIET_UTILIZATION) for `quietChecks` checks in a row, the total heap has grown by at least GROWTH_FACTOR and
 * MIN_GROWTH_BYTES over what it was after the last compaction (at start: what it was then), and the last compaction
 * is at least `minIntervalMs` ago (1 minute). A full collection stops the process for a time that grows with the
 * live heap (1.6 s at 66 MB live under load 15, 3.8 s at 452 MB live on an idle machine), so it is done only when
 * nothing much waits for the loop, and at most that often.
 *
 * The collection is asked for through the process's own inspector session (`HeapProfiler.collectGarbage`, the
 * documented `node:inspector` API; no port is opened), not through `--expose-gc`, with V8's
 * `--compact-on-every-full-gc` set for its duration (`v8.setFlagsFromString`): without it, a full collection frees
 * garbage but leaves fragmented pages in place, and at 100,000 pods that was most of the headroom.
 *
 * After a compaction the heap grew back within seconds (at 100,000 pods, RSS 1,066 MB right after and 85 MB more
 * 16 s later; issue 5, session 13). Heap statistics per space after a compaction at 10,000 pods (session 14,
 * hack/heap-spaces.sh) showed where: the young generation, which the compacting collection shrinks to a few MB, took
 * its 32 MB again at the first scavenges; and the old space's limit, set by V8 after each full collection at ~1.5–1.7
 * times the live heap, let the garbage the lease and status traffic promotes pile up to it. So, from a compaction
 * until the heap has grown RELEASE_GROWTH_FACTOR again (a burst: the live heap grew), the compactor holds the old
 * space's headroom to HOLD_HEAP_GROWING_PERCENT over the live heap (V8's `--heap-growing-percent`, which V8 reads as
 * it goes, so it can be set and reset at run time with `v8.setFlagsFromString`); a burst runs with V8's own sizing,
 * which collects less often. A flag the process was started with (`process.execArgv`) is left alone.
 *
 * The young generation is not held: `--semi-space-growth-factor=1` set at run time kept it at the 2 MB the
 * compaction left and RSS flat and ~30 MB lower while holding 10,000 pods, but the hold's CPU rose by 40–60 %
 * (a scavenge every 2 MB, more promoted), where with the headroom alone held it stayed within 4 % of main's (session
 * 14's pairs, docs/benchmarks.md).
 */
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import type { Clock, Timer } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';

/** Event loop utilization (0–1) under which a check counts as quiet. */
export const QUIET_UTILIZATION = 0.3;
/** The total heap must have grown by this factor since the last compaction... */
export const GROWTH_FACTOR = 1.5;
/** ...and by at least this much. */
export const MIN_GROWTH_BYTES = 64 * 1024 * 1024;

/**
 * HOLD_HEAP_GROWING_PERCENT: while held, the old space may grow this much over the live heap before the next full
 * collection (V8 picked 50–70 % at 10,000 pods).
 */
export const HOLD_HEAP_GROWING_PERCENT = 20;

/**
 * RELEASE_GROWTH_FACTOR: the held sizing is given up once the total heap has grown this much (and MIN_GROWTH_BYTES)
 * over what it was after the last compaction: more than the held old space's headroom, so the live heap grew.
 */
export const RELEASE_GROWTH_FACTOR = 1.3;

/** The V8 flags of the held sizing: each with its value while held, and V8's default it goes back to. */
const HOLD_FLAGS = [{ name: '--heap-growing-percent', held: String(HOLD_HEAP_GROWING_PERCENT), own: '0' }] as const;

/** HeapCompactorConfig constructs a HeapCompactor; the last four replace the process's own (tests). */
export interface HeapCompactorConfig {
  readonly clock: Clock;
  readonly log: Logger;
  /** @default 10 s */
  readonly intervalMs?: number;
  /** Quiet checks in a row before compacting. @default 3 */
  readonly quietChecks?: number;
  /**
   * @default 1 min: short enough that the pods burst following the nodes' registration (a compaction already spent
   * on the nodes) is compacted too (a 5-minute interval missed it in a 10,000-pod run)
   */
  readonly minIntervalMs?: number;
  /** The total heap in bytes. @default V8's total_heap_size */
  readonly totalHeapBytes?: () => number;
  /** The event loop's utilization since the previous call. @default performance.eventLoopUtilization */
  readonly utilization?: () => number;
  /** A full, compacting collection. @default HeapProfiler.collectGarbage on an inspector session */
  readonly collect?: () => Promise<void>;
  /**
   * Holds V8's heap sizing small (true) after a compaction or gives V8 its own back (false); see the file comment.
   * Undefined: no holding (the compactions only). @default the V8 flags above, those the process was not started with
   */
  readonly holdSizing?: ((hold: boolean) => void) | undefined;
}

/** HeapCompactor runs the rule above from start() until stop(). */
export class HeapCompactor {
  readonly #c: Required<Omit<HeapCompactorConfig, 'collect' | 'holdSizing'>> & { collect: () => Promise<void>; holdSizing: ((hold: boolean) => void) | undefined };
  #timer: Timer | undefined;
  #session: Session | undefined;
  #quiet = 0;
  #baseline = 0;
  #lastAt = Number.NEGATIVE_INFINITY;
  #collecting = false;
  #compactions = 0;
  #holding = false;

  constructor(config: HeapCompactorConfig) {
    let previous = performance.eventLoopUtilization();
    this.#c = {
      clock: config.clock,
      log: config.log,
      intervalMs: config.intervalMs ?? 10_000,
      quietChecks: config.quietChecks ?? 3,
      minIntervalMs: config.minIntervalMs ?? 60_000,
      totalHeapBytes: config.totalHeapBytes ?? (() => getHeapStatistics().total_heap_size),
      utilization:
        config.utilization ??
        (() => {
          const now = performance.eventLoopUtilization();
          const u = performance.eventLoopUtilization(now, previous).utilization;
          previous = now;
          return u;
        }),
      collect: config.collect ?? (() => this.#collectGarbage()),
      holdSizing: 'holdSizing' in config ? config.holdSizing : holdV8Sizing,
    };
  }

  /** holding tells whether the heap's sizing is held small now (tests, logs). */
  get holding(): boolean {
    return this.#holding;
  }

  /** compactions is how many collections this compactor asked for (tests, logs). */
  get compactions(): number {
    return this.#compactions;
  }

  /** start begins checking; the heap's total now is the first baseline. Calling it twice is a no-op. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#baseline = this.#c.totalHeapBytes();
    this.#schedule();
  }

  /** stop ends the checks (a collection under way completes). */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#hold(false);
    this.#session?.disconnect();
    this.#session = undefined;
  }

  #schedule(): void {
    this.#timer = this.#c.clock.setTimer(this.#c.intervalMs, () => void this.#check());
  }

  /** #check applies the rule once, then schedules the next check (unless stopped meanwhile). */
  async #check(): Promise<void> {
    try {
      this.#quiet = this.#c.utilization() < QUIET_UTILIZATION ? this.#quiet + 1 : 0;
      const total = this.#c.totalHeapBytes();
      // A burst (the live heap growing: the held headroom alone keeps the total under RELEASE_GROWTH_FACTOR of the
      // baseline) runs with V8's own sizing. Not the loop's utilization: on a loaded machine a quiet hold's
      // utilization was over QUIET_UTILIZATION at times (the loop waits for a CPU), and each time the held sizing
      // was given up within seconds.
      if (total >= this.#baseline * RELEASE_GROWTH_FACTOR && total - this.#baseline >= MIN_GROWTH_BYTES) this.#hold(false);
      const grown = total >= this.#baseline * GROWTH_FACTOR && total - this.#baseline >= MIN_GROWTH_BYTES;
      const due = this.#c.clock.now() - this.#lastAt >= this.#c.minIntervalMs;
      if (this.#quiet >= this.#c.quietChecks && grown && due && !this.#collecting) {
        this.#collecting = true;
        const started = performance.now();
        await this.#c.collect();
        this.#collecting = false;
        this.#compactions++;
        this.#lastAt = this.#c.clock.now();
        this.#quiet = 0;
        // The next check's window starts now: the collection's own pause is not the loop being busy.
        this.#c.utilization();
        this.#hold(true);
        const after = this.#c.totalHeapBytes();
        this.#baseline = after;
        this.#c.log.info('Heap compacted after a burst', { totalHeapMbBefore: Math.round(total / 2 ** 20), totalHeapMbAfter: Math.round(after / 2 ** 20), pauseMs: Math.round(performance.now() - started) });
      }
    } catch (err) {
      this.#collecting = false;
      this.#c.log.error('Cannot compact the heap', { error: err });
    }
    if (this.#timer !== undefined) this.#schedule();
  }

  #hold(hold: boolean): void {
    if (this.#holding === hold || this.#c.holdSizing === undefined) return;
    this.#holding = hold;
    this.#c.holdSizing(hold);
    this.#c.log.debug(hold ? 'Heap sizing held small' : "Heap sizing back to V8's own");
  }

  async #collectGarbage(): Promise<void> {
    if (this.#session === undefined) {
      this.#session = new Session();
      this.#session.connect();
    }
    const session = this.#session;
    // A plain full collection frees the garbage but moves few objects: at 100,000 pods it took the total heap only
    // from 1,085 to 942 MB (452 MB live). Compacting every fragmented page took it to 461 MB (RSS 1,665 → 1,145 MB),
    // so V8 is told to, for this one collection.
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      await new Promise<void>((resolve, reject) => session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve())));
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  }
}

/** holdV8Sizing sets (or resets to V8's defaults) the held sizing's flags, but those the process was started with (node's arguments or NODE_OPTIONS). */
function holdV8Sizing(hold: boolean): void {
  const given = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  for (const flag of HOLD_FLAGS) {
    const spellings = [flag.name, `--${flag.name.slice(2).replaceAll('-', '_')}`];
    if (given.some((a) => spellings.some((name) => a === name || a.startsWith(`${name}=`)))) continue;
    setFlagsFromString(`${flag.name}=${hold ? flag.held : flag.own}`);
  }
}
