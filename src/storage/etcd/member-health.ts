/**
 * MemberHealth: the per-endpoint fault policy EtcdStorage gives the etcd3 client instead of its default circuit
 * breaker. The default counts every "recoverable" gRPC error as a failure, cancelled calls included, and EtcdStorage
 * cancels watch streams as a matter of course (a replay joining the shared stream, a watch closed), so the breaker
 * opened under normal operation and, after an outage, kept re-opening on its half-open probes: the server stayed
 * unavailable long after etcd was back. This policy only remembers that an endpoint refused a connection (gRPC
 * UNAVAILABLE) and skips it for a short while, so calls go to the other members; with every member skipped, calls
 * fail at once with MemberDownError until the pause ends.
 */

/** MemberDownError: every endpoint the call could use failed within the last pause. */
export class MemberDownError extends Error {
  constructor(readonly endpoint: string) {
    super(`etcd member ${endpoint} is unavailable (it refused a call less than a second ago)`);
    this.name = 'MemberDownError';
  }
}

/** MemberHealth implements the one method of cockatiel's IPolicy that the etcd3 client calls. */
export class MemberHealth {
  #downUntil = 0;

  /**
   * `unavailableError` is etcd3's GRPCUnavailableError class, passed in so that this module does not load the etcd3
   * package (etcd3-module.ts says why).
   */
  constructor(
    readonly endpoint: string,
    readonly unavailableError: abstract new (...args: never[]) => Error,
    readonly pauseMs = 1000,
    readonly now: () => number = Date.now,
  ) {}

  async execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal: AbortSignal = new AbortController().signal): Promise<T> {
    if (this.now() < this.#downUntil) throw new MemberDownError(this.endpoint);
    try {
      return await fn({ signal });
    } catch (err) {
      if (err instanceof this.unavailableError || (err instanceof Error && /\b14 UNAVAILABLE\b/.test(err.message))) this.#downUntil = this.now() + this.pauseMs;
      throw err;
    }
  }
}
