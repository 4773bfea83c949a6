/**
 * Taint-based eviction (upstream's NoExecute taint manager): when a pod must leave a node with NoExecute taints.
 * A pod that does not tolerate one of them goes now; one that tolerates all of them for a while (tolerationSeconds)
 * goes when the shortest of those periods, counted from the taint's timeAdded, is over; one that tolerates them all
 * without a period stays.
 */

import { tolerates, type Taint, type Toleration } from '../../api/core/tolerations.js';

export type { Taint, Toleration };

/**
 * evictionTime returns when the pod must be evicted from a node with these taints: undefined (never), or a time in
 * ms (which may be in the past: evict now).
 */
export function evictionTime(taints: readonly Taint[], tolerations: readonly Toleration[], now: number): number | undefined {
  let at: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return now;
    const bounded = matching.filter((t) => t.tolerationSeconds !== undefined);
    if (bounded.length < matching.length) continue; // one tolerates it forever
    const seconds = Math.min(...bounded.map((t) => Math.max(0, t.tolerationSeconds ?? 0)));
    const added = Date.parse(taint.timeAdded ?? '');
    const deadline = (Number.isFinite(added) ? added : now) + seconds * 1000;
    at = at === undefined ? deadline : Math.min(at, deadline);
  }
  return at;
}
