/**
 * Store: the informer's local cache of objects, keyed by `namespace/name` (or `name` for cluster-scoped objects),
 * with optional secondary indexes (client-go's cache.Indexer). Readers get the stored objects themselves: they
 * must treat them as read-only and copy before changing (structuredClone), as with client-go's listers.
 * Node runs one thread, so each call sees the store at one instant; there is nothing to lock.
 */
import type { KubeObject } from '../../api/meta/types.js';

/** IndexFunc returns the index values of an object (an object may have several, or none). */
export type IndexFunc<T extends KubeObject> = (obj: T) => readonly string[];

/** NAMESPACE_INDEX is the name of the by-namespace index every informer store has. */
export const NAMESPACE_INDEX = 'namespace';

/** metaNamespaceKey is an object's store key: `namespace/name`, or `name` when it has no namespace. */
export function metaNamespaceKey(obj: KubeObject): string {
  const md = obj.metadata ?? {};
  const name = md.name ?? '';
  return md.namespace ? `${md.namespace}/${name}` : name;
}

/** splitMetaNamespaceKey reverses metaNamespaceKey. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Store is a keyed, indexed cache of objects. */
export class Store<T extends KubeObject = KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys. */
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Readonly<Record<string, IndexFunc<T>>> = {}) {
    this.addIndexers({ [NAMESPACE_INDEX]: (o) => [o.metadata?.namespace ?? ''], ...indexers });
  }

  /** addIndexers adds indexes (built over the current contents too). A name already in use throws. */
  addIndexers(indexers: Readonly<Record<string, IndexFunc<T>>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.#indexers.has(name)) throw new Error(`Cannot add indexer "${name}": it already exists`);
      this.#indexers.set(name, fn);
      this.#indices.set(name, new Map());
      for (const [key, obj] of this.#items) this.#index(name, fn, key, obj);
    }
  }

  /** hasIndex tells whether an index of that name exists (controllers sharing an informer add theirs once). */
  hasIndex(name: string): boolean {
    return this.#indexers.has(name);
  }

  /** add stores (or replaces) an object under its key. */
  add(obj: T): void {
    const key = metaNamespaceKey(obj);
    const old = this.#items.get(key);
    if (old) this.#unindex(key, old);
    this.#items.set(key, obj);
    for (const [name, fn] of this.#indexers) this.#index(name, fn, key, obj);
  }

  /** update is add: the store keeps the latest state of each key. */
  update(obj: T): void {
    this.add(obj);
  }

  /** delete removes the object with `obj`'s key; a missing key is a no-op. */
  delete(obj: T): void {
    this.deleteKey(metaNamespaceKey(obj));
  }

  /** deleteKey removes the object stored under `key`, if any. */
  deleteKey(key: string): void {
    const old = this.#items.get(key);
    if (!old) return;
    this.#unindex(key, old);
    this.#items.delete(key);
  }

  /** replace swaps the whole contents for `items` (after a list). */
  replace(items: readonly T[]): void {
    this.#items.clear();
    for (const m of this.#indices.values()) m.clear();
    for (const o of items) this.add(o);
  }

  /** get returns the object stored under `key` (`namespace/name` or `name`). */
  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  /** list returns every object. */
  list(): T[] {
    return [...this.#items.values()];
  }

  /** listKeys returns every key. */
  listKeys(): string[] {
    return [...this.#items.keys()];
  }

  /** byIndex returns the objects whose index `indexName` contains `value`. An unknown index throws. */
  byIndex(indexName: string, value: string): T[] {
    const index = this.#indices.get(indexName);
    if (!index) throw new Error(`Cannot read index "${indexName}": no such indexer`);
    const out: T[] = [];
    for (const key of index.get(value) ?? []) {
      const o = this.#items.get(key);
      if (o) out.push(o);
    }
    return out;
  }

  /** size is the number of objects. */
  get size(): number {
    return this.#items.size;
  }

  #index(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const index = this.#indices.get(name);
    if (!index) return;
    for (const v of fn(obj)) {
      let keys = index.get(v);
      if (!keys) index.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name);
      if (!index) continue;
      for (const v of fn(obj)) {
        const keys = index.get(v);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(v);
      }
    }
  }
}
