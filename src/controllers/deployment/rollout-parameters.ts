/**
 * Rolling-update arithmetic shared by the Deployment controller and its status: maxSurge and maxUnavailable resolved
 * against the desired replicas (percentages: surge rounds up, unavailability rounds down, and when both come to 0
 * one pod may be unavailable, or no rollout could ever progress), as upstream resolves them.
 */

/** RollingUpdateSpec is a Deployment's spec.strategy.rollingUpdate. */
export interface RollingUpdateSpec {
  readonly maxSurge?: number | string;
  readonly maxUnavailable?: number | string;
}

function resolve(value: number | string | undefined, total: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return Math.max(0, Math.trunc(v));
  const m = /^(\d+)%$/.exec(v.trim());
  if (!m) {
    const n = Number(v);
    return Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : 0;
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** resolveSurgeAndUnavailable returns [maxSurge, maxUnavailable] for `replicas` desired pods (defaults 25 %/25 %). */
export function resolveSurgeAndUnavailable(spec: RollingUpdateSpec | undefined, replicas: number): [number, number] {
  const surge = resolve(spec?.maxSurge, replicas, true, '25%');
  let unavailable = resolve(spec?.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, Math.min(unavailable, replicas)];
}

/**
 * newReplicaSetReplicas is how many replicas the new ReplicaSet may have now: up to the desired count, while all
 * ReplicaSets together stay within desired + maxSurge.
 */
export function newReplicaSetReplicas(desired: number, maxSurge: number, newCurrent: number, allCurrent: number): number {
  if (newCurrent >= desired) return desired;
  const room = Math.max(0, desired + maxSurge - allCurrent);
  return Math.min(desired, newCurrent + room);
}
