/**
 * PodDisruptionBudget arithmetic, shared by the eviction API (which refuses an eviction that the budget does not
 * allow) and the disruption controller (which keeps the budget's status): how many healthy pods the budget wants
 * (minAvailable, or expected − maxUnavailable; percentages of the expected pods, rounded up as upstream), and so
 * how many disruptions it allows now.
 */

/** DisruptionBudgetSpec is the part of policy/v1 PodDisruptionBudget spec used here. */
export interface DisruptionBudgetSpec {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

function scaled(value: number | string, expected: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value.trim());
  if (m) return Math.ceil((Number(m[1]) * expected) / 100);
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** desiredHealthy is how many healthy pods the budget requires out of `expected`. */
export function desiredHealthy(spec: DisruptionBudgetSpec, expected: number): number {
  if (spec.maxUnavailable !== undefined) return Math.max(0, expected - scaled(spec.maxUnavailable, expected));
  if (spec.minAvailable !== undefined) return scaled(spec.minAvailable, expected);
  // Neither set: upstream's default is minAvailable 1.
  return 1;
}

/** disruptionsAllowed is how many more pods may be evicted now. */
export function disruptionsAllowed(spec: DisruptionBudgetSpec, expected: number, currentHealthy: number): number {
  return Math.max(0, currentHealthy - desiredHealthy(spec, expected));
}
