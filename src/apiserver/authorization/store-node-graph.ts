/**
 * StoreNodeGraph answers NodeAuthorizer's questions from the pods watch cache (never Storage). Pods per node
 * are indexed once per cache revision of the pods resource, so a kubelet's many secret and configmap reads do not
 * each scan every pod.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { CachedObject } from '../watch/cached-object.js';
import type { NodeGraph } from './node-authorizer.js';

/** StoreNodeGraph implements NodeGraph over the pods GenericStore. */
export class StoreNodeGraph implements NodeGraph {
  readonly #pods: () => GenericStore | undefined;
  /**
   * The cache's pod entries by spec.nodeName (read from their selection attributes, so indexing decodes nothing);
   * a node's pods are decoded when asked for.
   */
  #byNode: { revision: number; index: Map<string, CachedObject[]> } | undefined;

  /** `pods` resolves the pods store lazily (the dispatcher is built after the authorizer). */
  constructor(pods: () => GenericStore | undefined) {
    this.#pods = pods;
  }

  async podsOnNode(node: string): Promise<readonly KubeObject[]> {
    const store = this.#pods();
    const cache = store?.watchCache;
    if (!store || !cache) return [];
    if (this.#byNode?.revision !== cache.revision) {
      const { entries, revision } = await cache.entries(store.keyPrefix);
      const index = new Map<string, CachedObject[]>();
      for (const entry of entries) {
        const n = entry.attributes !== undefined ? entry.attributes.field('spec.nodeName') : (entry.object().spec as { nodeName?: string } | undefined)?.nodeName;
        if (!n) continue;
        const list = index.get(n);
        if (list) list.push(entry);
        else index.set(n, [entry]);
      }
      this.#byNode = { revision, index };
    }
    return (this.#byNode.index.get(node) ?? []).map((entry) => entry.object());
  }

  async pod(namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.#pods()?.find(namespace, name);
  }
}
