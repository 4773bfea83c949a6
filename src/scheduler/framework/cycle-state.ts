/**
 * CycleState: data shared by the plugins during one pod's scheduling cycle (upstream's CycleState), so values
 * derived from the pod alone — its requests, its host ports — are computed once per cycle, not once per node.
 * A new CycleState is made for every cycle; nothing outlives it.
 */

import type { NodeInfo } from './node-info.js';

/** NamespaceLabels is a namespace's name and labels. */
export interface NamespaceLabels {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** CycleState memoizes per-cycle values by key. */
export class CycleState {
  readonly #data = new Map<string, unknown>();
  /** Every node of the cycle's snapshot (plugins that count across nodes, e.g. topology spread, read it). */
  readonly allNodes: readonly NodeInfo[];
  /** The cluster's namespaces with their labels (pod affinity namespace selectors); empty when not known. */
  readonly namespaces: () => readonly NamespaceLabels[];

  /**
   * How many pods of `allNodes` have pod affinity or anti-affinity terms, when the caller keeps that count (the
   * scheduler cache does); undefined: plugins count them by visiting every node.
   */
  readonly podsWithAffinity: number | undefined;

  constructor(allNodes: readonly NodeInfo[] = [], namespaces: () => readonly NamespaceLabels[] = () => [], podsWithAffinity?: number) {
    this.allNodes = allNodes;
    this.namespaces = namespaces;
    this.podsWithAffinity = podsWithAffinity;
  }

  /** read returns the value under `key`, computing and keeping it on first use. */
  read<T>(key: string, compute: () => T): T {
    // One lookup in the common case (plugins read per node); has() only for a kept undefined.
    const kept = this.#data.get(key);
    if (kept !== undefined || this.#data.has(key)) return kept as T;
    const value = compute();
    this.#data.set(key, value);
    return value;
  }
}
