/**
 * RequestCancellation: the abort signal of one request, made only when someone asks for it. Most requests are short
 * and nobody listens to their signal, so creating an AbortController (and aborting it when the response closes) for
 * each of them was measurable work on the create path; watches and upgrades ask for the signal and get one.
 */
export class RequestCancellation {
  #controller: AbortController | undefined;
  #reason: Error | undefined;

  /** The request's signal; already aborted when the request was cancelled before anyone asked. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** cancel aborts the signal (now, or at once when it is first asked for). Later calls are ignored. */
  cancel(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
