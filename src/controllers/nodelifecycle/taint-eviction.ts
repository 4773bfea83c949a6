/**
 * Taint-based eviction (upstream's NoExecute taint manager): when a pod must leave a node with NoExecute taints.
 * A pod that does not tolerate one of them goes now; one that tolerates all of them for a while (tolerationSeconds)
 * goes when the shortest of those periods, counted from the taint's timeAdded, is over; one that tolerates them all
 * without a period stays.
 */

/** Taint is a v1 Taint. */
export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

/** Toleration is a v1 Toleration. */
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** tolerates tells whether the toleration matches the taint (upstream's ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

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
