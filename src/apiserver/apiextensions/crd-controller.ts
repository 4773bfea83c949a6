/**
 * CrdController: the in-process controllers of apiextensions (upstream's naming, establishing, finalizing and
 * discovery controllers in one loop). It follows CRDs through the CRD store's watch cache and, within a moment of
 * a change:
 * - checks names against other CRDs' accepted names and built-in resources of the same group, writing
 *   NamesAccepted (NoConflicts / NameConflict / KindConflict), Established (InitialNamesAccepted) and
 *   status.acceptedNames through the in-process store's status subresource;
 * - serves every served version of an established CRD through the ResourceDispatcher (strategy, pruning, printer
 *   columns, server-side apply schema; several versions share the storage version through ServedVersionStore,
 *   converted by apiVersion rewrite or the CRD's conversion webhook) and publishes it in discovery and OpenAPI;
 * - for a CRD being deleted (holding CRD_FINALIZER): sets Terminating (InstanceDeletionInProgress), deletes every
 *   custom resource, then removes the finalizer so the CRD goes; its resources leave discovery once it is gone.
 * It also answers "structural schema for group/version/kind" for server-side apply and the scale handler.
 */
import { structuralApplySchema } from '../../api/apply/structural-apply-schema.js';
import { ALL_VERBS } from '../../api/scheme.js';
import type { ResourceInfo, SubresourceInfo } from '../../api/scheme.js';
import type { KubeObject } from '../../api/meta/types.js';
import { StatusError } from '../../api/meta/status-error.js';
import type { GroupVersionKind } from '../../api/schema/types.js';
import type { Logger } from '../../base/log/logger.js';
import type { Clock } from '../../base/clock/clock.js';
import type { DynamicResourceOptions } from '../handlers/resource-dispatcher.js';
import type { CustomResourceSchemas } from '../openapi/openapi-documents.js';
import type { JsonObject } from '../openapi/component-schemas.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { ResourceStrategy } from '../registry/strategy.js';
import { formatTimestamp } from '../../api/meta/timestamp.js';
import type { CacheWatcher } from '../watch/cache-watcher.js';
import { CRD_FINALIZER, readCrd, type CrdCondition, type CrdNames, type CrdVersion, type CustomResourceDefinitionView } from './custom-resource-definition.js';
import { customResourcePruner, customResourceStrategy } from './custom-resource-strategy.js';
import { ServedVersionStore, type Converter } from './served-version-store.js';
import { ConversionWebhook, readConversionWebhook } from './conversion-webhook.js';
import type { ResolvedService, ServiceReference } from '../webhook/service-reference.js';
import { isRecord, type StructuralSchema } from './structural-schema.js';

/** ServedResources is the part of the ResourceDispatcher the controller drives. */
export interface ServedResources {
  addResource(info: ResourceInfo, options: DynamicResourceOptions): unknown;
  removeResource(group: string, version: string, resource: string): void;
  storeFor(group: string, resource: string): GenericStore | undefined;
}

/** PublishedResources is what discovery and OpenAPI documents offer for a changing resource list. */
export interface PublishedResources {
  setDiscovery(resources: readonly ResourceInfo[]): void;
  setOpenApi(resources: readonly ResourceInfo[], custom: CustomResourceSchemas): void;
}

/** CrdControllerConfig constructs a CrdController. */
export interface CrdControllerConfig {
  /** The CRD store (apiextensions.k8s.io customresourcedefinitions), with its watch cache. */
  readonly crds: GenericStore;
  readonly served: ServedResources;
  readonly published: PublishedResources;
  /** The built-in resources (published together with the custom ones; their names cannot be taken). */
  readonly builtins: readonly ResourceInfo[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Resolves conversion webhooks' Service references. @default service references fail every conversion */
  readonly resolveService?: (ref: ServiceReference) => Promise<ResolvedService>;
}

/** ServedCustomResource is one served version of a CRD. */
export interface ServedCustomResource {
  readonly info: ResourceInfo;
  readonly crd: CustomResourceDefinitionView;
  readonly version: CrdVersion;
}

const STATUS_VERBS = ['get', 'patch', 'update'];

/** ServedSet is what one CRD serves: its versions, the signature of the spec they came from, its converter. */
interface ServedSet {
  readonly signature: string;
  readonly resources: ServedCustomResource[];
  readonly converter: Converter | undefined;
}

function strategyOf(version: CrdVersion): ResourceStrategy {
  return customResourceStrategy({
    schema: version.schema,
    statusSubresource: version.statusSubresource,
    printerColumns: version.printerColumns,
    selectableFields: version.selectableFields,
  });
}

function conversionOf(webhook: ConversionWebhook): Converter {
  return (objects, apiVersion) => webhook.convert(objects, apiVersion);
}

function condition(type: string, status: CrdCondition['status'], reason: string, message: string): CrdCondition {
  return { type, status, reason, message };
}

/** CrdController serves CRDs; see the file comment. */
export class CrdController {
  readonly #config: CrdControllerConfig;
  #crds = new Map<string, KubeObject>();
  /** Per CRD name: the signature of what is served and the served versions. */
  #serving = new Map<string, ServedSet>();
  #watcher: CacheWatcher | undefined;
  #stopped = false;
  #syncing: Promise<void> | undefined;
  #again = false;

  constructor(config: CrdControllerConfig) {
    this.#config = config;
  }

  /** start begins following CRDs; resolves once the CRDs existing at start are served. */
  async start(): Promise<void> {
    const cache = this.#config.crds.watchCache;
    if (!cache) throw new Error('Cannot start the CRD controller: the CRD store has no watch cache');
    await cache.ready();
    const list = await this.#config.crds.list('');
    for (const item of list.items) this.#crds.set(item.metadata?.name ?? '', item);
    await this.#sync();
    void this.#follow(list.metadata.resourceVersion ?? '');
  }

  /** stop ends the watch. */
  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
  }

  /** The CRD store. */
  get crdStore(): GenericStore {
    return this.#config.crds;
  }

  /** storeOf returns the store serving a custom resource at group/version/resource, if served. */
  storeOf(group: string, version: string, resource: string): GenericStore | undefined {
    return this.servedResource(group, version, resource) === undefined ? undefined : this.#config.served.storeFor(group, resource);
  }

  /** served lists the custom resource versions being served. */
  served(): ServedCustomResource[] {
    return [...this.#serving.values()].flatMap((s) => s.resources);
  }

  /** servedResource returns the served custom resource at group/version/resource, if any. */
  servedResource(group: string, version: string, resource: string): ServedCustomResource | undefined {
    return this.served().find((s) => s.info.group === group && s.info.version === version && s.info.resource === resource);
  }

  /**
   * structuralSchema returns the openAPIV3Schema of a served custom resource kind, or undefined when the
   * group/version/kind is not a served custom resource (server-side apply uses it for merge semantics).
   */
  structuralSchema(gvk: GroupVersionKind): StructuralSchema | undefined {
    return this.served().find((s) => s.info.group === gvk.group && s.info.version === gvk.version && s.info.kind === gvk.kind)?.version.schema;
  }

  async #follow(resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    const store = this.#config.crds;
    while (!this.#stopped) {
      try {
        const watcher = await store.watchCache!.watch({ prefix: store.keyPrefix, resourceVersion: rv });
        this.#watcher = watcher;
        for (;;) {
          const event = await watcher.next();
          if (event === undefined) break;
          if (event.type === 'BOOKMARK' || event.type === 'ERROR') continue;
          const obj = event.object as KubeObject;
          const name = obj.metadata?.name ?? '';
          rv = obj.metadata?.resourceVersion ?? rv;
          if (event.type === 'DELETED') this.#crds.delete(name);
          else this.#crds.set(name, obj);
          this.#kick();
        }
      } catch (err) {
        this.#config.log.warn('CRD watch failed; relisting', { err: String(err) });
      }
      if (this.#stopped) return;
      // Relist after a closed or failed watch, so no change is missed.
      try {
        const list = await store.list('');
        this.#crds = new Map(list.items.map((i) => [i.metadata?.name ?? '', i]));
        rv = list.metadata.resourceVersion ?? '';
        this.#kick();
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  #kick(): void {
    if (this.#syncing) {
      this.#again = true;
      return;
    }
    this.#syncing = this.#sync()
      .catch((err: unknown) => this.#config.log.warn('CRD sync failed', { err: String(err) }))
      .finally(() => {
        this.#syncing = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.#kick();
        }
      });
  }

  /** #sync brings status, serving and published documents in line with the known CRDs. */
  async #sync(): Promise<void> {
    const views = [...this.#crds.values()]
      .map((obj) => ({ obj, view: readCrd(obj) }))
      .sort((a, b) => (a.obj.metadata?.creationTimestamp ?? '').localeCompare(b.obj.metadata?.creationTimestamp ?? '') || a.view.name.localeCompare(b.view.name));
    // Names taken so far in this pass: accepted names of earlier CRDs, then of those accepted now.
    const taken = new Map<string, CrdNames[]>();
    for (const { view } of views) if (view.acceptedNames) push(taken, view.group, view.acceptedNames);
    const wanted = new Map<string, ServedSet>();
    for (const { obj, view } of views) {
      const others = (taken.get(view.group) ?? []).filter((n) => n !== view.acceptedNames);
      const conflict = this.#nameConflict(view, others);
      const accepted = conflict === undefined ? view.names : view.acceptedNames;
      if (conflict === undefined && view.acceptedNames === undefined) push(taken, view.group, view.names);
      const conditions: CrdCondition[] = [
        conflict === undefined
          ? condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found')
          : condition('NamesAccepted', 'False', conflict.reason, conflict.message),
        accepted !== undefined
          ? condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted')
          : condition('Established', 'False', 'NotAccepted', 'not all names are accepted'),
      ];
      if (view.deleting) conditions.push(condition('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress'));
      await this.#writeStatus(obj, view, accepted, conditions);
      if (accepted !== undefined) {
        const resources = view.versions.filter((v) => v.served).map((v) => ({ info: this.#infoOf(view, accepted, v), crd: view, version: v }));
        const webhook = readConversionWebhook(obj, `${view.group}, Kind=${accepted.kind}`);
        const resolveService = this.#config.resolveService;
        const converter = webhook === undefined ? undefined : conversionOf(new ConversionWebhook(resolveService ? { ...webhook, resolveService } : webhook));
        wanted.set(view.name, { signature: JSON.stringify([obj['spec'], accepted]), resources, converter });
      }
    }
    this.#applyServing(wanted);
    for (const { obj, view } of views) {
      if (view.deleting && view.finalizers.includes(CRD_FINALIZER)) await this.#finalize(obj, view);
    }
  }

  #nameConflict(view: CustomResourceDefinitionView, others: readonly CrdNames[]): { reason: string; message: string } | undefined {
    const n = view.names;
    const builtins = this.#config.builtins.filter((b) => b.group === view.group);
    const used = (pick: (x: CrdNames) => readonly string[]) => new Set([...others.flatMap(pick), ...builtins.flatMap((b) => pick(namesOfInfo(b)))]);
    const resourceNames = used((x) => [x.plural, x.singular, ...x.shortNames]);
    for (const name of [n.plural, n.singular, ...n.shortNames]) {
      if (name !== '' && resourceNames.has(name)) return { reason: 'NameConflict', message: `"${name}" is already in use` };
    }
    const kinds = used((x) => [x.kind, x.listKind]);
    for (const kind of [n.kind, n.listKind]) {
      if (kind !== '' && kinds.has(kind)) return { reason: 'KindConflict', message: `"${kind}" is already in use` };
    }
    return undefined;
  }

  #infoOf(view: CustomResourceDefinitionView, names: CrdNames, version: CrdVersion): ResourceInfo {
    const subresources: SubresourceInfo[] = [];
    if (version.statusSubresource) subresources.push({ name: 'status', verbs: STATUS_VERBS });
    if (version.scale) subresources.push({ name: 'scale', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: STATUS_VERBS });
    return {
      group: view.group,
      version: version.name,
      kind: names.kind,
      resource: names.plural,
      singular: names.singular,
      namespaced: view.namespaced,
      shortNames: names.shortNames.length > 0 ? names.shortNames : undefined,
      categories: names.categories.length > 0 ? names.categories : undefined,
      verbs: ALL_VERBS,
      subresources: subresources.length > 0 ? subresources : undefined,
    };
  }

  async #writeStatus(obj: KubeObject, view: CustomResourceDefinitionView, accepted: CrdNames | undefined, conditions: readonly CrdCondition[]): Promise<void> {
    const now = formatTimestamp(this.#config.clock.now());
    const merged = conditions.map((c) => {
      const old = view.conditions.find((o) => o.type === c.type);
      return { ...c, lastTransitionTime: old !== undefined && old.status === c.status ? (old.lastTransitionTime ?? now) : now };
    });
    const keep = view.conditions.filter((o) => !conditions.some((c) => c.type === o.type) && o.type !== 'Terminating');
    const nextConditions = [...merged, ...keep];
    const status = isRecord(obj['status']) ? obj['status'] : {};
    const nextAccepted = accepted === undefined ? status['acceptedNames'] : acceptedNamesObject(accepted);
    const unchanged =
      JSON.stringify(conditionsKey(view.conditions)) === JSON.stringify(conditionsKey(nextConditions)) &&
      JSON.stringify(status['acceptedNames'] ?? null) === JSON.stringify(nextAccepted ?? null);
    if (unchanged) return;
    try {
      await this.#config.crds.guaranteedUpdate(
        '',
        view.name,
        (current) => {
          const st = isRecord(current['status']) ? current['status'] : {};
          return { ...current, status: { ...st, conditions: nextConditions, ...(nextAccepted === undefined ? {} : { acceptedNames: nextAccepted }) } };
        },
        { subresource: 'status' },
      );
    } catch (err) {
      if (err instanceof StatusError && err.status.code === 404) return;
      throw err;
    }
  }

  #applyServing(wanted: Map<string, ServedSet>): void {
    let changed = false;
    for (const [name, next] of wanted) {
      const current = this.#serving.get(name);
      if (current?.signature === next.signature) continue;
      changed = true;
      for (const r of next.resources) {
        const schema = r.version.schema;
        const strategy = strategyOf(r.version);
        const storage = r.crd.versions.find((v) => v.storage);
        // A CRD with several versions stores every object in its storage version (see ServedVersionStore).
        const multiVersion = r.crd.versions.length > 1 && storage !== undefined;
        const storageStrategy = storage === undefined || storage === r.version ? strategy : strategyOf(storage);
        this.#config.served.addResource(r.info, {
          strategy,
          unknownFields: customResourcePruner(r.info.kind, schema),
          preferred: r.version.storage,
          applySchema: schema === undefined ? undefined : structuralApplySchema(schema),
          createStore: multiVersion
            ? (config) => new ServedVersionStore(config, { storageVersion: storage.name, storageStrategy, converter: next.converter })
            : undefined,
        });
      }
      for (const old of current?.resources ?? []) {
        if (!next.resources.some((r) => r.info.version === old.info.version && r.info.resource === old.info.resource)) {
          this.#config.served.removeResource(old.info.group, old.info.version, old.info.resource);
        }
      }
      this.#serving.set(name, next);
    }
    for (const [name, current] of this.#serving) {
      if (wanted.has(name)) continue;
      changed = true;
      for (const old of current.resources) this.#config.served.removeResource(old.info.group, old.info.version, old.info.resource);
      this.#serving.delete(name);
    }
    if (!changed) return;
    const custom = this.served();
    const all = [...this.#config.builtins, ...custom.map((c) => c.info)];
    this.#config.published.setDiscovery(all);
    const schemas = new Map(custom.map((c) => [`${c.info.group}/${c.info.version}/${c.info.kind}`, publishedSchema(c.version.schema)]));
    this.#config.published.setOpenApi(all, { schema: (gvk) => schemas.get(`${gvk.group}/${gvk.version}/${gvk.kind}`) });
  }

  /** #finalize deletes a terminating CRD's custom resources, then releases the CRD. */
  async #finalize(obj: KubeObject, view: CustomResourceDefinitionView): Promise<void> {
    const store = this.#config.served.storeFor(view.group, view.acceptedNames?.plural ?? view.names.plural);
    if (store !== undefined) {
      // As stored: a conversion webhook may be gone already, and deletion needs no conversion.
      const list = store instanceof ServedVersionStore ? await store.listStored('') : await store.list('');
      let remaining = 0;
      for (const item of list.items) {
        try {
          const ns = item.metadata?.namespace ?? '';
          const name = item.metadata?.name ?? '';
          const res = store instanceof ServedVersionStore ? await store.deleteStored(ns, name) : await store.delete(ns, name);
          if (!res.deleted) remaining++;
        } catch (err) {
          if (!(err instanceof StatusError && err.status.code === 404)) throw err;
        }
      }
      if (remaining > 0) {
        // Custom resources with finalizers of their own: look again shortly.
        setTimeout(() => this.#kick(), 1000).unref();
        return;
      }
    }
    try {
      await this.#config.crds.guaranteedUpdate('', view.name, (current) => ({
        ...current,
        metadata: { ...current.metadata, finalizers: (current.metadata?.finalizers ?? []).filter((f) => f !== CRD_FINALIZER) },
      }));
    } catch (err) {
      if (!(err instanceof StatusError && err.status.code === 404)) throw err;
    }
    void obj;
  }
}

function push(map: Map<string, CrdNames[]>, group: string, names: CrdNames): void {
  const list = map.get(group);
  if (list) list.push(names);
  else map.set(group, [names]);
}

function namesOfInfo(info: ResourceInfo): CrdNames {
  return { plural: info.resource, singular: info.singular, kind: info.kind, listKind: `${info.kind}List`, shortNames: info.shortNames ?? [], categories: [] };
}

function acceptedNamesObject(n: CrdNames): Record<string, unknown> {
  const out: Record<string, unknown> = { plural: n.plural, singular: n.singular, kind: n.kind, listKind: n.listKind };
  if (n.shortNames.length > 0) out['shortNames'] = n.shortNames;
  if (n.categories.length > 0) out['categories'] = n.categories;
  return out;
}

function conditionsKey(conditions: readonly CrdCondition[]): unknown[] {
  return conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/**
 * publishedSchema is the OpenAPI schema of a custom resource kind: the CRD's schema with apiVersion and kind
 * described (metadata becomes ObjectMeta in the documents), as upstream publishes it.
 */
export function publishedSchema(schema: StructuralSchema | undefined): JsonObject {
  const base: JsonObject = schema === undefined ? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } : (structuredClone(schema) as JsonObject);
  const properties = isRecord(base['properties']) ? base['properties'] : {};
  base['properties'] = {
    ...properties,
    apiVersion: {
      description:
        'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
      type: 'string',
    },
    kind: {
      description: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
      type: 'string',
    },
    metadata: { type: 'object' },
  };
  if (base['type'] === undefined) base['type'] = 'object';
  return base;
}
