/**
 * LeaderGate: what the Manager needs from leader election. Controllers run only while `onStartedLeading`'s
 * signal is live; informers run regardless, so a new leader starts with warm caches.
 *
 * Contract for implementations: `run` calls `onStartedLeading(signal)` when leadership is gained, aborts that
 * signal and calls `onStoppedLeading()` when it is lost, may repeat the cycle, and resolves once `stop` aborted
 * (after having released leadership, if held).
 */

/** LeaderCallbacks are told about leadership changes. */
export interface LeaderCallbacks {
  /** Leadership gained: start work; stop it when `signal` aborts. */
  onStartedLeading(signal: AbortSignal): void;
  /** Leadership lost (or given up on stop). */
  onStoppedLeading(): void;
}

/** LeaderGate decides when this process may run its controllers. */
export interface LeaderGate {
  run(callbacks: LeaderCallbacks, stop: AbortSignal): Promise<void>;
}

/** AlwaysLeader: one process, no election (the in-process default and the test harness's). */
export class AlwaysLeader implements LeaderGate {
  async run(callbacks: LeaderCallbacks, stop: AbortSignal): Promise<void> {
    if (stop.aborted) return;
    const leading = new AbortController();
    callbacks.onStartedLeading(leading.signal);
    await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    leading.abort();
    callbacks.onStoppedLeading();
  }
}
