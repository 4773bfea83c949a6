/**
 * The Manager's leader gate: controllers run only while `onStartedLeading`'s signal is live; informers run
 * regardless, so a new leader starts with warm caches. The interface is client/leaderelection's LeaderGate, so a
 * LeaderElector on a Lease plugs in as it is (`tkube server` gives each in-process operator one); AlwaysLeader is the
 * default for a single process and the test harness.
 */
import type { LeaderCallbacks, LeaderGate } from '../client/leaderelection/leader-elector.js';

export type { LeaderCallbacks, LeaderGate } from '../client/leaderelection/leader-elector.js';

/** AlwaysLeader: one process, no election (the in-process default and the test harness's). */
export class AlwaysLeader implements LeaderGate {
  #leading = false;

  isLeader(): boolean {
    return this.#leading;
  }

  async run(callbacks: LeaderCallbacks, stop: AbortSignal): Promise<void> {
    if (stop.aborted) return;
    const leading = new AbortController();
    this.#leading = true;
    void callbacks.onStartedLeading(leading.signal);
    await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    leading.abort();
    this.#leading = false;
    await callbacks.onStoppedLeading?.();
  }
}
