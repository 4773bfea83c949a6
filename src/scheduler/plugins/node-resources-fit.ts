/**
 * NodeResourcesFit: the pod's requests must fit in what the node's allocatable leaves after its pods' requests,
 * and the node must have room for one more pod (filter). Scoring is LeastAllocated by default (prefer emptier
 * nodes) or MostAllocated (bin-packing), over cpu and memory with equal weights, counting the scoring defaults
 * for containers without requests.
 */
import { MAX_NODE_SCORE, type FilterPlugin, type ScorePlugin } from '../framework/plugin.js';
import { podRequests } from '../framework/resources.js';
import { SUCCESS, unschedulable } from '../framework/status.js';

/** NODE_RESOURCES_FIT_FILTER is the filter half. */
export const NODE_RESOURCES_FIT_FILTER: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(pod, node, state) {
    // This runs for every node searched: a node that fits allocates nothing.
    let reasons: string[] | undefined;
    const alloc = node.allocatable;
    if (node.podCount + 1 > (alloc['pods'] ?? 0)) reasons = ['Too many pods'];
    // The positive requests as pairs, once per cycle (upstream's PreFilter).
    const req = state.read('NodeResourcesFit/requests', () => Object.entries(podRequests(pod)).filter(([name, want]) => want > 0 && name !== 'pods'));
    for (const [name, want] of req) {
      const free = (alloc[name] ?? 0) - (node.requested[name] ?? 0);
      if (want > free) (reasons ??= []).push(`Insufficient ${name}`);
    }
    return reasons ? unschedulable(...reasons) : SUCCESS;
  },
};

/** ScoringStrategy names NodeResourcesFit's scoring. */
export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

const SCORED = ['cpu', 'memory'] as const;

/** nodeResourcesFitScore builds the score half for a strategy (weight 1, as upstream's default profile). */
export function nodeResourcesFitScore(strategy: ScoringStrategy = 'LeastAllocated'): ScorePlugin {
  /** resourceScore is one resource's 0..MAX_NODE_SCORE score (0 when the node lacks it or the pod overflows it). */
  const resourceScore = (capacity: number, requested: number): number => {
    if (capacity <= 0 || requested > capacity) return 0;
    return strategy === 'LeastAllocated' ? Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity) : Math.floor((requested * MAX_NODE_SCORE) / capacity);
  };
  return {
    name: 'NodeResourcesFit',
    weight: 1,
    score(pod, node, state) {
      const req = state.read('NodeResourcesFit/nonZeroRequests', () => podRequests(pod, true));
      // cpu and memory by name, not in a loop over SCORED: this runs for every feasible node, and named property
      // reads are much cheaper than keyed ones.
      const alloc = node.allocatable;
      const used = node.nonZeroRequested;
      const sum = resourceScore(alloc['cpu'] ?? 0, (used['cpu'] ?? 0) + (req['cpu'] ?? 0)) + resourceScore(alloc['memory'] ?? 0, (used['memory'] ?? 0) + (req['memory'] ?? 0));
      return Math.floor(sum / SCORED.length);
    },
  };
}
