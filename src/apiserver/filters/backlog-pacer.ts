/**
 * BacklogPacer: how often priority and fairness may hand a seat to a flow that already has a backlog, tied to how
 * busy the server's one event loop is rather than to a seat count.
 *
 * Why: seats bound how many requests execute at once, but a Node server runs them all on one thread. A flood that
 * keeps its level's seats full keeps that thread busy all the time however few the seats are (its lists have no I/O
 * to wait on, so each freed seat is refilled at once), and another user's request then waits behind the flood's work
 * already on the loop — TLS records, parsing, encoding — and, on a shared machine, for the kernel to give the busy
 * process a core again. So when the loop is busier than `targetUtilization`, a backlogged flow (one with a request
 * executing or more than one waiting) gets its next seat only `gapMs` after the level's previous backlogged dispatch:
 * its requests wait in its queue (cheap: parsed once, nothing else) and the loop keeps idle time in which a newly
 * arriving flow is read and served at once. Not work-conserving on purpose, unlike upstream's APF, which spreads
 * admitted work over many cores; the gap is 0 (plain APF) whenever the loop has headroom.
 *
 * The gap adapts every sample: loop busier than the target → the gap doubles (from minGapMs, up to maxGapMs), i.e.
 * the backlog's dispatch rate halves; otherwise it shrinks by a quarter, but not below minGapMs while the loop is
 * busier than half the target: a paced flood keeps the loop near the target, and dropping the gap to 0 there would
 * let it run unpaced for a whole sample interval, saturating the loop, before the next sample paced it again. Below
 * half the target the loop has clear headroom and the gap falls to 0 (plain APF). The signal is a function returning
 * the loop's busy fraction since its previous call (eventLoopBusyFraction below), injected so tests drive it by hand.
 */
import { performance } from 'node:perf_hooks';

import type { Clock, Timer } from '../../base/clock/clock.js';

/** BacklogPacerConfig sets the target and the controller's bounds. */
export interface BacklogPacerConfig {
  readonly clock: Clock;
  /** The event loop's busy fraction (0–1) since the previous call. @default eventLoopBusyFraction() */
  readonly busyFraction?: () => number;
  /** Busy fraction above which backlogged flows are paced; 0 or ≥ 1 turns pacing off. @default DEFAULT_TARGET_UTILIZATION */
  readonly targetUtilization?: number;
  /** How often the busy fraction is read and the gap adjusted. @default 50 */
  readonly sampleIntervalMs?: number;
  /** The first non-zero gap, and the smallest. @default 1 */
  readonly minGapMs?: number;
  /** The largest gap: a backlogged level still gets 1000 / maxGapMs seats a second. @default 32 */
  readonly maxGapMs?: number;
}

/**
 * DEFAULT_TARGET_UTILIZATION leaves the loop idle about half the time under a flood: enough that another user's
 * request is usually read as soon as it arrives (bench/fairness.ts measures it).
 */
export const DEFAULT_TARGET_UTILIZATION = 0.5;

/** eventLoopBusyFraction returns a source of the event loop's utilization (perf_hooks ELU) since its previous call. */
export function eventLoopBusyFraction(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return u;
  };
}

/** BacklogPacer holds the current gap between backlogged dispatches, adjusted from the loop's busy fraction. */
export class BacklogPacer {
  readonly #clock: Clock;
  readonly #busy: () => number;
  readonly #target: number;
  readonly #intervalMs: number;
  readonly #minGapMs: number;
  readonly #maxGapMs: number;
  #gapMs = 0;
  #timer: Timer | undefined;

  constructor(config: BacklogPacerConfig) {
    this.#clock = config.clock;
    this.#busy = config.busyFraction ?? eventLoopBusyFraction();
    this.#target = config.targetUtilization ?? DEFAULT_TARGET_UTILIZATION;
    this.#intervalMs = config.sampleIntervalMs ?? 50;
    this.#minGapMs = config.minGapMs ?? 1;
    this.#maxGapMs = Math.max(this.#minGapMs, config.maxGapMs ?? 32);
  }

  /** enabled tells whether the target allows pacing at all. */
  get enabled(): boolean {
    return this.#target > 0 && this.#target < 1;
  }

  /** gapMs is the time a level leaves between two dispatches to backlogged flows (0: none). */
  get gapMs(): number {
    return this.#gapMs;
  }

  /** start samples the loop every sampleIntervalMs until stop. Idempotent; does nothing when not enabled. */
  start(): void {
    if (this.#timer || !this.enabled) return;
    this.#busy(); // the first window starts now
    const next = (): void => {
      this.#timer = this.#clock.setTimer(this.#intervalMs, () => {
        this.sample();
        if (this.#timer) next();
      });
    };
    next();
  }

  /** stop ends sampling and pacing (gap 0). */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#gapMs = 0;
  }

  /** sample reads the busy fraction once and adjusts the gap (start calls it; tests may call it directly). */
  sample(): void {
    const busy = this.#busy();
    if (busy > this.#target) this.#gapMs = Math.min(this.#maxGapMs, Math.max(this.#minGapMs, this.#gapMs * 2));
    else if (this.#gapMs > 0) {
      this.#gapMs *= 0.75;
      if (this.#gapMs < this.#minGapMs) this.#gapMs = busy > this.#target / 2 ? this.#minGapMs : 0;
    }
  }
}
