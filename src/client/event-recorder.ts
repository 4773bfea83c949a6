/**
 * EventRecorder (client-go's record package): writes core/v1 Events about objects, as upstream's recorder does: the name is
 * `<object>.<hex nanoseconds>`, and a repeat of the same (object, type, reason, message) within the cache's reach
 * increments `count` and `lastTimestamp` of the existing event instead of creating another. Recording never
 * throws: events are informative and a failed write is only logged.
 *
 * With `maxInflight`, writes go through a queue drained by at most that many requests at once, and an event
 * recorded while `maxQueued` others wait is dropped (counted in `dropped`), as upstream's broadcaster drops events
 * when its queue is full: a component that records from a hot loop (the scheduler) never waits for, nor competes
 * without bound with, its own real work. Without it every record writes at once (the default).
 *
 * Beyond upstream, Warnings come first: queued Warnings are written before queued Normal events, and a Warning
 * that finds the queue full evicts the oldest queued Normal event (counted as dropped) instead of being dropped
 * itself. A Warning is dropped only when the whole queue holds Warnings. The scheduler's `FailedScheduling` (why a
 * pod is pending, the question users ask) thereby survives a burst of `Scheduled` events.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import type { KubeObject } from '../api/meta/types.js';
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from './rest-client.js';

const EVENTS = { version: 'v1', resource: 'events' } as const;
const MAX_REMEMBERED = 4096;
/** DEFAULT_MAX_QUEUED_EVENTS is upstream's broadcaster queue length (maxQueuedEvents). */
export const DEFAULT_MAX_QUEUED_EVENTS = 1000;

function timestamp(ms: number): string {
  return formatTimestamp(ms);
}

/** EventRecorderConfig constructs an EventRecorder. */
export interface EventRecorderConfig {
  readonly client: RestClient;
  readonly component: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Event writes in flight at once; the rest wait in a queue. @default unbounded (no queue) */
  readonly maxInflight?: number;
  /** Events waiting for a write slot before new ones are dropped (with `maxInflight`). @default 1000 */
  readonly maxQueued?: number;
}

/** A queued write: the event's fields and the caller's completion. */
interface PendingEvent {
  readonly obj: KubeObject;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly annotations: Readonly<Record<string, string>> | undefined;
  readonly done: () => void;
}

/** EventRecorder records events for one component. */
export class EventRecorder {
  readonly #client: RestClient;
  readonly #component: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #seen = new Map<string, { name: string; count: number }>();
  readonly #maxInflight: number;
  readonly #maxQueued: number;
  /** Queued Warnings and queued Normal events; Warnings are written first. */
  readonly #warnings = new PendingQueue();
  readonly #normals = new PendingQueue();
  #inflight = 0;
  #seq = 0;
  /** Events dropped because the queue was full (with `maxInflight`), either type. */
  dropped = 0;
  /** Warnings among `dropped` (only when the queue held nothing but Warnings). */
  droppedWarnings = 0;
  /** Writes the API refused or that failed (each only logged: events are informative). */
  failed = 0;

  constructor(config: EventRecorderConfig) {
    this.#client = config.client;
    this.#component = config.component;
    this.#clock = config.clock;
    this.#log = config.log;
    this.#maxInflight = config.maxInflight ?? Infinity;
    this.#maxQueued = config.maxQueued ?? DEFAULT_MAX_QUEUED_EVENTS;
  }

  /** queued is how many events wait for a write slot. */
  get queued(): number {
    return this.#warnings.length + this.#normals.length;
  }

  /**
   * record writes (or counts again) an event about `obj`, with `annotations` on the Event (replacing the earlier
   * ones on a repeat); resolves when written, failed or dropped. Callers on a hot path need not await it.
   */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, annotations?: Readonly<Record<string, string>>): Promise<void> {
    if (this.#inflight < this.#maxInflight) return this.#run(obj, type, reason, message, annotations);
    if (this.queued >= this.#maxQueued) {
      // A Warning takes the place of the oldest queued Normal event; anything else that does not fit is dropped.
      const evicted = type === 'Warning' ? this.#normals.shift() : undefined;
      if (!evicted) {
        this.#countDrop(type);
        return Promise.resolve();
      }
      this.#countDrop(evicted.type);
      evicted.done();
    }
    // Only what the Event names is kept while queued, not the whole object (a queue of thousands would hold them).
    const md = obj.metadata ?? {};
    const slim: KubeObject = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { namespace: md.namespace, name: md.name, uid: md.uid, resourceVersion: md.resourceVersion } };
    return new Promise((done) => (type === 'Warning' ? this.#warnings : this.#normals).push({ obj: slim, type, reason, message, annotations, done }));
  }

  #countDrop(type: 'Normal' | 'Warning'): void {
    this.dropped++;
    if (type === 'Warning') this.droppedWarnings++;
    if (this.dropped === 1 || this.dropped % 1000 === 0) this.#log.debug('Event queue full, dropping events', { component: this.#component, dropped: this.dropped, droppedWarnings: this.droppedWarnings });
  }

  async #run(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, annotations: Readonly<Record<string, string>> | undefined): Promise<void> {
    this.#inflight++;
    try {
      await this.#write(obj, type, reason, message, annotations);
    } finally {
      this.#inflight--;
      this.#next();
    }
  }

  /** #next starts the oldest queued Warning, else the oldest queued Normal event, if any. */
  #next(): void {
    const e = this.#warnings.shift() ?? this.#normals.shift();
    if (e) void this.#run(e.obj, e.type, e.reason, e.message, e.annotations).then(e.done);
  }

  async #write(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, annotations: Readonly<Record<string, string>> | undefined): Promise<void> {
    const md = obj.metadata ?? {};
    const namespace = md.namespace || 'default';
    const key = `${md.uid ?? ''}\u0000${type}\u0000${reason}\u0000${message}`;
    const now = timestamp(this.#clock.now());
    const seen = this.#seen.get(key);
    try {
      if (seen) {
        seen.count++;
        await this.#client.patch({ ...EVENTS, namespace, name: seen.name }, 'merge', {
          ...(annotations ? { metadata: { annotations } } : {}),
          count: seen.count,
          lastTimestamp: now,
        });
        return;
      }
      const name = `${md.name ?? 'object'}.${(BigInt(this.#clock.now()) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16)}`;
      const event: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace, ...(annotations ? { annotations: { ...annotations } } : {}) },
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
      this.failed++;
      this.#log.debug('Cannot record event', { reason, object: `${namespace}/${md.name ?? ''}`, error: err });
    }
  }
}

/** PendingQueue is a FIFO of queued writes with amortized O(1) push and shift (an array and a head index). */
class PendingQueue {
  #items: (PendingEvent | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(e: PendingEvent): void {
    this.#items.push(e);
  }

  /** shift removes and returns the oldest item, or undefined when empty. */
  shift(): PendingEvent | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const e = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // Compact the consumed prefix now and then, so the array does not grow without bound.
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return e;
  }
}
