/**
 * EventRecorder (client-go's record package): writes core/v1 Events about objects, as upstream's recorder does: the name is
 * `<object>.<hex nanoseconds>`, and a repeat of the same (object, type, reason, message) within the cache's reach
 * increments `count` and `lastTimestamp` of the existing event instead of creating another. Recording never
 * throws: events are informative and a failed write is only logged.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import type { KubeObject } from '../api/meta/types.js';
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from './rest-client.js';

const EVENTS = { version: 'v1', resource: 'events' } as const;
const MAX_REMEMBERED = 4096;

function timestamp(ms: number): string {
  return formatTimestamp(ms);
}

/** EventRecorder records events for one component. */
export class EventRecorder {
  readonly #client: RestClient;
  readonly #component: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #seen = new Map<string, { name: string; count: number }>();
  #seq = 0;

  constructor(config: { client: RestClient; component: string; clock: Clock; log: Logger }) {
    this.#client = config.client;
    this.#component = config.component;
    this.#clock = config.clock;
    this.#log = config.log;
  }

  /** record writes (or counts again) an event about `obj`; resolves when written or failed. */
  async record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const md = obj.metadata ?? {};
    const namespace = md.namespace || 'default';
    const key = `${md.uid ?? ''}\u0000${type}\u0000${reason}\u0000${message}`;
    const now = timestamp(this.#clock.now());
    const seen = this.#seen.get(key);
    try {
      if (seen) {
        seen.count++;
        await this.#client.patch({ ...EVENTS, namespace, name: seen.name }, 'merge', { count: seen.count, lastTimestamp: now });
        return;
      }
      const name = `${md.name ?? 'object'}.${(BigInt(this.#clock.now()) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16)}`;
      const event: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: md.namespace, name: md.name, uid: md.uid, resourceVersion: md.resourceVersion },
        reason,
        message,
        type,
        source: { component: this.#component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: this.#component,
        reportingInstance: '',
      };
      await this.#client.create({ ...EVENTS, namespace }, event);
      if (this.#seen.size >= MAX_REMEMBERED) this.#seen.delete(this.#seen.keys().next().value as string);
      this.#seen.set(key, { name, count: 1 });
    } catch (err) {
      // A patched event may have been deleted meanwhile; start afresh next time.
      this.#seen.delete(key);
      this.#log.debug('Cannot record event', { reason, object: `${namespace}/${md.name ?? ''}`, error: err });
    }
  }
}
