/**
 * Client: a typed client over RestClient (controller-runtime's client.Client). Objects carry their own address
 * (apiVersion, kind, metadata.namespace/name), so writes take just the object; reads take a Kind. A missing object
 * is an expected outcome and comes back as a value (`get` → undefined, `delete` → false); every other failure is
 * the RestClient's ApiError.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/meta/types.js';
import { isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import { apiVersionOf, pathOf, type Kind, type KindRegistry } from './kind.js';

/** ObjectKey names one object; `namespace` is ignored for cluster-scoped kinds. */
export interface ObjectKey {
  readonly namespace?: string;
  readonly name: string;
}

/** ClientListOptions narrow a list. */
export interface ClientListOptions {
  /** Unset: every namespace. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** PatchOptions choose the patch format. */
export interface ClientPatchOptions {
  /** "merge" (JSON merge patch, the default) or "apply" (server-side apply, forced, as this client's field manager). */
  readonly type?: 'merge' | 'apply' | 'strategic' | 'json';
  /** Patch the status subresource. */
  readonly subresource?: 'status';
}

/** ClientConfig constructs a Client. */
export interface ClientConfig {
  readonly rest: RestClient;
  readonly kinds: KindRegistry;
  /** The field manager of writes (server-side apply needs one). @default "tkube-operator" */
  readonly fieldManager?: string;
}

/** Client reads and writes API objects. */
export class Client {
  /** The underlying RestClient, for calls this client does not cover. */
  readonly rest: RestClient;
  readonly #kinds: KindRegistry;
  readonly #fieldManager: string;

  constructor(config: ClientConfig) {
    this.rest = config.rest;
    this.#kinds = config.kinds;
    this.#fieldManager = config.fieldManager ?? 'tkube-operator';
  }

  /** get reads one object; undefined when it does not exist. */
  async get<T extends KubeObject = KubeObject>(kind: Kind, key: ObjectKey): Promise<T | undefined> {
    try {
      return (await this.rest.get(pathOf(kind, key.namespace, key.name))) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** list reads a collection; items carry apiVersion and kind (a LIST answer leaves them out). */
  async list<T extends KubeObject = KubeObject>(kind: Kind, options: ClientListOptions = {}): Promise<T[]> {
    const list = await this.rest.list(pathOf(kind, options.namespace), {
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
    });
    return list.items.map((o) => ({ ...o, apiVersion: apiVersionOf(kind), kind: kind.kind }) as T);
  }

  /** create writes a new object; AlreadyExists is an ApiError. */
  async create<T extends KubeObject>(obj: T): Promise<T> {
    const kind = this.#kindOf(obj);
    return (await this.rest.create(pathOf(kind, obj.metadata?.namespace), obj, { fieldManager: this.#fieldManager })) as T;
  }

  /** update replaces an object (optimistic: a stale resourceVersion is a Conflict ApiError). Status is ignored. */
  async update<T extends KubeObject>(obj: T): Promise<T> {
    const kind = this.#kindOf(obj);
    return (await this.rest.update(pathOf(kind, obj.metadata?.namespace, nameOf(obj)), obj, { fieldManager: this.#fieldManager })) as T;
  }

  /** updateStatus replaces an object's status through the status subresource (CRDs need `subresources.status`). */
  async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
    const kind = this.#kindOf(obj);
    return (await this.rest.update(pathOf(kind, obj.metadata?.namespace, nameOf(obj), 'status'), obj, { fieldManager: this.#fieldManager })) as T;
  }

  /**
   * patch changes `obj` (only its apiVersion, kind, namespace and name address it) with `patch`. For "apply"
   * the patch is the full intent (apiVersion, kind, metadata.name included) and conflicts are forced.
   */
  async patch<T extends KubeObject>(obj: KubeObject, patch: unknown, options: ClientPatchOptions = {}): Promise<T> {
    const kind = this.#kindOf(obj);
    const type = options.type ?? 'merge';
    const path = pathOf(kind, obj.metadata?.namespace, nameOf(obj), options.subresource);
    return (await this.rest.patch(path, type, patch, { fieldManager: this.#fieldManager, ...(type === 'apply' ? { force: true } : {}) })) as T;
  }

  /** apply server-side-applies `obj` (its full intent) as this client's field manager. */
  apply<T extends KubeObject>(obj: T): Promise<T> {
    return this.patch<T>(obj, obj, { type: 'apply' });
  }

  /** delete removes an object (background propagation); false when it was already gone. */
  async delete(obj: KubeObject): Promise<boolean> {
    const kind = this.#kindOf(obj);
    try {
      await this.rest.delete(pathOf(kind, obj.metadata?.namespace, nameOf(obj)), { propagationPolicy: 'Background' });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  #kindOf(obj: KubeObject): Kind {
    const kind = obj.apiVersion && obj.kind ? this.#kinds.lookup(obj.apiVersion, obj.kind) : undefined;
    if (!kind) {
      throw new Error(`Cannot address object "${obj.metadata?.name ?? ''}": unknown kind ${obj.apiVersion ?? '?'}/${obj.kind ?? '?'} (register it with manager.kinds.register or installCRD)`);
    }
    return kind;
  }
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`Cannot address ${obj.kind ?? 'object'}: metadata.name is empty`);
  return name;
}

/** OperationResult says what createOrUpdate did. */
export type OperationResult = 'created' | 'updated' | 'unchanged';

/**
 * createOrUpdate (controllerutil.CreateOrUpdate): reads the object `obj` names; if absent, applies `mutate` to
 * `obj` and creates it; otherwise applies `mutate` to a copy of the stored object and updates it only if that
 * changed anything. `mutate` sets the fields this operator owns (data, labels, owner references) and must be
 * deterministic. A Conflict (someone wrote in between) is thrown: the reconcile is retried with fresh state.
 */
export async function createOrUpdate<T extends KubeObject>(client: Client, kind: Kind, obj: T, mutate: (o: T) => void): Promise<{ object: T; result: OperationResult }> {
  const existing = await client.get<T>(kind, { namespace: obj.metadata?.namespace, name: nameOf(obj) });
  if (!existing) {
    const fresh = structuredClone(obj);
    mutate(fresh);
    return { object: await client.create(fresh), result: 'created' };
  }
  const changed = structuredClone(existing);
  mutate(changed);
  if (isDeepStrictEqual(changed, existing)) return { object: existing, result: 'unchanged' };
  return { object: await client.update(changed), result: 'updated' };
}
