/**
 * InformerFactory: what a component takes to read the cluster through shared informers. Components ask for the
 * informer of each collection they read; whoever made the factory decides when its informers run.
 *
 * Two implementations: SharedInformerFactory, which makes, runs and stops the informers, and InformerScope, a
 * leadership term's view of such a factory whose handlers can all be removed at once (shared-informer-factory.ts).
 * A component must not assume which one it got: it registers handlers, waits for the caches to sync, and calls
 * `start` (a no-op on a scope, or on a factory already started), never anything else.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourcePath } from '../resource-path.js';
import type { SharedInformer } from './shared-informer.js';

/** InformerCollection is one informer a factory made, with the collection it caches. */
export interface InformerCollection {
  readonly path: ResourcePath;
  readonly metadataOnly: boolean;
  readonly informer: SharedInformer;
}

export interface InformerFactory {
  /**
   * informerFor returns the informer of a collection (its `name` and `subresource` are ignored): the same informer
   * for every caller asking for the same collection.
   */
  informerFor<T extends KubeObject = KubeObject>(path: ResourcePath): SharedInformer<T>;
  /**
   * metadataInformerFor returns an informer whose objects' `metadata` is all a caller may read (the full informer of
   * the collection when there is one; otherwise one that lists and watches PartialObjectMetadata).
   */
  metadataInformerFor(path: ResourcePath): SharedInformer;
  /** collections lists the informers handed out so far (metrics: informer lag). */
  collections(): InformerCollection[];
  /** start runs the informers until `signal` aborts; idempotent, and a no-op where the owner runs them. */
  start(signal: AbortSignal): void;
  /** waitForCacheSync resolves true once every informer handed out has synced, false if `signal` aborted first. */
  waitForCacheSync(signal?: AbortSignal): Promise<boolean>;
  /** stopped resolves once the informers this factory started have returned (at once where the owner runs them). */
  stopped(): Promise<void>;
}
