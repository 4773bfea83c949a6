/**
 * RbacCacheFeed keeps an RbacAuthorizer current from the API server's own watch caches of the four RBAC
 * resources: a snapshot at start, then every event. If a cache drops its watcher (overflow, reset), the kind is
 * re-read from a fresh snapshot. RBAC objects are never read from Storage directly.
 */
import type { Logger } from '../../base/log/logger.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { CacheWatcher } from '../watch/cache-watcher.js';
import type { RbacAuthorizer, RbacKind } from './rbac-authorizer.js';
import type { KubeObject } from '../../api/meta/types.js';

/** RBAC_RESOURCES maps each RBAC kind to its resource in rbac.authorization.k8s.io. */
export const RBAC_RESOURCES: ReadonlyMap<RbacKind, string> = new Map<RbacKind, string>([
  ['ClusterRole', 'clusterroles'],
  ['Role', 'roles'],
  ['ClusterRoleBinding', 'clusterrolebindings'],
  ['RoleBinding', 'rolebindings'],
]);

/** RBAC_GROUP is the RBAC API group. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** RbacCacheFeedConfig wires the feed. */
export interface RbacCacheFeedConfig {
  readonly authorizer: RbacAuthorizer;
  readonly storeFor: (group: string, resource: string) => GenericStore | undefined;
  readonly log: Logger;
}

/** RbacCacheFeed feeds the authorizer until stopped. */
export class RbacCacheFeed {
  readonly #config: RbacCacheFeedConfig;
  readonly #watchers = new Set<CacheWatcher>();
  #stopped = false;

  constructor(config: RbacCacheFeedConfig) {
    this.#config = config;
  }

  /** start loads every kind and resolves once the authorizer holds the current state. */
  async start(): Promise<void> {
    await Promise.all([...RBAC_RESOURCES].map(([kind, resource]) => this.#follow(kind, resource)));
  }

  async #follow(kind: RbacKind, resource: string): Promise<void> {
    const store = this.#config.storeFor(RBAC_GROUP, resource);
    const cache = store?.watchCache;
    if (!store || !cache) throw new Error(`Cannot authorize with RBAC: no watch cache for ${resource}`);
    const { items, revision } = await cache.snapshot(store.keyPrefix);
    const authz = this.#config.authorizer;
    authz.reset(kind);
    for (const obj of items) authz.upsert(kind, obj);
    const watcher = await cache.watch({ prefix: store.keyPrefix, resourceVersion: String(revision) });
    if (this.#stopped) {
      watcher.close();
      return;
    }
    this.#watchers.add(watcher);
    void this.#pump(kind, resource, watcher);
  }

  async #pump(kind: RbacKind, resource: string, watcher: CacheWatcher): Promise<void> {
    const authz = this.#config.authorizer;
    for (;;) {
      const e = await watcher.next();
      if (!e) break;
      if (e.type === 'ADDED' || e.type === 'MODIFIED') authz.upsert(kind, e.object as KubeObject);
      else if (e.type === 'DELETED') authz.remove(kind, e.object as KubeObject);
    }
    this.#watchers.delete(watcher);
    if (this.#stopped) return;
    this.#config.log.warn('RBAC watch ended; re-reading', { resource, reason: watcher.reason });
    try {
      await this.#follow(kind, resource);
    } catch (err) {
      this.#config.log.error('Cannot re-read RBAC objects', { resource, err });
    }
  }

  /** stop closes the watchers. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#watchers) w.close();
    this.#watchers.clear();
  }
}
