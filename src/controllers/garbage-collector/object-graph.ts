/**
 * ObjectGraph: the garbage collector's view of ownership across every resource (upstream's GC "graph"): each object
 * by uid, with the resource it lives in, its owner references and finalizers, and a reverse index from an owner's
 * uid to the uids of its dependents. It is fed from metadata informers and holds metadata only.
 */
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';

/** ResourceRef names the collection an object lives in. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

/** GraphNode is what the graph knows of one object. */
export interface GraphNode {
  readonly uid: string;
  readonly name: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  readonly resourceVersion: string;
  readonly resource: ResourceRef;
  readonly owners: readonly OwnerReference[];
  readonly finalizers: readonly string[];
  readonly beingDeleted: boolean;
}

/**
 * NONE is the owners and finalizers of an object that has none: one frozen empty list for all of them rather than
 * two new ones per node (most pods have no finalizers, and a bare pod no owners; 64 bytes per object held).
 */
const NONE: readonly never[] = Object.freeze([]);

/** nodeOf reads the graph node of an object, or undefined when it has no uid or name. */
export function nodeOf(obj: KubeObject, resource: ResourceRef): GraphNode | undefined {
  const md = obj.metadata;
  if (!md?.uid || !md.name) return undefined;
  return {
    uid: md.uid,
    name: md.name,
    namespace: md.namespace ?? '',
    resourceVersion: md.resourceVersion ?? '',
    resource,
    owners: md.ownerReferences !== undefined && md.ownerReferences.length > 0 ? md.ownerReferences : NONE,
    finalizers: md.finalizers !== undefined && md.finalizers.length > 0 ? md.finalizers : NONE,
    beingDeleted: Boolean(md.deletionTimestamp),
  };
}

/** ObjectGraph indexes objects by uid and owners by the uids of their dependents. */
export class ObjectGraph {
  readonly #nodes = new Map<string, GraphNode>();
  /** owner uid → dependent uids (owners may be absent from #nodes: that is what the collector looks for). */
  readonly #dependents = new Map<string, Set<string>>();

  /** get returns the node of `uid`, if the object is known to exist. */
  get(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  /** size is the number of objects known. */
  get size(): number {
    return this.#nodes.size;
  }

  /** upsert records an object's latest state; returns the previous one. */
  upsert(node: GraphNode): GraphNode | undefined {
    const old = this.#nodes.get(node.uid);
    if (old) for (const o of old.owners) this.#unlink(o.uid, node.uid);
    this.#nodes.set(node.uid, node);
    for (const o of node.owners) {
      let deps = this.#dependents.get(o.uid);
      if (!deps) this.#dependents.set(o.uid, (deps = new Set()));
      deps.add(node.uid);
    }
    return old;
  }

  /** remove forgets an object (it was deleted). Its dependents keep pointing at its uid: they are now orphans. */
  remove(uid: string): GraphNode | undefined {
    const old = this.#nodes.get(uid);
    if (!old) return undefined;
    this.#nodes.delete(uid);
    for (const o of old.owners) this.#unlink(o.uid, uid);
    return old;
  }

  /** dependentsOf lists the known objects that name `ownerUid` among their owners. */
  dependentsOf(ownerUid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const uid of this.#dependents.get(ownerUid) ?? []) {
      const n = this.#nodes.get(uid);
      if (n) out.push(n);
    }
    return out;
  }

  #unlink(ownerUid: string, dependentUid: string): void {
    const deps = this.#dependents.get(ownerUid);
    if (!deps) return;
    deps.delete(dependentUid);
    if (deps.size === 0) this.#dependents.delete(ownerUid);
  }
}
