/**
 * GenericStore: the one create/read/update/delete flow every resource shares (upstream's registry/generic Store).
 * Per-resource policy comes from the ResourceStrategy; per-resource side effects (IP and port allocation) from
 * StoreHooks. Storage errors are translated to API Status errors here and nowhere else.
 *
 * Objects are stored as JSON without resourceVersion (stored-object.ts); resourceVersion is the key's modRevision.
 */
import { randomUUID } from 'node:crypto';
import {
  badRequest,
  conflict,
  expired,
  invalid,
  methodNotAllowed,
  newStatus,
  notFound,
  StatusError,
} from '../../api/meta/status-error.js';
import type { GroupResource } from '../../api/meta/status-error.js';
import type { KubeList, KubeObject } from '../../api/meta/types.js';
import type { ResourceInfo } from '../../api/scheme.js';
import { groupVersionOf } from '../../api/scheme.js';
import { toCauses } from '../../api/validation/field-error.js';
import type { FieldError } from '../../api/validation/field-error.js';
import type { Clock } from '../../base/clock/clock.js';
import { CompactedError, ConflictError, KeyExistsError, KeyNotFoundError } from '../../storage/errors.js';
import type { KeyValue, Storage } from '../../storage/storage.js';
import type { AdmissionAttributes, AdmissionOperation } from '../admission/admission.js';
import { lazyList } from '../negotiation/object-json.js';
import type { UserInfo } from '../request/request-info.js';
import type { CachedObject } from '../watch/cached-object.js';
import type { WatchCache } from '../watch/watch-cache.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { generateName } from './name-generator.js';
import { applyScale, scaleOf } from './scale.js';
import type { Scale } from './scale.js';
import type { SelectionPredicate } from './selection-predicate.js';
import { stableJson } from './stable-json.js';
import { interpretStorageError, OPTIMISTIC_LOCK_MESSAGE } from './storage-error.js';
import { namespacePrefix, objectKey, resourcePrefix } from './storage-key.js';
import { decodeObject, encodeObject, encodeWrittenObject, rememberStoredJson } from './stored-object.js';
import type { ResourceStrategy, StrategyContext } from './strategy.js';
import { formatTimestamp } from '../../api/meta/timestamp.js';

/** How many times a write retries after losing a race with another writer before answering 409. */
const MAX_CONFLICT_RETRIES = 5;
/** How many generated names are tried before giving up on AlreadyExists. */
const MAX_GENERATE_NAME_TRIES = 3;

/** Undo reverts a hook's side effect (e.g. releases an allocated IP) when the write does not happen. */
export type Undo = () => void;

/** StoreHooks are per-resource side effects around writes. Each may throw a StatusError to refuse the write. */
export interface StoreHooks {
  /** Runs after validation, before a create is stored; returns how to undo it if the create fails or is a dry run. */
  beforeCreate?(obj: KubeObject): Undo;
  /** Runs after validation, before an update is stored; returns how to undo it. */
  beforeUpdate?(obj: KubeObject, old: KubeObject): Undo;
  /** Runs after an object has been removed from storage. */
  afterDelete?(obj: KubeObject): void;
}

/** GracefulDeletion decides whether a delete waits (pods): returns the grace period, or 0 to delete at once. */
export type GracefulDeletion = (obj: KubeObject, options: DeleteOptions) => number;

/** NamespaceLookup reads a namespace object, or undefined when it does not exist. */
export type NamespaceLookup = (name: string) => Promise<KubeObject | undefined>;

/** AdmissionRunner is the admission chain as the store sees it (AdmissionChain in apiserver/admission). */
export interface AdmissionRunner {
  admit(attributes: AdmissionAttributes): Promise<void>;
  validate(attributes: AdmissionAttributes): Promise<void>;
}

/** AdmissionRequest is who writes and how; a write without one (bootstrap, server-internal writes) skips admission. */
export interface AdmissionRequest {
  readonly user: UserInfo;
  /** The request's CreateOptions/UpdateOptions/PatchOptions/DeleteOptions, for webhooks. */
  readonly options?: unknown;
  /** Sends a warning to the client. @default warnings are dropped */
  readonly warn?: (message: string) => void;
  /** Annotates the request's audit event. @default annotations are dropped */
  readonly addAuditAnnotation?: (key: string, value: string) => void;
}

/** GenericStoreConfig constructs a GenericStore. */
export interface GenericStoreConfig {
  readonly resource: ResourceInfo;
  readonly strategy: ResourceStrategy;
  readonly storage: Storage;
  readonly clock: Clock;
  /** @default resourcePrefix(resource) (see storage-key.ts) */
  readonly keyPrefix?: string;
  /** Checks that a namespaced create targets an existing, non-terminating namespace. @default no check */
  readonly namespaces?: NamespaceLookup;
  readonly hooks?: StoreHooks;
  /** Serves lists at resourceVersion "0". @default lists always read storage */
  readonly watchCache?: WatchCache;
  /** Pods' graceful deletion policy. @default none: objects are deleted at once (or wait for finalizers) */
  readonly gracefulDeletion?: GracefulDeletion;
  /** Random numbers in [0, 1) for generateName. @default Math.random */
  readonly random?: () => number;
  /** The admission chain run by writes that carry an AdmissionRequest. @default no admission */
  readonly admission?: AdmissionRunner;
}

/** WriteOptions are the query options of a write. */
export interface WriteOptions {
  /** `dryRun=All`: run every step but do not store. */
  readonly dryRun?: boolean;
  /** The subresource written: "", "status", "scale", "finalize". */
  readonly subresource?: string;
  /**
   * Skip the strategy's prepareForUpdate and validateUpdate, for server-side writes that enforce their own rules
   * (pod binding sets spec.nodeName, which pod updates may not change). Never set from request input.
   */
  readonly skipStrategy?: boolean;
  /** The requesting user and options: present, the write runs the admission chain. */
  readonly admission?: AdmissionRequest;
  /**
   * Records the write in metadata.managedFields (field ownership, server-side apply): called with the object
   * about to be stored (to change in place) and the stored one (undefined on create), after the strategy has
   * prepared it and before validation. @default managedFields are stored as the body has them
   */
  readonly managedFields?: ManagedFieldsRecorder;
}

/** ManagedFieldsRecorder updates `obj.metadata.managedFields` for a write (see WriteOptions.managedFields). */
export type ManagedFieldsRecorder = (obj: KubeObject, old: KubeObject | undefined) => void;

/** ListParams are a list's query options, already parsed. */
export interface ListParams {
  readonly predicate?: SelectionPredicate;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
}

/** DeleteOptions is meta/v1 DeleteOptions (the fields the store reads). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  dryRun?: string[];
}

/** DeleteResult says what a delete did: `deleted` is false when the object waits for finalizers or a grace period. */
export interface DeleteResult {
  readonly object: KubeObject;
  readonly deleted: boolean;
}

/** UpdateFn computes the new object from the current one (a private copy); it may throw a StatusError. */
export type UpdateFn = (current: KubeObject) => KubeObject | Promise<KubeObject>;

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** specOf returns everything but metadata, status and type meta: the part whose change bumps generation. */
function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return stableJson(rest);
}

function parseRevision(rv: string, what: string): number {
  if (!/^\d+$/.test(rv)) throw badRequest(`Cannot ${what}: invalid resource version "${rv}"`);
  return Number(rv);
}

/** GenericStore serves one resource from storage. */
export class GenericStore {
  readonly info: ResourceInfo;
  readonly strategy: ResourceStrategy;
  readonly keyPrefix: string;
  readonly groupResource: GroupResource;
  #storage: Storage;
  #clock: Clock;
  #namespaces: NamespaceLookup | undefined;
  #hooks: StoreHooks;
  #watchCache: WatchCache | undefined;
  #graceful: GracefulDeletion | undefined;
  #random: () => number;
  #hasStatus: boolean;
  #admission: AdmissionRunner | undefined;

  constructor(config: GenericStoreConfig) {
    this.info = config.resource;
    this.strategy = config.strategy;
    this.keyPrefix = config.keyPrefix ?? resourcePrefix(config.resource);
    this.groupResource = { group: config.resource.group, resource: config.resource.resource };
    this.#storage = config.storage;
    this.#clock = config.clock;
    this.#namespaces = config.namespaces;
    this.#hooks = config.hooks ?? {};
    this.#watchCache = config.watchCache;
    this.#graceful = config.gracefulDeletion;
    this.#random = config.random ?? Math.random;
    this.#hasStatus = (config.resource.subresources ?? []).some((s) => s.name === 'status');
    this.#admission = config.admission;
  }

  /** #attributes describes a write to admission, or undefined when the write skips admission. */
  #attributes(
    operation: AdmissionOperation,
    namespace: string,
    name: string,
    object: KubeObject | undefined,
    oldObject: KubeObject | undefined,
    options: WriteOptions,
    dryRun: boolean,
  ): AdmissionAttributes | undefined {
    const request = options.admission;
    if (!this.#admission || !request) return undefined;
    const warn = request.warn ?? (() => undefined);
    return {
      operation,
      group: this.info.storageGroup ?? this.info.group,
      version: this.info.version,
      resource: this.info.storageResource ?? this.info.resource,
      subresource: options.subresource ?? '',
      kind: this.info.kind,
      namespace: this.info.namespaced ? namespace : '',
      name,
      object,
      oldObject,
      user: request.user,
      dryRun,
      options: request.options,
      warn,
      ...(request.addAuditAnnotation ? { addAuditAnnotation: request.addAuditAnnotation } : {}),
    };
  }

  /** The watch cache of this resource, when one is configured. */
  get watchCache(): WatchCache | undefined {
    return this.#watchCache;
  }

  /**
   * watchConverter turns an object from the watch cache into what this store serves, for stores that serve a
   * form other than the stored one (a CRD version other than its storage version); undefined when objects are
   * served as stored. It never changes its argument (cache objects are shared).
   */
  get watchConverter(): ((obj: KubeObject) => Promise<KubeObject>) | undefined {
    return undefined;
  }

  /** keyFor returns the storage key of an object. */
  keyFor(namespace: string, name: string): string {
    return objectKey(this.keyPrefix, this.info.namespaced ? namespace : '', name);
  }

  #ctx(subresource: string, user?: UserInfo): StrategyContext {
    return { now: new Date(this.#clock.now()), subresource, ...(user ? { user } : {}) };
  }

  #tracksGeneration(obj: KubeObject): boolean {
    return this.strategy.tracksGeneration ?? 'spec' in obj;
  }

  #invalid(name: string, errs: readonly FieldError[]): StatusError {
    return invalid(this.info.kind, this.info.group, name, toCauses(errs));
  }

  #checkName(name: string): void {
    const problems: FieldError[] = [];
    if (name.includes('/')) problems.push({ type: 'FieldValueInvalid', field: 'metadata.name', badValue: name, detail: "may not contain '/'" });
    else if (name === '.' || name === '..') problems.push({ type: 'FieldValueInvalid', field: 'metadata.name', badValue: name, detail: `may not be '${name}'` });
    else if (name.includes('%')) problems.push({ type: 'FieldValueInvalid', field: 'metadata.name', badValue: name, detail: "may not contain '%'" });
    if (problems.length > 0) throw this.#invalid(name, problems);
  }

  /** #checkTypeMeta fills kind/apiVersion or refuses a body of another kind. */
  #checkTypeMeta(obj: KubeObject, action: string, storedApiVersion?: string): void {
    const apiVersion = groupVersionOf(this.info.group, this.info.version);
    // Resources served at several versions share storage without conversion: a patched object keeps the stored
    // apiVersion, which is accepted (and replaced by the served one).
    if (storedApiVersion !== undefined && obj.apiVersion === storedApiVersion) obj.apiVersion = apiVersion;
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== this.info.kind) {
      throw badRequest(`Cannot ${action} ${this.info.resource}: the body's kind "${obj.kind}" is not the expected kind "${this.info.kind}"`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
    }
    obj.kind = this.info.kind;
    obj.apiVersion = apiVersion;
  }

  #checkNamespace(obj: KubeObject, namespace: string): void {
    obj.metadata ??= {};
    if (!this.info.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    const own = obj.metadata.namespace;
    if (own !== undefined && own !== '' && own !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  }

  async #checkNamespaceExists(namespace: string, name: string): Promise<void> {
    if (!this.info.namespaced || !this.#namespaces) return;
    const ns = await this.#namespaces(namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    const phase = record(ns['status'])['phase'];
    if (ns.metadata?.deletionTimestamp || phase === 'Terminating') {
      const qualified = this.info.group === '' ? this.info.resource : `${this.info.resource}.${this.info.group}`;
      throw new StatusError(
        newStatus(403, 'Forbidden', `${qualified} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
          name,
          group: this.info.group || undefined,
          kind: this.info.resource,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
        }),
      );
    }
  }

  async #read(key: string, name: string, revision?: number): Promise<KeyValue> {
    let kv: KeyValue | undefined;
    try {
      kv = await this.#storage.get(key, revision);
    } catch (err) {
      throw interpretStorageError(err, this.groupResource, name);
    }
    if (!kv) throw notFound(this.groupResource, name);
    return kv;
  }

  /** get returns one object (or its subresource view: Scale for "scale"). resourceVersion is served as "latest". */
  /**
   * find reads an object for the server's own use (authenticators, authorizers): from the watch cache when it holds
   * the key, else from storage. Resolves undefined when the object does not exist; other failures reject.
   */
  async find(namespace: string, name: string): Promise<KubeObject | undefined> {
    const cached = this.#watchCache?.cached(this.keyFor(namespace, name));
    if (cached) return cached;
    try {
      return await this.get(namespace, name);
    } catch (err) {
      if (err instanceof StatusError && err.status.code === 404) return undefined;
      throw err;
    }
  }

  async get(namespace: string, name: string, subresource = ''): Promise<KubeObject> {
    const obj = decodeObject(await this.#read(this.keyFor(namespace, name), name));
    return subresource === 'scale' ? scaleOf(obj) : obj;
  }

  /** list returns the objects of a namespace ("" = all) that the predicate selects, honouring paging and RV options. */
  async list(namespace: string, params: ListParams = {}): Promise<KubeList> {
    const prefix = namespacePrefix(this.keyPrefix, this.info.namespaced ? namespace : '');
    const rv = params.resourceVersion ?? '';
    const match = params.resourceVersionMatch ?? '';
    const limit = params.limit && params.limit > 0 ? params.limit : 0;
    if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') {
      throw badRequest(`Cannot list ${this.info.resource}: resourceVersionMatch "${match}" is not one of Exact, NotOlderThan`);
    }
    if (match !== '' && rv === '') throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (match === 'Exact' && rv === '0') throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    if (params.continue && rv !== '' && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');

    // resourceVersion "0" means "any": served from the watch cache when there is one (limit is then ignored, as
    // upstream). A consistent list (resourceVersion "") is served from the cache too once the cache has caught up with
    // storage's current revision, as upstream's consistent-list-from-cache does; storage delivers commits to the cache
    // before any writer hears back, so that is the normal case. Its first page too, when paged (upstream's
    // ListFromCacheSnapshot): the cache holds exactly storage's state at that revision, so the page is the one storage
    // would give, and its continue token sends the next pages to storage at that revision. That spares a paged list
    // the read, parse and re-encoding of every item (the cache's objects keep their encoded JSON), which is most of
    // what a flood of small lists costs the server. List results are only serialized, never mutated, so they share
    // the cache's (immutable) objects.
    if (!params.continue && this.#watchCache && match !== 'Exact' && (rv === '0' || rv === '')) {
      // The cache starts on first use; after that it follows storage (events and progress notifications).
      await this.#watchCache.ready();
      const current = rv === '' ? await this.#storage.currentRevision() : 0;
      if (this.#watchCache.revision >= current) {
        // The cache keeps objects as their stored bytes: a JSON list is written from them, and only a list read as
        // objects (a Table, YAML) decodes its items (lazyList).
        if (rv === '' && limit > 0) {
          const { sorted, from, revision } = await this.#watchCache.sortedEntries(prefix);
          return this.#firstPage(prefix, sorted, from, revision, limit, params.predicate);
        }
        const snap = await this.#watchCache.entries(prefix);
        const predicate = params.predicate !== undefined && !params.predicate.empty() ? params.predicate : undefined;
        const items = predicate ? snap.entries.filter((e) => predicate.selects(e)) : snap.entries;
        return this.#lazyListOf(items, String(snap.revision));
      }
    }

    let revision = 0;
    let startAfter: string | undefined;
    if (params.continue) {
      const token = decodeContinue(params.continue);
      revision = token.revision;
      startAfter = prefix + token.startAfter;
    } else if (rv !== '' && rv !== '0') {
      const wanted = parseRevision(rv, `list ${this.info.resource}`);
      if (match === 'Exact' || (match === '' && limit > 0)) {
        revision = wanted;
      } else {
        const current = await this.#storage.currentRevision();
        if (wanted > current) {
          throw new StatusError(newStatus(504, 'Timeout', `Too large resource version: ${wanted}, current: ${current}`, { retryAfterSeconds: 1 }));
        }
      }
    }

    const items: KubeObject[] = [];
    let more = false;
    let lastKey = '';
    try {
      for (;;) {
        const page = await this.#storage.list(prefix, { revision, limit: limit > 0 ? limit - items.length + 1 : 0, startAfter });
        revision = page.revision;
        let consumedAll = true;
        for (let i = 0; i < page.items.length; i++) {
          const kv = page.items[i]!;
          if (limit > 0 && items.length >= limit) {
            consumedAll = false;
            break;
          }
          lastKey = kv.key;
          const obj = decodeObject(kv);
          if (!params.predicate || params.predicate.matches(obj)) items.push(obj);
        }
        if (!consumedAll) {
          more = true;
          break;
        }
        if (!page.more) break;
        if (limit > 0 && items.length >= limit) {
          more = true;
          break;
        }
        startAfter = lastKey;
      }
    } catch (err) {
      if (err instanceof CompactedError) {
        if (params.continue) {
          throw expired(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
        }
        throw expired(`The resourceVersion for the provided list is too old.`);
      }
      throw interpretStorageError(err, this.groupResource, '');
    }
    const list = this.#listOf(items, String(revision));
    if (more) list.metadata.continue = encodeContinue(revision, lastKey.slice(prefix.length));
    return list;
  }

  /**
   * #firstPage is the first `limit` selected items under `prefix` of a cache snapshot (`sorted` by key, as storage
   * lists, those under the prefix from index `from` on), with the continue token storage's path would give: after the
   * last item looked at, set when any item under the prefix is left after it.
   */
  #firstPage(prefix: string, sorted: readonly CachedObject[], from: number, revision: number, limit: number, predicate: ListParams['predicate']): KubeList {
    const items: CachedObject[] = [];
    const under = (i: number): boolean => i < sorted.length && sorted[i]!.key.startsWith(prefix);
    let at = from;
    for (; under(at) && items.length < limit; at++) {
      const entry = sorted[at]!;
      if (!predicate || predicate.selects(entry)) items.push(entry);
    }
    const list = this.#lazyListOf(items, String(revision));
    const last = at > from ? sorted[at - 1] : undefined;
    if (under(at) && last) list.metadata.continue = encodeContinue(revision, last.key.slice(prefix.length));
    return list;
  }

  #lazyListOf(items: readonly CachedObject[], resourceVersion: string): KubeList {
    return lazyList({ apiVersion: groupVersionOf(this.info.group, this.info.version), kind: `${this.info.kind}List`, metadata: { resourceVersion } }, items);
  }

  #listOf(items: KubeObject[], resourceVersion: string): KubeList {
    return { apiVersion: groupVersionOf(this.info.group, this.info.version), kind: `${this.info.kind}List`, metadata: { resourceVersion }, items };
  }

  /**
   * create stores a new object in `namespace` ("" for cluster-scoped) and returns it as stored. It takes ownership
   * of `body` (a freshly decoded request body): it fills in metadata on it rather than on a copy. The object returned
   * must not be changed: its JSON is remembered as the stored bytes (rememberStoredJson).
   */
  async create(namespace: string, body: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const obj = body;
    this.#checkTypeMeta(obj, 'create');
    this.#checkNamespace(obj, namespace);
    let md = obj.metadata!;
    if (!md.name && !md.generateName) {
      throw this.#invalid('', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
    }
    const generated = !md.name;
    if (md.name) this.#checkName(md.name);
    const admitting = this.#attributes('CREATE', namespace, md.name ?? '', obj, undefined, options, options.dryRun === true);
    if (admitting) {
      await this.#admission!.admit(admitting);
      // Plugins may replace metadata (a webhook's patch rebuilds the object): keep working on what they left.
      this.#checkNamespace(obj, namespace);
      md = obj.metadata!;
    }
    md.uid = randomUUID();
    md.creationTimestamp = formatTimestamp(this.#clock.now());
    delete md.resourceVersion;
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    delete md.selfLink;
    if (this.#tracksGeneration(obj)) md.generation = 1;
    else delete md.generation;
    if (generated) md.name = generateName(md.generateName ?? '', this.#random);
    this.strategy.prepareForCreate?.(obj, this.#ctx('', options.admission?.user));
    options.managedFields?.(obj, undefined);
    const name = md.name ?? '';
    const errs = this.strategy.validate?.(obj) ?? [];
    if (errs.length > 0) throw this.#invalid(name, errs);
    await this.#checkNamespaceExists(namespace, name);
    const validating = this.#attributes('CREATE', namespace, name, obj, undefined, options, options.dryRun === true);
    if (validating) await this.#admission!.validate(validating);

    const undo = this.#hooks.beforeCreate?.(obj);
    try {
      if (options.dryRun) {
        undo?.();
        return obj;
      }
      for (let attempt = 1; ; attempt++) {
        try {
          const value = encodeWrittenObject(obj);
          const kv = await this.#storage.create(this.keyFor(namespace, md.name ?? ''), value);
          // The stored object is `obj` plus its resourceVersion: no need to parse back what was just encoded, and
          // its JSON (the response) is the stored bytes plus the resourceVersion.
          const created = { ...obj, metadata: { ...md, resourceVersion: String(kv.modRevision) } };
          rememberStoredJson(created, value, kv.modRevision);
          return created;
        } catch (err) {
          if (err instanceof KeyExistsError && generated && attempt < MAX_GENERATE_NAME_TRIES) {
            md.name = generateName(md.generateName ?? '', this.#random);
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      if (!options.dryRun) undo?.();
      throw interpretStorageError(err, this.groupResource, md.name ?? '');
    }
  }

  /**
   * update replaces an object (PUT). A body resourceVersion is a precondition (409 when stale); without one the
   * update is unconditional. For "scale" the body is a Scale; for "status" only status changes are kept.
   */
  async update(namespace: string, name: string, body: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const subresource = options.subresource ?? '';
    const bodyName = body.metadata?.name;
    if (bodyName !== undefined && bodyName !== '' && bodyName !== name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    }
    const hasPrecondition = Boolean(body.metadata?.resourceVersion);
    return this.guaranteedUpdate(namespace, name, () => structuredClone(body), { ...options, subresource }, !hasPrecondition);
  }

  /**
   * guaranteedUpdate reads the current object, computes the new one with `fn`, and writes it if it changed,
   * retrying on a lost race when `retryOnConflict` (patches; PUTs without resourceVersion). The new object's
   * resourceVersion, when set, must equal the current one (409 otherwise). An update that removes the last
   * finalizer of an object being deleted deletes it.
   */
  async guaranteedUpdate(namespace: string, name: string, fn: UpdateFn, options: WriteOptions = {}, retryOnConflict = true): Promise<KubeObject> {
    const subresource = options.subresource ?? '';
    const key = this.keyFor(namespace, name);
    for (let attempt = 1; ; attempt++) {
      const kv = await this.#read(key, name);
      const current = decodeObject(kv);
      const currentRv = String(kv.modRevision);
      let next = await fn(structuredClone(subresource === 'scale' ? scaleOf(current) : current));
      if (subresource === 'scale') next = applyScale(current, next as Scale);
      else this.#checkTypeMeta(next, 'update', current.apiVersion);
      const wantedRv = next.metadata?.resourceVersion;
      if (wantedRv) {
        parseRevision(wantedRv, `update ${this.info.resource}`);
        if (wantedRv !== currentRv) throw conflict(this.groupResource, name, OPTIMISTIC_LOCK_MESSAGE);
      }
      const admitting = this.#attributes('UPDATE', namespace, name, next, current, options, options.dryRun === true);
      if (admitting) await this.#admission!.admit(admitting);
      const obj = this.#prepareUpdate(next, current, namespace, subresource, options.skipStrategy === true);
      options.managedFields?.(obj, current);
      const errs = options.skipStrategy ? [] : (this.strategy.validateUpdate?.(obj, current) ?? []);
      if (errs.length > 0) throw this.#invalid(name, errs);
      const validating = this.#attributes('UPDATE', namespace, name, obj, current, options, options.dryRun === true);
      if (validating) await this.#admission!.validate(validating);

      if (obj.metadata?.deletionTimestamp && this.#pendingFinalizers(obj).length === 0) {
        if (options.dryRun) return obj;
        try {
          const deleted = await this.#storage.delete(key, kv.modRevision);
          this.#hooks.afterDelete?.(obj);
          const out = decodeObject({ ...deleted, value: encodeObject(obj) });
          return out;
        } catch (err) {
          if (err instanceof ConflictError && retryOnConflict && attempt < MAX_CONFLICT_RETRIES) continue;
          throw interpretStorageError(err, this.groupResource, name);
        }
      }
      const undo = this.#hooks.beforeUpdate?.(obj, current);
      const value = encodeWrittenObject(obj);
      if (Buffer.from(value).equals(Buffer.from(kv.value))) {
        undo?.();
        return subresource === 'scale' ? scaleOf(current) : current;
      }
      if (options.dryRun) {
        undo?.();
        obj.metadata = { ...obj.metadata, resourceVersion: currentRv };
        return subresource === 'scale' ? scaleOf(obj) : obj;
      }
      try {
        const written = decodeObject(await this.#storage.update(key, value, kv.modRevision));
        return subresource === 'scale' ? scaleOf(written) : written;
      } catch (err) {
        undo?.();
        if (err instanceof ConflictError && retryOnConflict && attempt < MAX_CONFLICT_RETRIES) continue;
        throw interpretStorageError(err, this.groupResource, name);
      }
    }
  }

  /** #prepareUpdate keeps what a client may not change and applies the subresource's and strategy's rules. */
  #prepareUpdate(next: KubeObject, current: KubeObject, namespace: string, subresource: string, skipStrategy: boolean): KubeObject {
    let obj: KubeObject;
    const oldMd = current.metadata ?? {};
    if (subresource === 'status') {
      // Status writes change status only; metadata and spec stay as stored (upstream's ResetObjectMetaForStatus).
      obj = { ...structuredClone(current), status: next['status'] };
      if (next['status'] === undefined) delete obj['status'];
      // managedFields follow the write (server-side apply to status computes them); a plain update's recorder
      // starts from the stored entries on subresources anyway.
      const managedFields = next.metadata?.managedFields;
      if (managedFields !== undefined) obj.metadata = { ...obj.metadata, managedFields };
    } else if (subresource === 'finalize') {
      obj = structuredClone(current);
      obj['spec'] = { ...record(current['spec']), finalizers: record(next['spec'])['finalizers'] ?? [] };
    } else {
      this.#checkNamespace(next, namespace);
      obj = next;
      if (this.#hasStatus && subresource === '') {
        if (current['status'] === undefined) delete obj['status'];
        else obj['status'] = structuredClone(current['status']);
      }
      const md = (obj.metadata ??= {});
      md.name = oldMd.name;
      md.uid = oldMd.uid;
      md.creationTimestamp = oldMd.creationTimestamp;
      if (oldMd.deletionTimestamp) md.deletionTimestamp = oldMd.deletionTimestamp;
      else delete md.deletionTimestamp;
      if (oldMd.deletionGracePeriodSeconds !== undefined) md.deletionGracePeriodSeconds = oldMd.deletionGracePeriodSeconds;
      else delete md.deletionGracePeriodSeconds;
      delete md.selfLink;
      if (oldMd.generation !== undefined) md.generation = oldMd.generation;
      if (md.generateName === undefined && oldMd.generateName !== undefined) md.generateName = oldMd.generateName;
    }
    obj.metadata = { ...obj.metadata };
    delete obj.metadata.resourceVersion;
    if (!skipStrategy) this.strategy.prepareForUpdate?.(obj, current, this.#ctx(subresource));
    if (this.#tracksGeneration(obj) && specOf(obj) !== specOf(current)) {
      obj.metadata.generation = (oldMd.generation ?? 0) + 1;
    }
    return obj;
  }

  #pendingFinalizers(obj: KubeObject): string[] {
    const own = obj.metadata?.finalizers ?? [];
    if (this.info.group === '' && this.info.resource === 'namespaces') {
      const spec = record(obj['spec'])['finalizers'];
      return [...own, ...(Array.isArray(spec) ? spec.filter((f): f is string => typeof f === 'string') : [])];
    }
    return own;
  }

  /**
   * delete removes an object, or marks it for deletion (deletionTimestamp) when finalizers or a pod's grace period
   * hold it. Preconditions (uid, resourceVersion) are checked against the stored object.
   */
  async delete(namespace: string, name: string, options: DeleteOptions = {}, writeOptions: WriteOptions = {}): Promise<DeleteResult> {
    const key = this.keyFor(namespace, name);
    for (let attempt = 1; ; attempt++) {
      const kv = await this.#read(key, name);
      const current = decodeObject(kv);
      const md = current.metadata ?? {};
      const pre = options.preconditions ?? {};
      if (pre.uid && pre.uid !== md.uid) {
        throw conflict(this.groupResource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${md.uid ?? ''}`);
      }
      if (pre.resourceVersion && pre.resourceVersion !== md.resourceVersion) {
        throw conflict(
          this.groupResource,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${md.resourceVersion ?? ''}`,
        );
      }
      const admitting = this.#attributes('DELETE', namespace, name, undefined, current, writeOptions, writeOptions.dryRun === true);
      if (admitting) await this.#admission!.validate(admitting);
      const obj = structuredClone(current);
      const omd = (obj.metadata ??= {});
      const finalizers = [...(omd.finalizers ?? [])];
      const alreadyDeleting = Boolean(omd.deletionTimestamp);
      if (options.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if ((options.propagationPolicy === 'Orphan' || options.orphanDependents === true) && !finalizers.includes('orphan')) finalizers.push('orphan');
      if (finalizers.length > 0) omd.finalizers = finalizers;
      const isNamespace = this.info.group === '' && this.info.resource === 'namespaces';
      const grace = alreadyDeleting && finalizers.length > 0 ? 0 : (this.#graceful?.(obj, options) ?? 0);
      const holds = this.#pendingFinalizers(obj).length > 0 || grace > 0;
      const now = this.#clock.now();

      if (holds) {
        // Graceful or finalizer-held deletion: record the intent and keep the object.
        let changed = false;
        if (!alreadyDeleting) {
          omd.deletionTimestamp = formatTimestamp(now + grace * 1000);
          omd.deletionGracePeriodSeconds = grace;
          changed = true;
        } else if (grace > 0 && (omd.deletionGracePeriodSeconds ?? Infinity) > grace) {
          // A shorter grace period shortens a pending graceful deletion.
          omd.deletionTimestamp = formatTimestamp(now + grace * 1000);
          omd.deletionGracePeriodSeconds = grace;
          changed = true;
        }
        if (isNamespace) {
          const status = record(obj['status']);
          if (status['phase'] !== 'Terminating') {
            obj['status'] = { ...status, phase: 'Terminating' };
            changed = true;
          }
        }
        if (stableJson(omd.finalizers ?? []) !== stableJson(current.metadata?.finalizers ?? [])) changed = true;
        if (!changed || writeOptions.dryRun) return { object: obj, deleted: false };
        try {
          const written = await this.#storage.update(key, encodeObject(obj), kv.modRevision);
          return { object: decodeObject(written), deleted: false };
        } catch (err) {
          if (err instanceof ConflictError && attempt < MAX_CONFLICT_RETRIES) continue;
          throw interpretStorageError(err, this.groupResource, name);
        }
      }

      if (writeOptions.dryRun) return { object: current, deleted: true };
      try {
        const deleted = await this.#storage.delete(key, kv.modRevision);
        this.#hooks.afterDelete?.(current);
        return { object: decodeObject({ ...deleted, value: kv.value }), deleted: true };
      } catch (err) {
        if (err instanceof ConflictError && attempt < MAX_CONFLICT_RETRIES) continue;
        if (err instanceof KeyNotFoundError) throw notFound(this.groupResource, name);
        throw interpretStorageError(err, this.groupResource, name);
      }
    }
  }

  /** deleteCollection deletes every selected object of a namespace; returns the list of what was deleted or marked. */
  async deleteCollection(namespace: string, params: ListParams, options: DeleteOptions = {}, writeOptions: WriteOptions = {}): Promise<KubeList> {
    if (!this.info.verbs.includes('deletecollection')) throw methodNotAllowed(`Cannot deletecollection ${this.info.resource}: not supported`);
    const list = await this.list(namespace, { predicate: params.predicate });
    const out: KubeObject[] = [];
    for (const item of list.items) {
      const md = item.metadata ?? {};
      try {
        const res = await this.delete(md.namespace ?? '', md.name ?? '', options, writeOptions);
        out.push(res.object);
      } catch (err) {
        // An object deleted concurrently is simply not part of the result.
        if (err instanceof StatusError && err.status.code === 404) continue;
        throw err;
      }
    }
    return this.#listOf(out, list.metadata.resourceVersion ?? '');
  }
}
