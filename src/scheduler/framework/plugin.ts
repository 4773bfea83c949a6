/**
 * Plugin interfaces of the scheduling framework (upstream's Filter and Score extension points). Plugins are pure
 * functions of the pod and a NodeInfo: they never call the API, so a scheduling cycle is synchronous and fast.
 */
import type { CycleState } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import type { Pod } from './objects.js';
import type { Status } from './status.js';

/** MAX_NODE_SCORE is the top of the normalized score range (0..100). */
export const MAX_NODE_SCORE = 100;

/** FilterPlugin decides whether a pod may run on a node. */
export interface FilterPlugin {
  readonly name: string;
  /** skip tells, once per cycle, that the filter passes every node for this pod (upstream's PreFilter Skip). */
  skip?(pod: Pod, state: CycleState): boolean;
  filter(pod: Pod, node: NodeInfo, state: CycleState): Status;
}

/** NodeScore is one node's score from one plugin. */
export interface NodeScore {
  readonly node: string;
  score: number;
}

/** ScorePlugin ranks feasible nodes; `normalize` maps raw scores into 0..MAX_NODE_SCORE in place. */
export interface ScorePlugin {
  readonly name: string;
  /** Multiplies the normalized score when plugins' scores are summed. */
  readonly weight: number;
  /** skip tells, once per cycle, that the plugin has no preference for this pod (its scores would all be 0). */
  skip?(pod: Pod, state: CycleState): boolean;
  score(pod: Pod, node: NodeInfo, state: CycleState): number;
  normalize?(pod: Pod, scores: NodeScore[]): void;
}

/** normalizeScores scales scores so the highest becomes MAX_NODE_SCORE (or its reverse), as upstream's DefaultNormalizeScore. */
export function normalizeScores(scores: NodeScore[], reverse: boolean): void {
  const max = scores.reduce((m, s) => Math.max(m, s.score), 0);
  for (const s of scores) {
    if (max === 0) {
      s.score = reverse ? MAX_NODE_SCORE : 0;
      continue;
    }
    const scaled = Math.floor((s.score * MAX_NODE_SCORE) / max);
    s.score = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
}
