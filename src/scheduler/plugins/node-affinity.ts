/**
 * NodeAffinity: spec.nodeSelector and required node affinity must both match (filter); each matching preferred
 * term adds its weight (score, normalized so the best node gets 100).
 */
import { normalizeScores, type FilterPlugin, type ScorePlugin } from '../framework/plugin.js';
import { anyTermMatches, termMatches } from '../../api/core/node-selector.js';
import { SUCCESS, unresolvable } from '../framework/status.js';

/** ERR_NODE_AFFINITY is upstream's reason text. */
export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

/** NODE_AFFINITY_FILTER is the filter half. */
export const NODE_AFFINITY_FILTER: FilterPlugin = {
  name: 'NodeAffinity',
  skip: (pod) => Object.keys(pod.spec?.nodeSelector ?? {}).length === 0 && !pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
  filter(pod, node) {
    const n = node.node;
    if (!n) return unresolvable(ERR_NODE_AFFINITY);
    const labels = n.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return unresolvable(ERR_NODE_AFFINITY);
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (required && !anyTermMatches(required.nodeSelectorTerms ?? [], n)) return unresolvable(ERR_NODE_AFFINITY);
    return SUCCESS;
  },
};

/** NODE_AFFINITY_SCORE is the score half (weight 2, as upstream's default profile). */
export const NODE_AFFINITY_SCORE: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  skip: (pod) => (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length === 0,
  score(pod, node) {
    const n = node.node;
    if (!n) return 0;
    let total = 0;
    for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (p.weight !== 0 && termMatches(p.preference, n)) total += p.weight;
    }
    return total;
  },
  normalize(_pod, scores) {
    normalizeScores(scores, false);
  },
};
