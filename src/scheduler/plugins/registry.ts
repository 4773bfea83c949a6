/**
 * The plugin table of the default profile, in upstream's order: filters run in this order and a node's first
 * failing filter is the one reported; scores are weighted and summed.
 */
import type { FilterPlugin, ScorePlugin } from '../framework/plugin.js';
import { INTER_POD_AFFINITY_FILTER, INTER_POD_AFFINITY_SCORE } from './inter-pod-affinity.js';
import { NODE_AFFINITY_FILTER, NODE_AFFINITY_SCORE } from './node-affinity.js';
import { NODE_NAME } from './node-name.js';
import { NODE_PORTS } from './node-ports.js';
import { NODE_RESOURCES_FIT_FILTER, nodeResourcesFitScore, type ScoringStrategy } from './node-resources-fit.js';
import { NODE_UNSCHEDULABLE } from './node-unschedulable.js';
import { POD_TOPOLOGY_SPREAD_FILTER, POD_TOPOLOGY_SPREAD_SCORE } from './pod-topology-spread.js';
import { TAINT_TOLERATION_FILTER, TAINT_TOLERATION_SCORE } from './taint-toleration.js';
import { volumeBindingFilter, type VolumeLookup } from './volume-binding.js';

/** Profile is the set of plugins one scheduler runs. */
export interface Profile {
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly ScorePlugin[];
}

/**
 * defaultProfile returns the default plugins; `scoringStrategy` picks NodeResourcesFit's scoring, and `volumes`
 * (the scheduler's claim, volume and class listers) enables VolumeBinding.
 */
export function defaultProfile(scoringStrategy: ScoringStrategy = 'LeastAllocated', volumes?: VolumeLookup): Profile {
  return {
    filters: [
      NODE_UNSCHEDULABLE,
      NODE_NAME,
      TAINT_TOLERATION_FILTER,
      NODE_AFFINITY_FILTER,
      NODE_PORTS,
      NODE_RESOURCES_FIT_FILTER,
      ...(volumes ? [volumeBindingFilter(volumes)] : []),
      POD_TOPOLOGY_SPREAD_FILTER,
      INTER_POD_AFFINITY_FILTER,
    ],
    scores: [TAINT_TOLERATION_SCORE, NODE_AFFINITY_SCORE, nodeResourcesFitScore(scoringStrategy), POD_TOPOLOGY_SPREAD_SCORE, INTER_POD_AFFINITY_SCORE],
  };
}
