/**
 * ClusterReconciler: converges one KubeDirectorCluster (key `namespace/name`) of one API group onto
 * `desiredState` and reports `clusterStatus`. Reads come from informer stores, writes go through the API:
 *
 *   being deleted → delete its StatefulSets, Services, ConfigMap and claims, then drop the cleanup finalizer;
 *   no finalizer  → add it (so deletion waits for the cleanup above);
 *   otherwise     → create or update each desired object (an annotation holds a hash of what we last wrote, so an
 *                   unchanged object is not rewritten), delete the cluster's objects no longer desired (a removed
 *                   role's StatefulSet, a removed member's Service), write `status` when it changed.
 * Scaling is the StatefulSet's replicas: the statefulset controller adds and removes members in ordinal order.
 * A cluster whose app is missing waits (admission refused it unless the app was deleted afterwards).
 */
import { createHash } from 'node:crypto';
import { appView, clusterView, KD_APPS, KD_CLUSTERS } from '../../api/kubedirector/kubedirector-types.js';
import type { KubeObject } from '../../api/meta/types.js';
import { obj, str } from '../../api/validation/unstructured.js';
import type { Logger } from '../../base/log/logger.js';
import { isAlreadyExists, isNotFound } from '../../client/api-error.js';
import type { Store } from '../../client/informer/store.js';
import type { ResourcePath } from '../../client/resource-path.js';
import type { RestClient } from '../../client/rest-client.js';
import type { ReconcileResult, Reconciler } from '../../controllers/reconciler.js';
import { clusterStatus } from './cluster-status.js';
import { desiredState } from './desired-state.js';
import { cleanupFinalizer, clusterLabel } from './names.js';

const STATEFULSETS = { group: 'apps', version: 'v1', resource: 'statefulsets' } as const;
const SERVICES = { version: 'v1', resource: 'services' } as const;
const CONFIGMAPS = { version: 'v1', resource: 'configmaps' } as const;
const CLAIMS = { version: 'v1', resource: 'persistentvolumeclaims' } as const;

/** ClusterStores are the informer caches the reconciler reads. */
export interface ClusterStores {
  readonly clusters: Store;
  readonly apps: Store;
  readonly statefulSets: Store;
  readonly services: Store;
  readonly configMaps: Store;
  readonly pods: Store;
}

/** ClusterReconcilerConfig constructs a ClusterReconciler. */
export interface ClusterReconcilerConfig {
  readonly group: string;
  readonly version: string;
  readonly client: Pick<RestClient, 'create' | 'update' | 'patch' | 'delete' | 'deleteCollection'>;
  readonly stores: ClusterStores;
  readonly log: Logger;
}

const hashOf = (o: unknown): string => createHash('sha256').update(JSON.stringify(o)).digest('hex').slice(0, 16);

/** ClusterReconciler reconciles KubeDirectorClusters of one group; see the file comment. */
export class ClusterReconciler implements Reconciler {
  readonly #c: ClusterReconcilerConfig;
  readonly #hashKey: string;

  constructor(config: ClusterReconcilerConfig) {
    this.#c = config;
    this.#hashKey = `${config.group}/desired-hash`;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const stored = this.#c.stores.clusters.get(key);
    if (!stored) return;
    const cluster = clusterView({ ...stored, apiVersion: `${this.#c.group}/${this.#c.version}` });
    const path: ResourcePath = { group: this.#c.group, version: this.#c.version, resource: KD_CLUSTERS, namespace: cluster.namespace, name: cluster.name };
    const finalizer = cleanupFinalizer(this.#c.group);
    const finalizers = stored.metadata?.finalizers ?? [];
    if (stored.metadata?.deletionTimestamp) {
      if (!finalizers.includes(finalizer)) return;
      await this.#cleanup(cluster.namespace, cluster.name);
      await this.#ignoreNotFound(
        this.#c.client.update(path, { ...stored, metadata: { ...stored.metadata, finalizers: finalizers.filter((f) => f !== finalizer) } }),
      );
      this.#c.log.info('Deleted KubeDirectorCluster members', { cluster: key });
      return;
    }
    if (!finalizers.includes(finalizer)) {
      // The update's watch event brings the cluster back for the real work.
      await this.#ignoreNotFound(this.#c.client.update(path, { ...stored, metadata: { ...stored.metadata, finalizers: [...finalizers, finalizer] } }));
      return;
    }
    const appObj = this.#c.stores.apps.get(`${cluster.namespace}/${cluster.app}`);
    if (!appObj) {
      this.#c.log.warn('KubeDirectorCluster names a missing KubeDirectorApp; waiting', { cluster: key, app: cluster.app });
      return { requeueAfterMs: 10_000 };
    }
    const app = appView(appObj);
    const desired = desiredState(cluster, app);
    const wanted = [desired.configMap, desired.clusterService, ...desired.statefulSets, ...desired.memberServices];
    // The ConfigMap and governing Service first (members mount the one and are named through the other), then
    // StatefulSets and member Services together: each write waits on the server, not on us.
    await Promise.all([desired.configMap, desired.clusterService].map((o) => this.#apply(o)));
    await Promise.all([...desired.statefulSets, ...desired.memberServices].map((o) => this.#apply(o)));
    await this.#removeStale(cluster.namespace, cluster.name, cluster.uid, wanted);
    const pods = this.#owned(this.#c.stores.pods, cluster.namespace, cluster.name);
    const previous = obj(stored['status']);
    const status = clusterStatus(cluster, app, pods, str(previous['state']));
    if (JSON.stringify(status) !== JSON.stringify(previous)) {
      // A merge patch, not an update: the cached cluster is often a write behind (our own last status), and a
      // status computed from the pods now is right whatever that write said.
      await this.#ignoreNotFound(this.#c.client.patch({ ...path, subresource: 'status' }, 'merge', { status }));
      if (status['state'] !== previous['state']) this.#c.log.info('KubeDirectorCluster state', { cluster: key, state: String(status['state']) });
    }
  }

  #pathOf(o: KubeObject): ResourcePath {
    const base = o.kind === 'StatefulSet' ? STATEFULSETS : o.kind === 'Service' ? SERVICES : CONFIGMAPS;
    return { ...base, namespace: o.metadata?.namespace ?? '' };
  }

  #storeOf(kind: string | undefined): Store {
    return kind === 'StatefulSet' ? this.#c.stores.statefulSets : kind === 'Service' ? this.#c.stores.services : this.#c.stores.configMaps;
  }

  /** #apply creates the object, or updates it when what we want of it changed since we last wrote it. */
  async #apply(want: KubeObject): Promise<void> {
    const hash = hashOf(want);
    const md = want.metadata ?? {};
    const withHash: KubeObject = { ...want, metadata: { ...md, annotations: { ...(md.annotations ?? {}), [this.#hashKey]: hash } } };
    const current = this.#storeOf(want.kind).get(`${md.namespace ?? ''}/${md.name ?? ''}`);
    const path = this.#pathOf(want);
    if (!current) {
      try {
        await this.#c.client.create(path, withHash);
      } catch (err) {
        // The cache is behind our own earlier create; the object's event reconciles again.
        if (!isAlreadyExists(err)) throw err;
      }
      return;
    }
    if (current.metadata?.annotations?.[this.#hashKey] === hash) return;
    const next: KubeObject = {
      ...current,
      metadata: { ...current.metadata, labels: md.labels ?? {}, ownerReferences: md.ownerReferences ?? [], annotations: { ...(current.metadata?.annotations ?? {}), [this.#hashKey]: hash } },
    };
    // Services keep what the server allocated (clusterIP, node ports of unchanged ports come back on their own).
    if (want.kind === 'Service') next['spec'] = { ...obj(current['spec']), ...obj(want['spec']) };
    else if (want.kind === 'ConfigMap') next['data'] = want['data'];
    else next['spec'] = { ...obj(current['spec']), ...obj(want['spec']) };
    await this.#ignoreNotFound(this.#c.client.update({ ...path, name: md.name ?? '' }, next));
  }

  #owned(store: Store, namespace: string, name: string): KubeObject[] {
    const label = clusterLabel(this.#c.group);
    return store.list().filter((o) => o.metadata?.namespace === namespace && o.metadata.labels?.[label] === name);
  }

  async #removeStale(namespace: string, name: string, uid: string, wanted: readonly KubeObject[]): Promise<void> {
    const keep = new Set(wanted.map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`));
    for (const [kind, store, base] of [
      ['StatefulSet', this.#c.stores.statefulSets, STATEFULSETS],
      ['Service', this.#c.stores.services, SERVICES],
    ] as const) {
      const stale = this.#owned(store, namespace, name).filter((o) => !keep.has(`${kind}/${o.metadata?.name ?? ''}`) && (o.metadata?.ownerReferences ?? []).some((r) => r.uid === uid));
      await Promise.all(stale.map((o) => this.#ignoreNotFound(this.#c.client.delete({ ...base, namespace, name: o.metadata?.name ?? '' }, { propagationPolicy: 'Background' }))));
    }
  }

  /**
   * #cleanup deletes everything of a cluster being deleted, claims too (a deleted cluster keeps no data). The
   * StatefulSets go in the background: the garbage collector removes their pods.
   */
  async #cleanup(namespace: string, name: string): Promise<void> {
    const deletes: Promise<void>[] = [];
    for (const [store, base] of [
      [this.#c.stores.statefulSets, STATEFULSETS],
      [this.#c.stores.services, SERVICES],
      [this.#c.stores.configMaps, CONFIGMAPS],
    ] as const) {
      for (const o of this.#owned(store, namespace, name)) {
        deletes.push(this.#ignoreNotFound(this.#c.client.delete({ ...base, namespace, name: o.metadata?.name ?? '' }, { propagationPolicy: 'Background' })));
      }
    }
    deletes.push(this.#ignoreNotFound(this.#c.client.deleteCollection({ ...CLAIMS, namespace }, { labelSelector: `${clusterLabel(this.#c.group)}=${name}` })));
    await Promise.all(deletes);
  }

  async #ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** KD_RESOURCES are the collections a group's reconciler watches besides the core ones. */
export const KD_RESOURCES = { apps: KD_APPS, clusters: KD_CLUSTERS } as const;
