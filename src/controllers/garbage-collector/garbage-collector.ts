/**
 * GarbageCollector: deletes objects whose owners are gone, and carries out the two finalizers that delete requests
 * leave on owners (upstream's garbage collector):
 *
 * - `orphan` (propagationPolicy Orphan): the owner's dependents lose their reference to it, then the finalizer goes.
 * - `foregroundDeletion` (propagationPolicy Foreground): the dependents are deleted first (those that block their
 *   owner's deletion in the foreground too); once none with `blockOwnerDeletion` remains, the finalizer goes.
 * - Background (the default): once an owner is gone, each dependent whose owners are all gone is deleted; a
 *   dependent that still has a live owner only loses its references to the gone ones.
 *
 * It watches every resource that supports list, watch and delete through metadata-only informers (rediscovering
 * every 30 s, so custom resources join), keyed by uid. An owner missing from the graph is confirmed absent with a
 * live read before anything is deleted, so a cache that has not caught up never causes a deletion.
 */
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import type { ResourcePath } from '../../client/resource-path.js';
import type { RestClient } from '../../client/rest-client.js';
import { serverResources } from '../../client/server-resources.js';
import type { Logger } from '../../base/log/logger.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import { nodeOf, ObjectGraph, type GraphNode, type ResourceRef } from './object-graph.js';
import { RestMapper } from './rest-mapper.js';

/** The finalizers a delete with propagationPolicy Orphan or Foreground puts on the owner. */
export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

/** The queue key of the discovery pass (never a uid: uids contain no NUL). */
const DISCOVERY_KEY = '\u0000discovery';
const REDISCOVER_MS = 30_000;
/** How soon an owner waiting for dependents in the foreground looks again, besides dependents' delete events. */
const FOREGROUND_RECHECK_MS = 2_000;
/** Resources whose objects never own anything worth collecting and change too often to be worth watching. */
const IGNORED_RESOURCES = new Set(['/events', 'events.k8s.io/events']);

/** GarbageCollectorConfig constructs a GarbageCollector. */
export interface GarbageCollectorConfig {
  readonly client: RestClient;
  readonly log: Logger;
  /** Starts a metadata informer for a resource and feeds its events to the collector. */
  readonly watch: (resource: ResourceRef) => void;
}

/** GarbageCollector is the reconciler; `observe*` feed it from informers. */
export class GarbageCollector implements Reconciler {
  readonly graph = new ObjectGraph();
  readonly mapper = new RestMapper();
  readonly #client: RestClient;
  readonly #log: Logger;
  readonly #watch: (resource: ResourceRef) => void;
  readonly #watched = new Set<string>();
  /** Set by the controller: asks for a uid to be reconciled. */
  enqueue: (uid: string) => void = () => undefined;

  constructor(config: GarbageCollectorConfig) {
    this.#client = config.client;
    this.#log = config.log;
    this.#watch = config.watch;
  }

  /** observe records an added or changed object and enqueues what it affects. */
  observe(obj: KubeObject, resource: ResourceRef): void {
    const node = nodeOf(obj, resource);
    if (!node) return;
    const old = this.graph.upsert(node);
    if (node.owners.length > 0 || this.#finalizing(node)) this.enqueue(node.uid);
    // An owner that starts deleting: its dependents are now its business (foreground) or may lose it (orphan).
    if (node.beingDeleted && !old?.beingDeleted) for (const d of this.graph.dependentsOf(node.uid)) this.enqueue(d.uid);
  }

  /** forget records a deleted object: its dependents may be orphans now, its owners may finish a foreground delete. */
  forget(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const old = this.graph.remove(uid);
    for (const d of this.graph.dependentsOf(uid)) this.enqueue(d.uid);
    for (const o of old?.owners ?? obj.metadata?.ownerReferences ?? []) this.enqueue(o.uid);
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    if (key === DISCOVERY_KEY) return this.#discover();
    const node = this.graph.get(key);
    if (!node) return;
    if (node.beingDeleted) {
      if (node.finalizers.includes(FINALIZER_ORPHAN)) return this.#orphanDependents(node);
      if (node.finalizers.includes(FINALIZER_FOREGROUND)) return this.#deleteDependentsFirst(node);
      return;
    }
    if (node.owners.length > 0) return this.#checkOwners(node);
  }

  /** start enqueues the first discovery pass. */
  start(): void {
    this.enqueue(DISCOVERY_KEY);
  }

  #finalizing(node: GraphNode): boolean {
    return node.beingDeleted && (node.finalizers.includes(FINALIZER_ORPHAN) || node.finalizers.includes(FINALIZER_FOREGROUND));
  }

  async #discover(): Promise<ReconcileResult> {
    const found = await serverResources(this.#client);
    this.mapper.reset(found.resources);
    for (const r of found.resources) {
      const id = `${r.group}/${r.resource}`;
      if (IGNORED_RESOURCES.has(id) || this.#watched.has(id)) continue;
      if (!['list', 'watch', 'delete'].every((v) => r.verbs.includes(v))) continue;
      this.#watched.add(id);
      this.#watch({ group: r.group, version: r.version, resource: r.resource, namespaced: r.namespaced });
    }
    if (found.failed.length > 0) this.#log.debug('Discovery incomplete', { failed: found.failed.map((f) => f.groupVersion) });
    return { requeueAfterMs: REDISCOVER_MS };
  }

  /** Orphan: remove the owner's references from every dependent, then the `orphan` finalizer from the owner. */
  async #orphanDependents(owner: GraphNode): Promise<void> {
    for (const d of this.graph.dependentsOf(owner.uid)) {
      await this.#removeOwners(d, (o) => o.uid === owner.uid);
    }
    await this.#removeFinalizer(owner, FINALIZER_ORPHAN);
    this.#log.debug('Orphaned dependents', { owner: describe(owner) });
  }

  /** Foreground: delete the dependents; drop the finalizer once no dependent blocks the owner any more. */
  async #deleteDependentsFirst(owner: GraphNode): Promise<ReconcileResult | void> {
    const dependents = this.graph.dependentsOf(owner.uid);
    let blocking = 0;
    for (const d of dependents) {
      const ref = d.owners.find((o) => o.uid === owner.uid);
      const blocks = ref?.blockOwnerDeletion === true;
      if (blocks) blocking++;
      if (!d.beingDeleted) await this.#delete(d, blocks ? 'Foreground' : 'Background');
    }
    if (blocking > 0) return { requeueAfterMs: FOREGROUND_RECHECK_MS };
    await this.#removeFinalizer(owner, FINALIZER_FOREGROUND);
    this.#log.debug('Dependents gone; owner released', { owner: describe(owner) });
  }

  /** Background: delete a dependent whose owners are all gone; forget the gone ones of a dependent that keeps one. */
  async #checkOwners(node: GraphNode): Promise<ReconcileResult | void> {
    const absent: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    let unresolved = false;
    for (const ref of node.owners) {
      const state = await this.#ownerState(node, ref);
      if (state === 'absent') absent.push(ref);
      else if (state === 'waiting') waiting.push(ref);
      else if (state === 'unknown') unresolved = true;
    }
    if (absent.length === 0 && waiting.length === 0) return unresolved ? { requeueAfterMs: REDISCOVER_MS } : undefined;
    const solid = node.owners.length - absent.length - waiting.length;
    if (solid > 0 || unresolved) {
      if (absent.length > 0) await this.#removeOwners(node, (o) => absent.some((a) => a.uid === o.uid));
      return;
    }
    // Every owner is gone or deleting its dependents first: this object goes too.
    const foreground = waiting.some((o) => o.blockOwnerDeletion === true);
    await this.#delete(node, foreground ? 'Foreground' : 'Background');
  }

  /**
   * #ownerState: "present", "waiting" (being deleted in the foreground), "absent" (confirmed by a live read: not
   * found, or found with another uid), or "unknown" (no resource serves its kind; nothing is decided).
   */
  async #ownerState(dependent: GraphNode, ref: OwnerReference): Promise<'present' | 'waiting' | 'absent' | 'unknown'> {
    const known = this.graph.get(ref.uid);
    if (known) return known.beingDeleted && known.finalizers.includes(FINALIZER_FOREGROUND) ? 'waiting' : 'present';
    const resource = this.mapper.resourceFor(ref.apiVersion, ref.kind);
    if (!resource) return 'unknown';
    try {
      const live = await this.#client.get(pathOf(resource, resource.namespaced ? dependent.namespace : '', ref.name));
      if (live.metadata?.uid !== ref.uid) return 'absent';
      const md = live.metadata;
      return md.deletionTimestamp && (md.finalizers ?? []).includes(FINALIZER_FOREGROUND) ? 'waiting' : 'present';
    } catch (err) {
      if (isNotFound(err)) return 'absent';
      throw err;
    }
  }

  /** #removeOwners drops the owner references `drop` selects (merge patch guarded by resourceVersion). */
  async #removeOwners(node: GraphNode, drop: (o: OwnerReference) => boolean): Promise<void> {
    const remaining = node.owners.filter((o) => !drop(o));
    if (remaining.length === node.owners.length) return;
    await this.#patchMetadata(node, { ownerReferences: remaining.length > 0 ? remaining : null });
  }

  async #removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    const remaining = node.finalizers.filter((f) => f !== finalizer);
    if (remaining.length === node.finalizers.length) return;
    await this.#patchMetadata(node, { finalizers: remaining.length > 0 ? remaining : null });
  }

  /**
   * A JSON merge patch of metadata with the resourceVersion we decided on as a precondition: a stale decision
   * answers 409 and is made again on fresh state (the informer's next event re-enqueues the key). Merge patch works
   * for custom resources too, which take no strategic merge patches.
   */
  async #patchMetadata(node: GraphNode, metadata: Record<string, unknown>): Promise<void> {
    try {
      await this.#client.patch(pathOf(node.resource, node.namespace, node.name), 'merge', {
        metadata: { ...metadata, resourceVersion: node.resourceVersion },
      });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) throw new Error(`Cannot update ${describe(node)}: it changed meanwhile; retrying on its latest state`);
      throw err;
    }
  }

  async #delete(node: GraphNode, propagationPolicy: 'Foreground' | 'Background'): Promise<void> {
    try {
      await this.#client.delete(pathOf(node.resource, node.namespace, node.name), { propagationPolicy, preconditions: { uid: node.uid } });
      this.#log.debug('Deleted dependent', { object: describe(node), propagationPolicy });
    } catch (err) {
      // Gone already, or replaced by a namesake with another uid (the precondition): either way not ours to delete.
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }
}

function pathOf(r: ResourceRef, namespace: string, name: string): ResourcePath {
  return { group: r.group, version: r.version, resource: r.resource, namespace: r.namespaced ? namespace : '', name };
}

function describe(n: GraphNode): string {
  const what = n.resource.group ? `${n.resource.resource}.${n.resource.group}` : n.resource.resource;
  return n.namespace ? `${what} ${n.namespace}/${n.name}` : `${what} ${n.name}`;
}

/** newGarbageCollector builds the controller; it discovers resources and starts their informers as it runs. */
export function newGarbageCollector(ctx: ControllerContext): Controller {
  const collector = new GarbageCollector({
    client: ctx.client,
    log: ctx.log,
    watch: (resource) => {
      const informer = ctx.informers.metadataInformerFor({ group: resource.group, version: resource.version, resource: resource.resource });
      informer.addEventHandler({
        onAdd: (obj) => collector.observe(obj, resource),
        onUpdate: (_old, obj) => collector.observe(obj, resource),
        onDelete: (obj) => collector.forget(obj),
      });
    },
  });
  // Upstream runs 20 workers; deletions of unrelated objects are independent.
  const controller = new Controller({ name: 'garbagecollector', reconciler: collector, clock: ctx.clock, log: ctx.log, workers: 5 });
  collector.enqueue = (uid) => controller.enqueue(uid);
  collector.start();
  return controller;
}

/** GARBAGE_COLLECTOR_CONTROLLER is the table row of the garbage collector ("garbagecollector" upstream). */
export const GARBAGE_COLLECTOR_CONTROLLER: ControllerDescriptor = {
  name: 'garbagecollector',
  enabledByDefault: true,
  create: newGarbageCollector,
};
