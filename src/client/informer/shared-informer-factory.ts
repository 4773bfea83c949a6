/**
 * SharedInformerFactory hands out one SharedInformer per collection (group/version/resource/namespace), so
 * controllers that watch the same resource share one list, one watch and one cache. Informers asked for before
 * `start` start with it; ones asked for later start at once.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { newLogger } from '../../base/log/logger.js';
import type { ResourcePath } from '../resource-path.js';
import type { RestClient } from '../rest-client.js';
import type { InformerCollection, InformerFactory } from './informer-factory.js';
import { ObjectInterner } from './object-interner.js';
import { SharedInformer, type ResourceEventHandler } from './shared-informer.js';

/** SharedInformerFactoryConfig constructs a SharedInformerFactory. */
export interface SharedInformerFactoryConfig {
  readonly client: RestClient;
  /** @default RealClock */
  readonly clock?: Clock;
  /** @default a logger named "informers" */
  readonly log?: Logger;
  /** Informers cache objects without metadata.managedFields (see SharedInformerConfig). @default false */
  readonly stripManagedFields?: boolean;
  /**
   * Informers share the equal parts of the objects they cache (one ObjectInterner for all of this factory's
   * informers): for a process holding many similar objects, as the server's components do. @default false
   */
  readonly internObjects?: boolean;
}

/** collectionOf is the collection a path names: its `name` and `subresource` dropped. */
function collectionOf(path: ResourcePath): ResourcePath {
  return { group: path.group ?? '', version: path.version, resource: path.resource, namespace: path.namespace ?? '' };
}

function collectionKey(p: ResourcePath): string {
  return `${p.group ?? ''}/${p.version}/${p.resource}/${p.namespace ?? ''}`;
}

/** SharedInformerFactory creates and starts shared informers. */
export class SharedInformerFactory implements InformerFactory {
  readonly #client: RestClient;
  readonly #clock: Clock | undefined;
  readonly #log: Logger;
  readonly #stripManagedFields: boolean;
  readonly #interner: ObjectInterner | undefined;
  readonly #internObjects: boolean;
  readonly #informers = new Map<string, SharedInformer>();
  readonly #runs: Promise<void>[] = [];
  #signal: AbortSignal | undefined;

  constructor(config: SharedInformerFactoryConfig) {
    this.#client = config.client;
    this.#clock = config.clock;
    this.#log = config.log ?? newLogger('informers');
    this.#stripManagedFields = config.stripManagedFields === true;
    this.#internObjects = config.internObjects === true;
    this.#interner = this.#internObjects ? new ObjectInterner() : undefined;
  }

  /** informerFor returns the informer of a collection (its `name` and `subresource` are ignored), creating it once. */
  informerFor<T extends KubeObject = KubeObject>(path: ResourcePath): SharedInformer<T> {
    return this.#informer<T>(path, false);
  }

  /**
   * metadataInformerFor returns an informer whose objects' metadata is all a caller may read, as upstream's metadata
   * informers: for controllers such as the garbage collector that watch every resource but read only names, uids,
   * owners and finalizers.
   *
   * When this factory already has the full informer of the collection, that informer is the answer: its objects
   * carry the same metadata (kind and apiVersion are the resource's own, not PartialObjectMetadata's), and a second
   * list, watch and cached copy of every object (every pod's metadata held twice, issue 5) would buy nothing.
   * Otherwise it is a metadata-only informer (the server sends PartialObjectMetadata). Callers must read nothing but
   * `metadata`, so that either answer serves them.
   */
  metadataInformerFor(path: ResourcePath): SharedInformer {
    const full = this.#informers.get(collectionKey(collectionOf(path)));
    return full ?? this.#informer(path, true);
  }

  #informer<T extends KubeObject>(path: ResourcePath, metadataOnly: boolean): SharedInformer<T> {
    const collection = collectionOf(path);
    const key = `${metadataOnly ? 'metadata:' : ''}${collectionKey(collection)}`;
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new SharedInformer({ client: this.#client, path: collection, clock: this.#clock, log: this.#log, metadataOnly, stripManagedFields: this.#stripManagedFields, ...(this.#interner ? { interner: this.#interner } : {}) });
      this.#informers.set(key, informer);
      if (this.#signal) this.#runs.push(informer.run(this.#signal));
    }
    return informer as unknown as SharedInformer<T>;
  }

  /** collections lists the informers made so far with the collection each caches (metrics: informer-lag.ts). */
  collections(): InformerCollection[] {
    return [...this.#informers].map(([key, informer]) => ({ path: informer.path, metadataOnly: key.startsWith('metadata:'), informer }));
  }

  /** start runs every informer until `signal` aborts. Calling it again is a no-op. */
  start(signal: AbortSignal): void {
    if (this.#signal) return;
    this.#signal = signal;
    for (const informer of this.#informers.values()) this.#runs.push(informer.run(signal));
  }

  /** waitForCacheSync resolves true once every informer synced, false if `signal` aborted first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.#informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  /** stopped resolves once every started informer returned (after the start signal aborted). */
  async stopped(): Promise<void> {
    await Promise.all(this.#runs);
  }

  /**
   * scope returns a view of this factory for a component that may stop while the factory's informers run on: a
   * leadership term of the controller manager or the scheduler. See InformerScope.
   */
  scope(): InformerScope {
    return new InformerScope(this);
  }
}

/**
 * InformerScope: the informers of a factory as one component's term sees them. It hands out the factory's own
 * informers (the same list, watch and cache: a second term does not list and decode every pod again), each behind
 * a view that remembers the handlers registered through it, and `release()` removes them all. Starting and stopping
 * stay with the factory's owner: `start` does nothing, `stopped` resolves at once.
 *
 * Why: a component whose term ended must neither be called nor kept alive by the informers it used; before scopes
 * existed, later terms built informers of their own instead, and after each lost Lease the process held and
 * decoded every pod one more time (issue 5).
 */
export class InformerScope implements InformerFactory {
  readonly #factory: SharedInformerFactory;
  /** Each informer handed out, by the informer itself, and its view. */
  readonly #views = new Map<SharedInformer, SharedInformer>();
  #removals: (() => void)[] = [];
  #released = false;

  constructor(factory: SharedInformerFactory) {
    this.#factory = factory;
  }

  informerFor<T extends KubeObject = KubeObject>(path: ResourcePath): SharedInformer<T> {
    return this.#view(this.#factory.informerFor(path)) as unknown as SharedInformer<T>;
  }

  metadataInformerFor(path: ResourcePath): SharedInformer {
    return this.#view(this.#factory.metadataInformerFor(path));
  }

  /** The factory's informers that this scope handed out. */
  collections(): InformerCollection[] {
    return this.#factory.collections().filter((c) => this.#views.has(c.informer));
  }

  start(_signal: AbortSignal): void {
    // The factory's owner starts it.
  }

  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.#views.keys()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  stopped(): Promise<void> {
    return Promise.resolve();
  }

  /** release removes every handler registered through this scope; handlers registered afterwards are refused. */
  release(): void {
    this.#released = true;
    for (const remove of this.#removals) remove();
    this.#removals = [];
  }

  /** #view is the informer with addEventHandler recording the removal; everything else is the informer's own. */
  #view(informer: SharedInformer): SharedInformer {
    let view = this.#views.get(informer);
    if (view === undefined) {
      const addEventHandler = (handler: ResourceEventHandler): (() => void) => {
        if (this.#released) throw new Error('Cannot add an event handler: the informer scope was released');
        const remove = informer.addEventHandler(handler);
        this.#removals.push(remove);
        return remove;
      };
      // A Proxy rather than a subclass: the view must read the same store and state as the informer (private fields
      // included), so every other property is the informer's own, with methods bound to it.
      view = new Proxy(informer, {
        get: (target, property) => {
          if (property === 'addEventHandler') return addEventHandler;
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      this.#views.set(informer, view);
    }
    return view;
  }
}
