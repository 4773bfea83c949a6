/**
 * LeaderElector: one of several processes runs a singleton loop (controller manager, scheduler), chosen through a
 * lock object in the API — client-go's leaderelection package in shape and timing:
 *  - a candidate tries to acquire every `retryPeriod`; it gets the lock when nobody holds it, when it already holds
 *    it (a restart with the same identity), or when the holder's record has not changed for `leaseDuration` of
 *    *this* candidate's clock (the observed time, not the holder's renewTime, so clocks need not agree);
 *  - the leader renews every `retryPeriod`; when no renewal succeeded for `renewDeadline` (or it finds another
 *    holder) it stops leading. renewDeadline < leaseDuration so a leader that lost its lock stops before a peer
 *    can take it over;
 *  - on graceful stop the leader first stops its work (`onStoppedLeading` is awaited), then releases the lock
 *    (empty holder), so a peer takes over at its next retry instead of after a full leaseDuration.
 * Unlike client-go (whose callers exit when leadership is lost), `run` goes back to campaigning after a loss, so
 * a server that was cut off from the datastore for a while becomes a candidate again.
 */
import { RealClock, type Clock } from '../../base/clock/clock.js';
import { newLogger, type Logger } from '../../base/log/logger.js';
import type { LeaderElectionRecord, ObservedRecord, ResourceLock } from './lease-lock.js';

/** LeaderCallbacks are told when this candidate starts and stops leading. */
export interface LeaderCallbacks {
  /**
   * Starts the leader's work; `signal` aborts when leadership ends. Not awaited: renewals go on while it starts.
   * Errors are logged, not fatal.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called (and awaited before the lock is released) after leadership ended. */
  onStoppedLeading?(): void | Promise<void>;
  /** Told when the holder seen in the lock changes (this candidate included). */
  onNewLeader?(identity: string): void;
}

/**
 * LeaderGate is the small interface other components plug singleton work into: run the callbacks under
 * leadership until `signal` aborts, and say whether this process leads now.
 */
export interface LeaderGate {
  run(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void>;
  isLeader(): boolean;
}

/** LeaderElectionConfig configures a LeaderElector; durations are client-go's defaults (15 s, 10 s, 2 s). */
export interface LeaderElectionConfig {
  readonly lock: ResourceLock;
  /** Unique among candidates and stable across restarts of the same one (a restarted holder resumes at once). */
  readonly identity: string;
  /** @default 15000 */
  readonly leaseDurationMs?: number;
  /** @default 10000 */
  readonly renewDeadlineMs?: number;
  /** @default 2000 */
  readonly retryPeriodMs?: number;
  /** Release the lock when `run`'s signal aborts while leading. @default true */
  readonly releaseOnCancel?: boolean;
  /** @default RealClock */
  readonly clock?: Clock;
  /** @default a logger named "leader-election" */
  readonly log?: Logger;
}

/** The outcome of one acquire-or-renew attempt. */
type Attempt = 'held' | 'other' | 'failed';

/** LeaderElector campaigns for one lock. */
export class LeaderElector implements LeaderGate {
  readonly #lock: ResourceLock;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #releaseOnCancel: boolean;
  readonly #clock: Clock;
  readonly #log: Logger;
  #observed: ObservedRecord | undefined;
  /** When (this clock) the observed record last changed. */
  #observedAtMs = 0;
  #leading = false;
  #running = false;
  #firstTry: { promise: Promise<boolean>; resolve: (held: boolean) => void };

  constructor(config: LeaderElectionConfig) {
    this.#lock = config.lock;
    this.#identity = config.identity;
    this.#leaseDurationMs = config.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = config.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = config.retryPeriodMs ?? 2_000;
    this.#releaseOnCancel = config.releaseOnCancel ?? true;
    this.#clock = config.clock ?? new RealClock();
    this.#log = config.log ?? newLogger('leader-election');
    if (!(this.#leaseDurationMs > this.#renewDeadlineMs)) throw new Error(`Cannot elect a leader for ${this.#lock.description}: leaseDuration must be greater than renewDeadline`);
    if (!(this.#renewDeadlineMs > this.#retryPeriodMs)) throw new Error(`Cannot elect a leader for ${this.#lock.description}: renewDeadline must be greater than retryPeriod`);
    let resolve: (held: boolean) => void = () => undefined;
    const promise = new Promise<boolean>((r) => (resolve = r));
    this.#firstTry = { promise, resolve };
  }

  /** identity is this candidate's name in the lock. */
  get identity(): string {
    return this.#identity;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** leader is the holder last seen in the lock ("" when none or not read yet). */
  leader(): string {
    return this.#observed?.record.holderIdentity ?? '';
  }

  /**
   * firstTry resolves after the first acquire attempt of `run`: true when it got the lock (onStartedLeading has
   * been called, its promise not awaited), false otherwise. Lets a single server start its singletons without waiting a retry period.
   */
  firstTry(): Promise<boolean> {
    return this.#firstTry.promise;
  }

  /** run campaigns, leads and campaigns again until `signal` aborts; resolves once stopped (and released). */
  async run(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error(`Cannot run leader election for ${this.#lock.description}: already running`);
    this.#running = true;
    try {
      while (!signal.aborted) {
        if (!(await this.#acquire(callbacks, signal))) break;
        this.#leading = true;
        const term = new AbortController();
        this.#log.info('Became leader', { lock: this.#lock.description, identity: this.#identity });
        // Not awaited (client-go runs it in a goroutine): renewing must not wait for the leader's work to start.
        const failedToStart = (err: unknown): void =>
          this.#log.error('Leader work failed to start', { lock: this.#lock.description, err: err instanceof Error ? err.message : String(err) });
        try {
          void Promise.resolve(callbacks.onStartedLeading(term.signal)).catch(failedToStart);
        } catch (err) {
          failedToStart(err);
        }
        this.#firstTry.resolve(true);
        const lost = await this.#renewUntilLost(callbacks, signal);
        this.#leading = false;
        term.abort();
        if (lost) this.#log.warn('Lost leadership', { lock: this.#lock.description, identity: this.#identity });
        try {
          await callbacks.onStoppedLeading?.();
        } catch (err) {
          this.#log.error('Leader work failed to stop', { lock: this.#lock.description, err: err instanceof Error ? err.message : String(err) });
        }
        if (!lost && this.#releaseOnCancel) await this.#release();
      }
    } finally {
      this.#firstTry.resolve(false);
      this.#running = false;
    }
  }

  /** #acquire tries every retryPeriod until it holds the lock (true) or `signal` aborts (false). */
  async #acquire(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) return false;
      const got = await this.#tryAcquireOrRenew(callbacks, this.#renewDeadlineMs);
      if (got === 'held') return true;
      this.#firstTry.resolve(false);
      if (!(await this.#sleep(this.#retryPeriodMs, signal))) return false;
    }
  }

  /** #renewUntilLost renews every retryPeriod; true when leadership was lost, false when `signal` aborted. */
  async #renewUntilLost(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<boolean> {
    let lastRenewMs = this.#clock.now();
    for (;;) {
      if (!(await this.#sleep(this.#retryPeriodMs, signal))) return false;
      const left = lastRenewMs + this.#renewDeadlineMs - this.#clock.now();
      const got = left > 0 ? await this.#tryAcquireOrRenew(callbacks, left) : 'failed';
      if (signal.aborted) return false;
      if (got === 'held') lastRenewMs = this.#clock.now();
      else if (got === 'other') return true;
      else if (this.#clock.now() - lastRenewMs >= this.#renewDeadlineMs) return true;
    }
  }

  /** #tryAcquireOrRenew is one attempt, given up after `timeoutMs` (a hung request must not outlive the deadline). */
  async #tryAcquireOrRenew(callbacks: LeaderCallbacks, timeoutMs: number): Promise<Attempt> {
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<Attempt>((resolve) => (timer = this.#clock.setTimer(timeoutMs, () => resolve('failed'))));
    try {
      return await Promise.race([this.#attempt(callbacks), timeout]);
    } catch (err) {
      this.#log.debug('Leader election attempt failed', { lock: this.#lock.description, err: err instanceof Error ? err.message : String(err) });
      return 'failed';
    } finally {
      timer?.cancel();
    }
  }

  async #attempt(callbacks: LeaderCallbacks): Promise<Attempt> {
    const now = this.#clock.now();
    const mine = (acquireTimeMs: number, transitions: number): LeaderElectionRecord => ({
      holderIdentity: this.#identity,
      leaseDurationSeconds: this.#leaseDurationMs / 1000,
      acquireTimeMs,
      renewTimeMs: now,
      leaseTransitions: transitions,
    });
    // Fast path (client-go's since 1.27): a leader whose lease is still valid renews with one optimistic update at
    // the version it last wrote, instead of a get and an update every retry period. Anyone else having written the
    // lock since makes it a conflict, and the slow path below reads who holds it now.
    const last = this.#observed;
    if (this.#leading && last && last.resourceVersion !== '' && last.record.holderIdentity === this.#identity && this.#observedAtMs + this.#leaseDurationMs > now) {
      const next = mine(last.record.acquireTimeMs, last.record.leaseTransitions);
      const written = await this.#lock.update(next, last.resourceVersion);
      if (written !== 'conflict') {
        this.#observe({ record: next, resourceVersion: written.resourceVersion }, callbacks);
        return 'held';
      }
    }
    const current = await this.#lock.get();
    if (!current) {
      const created = await this.#lock.create(mine(now, 0));
      if (created === 'conflict') return 'failed';
      this.#observe({ record: mine(now, 0), resourceVersion: created.resourceVersion }, callbacks);
      return 'held';
    }
    this.#observe(current, callbacks);
    const rec = current.record;
    const heldByMe = rec.holderIdentity === this.#identity;
    const expired = this.#observedAtMs + rec.leaseDurationSeconds * 1000 <= now;
    if (rec.holderIdentity !== '' && !heldByMe && !expired) return 'other';
    const next = heldByMe ? mine(rec.acquireTimeMs, rec.leaseTransitions) : mine(now, rec.leaseTransitions + 1);
    const written = await this.#lock.update(next, current.resourceVersion);
    if (written === 'conflict') return 'failed';
    this.#observe({ record: next, resourceVersion: written.resourceVersion }, callbacks);
    return 'held';
  }

  #observe(seen: ObservedRecord, callbacks: LeaderCallbacks): void {
    const before = this.#observed?.record;
    const r = seen.record;
    const changed =
      !before ||
      before.holderIdentity !== r.holderIdentity ||
      before.renewTimeMs !== r.renewTimeMs ||
      before.acquireTimeMs !== r.acquireTimeMs ||
      before.leaseTransitions !== r.leaseTransitions ||
      before.leaseDurationSeconds !== r.leaseDurationSeconds;
    if (changed) this.#observedAtMs = this.#clock.now();
    this.#observed = seen;
    if (r.holderIdentity !== '' && r.holderIdentity !== before?.holderIdentity) callbacks.onNewLeader?.(r.holderIdentity);
  }

  /** #release gives the lock up (empty holder, 1 s duration) if this candidate still holds it. */
  async #release(): Promise<void> {
    try {
      const current = await this.#lock.get();
      if (!current || current.record.holderIdentity !== this.#identity) return;
      const now = this.#clock.now();
      const released: LeaderElectionRecord = { holderIdentity: '', leaseDurationSeconds: 1, acquireTimeMs: now, renewTimeMs: now, leaseTransitions: current.record.leaseTransitions };
      if ((await this.#lock.update(released, current.resourceVersion)) !== 'conflict') this.#log.info('Released leadership', { lock: this.#lock.description });
    } catch (err) {
      this.#log.warn('Cannot release leadership; peers take over when it expires', { lock: this.#lock.description, err: err instanceof Error ? err.message : String(err) });
    }
  }

  /** #sleep waits ms on the clock; false when `signal` aborted first. */
  #sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        timer.cancel();
        resolve(false);
      };
      const timer = this.#clock.setTimer(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
