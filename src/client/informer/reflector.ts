/**
 * Reflector keeps a sink in step with one collection on the server (client-go's Reflector):
 *
 *   list → sink.replace(items) → watch from the list's resourceVersion (with bookmarks) → sink.add/update/delete
 *
 * A watch that ends (server timeout, dropped connection) is re-opened from the last resourceVersion seen, so no
 * event is lost and nothing is listed again. A 410 Expired — as the watch's HTTP answer or as an ERROR event —
 * means that resourceVersion is gone: the reflector lists again. Other failures wait a jittered, growing backoff
 * (800 ms → 30 s) before the next attempt. `run` returns once its signal aborts.
 */
import type { KubeList, KubeObject, Status } from '../../api/meta/types.js';
import { RealClock, type Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { newLogger } from '../../base/log/logger.js';
import { Backoff, jittered } from '../../base/wait/backoff.js';
import { ApiError, isExpired } from '../api-error.js';
import type { ResourcePath } from '../resource-path.js';
import type { ListOptions, RestClient, WatchEvent, WatchOptions } from '../rest-client.js';

/** ListerWatcher lists and watches one collection (a RestClient bound to a path and selectors). */
export interface ListerWatcher {
  list(options: ListOptions): Promise<KubeList>;
  watch(options: WatchOptions): AsyncIterable<WatchEvent>;
}

/** listerWatcherFor binds a client to a collection and optional selectors. */
export function listerWatcherFor(
  client: RestClient,
  path: ResourcePath,
  selectors: { labelSelector?: string; fieldSelector?: string; metadataOnly?: boolean } = {},
): ListerWatcher {
  return {
    list: (options) => client.list(path, { ...selectors, ...options }),
    watch: (options) => client.watch(path, { ...selectors, ...options }),
  };
}

/** ReflectorSink receives what the reflector learns. */
export interface ReflectorSink {
  /** replace: the complete contents as of a list. */
  replace(items: KubeObject[], resourceVersion: string): void;
  add(obj: KubeObject): void;
  update(obj: KubeObject): void;
  delete(obj: KubeObject): void;
}

/** ReflectorConfig constructs a Reflector. */
export interface ReflectorConfig {
  /** For logs, e.g. "namespaces". */
  readonly name: string;
  readonly listerWatcher: ListerWatcher;
  readonly sink: ReflectorSink;
  /** @default RealClock */
  readonly clock?: Clock;
  /** @default a logger named "reflector" */
  readonly log?: Logger;
  /** Delays between failed attempts. @default Backoff 800 ms → 30 s, jitter 1 */
  readonly backoff?: Backoff;
  /** Watches are asked to end after this many seconds × (1..2), spreading reconnects. @default 300 */
  readonly minWatchTimeoutSeconds?: number;
}

/** Reflector lists and watches a collection into a sink until stopped. */
export class Reflector {
  readonly #name: string;
  readonly #lw: ListerWatcher;
  readonly #sink: ReflectorSink;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #minWatchTimeout: number;
  #lastRv = '';
  #lists = 0;

  constructor(config: ReflectorConfig) {
    this.#name = config.name;
    this.#lw = config.listerWatcher;
    this.#sink = config.sink;
    this.#clock = config.clock ?? new RealClock();
    this.#log = config.log ?? newLogger('reflector');
    this.#backoff = config.backoff ?? new Backoff();
    this.#minWatchTimeout = config.minWatchTimeoutSeconds ?? 300;
  }

  /** lastSyncResourceVersion is the resourceVersion the reflector last listed or saw in a watch ("" before the first list). */
  lastSyncResourceVersion(): string {
    return this.#lastRv;
  }

  /** listCount is how many lists completed (1 after start-up; more after each relist). */
  get listCount(): number {
    return this.#lists;
  }

  /** run lists and watches until `signal` aborts; it never throws for API failures (it retries them). */
  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
        }
        const outcome = await this.#watch(signal);
        if (outcome === 'expired') {
          this.#log.info('Watch expired; listing again', { resource: this.#name, resourceVersion: this.#lastRv });
          needList = true;
        } else if (outcome === 'idle') {
          // A watch that ended at once without news: do not hammer the server.
          await abortableSleep(this.#clock, this.#backoff.next(), signal);
        }
      } catch (err) {
        if (signal.aborted) break;
        if (isExpired(err)) {
          this.#log.info('Resource version expired; listing again', { resource: this.#name, resourceVersion: this.#lastRv });
          needList = true;
          continue;
        }
        const delay = this.#backoff.next();
        this.#log.warn(needList ? 'List failed; retrying' : 'Watch failed; retrying', { resource: this.#name, error: err, retryInMs: Math.round(delay) });
        await abortableSleep(this.#clock, delay, signal);
      }
    }
  }

  async #list(): Promise<void> {
    const list = await this.#lw.list({});
    const rv = list.metadata.resourceVersion ?? '';
    this.#sink.replace(list.items, rv);
    this.#lastRv = rv;
    this.#lists++;
    this.#backoff.reset();
  }

  /** #watch streams one watch; 'expired' asks for a relist, 'idle' for a pause, 'ended' for an immediate re-watch. */
  async #watch(signal: AbortSignal): Promise<'expired' | 'idle' | 'ended'> {
    const startedAt = this.#clock.now();
    let events = 0;
    const timeoutSeconds = Math.round(jittered(this.#minWatchTimeout, 1));
    const stream = this.#lw.watch({ resourceVersion: this.#lastRv, allowWatchBookmarks: true, timeoutSeconds, signal });
    for await (const ev of stream) {
      events++;
      if (ev.type === 'ERROR') {
        const status = ev.object as unknown as Status;
        if (status.code === 410) return 'expired';
        throw new ApiError(status);
      }
      const rv = ev.object.metadata?.resourceVersion;
      if (ev.type === 'ADDED') this.#sink.add(ev.object);
      else if (ev.type === 'MODIFIED') this.#sink.update(ev.object);
      else if (ev.type === 'DELETED') this.#sink.delete(ev.object);
      if (rv) this.#lastRv = rv;
      this.#backoff.reset();
    }
    if (signal.aborted) return 'ended';
    return events === 0 && this.#clock.now() - startedAt < 1000 ? 'idle' : 'ended';
  }
}

/** abortableSleep resolves after `ms` or as soon as `signal` aborts. */
function abortableSleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimer(ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
