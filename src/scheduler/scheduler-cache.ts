/**
 * SchedulerCache: one NodeInfo per node, fed by the node and pod informers, plus pods the scheduler has
 * *assumed* onto a node while their binding is in flight (upstream's cache). Assuming lets the next pod see the
 * resources as taken without waiting for the bound pod to come back through the watch.
 *
 * Contracts:
 *  - A pod key is counted on at most one node.
 *  - An assumed pod is replaced by the informer's copy when it arrives, and removed by `forgetPod` when its
 *    binding failed.
 *  - Pods in a terminal phase (Succeeded, Failed) hold no resources and are not counted.
 */
import { NodeInfo } from './framework/node-info.js';
import { podKey, type Node, type Pod } from './framework/objects.js';

function terminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** SchedulerCache holds the scheduler's view of nodes and placed pods. */
export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #podNode = new Map<string, string>();
  readonly #assumed = new Set<string>();
  #list: NodeInfo[] | undefined;
  #podsWithAffinity = 0;

  /** podsWithAffinity is how many counted pods have pod affinity or anti-affinity terms (kept as pods come and go). */
  get podsWithAffinity(): number {
    return this.#podsWithAffinity;
  }

  /** nodeInfos lists the NodeInfos of existing nodes (stable order; rebuilt only when nodes come or go). */
  nodeInfos(): NodeInfo[] {
    this.#list ??= [...this.#nodes.values()].filter((n) => n.node !== undefined);
    return this.#list;
  }

  /** nodeInfoMap maps node names to NodeInfos (including ones known only through pods). */
  nodeInfoMap(): ReadonlyMap<string, NodeInfo> {
    return this.#nodes;
  }

  /** upsertNode adds or replaces a node. */
  upsertNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const info = this.#nodes.get(name);
    if (info) {
      if (!info.node) this.#list = undefined;
      info.setNode(node);
    } else {
      this.#nodes.set(name, new NodeInfo(name, node));
      this.#list = undefined;
    }
  }

  /** removeNode forgets a node; its pods stay counted until they are deleted. */
  removeNode(name: string): void {
    const info = this.#nodes.get(name);
    if (!info) return;
    this.#list = undefined;
    if (info.podCount === 0) this.#nodes.delete(name);
    else info.setNode(undefined);
  }

  /** upsertPod records a pod as the informer reports it (bound pods only; others are ignored). */
  upsertPod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || terminal(pod)) {
      this.removePod(key);
      return;
    }
    this.#assumed.delete(key);
    this.#place(key, pod, nodeName);
  }

  /** removePod forgets a pod wherever it is counted. */
  removePod(key: string): void {
    this.#assumed.delete(key);
    const nodeName = this.#podNode.get(key);
    if (nodeName === undefined) return;
    this.#podNode.delete(key);
    const info = this.#nodes.get(nodeName);
    if (info) {
      const before = info.affinityPodCount;
      info.removePod(key);
      this.#podsWithAffinity += info.affinityPodCount - before;
    }
    if (info && !info.node && info.podCount === 0) this.#nodes.delete(nodeName);
  }

  /** assumePod counts `pod` on `nodeName` before its binding is confirmed. */
  assumePod(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    this.#assumed.add(key);
    this.#place(key, { ...pod, spec: { ...pod.spec, nodeName } }, nodeName);
  }

  /** forgetPod drops an assumed pod whose binding failed (a confirmed pod is left alone). */
  forgetPod(key: string): void {
    if (this.#assumed.has(key)) this.removePod(key);
  }

  /** isAssumed tells whether the pod is assumed and not yet confirmed by the informer. */
  isAssumed(key: string): boolean {
    return this.#assumed.has(key);
  }

  #place(key: string, pod: Pod, nodeName: string): void {
    const prev = this.#podNode.get(key);
    if (prev !== undefined && prev !== nodeName) this.removePod(key);
    let info = this.#nodes.get(nodeName);
    if (!info) {
      info = new NodeInfo(nodeName);
      this.#nodes.set(nodeName, info);
    }
    const before = info.affinityPodCount;
    info.addPod(pod, key);
    this.#podsWithAffinity += info.affinityPodCount - before;
    this.#podNode.set(key, nodeName);
  }
}
