/**
 * PodTopologySpread: pods spread evenly over topology domains (node label values such as zones or hostnames).
 *
 *  - Filter (constraints with whenUnsatisfiable: DoNotSchedule): for each constraint, count the pods of the
 *    pod's namespace matching its labelSelector per domain, over the nodes eligible for the pod (nodeSelector and
 *    required node affinity honoured by default, taints ignored by default, as upstream's policies). Placing the
 *    pod on a node must keep `count(domain) + 1 − min(count over domains)` ≤ maxSkew. With `minDomains` and fewer
 *    domains than that, the minimum counts as 0. A node without the topology label is rejected outright.
 *  - Score (ScheduleAnyway): nodes in domains with fewer matching pods score higher (weight 2).
 *
 * matchLabelKeys adds the pod's own values of those labels to the selector. No cluster-level default
 * constraints are applied.
 */
import { labelSelectorFromObject, type LabelSelector } from '../../api/meta/labels.js';
import type { CycleState } from '../framework/cycle-state.js';
import { anyTermMatches } from '../../api/core/node-selector.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { Pod, TopologySpreadConstraint } from '../framework/objects.js';
import { normalizeScores, type FilterPlugin, type ScorePlugin } from '../framework/plugin.js';
import { SUCCESS, unresolvable, unschedulable } from '../framework/status.js';
import { firstUntolerated } from '../../api/core/tolerations.js';

/** ERR_TOPOLOGY_SPREAD and ERR_TOPOLOGY_LABEL are upstream's reason texts. */
export const ERR_TOPOLOGY_SPREAD = "node(s) didn't match pod topology spread constraints";
export const ERR_TOPOLOGY_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";

interface Counted {
  readonly constraint: TopologySpreadConstraint;
  readonly selector: LabelSelector;
  /** Matching pods per domain value (domains of eligible nodes only). */
  readonly counts: Map<string, number>;
  readonly min: number;
}

function selectorOf(pod: Pod, c: TopologySpreadConstraint): LabelSelector {
  const base = c.labelSelector ?? {};
  const labels = pod.metadata?.labels ?? {};
  const extra = (c.matchLabelKeys ?? []).filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: 'In', values: [labels[k] ?? ''] }));
  return labelSelectorFromObject({ matchLabels: base.matchLabels, matchExpressions: [...(base.matchExpressions ?? []), ...extra] });
}

function eligible(pod: Pod, c: TopologySpreadConstraint, node: NodeInfo): boolean {
  const n = node.node;
  if (!n) return false;
  if ((c.nodeAffinityPolicy ?? 'Honor') === 'Honor') {
    const labels = n.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (required && !anyTermMatches(required.nodeSelectorTerms ?? [], n)) return false;
  }
  if (c.nodeTaintsPolicy === 'Honor') {
    const taint = firstUntolerated(n.spec?.taints ?? [], pod.spec?.tolerations ?? [], (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    if (taint) return false;
  }
  return true;
}

function countDomains(pod: Pod, constraints: readonly TopologySpreadConstraint[], state: CycleState): Counted[] {
  const ns = pod.metadata?.namespace ?? '';
  return constraints.map((constraint) => {
    const selector = selectorOf(pod, constraint);
    const counts = new Map<string, number>();
    for (const node of state.allNodes) {
      const value = node.node?.metadata?.labels?.[constraint.topologyKey];
      if (value === undefined || !eligible(pod, constraint, node)) continue;
      let n = counts.get(value) ?? 0;
      for (const p of node.pods()) {
        if (p.metadata?.namespace === ns && !p.metadata?.deletionTimestamp && selector.matches(p.metadata?.labels)) n++;
      }
      counts.set(value, n);
    }
    let min = counts.size === 0 ? 0 : Math.min(...counts.values());
    if (constraint.minDomains !== undefined && counts.size < constraint.minDomains) min = 0;
    return { constraint, selector, counts, min };
  });
}

function constraintsOf(pod: Pod, when: string): TopologySpreadConstraint[] {
  return (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === when);
}

/** POD_TOPOLOGY_SPREAD_FILTER is the filter half. */
export const POD_TOPOLOGY_SPREAD_FILTER: FilterPlugin = {
  name: 'PodTopologySpread',
  skip: (pod) => constraintsOf(pod, 'DoNotSchedule').length === 0,
  filter(pod, node, state) {
    if (!pod.spec?.topologySpreadConstraints?.length) return SUCCESS;
    const counted = state.read('PodTopologySpread/filter', () => countDomains(pod, constraintsOf(pod, 'DoNotSchedule'), state));
    if (counted.length === 0) return SUCCESS;
    const labels = node.node?.metadata?.labels ?? {};
    for (const c of counted) {
      const value = labels[c.constraint.topologyKey];
      if (value === undefined) return unresolvable(ERR_TOPOLOGY_LABEL);
      const self = c.selector.matches(pod.metadata?.labels) ? 1 : 0;
      const skew = (c.counts.get(value) ?? 0) + self - c.min;
      if (skew > c.constraint.maxSkew) return unschedulable(ERR_TOPOLOGY_SPREAD);
    }
    return SUCCESS;
  },
};

/** POD_TOPOLOGY_SPREAD_SCORE is the score half (weight 2, as upstream's default profile). */
export const POD_TOPOLOGY_SPREAD_SCORE: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  skip: (pod) => constraintsOf(pod, 'ScheduleAnyway').length === 0,
  score(pod, node, state) {
    if (!pod.spec?.topologySpreadConstraints?.length) return 0;
    const counted = state.read('PodTopologySpread/score', () => countDomains(pod, constraintsOf(pod, 'ScheduleAnyway'), state));
    if (counted.length === 0) return 0;
    const labels = node.node?.metadata?.labels ?? {};
    let total = 0;
    for (const c of counted) {
      const value = labels[c.constraint.topologyKey];
      // A node outside every domain is the worst place to spread to.
      total += value === undefined ? Math.max(0, ...c.counts.values()) + 1 : (c.counts.get(value) ?? 0);
    }
    return total;
  },
  normalize(pod, scores) {
    if (constraintsOf(pod, 'ScheduleAnyway').length === 0) {
      for (const s of scores) s.score = 0;
      return;
    }
    // Fewer matching pods is better: scale against the worst node, reversed.
    normalizeScores(scores, true);
  },
};
