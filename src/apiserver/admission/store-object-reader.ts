/** StoreObjectReader: the ObjectReader over the API server's generic stores (watch caches first, storage on a miss). */
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { ObjectReader } from './object-reader.js';

/** StoreLookup finds the store of a storage group and resource. */
export type StoreLookup = (group: string, resource: string) => GenericStore | undefined;

function isNotFound(err: unknown): boolean {
  return err instanceof StatusError && err.status.code === 404;
}

/** StoreObjectReader reads and writes through generic stores. */
export class StoreObjectReader implements ObjectReader {
  readonly #stores: StoreLookup;

  constructor(stores: StoreLookup) {
    this.#stores = stores;
  }

  async get(group: string, resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.#stores(group, resource)?.find(namespace, name);
  }

  async list(group: string, resource: string, namespace: string): Promise<readonly KubeObject[]> {
    const store = this.#stores(group, resource);
    if (!store) return [];
    // resourceVersion "0": served from the watch cache as it is, like the informers upstream's plugins read.
    return (await store.list(namespace, { resourceVersion: '0' })).items;
  }

  async updateStatus(group: string, resource: string, namespace: string, name: string, fn: (obj: KubeObject) => KubeObject): Promise<boolean> {
    const store = this.#stores(group, resource);
    if (!store) return false;
    try {
      await store.guaranteedUpdate(namespace, name, (current) => {
        const next = fn(current);
        if (next.metadata) delete next.metadata.resourceVersion;
        return next;
      }, { subresource: 'status' });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
