/**
 * NodeInfo: a node with the pods placed on it and their summed requests (upstream's framework.NodeInfo). The
 * scheduler cache keeps one per node and updates it incrementally; plugins only read it.
 */
import type { Node, Pod } from './objects.js';
import { podKey } from './objects.js';
import { nodeAllocatable, podRequests, type Resources } from './resources.js';

/** HostPortUse is one host port taken on a node. */
export interface HostPortUse {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

/** NodeInfo aggregates one node's pods. */
export class NodeInfo {
  readonly name: string;
  #node: Node | undefined;
  #allocatable: Resources = {};
  /**
   * The node's pods by key. Only the pod itself: its requests are summed into `requested` when it is added and
   * computed again from the same (never changed) object when it leaves, and host ports are kept only for the few
   * pods that ask for any. A record per pod of requests, non-zero requests and an empty port list was ~0.2 KB of
   * each pod's memory in the scheduler (issue 5, session 14).
   */
  readonly #pods = new Map<string, Pod>();
  /** The host ports of the pods that take any (most take none). */
  readonly #ports = new Map<string, readonly HostPortUse[]>();
  /** Pods with pod affinity or anti-affinity terms (InterPodAffinity visits only these for existing pods' terms). */
  readonly #withAffinity = new Map<string, Pod>();
  /** Summed requests of the node's pods (fit). */
  readonly requested: Resources = {};
  /** Summed requests with scoring defaults for unset cpu/memory (scores). */
  readonly nonZeroRequested: Resources = {};

  constructor(name: string, node?: Node) {
    this.name = name;
    if (node) this.setNode(node);
  }

  /** node is the Node object (undefined while only pods are known, e.g. the node was deleted). */
  get node(): Node | undefined {
    return this.#node;
  }

  /** allocatable is the node's allocatable resources in scheduler units. */
  get allocatable(): Readonly<Resources> {
    return this.#allocatable;
  }

  /** setNode replaces the Node object. */
  setNode(node: Node | undefined): void {
    this.#node = node;
    this.#allocatable = node ? nodeAllocatable(node) : {};
  }

  /** pods lists the pods on the node. */
  pods(): Pod[] {
    return [...this.#pods.values()];
  }

  /** affinityPodCount is how many of the node's pods have pod affinity or anti-affinity terms. */
  get affinityPodCount(): number {
    return this.#withAffinity.size;
  }

  /** podsWithAffinity lists the node's pods that have pod affinity or anti-affinity terms. */
  podsWithAffinity(): Pod[] {
    return this.#withAffinity.size === 0 ? [] : [...this.#withAffinity.values()];
  }

  /** podCount is how many pods are on the node. */
  get podCount(): number {
    return this.#pods.size;
  }

  /** hasPod tells whether a pod with `key` is on the node. */
  hasPod(key: string): boolean {
    return this.#pods.has(key);
  }

  /** usedPorts lists the host ports taken by the node's pods. */
  usedPorts(): HostPortUse[] {
    return this.#ports.size === 0 ? [] : [...this.#ports.values()].flat();
  }

  /**
   * addPod places a pod (replacing an earlier copy with the same key). `key` is podKey(pod), when the caller has
   * it already (the map then holds the caller's string, not a second one). The pod must not be changed while it is
   * placed: its requests are computed again from it when it leaves.
   */
  addPod(pod: Pod, key: string = podKey(pod)): void {
    this.removePod(key);
    this.#pods.set(key, pod);
    const ports = hostPortsOf(pod);
    if (ports.length > 0) this.#ports.set(key, ports);
    if (pod.spec?.affinity?.podAffinity || pod.spec?.affinity?.podAntiAffinity) this.#withAffinity.set(key, pod);
    add(this.requested, podRequests(pod), 1);
    add(this.nonZeroRequested, podRequests(pod, true), 1);
  }

  /** removePod removes the pod with `key`; a no-op when absent. */
  removePod(key: string): void {
    const pod = this.#pods.get(key);
    if (!pod) return;
    this.#pods.delete(key);
    this.#ports.delete(key);
    this.#withAffinity.delete(key);
    add(this.requested, podRequests(pod), -1);
    add(this.nonZeroRequested, podRequests(pod, true), -1);
  }
}

function add(into: Resources, r: Resources, sign: 1 | -1): void {
  for (const [k, v] of Object.entries(r)) into[k] = (into[k] ?? 0) + sign * v;
}

/** hostPortsOf lists the host ports a pod asks for (hostIP defaults to 0.0.0.0, protocol to TCP). */
export function hostPortsOf(pod: Pod): HostPortUse[] {
  const out: HostPortUse[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort && p.hostPort > 0) out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}
