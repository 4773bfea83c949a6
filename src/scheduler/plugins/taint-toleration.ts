/**
 * TaintToleration: a node's NoSchedule and NoExecute taints repel pods that do not tolerate them (filter); its
 * PreferNoSchedule taints make it less attractive, one point per untolerated taint, reversed on normalization
 * (score).
 */
import { normalizeScores, type FilterPlugin, type ScorePlugin } from '../framework/plugin.js';
import { SUCCESS, unresolvable } from '../framework/status.js';
import { firstUntolerated, tolerates } from '../../api/core/tolerations.js';

/** TAINT_TOLERATION_FILTER is the filter half. */
export const TAINT_TOLERATION_FILTER: FilterPlugin = {
  name: 'TaintToleration',
  filter(pod, node) {
    const taint = firstUntolerated(node.node?.spec?.taints ?? [], pod.spec?.tolerations ?? [], (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    return taint ? unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`) : SUCCESS;
  },
};

/** TAINT_TOLERATION_SCORE is the score half (weight 3, as upstream's default profile). */
export const TAINT_TOLERATION_SCORE: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(pod, node, state) {
    const taints = node.node?.spec?.taints;
    // Most nodes have no taints: nothing to count, nothing to allocate.
    if (!taints || taints.length === 0) return 0;
    const tolerations = state.read('TaintToleration/preferNoSchedule', () => (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule'));
    let untolerated = 0;
    for (const taint of taints) if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint))) untolerated++;
    return untolerated;
  },
  normalize(_pod, scores) {
    normalizeScores(scores, true);
  },
};
