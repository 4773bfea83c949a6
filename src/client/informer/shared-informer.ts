/**
 * SharedInformer: one Reflector and one Store for a collection, shared by every controller interested in it, with
 * event handlers told about each change (client-go's SharedIndexInformer, without resync).
 *
 * Contracts:
 *  - The store is updated before handlers are called, so a handler (or a worker it wakes) reads the new state.
 *  - After a relist, handlers hear onAdd for new keys, onUpdate for keys whose resourceVersion changed and
 *    onDelete for keys that vanished while the watch was down.
 *  - A handler added after the first list hears onAdd for every object already in the store.
 *  - A handler that throws is logged; it does not stop the informer or other handlers.
 *  - A handler removed (the function addEventHandler returned) hears nothing after the removal, not even the rest of
 *    an event being delivered; the other handlers are not affected.
 *  - `hasSynced()` turns true after the first complete list and stays true.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import { newLogger, type Logger } from '../../base/log/logger.js';
import type { ResourcePath } from '../resource-path.js';
import type { RestClient } from '../rest-client.js';
import { listerWatcherFor, Reflector, type ListerWatcher, type ReflectorSink } from './reflector.js';
import { metaNamespaceKey, Store, type IndexFunc } from './store.js';
import type { ObjectInterner } from './object-interner.js';
import { withoutManagedFields } from './strip-managed-fields.js';

/** ResourceEventHandler is told about changes of the informer's objects. Handlers should only enqueue work. */
export interface ResourceEventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** The object's last known state. */
  onDelete?(obj: T): void;
}

/** SharedInformerConfig constructs a SharedInformer. */
export interface SharedInformerConfig<T extends KubeObject> {
  readonly client: RestClient;
  /** The collection, e.g. {version:'v1', resource:'namespaces'}; `namespace` narrows it to one namespace. */
  readonly path: ResourcePath;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Cache PartialObjectMetadata only (kind, apiVersion, metadata): for controllers that read nothing else. */
  readonly metadataOnly?: boolean;
  /** Extra store indexes (a by-namespace index is always there). */
  readonly indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /** @default RealClock */
  readonly clock?: Clock;
  /** @default a logger named "informer" */
  readonly log?: Logger;
  /** Replaces the client for listing and watching (tests inject failures through it). */
  readonly listerWatcher?: ListerWatcher;
  /** @default 300 */
  readonly minWatchTimeoutSeconds?: number;
  /**
   * Drop metadata.managedFields from every object before it is cached (client-go's TransformStripManagedFields):
   * for components that never read them, a smaller cache. @default false
   */
  readonly stripManagedFields?: boolean;
  /**
   * Intern the parts of every object before it is cached (ObjectInterner): equal strings and small subtrees shared
   * across objects. Typically one interner for all informers of a process (its factory's). @default none
   */
  readonly interner?: ObjectInterner;
}

/** SharedInformer caches a collection and fans its changes out to handlers. */
export class SharedInformer<T extends KubeObject = KubeObject> {
  /** The cache; read-only for callers. */
  readonly store: Store<T>;
  /** The collection cached (its namespace "" for all namespaces). */
  readonly path: ResourcePath;
  readonly #name: string;
  readonly #log: Logger;
  readonly #reflector: Reflector;
  /** Replaced, never changed in place: a removal during delivery does not disturb the loop over the old array. */
  #handlers: readonly ResourceEventHandler<T>[] = [];
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #running: Promise<void> | undefined;

  constructor(config: SharedInformerConfig<T>) {
    this.store = new Store<T>(config.indexers);
    this.path = config.path;
    this.#name = config.path.group ? `${config.path.resource}.${config.path.group}` : config.path.resource;
    this.#log = config.log ?? newLogger('informer');
    const strip = config.stripManagedFields === true ? withoutManagedFields : (obj: KubeObject): KubeObject => obj;
    const interner = config.interner;
    const cached = interner ? (obj: KubeObject) => interner.intern(strip(obj)) as T : (obj: KubeObject) => strip(obj) as T;
    // An update is interned against the version it replaces (the parts it did not change are compared, not keyed).
    const updated = interner
      ? (obj: KubeObject) => {
          const stripped = strip(obj) as T;
          return interner.intern(stripped, this.store.get(metaNamespaceKey(stripped)));
        }
      : cached;
    const sink: ReflectorSink = {
      replace: (items) => this.#replace(items.map(cached)),
      add: (obj) => this.#upsert(cached(obj)),
      update: (obj) => this.#upsert(updated(obj)),
      // A deleted object leaves the store: nothing to intern.
      delete: (obj) => this.#delete(strip(obj) as T),
    };
    this.#reflector = new Reflector({
      name: this.#name,
      listerWatcher: config.listerWatcher ?? listerWatcherFor(config.client, config.path, {
          labelSelector: config.labelSelector,
          fieldSelector: config.fieldSelector,
          metadataOnly: config.metadataOnly,
        }),
      sink,
      clock: config.clock,
      log: this.#log,
      minWatchTimeoutSeconds: config.minWatchTimeoutSeconds,
    });
  }

  /**
   * addEventHandler registers a handler; if the informer already synced, it hears onAdd for every cached object.
   * Returns the handler's removal (client-go's RemoveEventHandler): for a component that stops while the informer
   * runs on (a leadership term ending), so that it is neither called nor kept alive after it stopped.
   */
  addEventHandler(handler: ResourceEventHandler<T>): () => void {
    // A wrapper per registration, so the same handler object registered twice is removed once per removal.
    const registered: ResourceEventHandler<T> = {
      onAdd: (obj) => handler.onAdd?.(obj),
      onUpdate: (oldObj, newObj) => handler.onUpdate?.(oldObj, newObj),
      onDelete: (obj) => handler.onDelete?.(obj),
    };
    this.#handlers = [...this.#handlers, registered];
    if (this.#synced) {
      for (const obj of this.store.list()) {
        if (!this.#handlers.includes(registered)) break;
        this.#call('onAdd', () => registered.onAdd?.(obj));
      }
    }
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== registered);
    };
  }

  /** handlerCount is how many handlers are registered (tests, metrics). */
  get handlerCount(): number {
    return this.#handlers.length;
  }

  /** hasSynced tells whether the first list reached the store. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** waitForSync resolves true once synced, or false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** listCount is how many complete lists the reflector did (more than 1 means it relisted). */
  get listCount(): number {
    return this.#reflector.listCount;
  }

  /** lastSyncResourceVersion is the last resourceVersion listed or watched. */
  lastSyncResourceVersion(): string {
    return this.#reflector.lastSyncResourceVersion();
  }

  /** run lists and watches until `signal` aborts. Calling it twice returns the same run. */
  run(signal: AbortSignal): Promise<void> {
    this.#running ??= this.#reflector.run(signal);
    return this.#running;
  }

  #replace(items: T[]): void {
    const before = new Map(this.store.listKeys().map((k) => [k, this.store.get(k)] as const));
    this.store.replace(items);
    for (const obj of items) {
      const key = metaNamespaceKey(obj);
      const old = before.get(key);
      before.delete(key);
      if (!old) this.#emit('onAdd', (h) => h.onAdd?.(obj));
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.#emit('onUpdate', (h) => h.onUpdate?.(old, obj));
    }
    for (const old of before.values()) if (old) this.#emit('onDelete', (h) => h.onDelete?.(old));
    if (!this.#synced) {
      this.#synced = true;
      const waiters = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const w of waiters) w();
    }
  }

  #upsert(obj: T): void {
    const old = this.store.get(metaNamespaceKey(obj));
    this.store.update(obj);
    if (old) this.#emit('onUpdate', (h) => h.onUpdate?.(old, obj));
    else this.#emit('onAdd', (h) => h.onAdd?.(obj));
  }

  #delete(obj: T): void {
    this.store.delete(obj);
    this.#emit('onDelete', (h) => h.onDelete?.(obj));
  }

  #emit(what: string, fn: (h: ResourceEventHandler<T>) => void): void {
    const handlers = this.#handlers;
    for (const h of handlers) {
      // Removed by an earlier handler of this same event: it must hear nothing more.
      if (handlers !== this.#handlers && !this.#handlers.includes(h)) continue;
      this.#call(what, () => fn(h));
    }
  }

  #call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error('Event handler failed', { resource: this.#name, handler: what, error: err });
    }
  }
}
