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
 *
 * Sampling runs only while a paced level has queued requests (the only time the gap is read for a dispatch): the
 * level's queues wake the pacer (`wake`), and a sample that finds them all empty (`observe`) stops the timer, so an
 * idle server has no 50 ms timer. Waking catches up on the samples it slept through, from the loop's busy fraction
 * over that time, so the gap is what sampling all along would about have made it: a flood whose queues empty for a
 * moment keeps its gap, and a quiet hour leaves none.
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
 * DEFAULT_TARGET_UTILIZATION leaves the loop idle about two thirds of the time under a flood, so that another user's
 * request is read as soon as it arrives. Measured against a flood that ignores Retry-After (bench/fairness.ts, with
 * the flood client below the server in CPU priority, session 13): at 0.5 the other user's loaded p99 was 3.7–3.8 ms,
 * at 0.35 2.3–2.6 ms (about its unloaded p99), at 0.25 2.1 ms; the flood's admitted lists fell from ~900/s to ~550–650
 * and, at 0.25, to 100–300. 0.35 buys most of the latency for a third of the flood's throughput.
 */
export const DEFAULT_TARGET_UTILIZATION = 0.35;

/**
 * MAX_CATCH_UP_SAMPLES bounds the samples made up for on waking: after 64 the gap has gone from its largest to 0 on
 * an idle loop, or reached its largest on a busy one, whatever the bounds.
 */
const MAX_CATCH_UP_SAMPLES = 64;

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
  #started = false;
  #timer: Timer | undefined;
  /** When the gap was last adjusted (a sample, or the catch-up on waking). */
  #sampledAt = 0;
  /** Whether a paced level has queued requests (see observe). */
  #waiting: () => boolean = () => false;

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

  /**
   * observe tells the pacer how to learn whether any paced level has queued requests (PriorityAndFairness sets it
   * for its levels); sampling stops at a sample that finds none.
   */
  observe(waiting: () => boolean): void {
    this.#waiting = waiting;
  }

  /** sampling tells whether the sample timer runs (for tests). */
  get sampling(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * start lets the pacer sample, every sampleIntervalMs while a paced level has queued requests, until stop.
   * Idempotent; does nothing when not enabled.
   */
  start(): void {
    if (this.#started || !this.enabled) return;
    this.#started = true;
    this.#busy(); // the first window starts now
    this.#sampledAt = this.#clock.now();
    if (this.#waiting()) this.#schedule();
  }

  /**
   * wake resumes sampling when a request joins a paced level's queue and the timer had stopped: the intervals slept
   * through are adjusted for first, each with the loop's busy fraction over the whole sleep.
   */
  wake(): void {
    if (!this.#started || this.#timer) return;
    const now = this.#clock.now();
    const missed = Math.min(MAX_CATCH_UP_SAMPLES, Math.floor((now - this.#sampledAt) / this.#intervalMs));
    if (missed > 0) {
      const busy = this.#busy();
      for (let i = 0; i < missed; i++) this.#adjust(busy);
      this.#sampledAt = now;
    }
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimer(this.#intervalMs, () => {
      this.#timer = undefined;
      this.sample();
      if (this.#started && this.#waiting()) this.#schedule();
    });
  }

  /** stop ends sampling and pacing (gap 0). */
  stop(): void {
    this.#started = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#gapMs = 0;
  }

  /** sample reads the busy fraction once and adjusts the gap (start calls it; tests may call it directly). */
  sample(): void {
    this.#adjust(this.#busy());
    this.#sampledAt = this.#clock.now();
  }

  /** #adjust moves the gap one step for a sample that found the loop `busy`. */
  #adjust(busy: number): void {
    if (busy > this.#target) this.#gapMs = Math.min(this.#maxGapMs, Math.max(this.#minGapMs, this.#gapMs * 2));
    else if (this.#gapMs > 0) {
      this.#gapMs *= 0.75;
      if (this.#gapMs < this.#minGapMs) this.#gapMs = busy > this.#target / 2 ? this.#minGapMs : 0;
    }
  }
}
