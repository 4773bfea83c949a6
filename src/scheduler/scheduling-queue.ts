/**
 * SchedulingQueue: pods waiting to be scheduled (upstream's PriorityQueue), in three parts:
 *
 *  - activeQ: pods ready for an attempt, highest spec.priority first, then oldest first;
 *  - backoffQ: pods that failed recently, each waiting out its backoff (initial × 2^(attempts−1), capped);
 *  - unschedulable: pods no node accepted; they wait for a cluster event (a node added or changed, a pod
 *    deleted) that might help, or at most `maxUnschedulableMs`, then move to backoffQ or activeQ.
 *
 * Contracts:
 *  - A pod key is in at most one part at a time; `pop` hands out each entry once.
 *  - A pod that failed while a move request happened during its attempt (`moveRequestCycle ≥ its cycle`) goes
 *    to backoffQ instead of unschedulable, so the event that might have helped is not lost.
 *  - Updates of a pod waiting in unschedulable move it only when its scheduling-relevant fields changed (spec,
 *    labels), not for status or annotation writes (the scheduler's own PodScheduled condition among them).
 */
import type { Clock, Timer } from '../base/clock/clock.js';
import type { Pod } from './framework/objects.js';
import { podKey } from './framework/objects.js';

/** QueuedPodInfo is a pod with its queueing history. */
export interface QueuedPodInfo {
  pod: Pod;
  readonly key: string;
  /** Attempts so far (incremented by pop). */
  attempts: number;
  /** When the pod last entered a queue (orders equal priorities). */
  timestamp: number;
  /** When the pod was first added. */
  readonly initialTimestamp: number;
  /** Plugins that rejected it on its last attempt. */
  unschedulablePlugins: Set<string>;
}

/** SchedulingQueueConfig constructs a SchedulingQueue. */
export interface SchedulingQueueConfig {
  readonly clock: Clock;
  /** @default 1000 (upstream's podInitialBackoffSeconds = 1) */
  readonly initialBackoffMs?: number;
  /** @default 10000 (upstream's podMaxBackoffSeconds = 10) */
  readonly maxBackoffMs?: number;
  /** Longest stay in unschedulable without an event. @default 300000 (upstream's 5 minutes) */
  readonly maxUnschedulableMs?: number;
}

/** PendingCounts are the sizes of the three parts. */
export interface PendingCounts {
  readonly active: number;
  readonly backoff: number;
  readonly unschedulable: number;
}

function priorityOf(p: Pod): number {
  return p.spec?.priority ?? 0;
}

function schedulingRelevantChange(a: Pod, b: Pod): boolean {
  return JSON.stringify(a.spec) !== JSON.stringify(b.spec) || JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {});
}

/** SchedulingQueue orders pods for the scheduler. */
export class SchedulingQueue {
  readonly #clock: Clock;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxUnschedulableMs: number;
  /** activeQ as a binary heap plus membership. */
  #heap: QueuedPodInfo[] = [];
  readonly #active = new Map<string, QueuedPodInfo>();
  readonly #backoff = new Map<string, { info: QueuedPodInfo; timer: Timer }>();
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  #getters: ((info: QueuedPodInfo | undefined) => void)[] = [];
  #closed = false;
  #schedulingCycle = 0;
  #moveRequestCycle = -1;
  #flushTimer: Timer | undefined;

  constructor(config: SchedulingQueueConfig) {
    this.#clock = config.clock;
    this.#initialBackoffMs = config.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = config.maxBackoffMs ?? 10_000;
    this.#maxUnschedulableMs = config.maxUnschedulableMs ?? 300_000;
    this.#scheduleFlush();
  }

  /** schedulingCycle counts pops; a failed attempt reports the cycle it started in. */
  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  /** counts tells how many pods each part holds. */
  counts(): PendingCounts {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size };
  }

  /** has tells whether the pod key waits in any part. */
  has(key: string): boolean {
    return this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key);
  }

  /** add queues a new pending pod in activeQ (or updates it where it waits). */
  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.has(key)) {
      this.update(pod);
      return;
    }
    const now = this.#clock.now();
    this.#pushActive({ pod, key, attempts: 0, timestamp: now, initialTimestamp: now, unschedulablePlugins: new Set() });
  }

  /** update replaces a waiting pod's object; an unschedulable pod whose spec or labels changed is moved. */
  update(pod: Pod): void {
    const key = podKey(pod);
    const active = this.#active.get(key);
    if (active) {
      active.pod = pod;
      return;
    }
    const backoff = this.#backoff.get(key);
    if (backoff) {
      backoff.info.pod = pod;
      return;
    }
    const unsched = this.#unschedulable.get(key);
    if (unsched) {
      const changed = schedulingRelevantChange(unsched.pod, pod);
      unsched.pod = pod;
      if (changed) {
        this.#unschedulable.delete(key);
        this.#requeue(unsched);
      }
      return;
    }
    this.add(pod);
  }

  /** delete forgets a pod wherever it waits. */
  delete(key: string): void {
    // Heap entries of deleted pods are skipped lazily by #popActive.
    this.#active.delete(key);
    const b = this.#backoff.get(key);
    if (b) {
      b.timer.cancel();
      this.#backoff.delete(key);
    }
    this.#unschedulable.delete(key);
  }

  /** pop resolves with the next pod to schedule, waiting while activeQ is empty; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    const info = this.#popActive();
    if (info) return Promise.resolve(info);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /**
   * addUnschedulable puts back a pod whose attempt (started in `podCycle`) failed. With `error` (an API failure
   * rather than a verdict) it always goes to backoffQ.
   */
  addUnschedulable(info: QueuedPodInfo, podCycle: number, error = false): void {
    if (this.#closed || this.has(info.key)) return;
    info.timestamp = this.#clock.now();
    if (error || this.#moveRequestCycle >= podCycle) this.#addBackoff(info);
    else this.#unschedulable.set(info.key, info);
  }

  /**
   * moveAllToActiveOrBackoff is called on cluster events that may make unschedulable pods fit. `filter` narrows
   * which pods move (e.g. only those a given plugin rejected); by default all move.
   */
  moveAllToActiveOrBackoff(filter: (info: QueuedPodInfo) => boolean = () => true): void {
    this.#moveRequestCycle = this.#schedulingCycle;
    for (const [key, info] of this.#unschedulable) {
      if (!filter(info)) continue;
      this.#unschedulable.delete(key);
      this.#requeue(info);
    }
  }

  /** close wakes pending pops with undefined and stops timers. */
  close(): void {
    this.#closed = true;
    this.#flushTimer?.cancel();
    for (const b of this.#backoff.values()) b.timer.cancel();
    const getters = this.#getters;
    this.#getters = [];
    for (const g of getters) g(undefined);
  }

  /** backoffMs is the pod's current backoff. */
  backoffMs(info: QueuedPodInfo): number {
    const exp = Math.max(0, info.attempts - 1);
    return Math.min(this.#maxBackoffMs, this.#initialBackoffMs * 2 ** Math.min(exp, 30));
  }

  #requeue(info: QueuedPodInfo): void {
    const remaining = info.timestamp + this.backoffMs(info) - this.#clock.now();
    if (info.attempts > 0 && remaining > 0) this.#addBackoff(info);
    else this.#pushActive(info);
  }

  #addBackoff(info: QueuedPodInfo): void {
    const delay = Math.max(0, info.timestamp + this.backoffMs(info) - this.#clock.now());
    const timer = this.#clock.setTimer(delay, () => {
      if (this.#backoff.get(info.key)?.info !== info) return;
      this.#backoff.delete(info.key);
      this.#pushActive(info);
    });
    this.#backoff.set(info.key, { info, timer });
  }

  #scheduleFlush(): void {
    // Upstream checks every 30 s for pods stuck in unschedulable longer than the maximum.
    this.#flushTimer = this.#clock.setTimer(30_000, () => {
      if (this.#closed) return;
      const now = this.#clock.now();
      for (const [key, info] of this.#unschedulable) {
        if (now - info.timestamp < this.#maxUnschedulableMs) continue;
        this.#unschedulable.delete(key);
        this.#requeue(info);
      }
      this.#scheduleFlush();
    });
  }

  #pushActive(info: QueuedPodInfo): void {
    if (this.#closed) return;
    const getter = this.#getters.shift();
    if (getter) {
      this.#schedulingCycle++;
      info.attempts++;
      getter(info);
      return;
    }
    this.#active.set(info.key, info);
    this.#heap.push(info);
    this.#siftUp(this.#heap.length - 1);
  }

  #popActive(): QueuedPodInfo | undefined {
    let top: QueuedPodInfo | undefined;
    for (;;) {
      top = this.#heap[0];
      if (!top) return undefined;
      const last = this.#heap.pop();
      if (last && this.#heap.length > 0) {
        this.#heap[0] = last;
        this.#siftDown(0);
      }
      if (this.#active.get(top.key) === top) break;
    }
    this.#active.delete(top.key);
    this.#schedulingCycle++;
    top.attempts++;
    return top;
  }

  #less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = priorityOf(a.pod);
    const pb = priorityOf(b.pod);
    return pa !== pb ? pa > pb : a.timestamp < b.timestamp;
  }

  #siftUp(i: number): void {
    const h = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const a = h[i];
      const p = h[parent];
      if (!a || !p || !this.#less(a, p)) break;
      h[i] = p;
      h[parent] = a;
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const h = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      const hb = (): QueuedPodInfo | undefined => h[best];
      const hl = h[l];
      const hr = h[r];
      if (hl && this.#less(hl, hb() as QueuedPodInfo)) best = l;
      if (hr && this.#less(hr, hb() as QueuedPodInfo)) best = r;
      if (best === i) return;
      const tmp = h[i] as QueuedPodInfo;
      h[i] = h[best] as QueuedPodInfo;
      h[best] = tmp;
      i = best;
    }
  }
}
