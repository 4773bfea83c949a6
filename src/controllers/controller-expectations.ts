/**
 * ControllerExpectations: how many pod creations and which pod deletions a controller is still waiting to see
 * through its informer (upstream's UIDTrackingControllerExpectations). While expectations are pending, the
 * controller does not act again on the same owner, so a burst of watch events cannot make it create twice.
 * Expectations lapse after `ttlMs` (upstream: 5 minutes) in case an event was lost.
 */

/** EXPECTATIONS_TTL_MS is how long unmet expectations hold back a controller. */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  readonly deletes: Set<string>;
  at: number;
}

/** ControllerExpectations tracks expectations per owner key. */
export class ControllerExpectations {
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #byKey = new Map<string, Expectation>();

  constructor(config: { now: () => number; ttlMs?: number }) {
    this.#now = config.now;
    this.#ttlMs = config.ttlMs ?? EXPECTATIONS_TTL_MS;
  }

  /** satisfied tells whether the owner may act: nothing pending, or the expectations expired. */
  satisfied(key: string): boolean {
    const e = this.#byKey.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.#now() - e.at > this.#ttlMs;
  }

  /** expectCreations records that `count` pods are about to be created (replacing older expectations). */
  expectCreations(key: string, count: number): void {
    this.#byKey.set(key, { adds: count, deletes: new Set(), at: this.#now() });
  }

  /** expectDeletions records the pod keys about to be deleted (replacing older expectations). */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.#byKey.set(key, { adds: 0, deletes: new Set(podKeys), at: this.#now() });
  }

  /** creationObserved lowers the pending creations by one (a pod appeared, or a create failed). */
  creationObserved(key: string): void {
    const e = this.#byKey.get(key);
    if (e) e.adds--;
  }

  /** deletionObserved marks a pod's deletion as seen (it got a deletionTimestamp, vanished, or the delete failed). */
  deletionObserved(key: string, podKey: string): void {
    this.#byKey.get(key)?.deletes.delete(podKey);
  }

  /** forget drops the owner's expectations (the owner was deleted). */
  forget(key: string): void {
    this.#byKey.delete(key);
  }
}
