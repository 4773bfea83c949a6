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
  score(pod, node) {
    const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    return (node.node?.spec?.taints ?? []).filter((taint) => taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint))).length;
  },
  normalize(_pod, scores) {
    normalizeScores(scores, true);
  },
};
