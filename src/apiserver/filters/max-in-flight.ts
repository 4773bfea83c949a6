/**
 * MaxInFlightLimit: upstream's --max-requests-inflight / --max-mutating-requests-inflight. Requests beyond the
 * limit of their kind are refused (the chain answers 429 with Retry-After). Long-running requests (watch, proxy,
 * exec, attach, log, portforward) hold a slot only until they start streaming: their slot is released when the
 * response headers go out, so open watches never starve short requests.
 */
import type { ServerResponse } from 'node:http';
import type { RequestInfo } from '../request/request-info.js';

/** Verbs that do not change state; every other verb counts against the mutating limit. */
const NON_MUTATING_VERBS = new Set(['get', 'list', 'watch']);
const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/** RequestKind is the in-flight class of a request, as upstream's `request_kind` label. */
export type RequestKind = 'readOnly' | 'mutating';

/** requestKind classifies a request for the in-flight limit. Non-resource requests are read-only unless they write. */
export function requestKind(info: RequestInfo): RequestKind {
  if (info.isResourceRequest) return NON_MUTATING_VERBS.has(info.verb) ? 'readOnly' : 'mutating';
  return info.verb === 'get' || info.verb === 'head' || info.verb === 'options' ? 'readOnly' : 'mutating';
}

/** isLongRunning tells whether a request may stream for a long time (upstream's BasicLongRunningRequestCheck). */
export function isLongRunning(info: RequestInfo): boolean {
  return info.isResourceRequest && (LONG_RUNNING_VERBS.has(info.verb) || LONG_RUNNING_SUBRESOURCES.has(info.subresource));
}

/** MaxInFlightConfig sets the two limits. */
export interface MaxInFlightConfig {
  /** Concurrent read-only requests; 0 disables the limit. @default 400 */
  readonly maxReadOnly?: number;
  /** Concurrent mutating requests; 0 disables the limit. @default 200 */
  readonly maxMutating?: number;
  /** Called with the kind and new count whenever a count changes (for the in-flight gauge). */
  readonly onChange?: (kind: RequestKind, count: number) => void;
}

/** MaxInFlightLimit counts requests in flight per kind. */
export class MaxInFlightLimit {
  readonly #limits: Record<RequestKind, number>;
  readonly #counts: Record<RequestKind, number> = { readOnly: 0, mutating: 0 };
  readonly #onChange: (kind: RequestKind, count: number) => void;

  constructor(config: MaxInFlightConfig = {}) {
    this.#limits = { readOnly: config.maxReadOnly ?? 400, mutating: config.maxMutating ?? 200 };
    this.#onChange = config.onChange ?? (() => undefined);
  }

  /** The number of requests of `kind` holding a slot. */
  inFlight(kind: RequestKind): number {
    return this.#counts[kind];
  }

  /**
   * tryAcquire takes a slot for the request, or returns undefined when its kind is at the limit. The returned
   * release function is idempotent; the slot is also released when `res` closes, and, for long-running requests,
   * as soon as the response headers are written.
   */
  tryAcquire(info: RequestInfo, res: ServerResponse): (() => void) | undefined {
    const kind = requestKind(info);
    const limit = this.#limits[kind];
    if (limit > 0 && this.#counts[kind] >= limit) return undefined;
    this.#counts[kind]++;
    this.#onChange(kind, this.#counts[kind]);
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.#counts[kind]--;
      this.#onChange(kind, this.#counts[kind]);
    };
    releaseWhenDone(info, res, release);
    return release;
  }
}

/**
 * releaseWhenDone calls `release` when `res` closes and, for a long-running request, as soon as its response headers
 * are written: a watch holds its seat only until it starts streaming, so open watches never starve short requests.
 */
export function releaseWhenDone(info: RequestInfo, res: ServerResponse, release: () => void): void {
  res.once('close', release);
  if (!isLongRunning(info)) return;
  // Every path that sends headers (explicit writeHead, or the implicit one of the first write) goes through
  // writeHead, so wrapping it on this one response marks the start of streaming.
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    release();
    return writeHead(...args);
  }) as typeof res.writeHead;
}
