/**
 * ResourceDispatcher: the ResourceHandler for every built-in resource. It builds one GenericStore per served
 * resource (with its strategy, watch cache, and the namespace check, pod graceful deletion and Service allocation
 * wired in), and routes each request by RequestInfo to the verb handlers (get.ts, list.ts, create.ts, update.ts,
 * patch.ts, delete.ts, watch.ts).
 *
 * Answers for requests it cannot route: 404 `the server could not find the requested resource` for unknown
 * resources, subresources or a scope mismatch; 405 `the server does not allow this method on the requested
 * resource` for verbs a (sub)resource does not support.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { methodNotAllowed, newStatus, StatusError } from '../../api/meta/status-error.js';
import { BUILTIN_RESOURCES, groupVersionOf } from '../../api/scheme.js';
import type { ResourceInfo, SubresourceInfo } from '../../api/scheme.js';
import { inspectFields } from '../../api/schema/field-validation.js';
import type { ApplySchema } from '../../api/apply/apply-schema.js';
import type { GroupVersionKind, SchemaLookup } from '../../api/schema/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Storage } from '../../storage/storage.js';
import { decodeBody } from '../negotiation/decode-body.js';
import { GenericStore } from '../registry/generic-store.js';
import { ServedVersionStore } from '../apiextensions/served-version-store.js';
import { convertHorizontalPodAutoscalers } from '../../api/conversion/horizontal-pod-autoscaler.js';
import type { AdmissionRunner, GenericStoreConfig, NamespaceLookup } from '../registry/generic-store.js';
import { ClusterIpAllocator, DEFAULT_SERVICE_CIDR } from '../registry/ip-allocator.js';
import { podGracefulDeletion } from '../registry/pod-graceful-deletion.js';
import { DEFAULT_NODE_PORT_RANGE, NodePortAllocator } from '../registry/port-allocator.js';
import { ServiceAllocation } from '../registry/service-allocation.js';
import { BUILTIN_STRATEGIES } from '../registry/resources/index.js';
import { selectionAttributes } from '../registry/selection-predicate.js';
import { resourcePrefix } from '../registry/storage-key.js';
import type { ResourceStrategy } from '../registry/strategy.js';
import type { TableConvertor } from '../printers/table.js';
import type { RequestScope, ResourceHandler } from '../request/request-scope.js';
import { SegmentTable } from '../watch/segment-table.js';
import { WatchCache } from '../watch/watch-cache.js';
import { createObject } from './create.js';
import { DEFAULT_TABLE } from './default-table.js';
import { deleteCollection, deleteObject } from './delete.js';
import { getObject } from './get.js';
import type { HandlerContext, ResourceEntry, UnknownFieldFinder } from './handler-context.js';
import { listObjects } from './list.js';
import { patchObject } from './patch.js';
import { updateObject } from './update.js';
import { jsonTypeError } from './unknown-fields.js';
import { watchObjects } from './watch.js';
import { legacyPathError } from './legacy-api-version.js';

/** Subresources served here; others (log, exec, proxy…) belong to other handlers and are 404 here. */
const SERVED_SUBRESOURCES = new Set(['status', 'scale', 'binding', 'eviction', 'finalize', 'approval', 'ephemeralcontainers']);
/** Kinds whose DELETE answers with the object rather than a Status, as upstream. */
const RETURNS_DELETED_OBJECT = new Set(['/pods', '/services', '/namespaces']);

/**
 * The storage group/resources whose watch cache keeps objects' bytes as segments shared with the other objects that
 * repeat them (SegmentTable): those a cluster holds by the ten thousand, written from a few templates.
 */
const SEGMENTED_RESOURCES = new Set(['/pods', '/events']);
/** Upstream's minimum request timeout: watches default to a timeout in [1×, 2×) of it. */
const DEFAULT_MIN_REQUEST_TIMEOUT_SECONDS = 1800;

/** ResourceDispatcherConfig constructs a ResourceDispatcher. */
export interface ResourceDispatcherConfig {
  readonly storage: Storage;
  readonly clock: Clock;
  /** @default BUILTIN_RESOURCES */
  readonly resources?: readonly ResourceInfo[];
  /**
   * Strategies keyed by storage "group/resource" (e.g. "/pods", "apps/deployments"); resources without one get {}.
   * @default BUILTIN_STRATEGIES
   */
  readonly strategies?: ReadonlyMap<string, ResourceStrategy>;
  /** Schemas for strategic merge patch. @default none (strategic merge patch answers 415) */
  readonly schemas?: SchemaLookup;
  /** Finds unknown fields for fieldValidation. @default inspectFields over `schemas`, with JSON types checked in the same walk (none without schemas) */
  readonly unknownFields?: UnknownFieldFinder;
  /** Decodes protobuf request bodies. @default none (415) */
  readonly decodeProtobuf?: (body: Buffer) => unknown;
  /** The Service cluster IP ranges: one, or two of different families separated by a comma (dual-stack; the first is the default family). @default DEFAULT_SERVICE_CIDR (10.43.0.0/16) */
  readonly serviceCidr?: string;
  /** @default 30000–32767 */
  readonly nodePortRange?: { readonly min: number; readonly max: number };
  /** Events each watch cache keeps. @default 10,000 */
  readonly watchCacheCapacity?: number;
  /** Events a watcher may fall behind before it is closed. @default 1,000 */
  readonly watcherBuffer?: number;
  /** @default 60,000 */
  readonly bookmarkIntervalMs?: number;
  /** @default 1800 */
  readonly minRequestTimeoutSeconds?: number;
  /** @default Math.random */
  readonly random?: () => number;
  /** The admission chain every store runs for client writes. @default no admission */
  readonly admission?: AdmissionRunner;
}

function entryKey(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

/**
 * isNamespacedNamespacesPath tells whether a path names namespaces *inside* a namespace
 * (`/api/v1/namespaces/<ns>/namespaces[/<name>]`). RequestInfo resolves it exactly like the namespace's own URL
 * (`/api/v1/namespaces/<name>`), but no such route exists upstream: it is a 404, never the namespace object.
 */
function isNamespacedNamespacesPath(path: string): boolean {
  const segments = path.split('/').filter((s) => s !== '');
  const at = segments.indexOf('namespaces');
  return at >= 0 && segments[at + 2] === 'namespaces';
}

/**
 * builtinFieldFinder prunes unknown fields by the built-in schemas and checks JSON types in the same walk
 * (inspectFields): one schema walk per write instead of two.
 */
function builtinFieldFinder(schemas: SchemaLookup): UnknownFieldFinder {
  const finder = (obj: unknown, gvk: GroupVersionKind): string[] => {
    const type = schemas.kind(gvk);
    if (!type) return [];
    const found = inspectFields(obj, type.name, schemas, { prune: true, checkTypes: true });
    if (found.mismatch) throw jsonTypeError(gvk, found.mismatch);
    return found.unknown;
  };
  return Object.assign(finder, { checksJsonTypes: true });
}

/** ResourceDispatcher serves resource requests from generic stores. */
export class ResourceDispatcher implements ResourceHandler {
  #entries = new Map<string, ResourceEntry>();
  #byGroupResource = new Map<string, ResourceEntry>();
  #caches = new Map<string, WatchCache>();
  #config: ResourceDispatcherConfig;
  #random: () => number;
  #unknownFields: UnknownFieldFinder | undefined;
  /** Finders of resources added at run time (custom resources prune by their own schema), by entry key. */
  #dynamicUnknownFields = new Map<string, UnknownFieldFinder>();
  #namespaceLookup: NamespaceLookup | undefined;
  /** The Service cluster IP and node port allocators. */
  readonly serviceAllocation: ServiceAllocation;
  #stopped = false;

  constructor(config: ResourceDispatcherConfig) {
    this.#config = config;
    this.#random = config.random ?? Math.random;
    const schemas = config.schemas;
    this.#unknownFields = config.unknownFields ?? (schemas ? builtinFieldFinder(schemas) : undefined);
    this.serviceAllocation = new ServiceAllocation(
      (config.serviceCidr ?? DEFAULT_SERVICE_CIDR).split(',').map((cidr) => new ClusterIpAllocator(cidr.trim())),
      new NodePortAllocator(config.nodePortRange ?? DEFAULT_NODE_PORT_RANGE, this.#random),
    );
    const resources = config.resources ?? BUILTIN_RESOURCES;
    const namespaces: NamespaceLookup = async (name) => {
      const ns = this.#byGroupResource.get('/namespaces');
      if (!ns) return undefined;
      // Like upstream's NamespaceLifecycle admission, answer from the namespace cache and read storage only on a
      // miss (a namespace created a moment ago, or a cache still starting).
      const cache = ns.store.watchCache;
      if (cache) {
        void cache.ready().catch(() => undefined);
        const hit = cache.cached(ns.store.keyFor('', name));
        if (hit) return hit;
      }
      try {
        return await ns.store.get('', name);
      } catch (err) {
        if (err instanceof StatusError && err.status.code === 404) return undefined;
        throw err;
      }
    };
    const hasNamespaces = resources.some((r) => r.group === '' && r.resource === 'namespaces');
    this.#namespaceLookup = hasNamespaces ? namespaces : undefined;
    for (const info of resources) {
      const grKey = `${info.group}/${info.resource}`;
      // Strategies are keyed by storage group/resource, so every version of a resource shares one.
      const strategy = (config.strategies ?? BUILTIN_STRATEGIES).get(`${info.storageGroup ?? info.group}/${info.storageResource ?? info.resource}`) ?? {};
      const prefix = resourcePrefix(info);
      let cache = this.#caches.get(prefix);
      if (!cache) {
        cache = new WatchCache({
          storage: config.storage,
          prefix,
          clock: config.clock,
          kind: info.kind,
          apiVersion: groupVersionOf(info.group, info.version),
          capacity: config.watchCacheCapacity,
          watcherBuffer: config.watcherBuffer,
          bookmarkIntervalMs: config.bookmarkIntervalMs,
          attributesOf: selectionAttributes(strategy, info.namespaced),
          segments: SEGMENTED_RESOURCES.has(`${info.storageGroup ?? info.group}/${info.storageResource ?? info.resource}`) ? new SegmentTable() : undefined,
        });
        this.#caches.set(prefix, cache);
      }
      const storeConfig: GenericStoreConfig = {
        resource: info,
        strategy,
        storage: config.storage,
        clock: config.clock,
        watchCache: cache,
        random: this.#random,
        namespaces: info.namespaced && hasNamespaces ? namespaces : undefined,
        gracefulDeletion: grKey === '/pods' ? podGracefulDeletion : undefined,
        hooks: grKey === '/services' ? this.serviceAllocation.hooks() : undefined,
        admission: config.admission,
      };
      const entry: ResourceEntry = {
        info,
        // HPAs are stored as autoscaling/v2 and converted for v1 clients (and from v1 objects stored earlier).
        store:
          info.group === 'autoscaling' && info.resource === 'horizontalpodautoscalers'
            ? new ServedVersionStore(storeConfig, { storageVersion: 'v2', storageStrategy: strategy, converter: async (objs, v) => Promise.resolve(convertHorizontalPodAutoscalers(objs, v)) })
            : new GenericStore(storeConfig),
        table: strategy.table ?? DEFAULT_TABLE,
        returnsDeletedObject: RETURNS_DELETED_OBJECT.has(grKey),
      };
      this.#entries.set(entryKey(info.group, info.version, info.resource), entry);
      // The first version listed for a group/resource is the one other resources' handlers use (pods for binding).
      if (!this.#byGroupResource.has(grKey)) this.#byGroupResource.set(grKey, entry);
    }
  }

  /**
   * start rebuilds the Service allocators from storage and keeps them following the Services watch (other API
   * servers on the same datastore allocate too); call once before serving.
   */
  async start(): Promise<void> {
    const services = this.#byGroupResource.get('/services');
    if (!services) return;
    this.serviceAllocation.rebuild((await services.store.list('')).items);
    const cache = this.#caches.get(resourcePrefix(services.info));
    if (cache) void this.#followServices(cache, resourcePrefix(services.info));
  }

  /** #followServices feeds every stored Service to the allocators until stop; a closed watch is reopened. */
  async #followServices(cache: WatchCache, prefix: string): Promise<void> {
    while (!this.#stopped) {
      try {
        const watcher = await cache.watch({ prefix, resourceVersion: '0' });
        for (let ev = await watcher.next(); ev; ev = await watcher.next()) {
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.serviceAllocation.observe(ev.object as KubeObject);
        }
      } catch {
        // The cache is restarting or stopped: look again shortly.
      }
      if (!this.#stopped) await new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref());
    }
  }

  /** stop closes every watch cache (and so every open watch). */
  stop(): void {
    this.#stopped = true;
    for (const cache of this.#caches.values()) cache.stop();
  }

  /** storeFor returns the store of a group/resource (bootstrap and tests use it), or undefined. */
  storeFor(group: string, resource: string): GenericStore | undefined {
    return this.#byGroupResource.get(`${group}/${resource}`)?.store;
  }

  /**
   * addResource serves a resource added at run time (a custom resource version, added by the CRD controller),
   * replacing any entry of the same group/version/resource. Versions sharing a storage prefix share one watch
   * cache. `unknownFields`, when given, replaces the dispatcher's finder for this resource.
   */
  addResource(info: ResourceInfo, options: DynamicResourceOptions): ResourceEntry {
    const prefix = resourcePrefix(info);
    let cache = this.#caches.get(prefix);
    if (!cache) {
      cache = new WatchCache({
        storage: this.#config.storage,
        prefix,
        clock: this.#config.clock,
        kind: info.kind,
        apiVersion: groupVersionOf(info.group, info.version),
        capacity: this.#config.watchCacheCapacity,
        watcherBuffer: this.#config.watcherBuffer,
        bookmarkIntervalMs: this.#config.bookmarkIntervalMs,
        // No attributes kept: a custom resource's selectable fields change with its definition (and may differ per
        // version), so its predicates test decoded objects.
      });
      this.#caches.set(prefix, cache);
    }
    const storeConfig: GenericStoreConfig = {
      resource: info,
      strategy: options.strategy,
      storage: this.#config.storage,
      clock: this.#config.clock,
      watchCache: cache,
      random: this.#random,
      namespaces: info.namespaced ? this.#namespaceLookup : undefined,
      admission: this.#config.admission,
    };
    const store = options.createStore ? options.createStore(storeConfig) : new GenericStore(storeConfig);
    const entry: ResourceEntry = {
      info,
      store,
      table: options.table ?? options.strategy.table ?? DEFAULT_TABLE,
      returnsDeletedObject: false,
      applySchema: options.applySchema,
    };
    const key = entryKey(info.group, info.version, info.resource);
    this.#entries.set(key, entry);
    if (options.unknownFields) this.#dynamicUnknownFields.set(key, options.unknownFields);
    else this.#dynamicUnknownFields.delete(key);
    const grKey = `${info.group}/${info.resource}`;
    const current = this.#byGroupResource.get(grKey);
    if (!current || current.info.version === info.version || options.preferred) this.#byGroupResource.set(grKey, entry);
    return entry;
  }

  /**
   * removeResource stops serving a resource added by addResource. When no served version uses its storage prefix
   * any more, its watch cache stops (closing its watches), as upstream ends watches of a deleted CRD.
   */
  removeResource(group: string, version: string, resource: string): void {
    const key = entryKey(group, version, resource);
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#dynamicUnknownFields.delete(key);
    const grKey = `${group}/${resource}`;
    const others = [...this.#entries.values()].filter((e) => e.info.group === group && e.info.resource === resource);
    if (this.#byGroupResource.get(grKey) === entry) {
      const next = others[0];
      if (next) this.#byGroupResource.set(grKey, next);
      else this.#byGroupResource.delete(grKey);
    }
    const prefix = resourcePrefix(entry.info);
    if (![...this.#entries.values()].some((e) => resourcePrefix(e.info) === prefix)) {
      this.#caches.get(prefix)?.stop();
      this.#caches.delete(prefix);
    }
  }

  async handle(scope: RequestScope): Promise<void> {
    const info = scope.info;
    const entry = this.#entries.get(entryKey(info.apiGroup, info.apiVersion, info.resource));
    if (!entry || !info.isResourceRequest) throw legacyPathError(info.apiPrefix, info.apiGroup, info.apiVersion) ?? notFoundResource();
    const r = entry.info;
    let subresource: SubresourceInfo | undefined;
    if (info.subresource !== '') {
      subresource = (r.subresources ?? []).find((s) => s.name === info.subresource);
      if (!subresource || !SERVED_SUBRESOURCES.has(subresource.name) || info.name === '') throw notFoundResource();
    }
    // Cluster-scoped resources ignore the namespace RequestInfo derives for /api/v1/namespaces/<name>.
    const namespace = r.namespaced ? info.namespace : '';
    if (!r.namespaced && info.namespace !== '' && !(r.group === '' && r.resource === 'namespaces')) throw notFoundResource();
    if (r.group === '' && r.resource === 'namespaces' && isNamespacedNamespacesPath(info.path)) throw notFoundResource();
    const verb = info.verb;
    const verbs = subresource ? subresource.verbs : r.verbs;
    if (!verbs.includes(verb)) throw methodNotAllowed('the server does not allow this method on the requested resource');
    const needsName = ['get', 'update', 'patch', 'delete'].includes(verb) || subresource !== undefined;
    if (needsName && info.name === '') throw methodNotAllowed('the server does not allow this method on the requested resource');
    if (r.namespaced && namespace === '' && (needsName || verb === 'create')) throw notFoundResource();

    const ctx: HandlerContext = {
      scope,
      entry,
      subresource,
      namespace,
      name: info.name,
      clock: this.#config.clock,
      decode: (strict) =>
        decodeBody(scope.req.headers['content-type'], scope.body, { strict, decodeProtobuf: this.#config.decodeProtobuf }),
      unknownFields: this.#dynamicUnknownFields.get(entryKey(info.apiGroup, info.apiVersion, info.resource)) ?? this.#unknownFields,
      schemas: this.#config.schemas,
      watch: { minRequestTimeoutSeconds: this.#config.minRequestTimeoutSeconds ?? DEFAULT_MIN_REQUEST_TIMEOUT_SECONDS, random: this.#random },
      lookup: (group, resource) => this.#byGroupResource.get(`${group}/${resource}`),
    };
    switch (verb) {
      case 'get':
        return getObject(ctx);
      case 'list':
        return listObjects(ctx);
      case 'watch':
        return watchObjects(ctx);
      case 'create':
        return createObject(ctx);
      case 'update':
        return updateObject(ctx);
      case 'patch':
        return patchObject(ctx);
      case 'delete':
        return deleteObject(ctx);
      case 'deletecollection':
        return deleteCollection(ctx);
      default:
        throw methodNotAllowed('the server does not allow this method on the requested resource');
    }
  }
}

/** DynamicResourceOptions describe a resource added at run time (ResourceDispatcher.addResource). */
export interface DynamicResourceOptions {
  readonly strategy: ResourceStrategy;
  /** @default strategy.table, else NAME and AGE */
  readonly table?: TableConvertor;
  /** Prunes and reports unknown fields of this resource's bodies. @default the dispatcher's finder */
  readonly unknownFields?: UnknownFieldFinder;
  /** Makes this version the one storeFor(group, resource) returns (a CRD's storage version). @default false */
  readonly preferred?: boolean;
  /** Builds the store (a GenericStore subclass, e.g. one that converts versions). @default new GenericStore */
  readonly createStore?: (config: GenericStoreConfig) => GenericStore;
  /** Server-side apply's view of the schema (structuralApplySchema in api/apply). @default untyped */
  readonly applySchema?: ApplySchema;
}

/** notFoundResource is upstream's 404 for a path that names no served resource. */
function notFoundResource(): StatusError {
  return new StatusError(newStatus(404, 'NotFound', 'the server could not find the requested resource', {}));
}

