/**
 * Toleration matching (core/v1 semantics): an empty key with operator Exists tolerates every taint; an empty effect
 * matches every effect; Equal (the default operator) compares values. Shared by the scheduler, the DaemonSet
 * controller and taint-based eviction, so all three read a toleration the same way.
 */

/** Taint is a node taint (core/v1 Taint). */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
  /** Set on NoExecute taints: when the taint was added (eviction deadlines count from it). */
  timeAdded?: string;
}

/** Toleration is a pod toleration (core/v1 Toleration). */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal' | string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** tolerates tells whether `t` tolerates `taint`. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  const op = t.operator || 'Equal';
  if (!t.key) return op === 'Exists';
  if (t.key !== taint.key) return false;
  if (op === 'Exists') return true;
  return op === 'Equal' && (t.value ?? '') === (taint.value ?? '');
}

/** firstUntolerated returns the first taint among those passing `include` that no toleration tolerates. */
export function firstUntolerated(taints: readonly Taint[], tolerations: readonly Toleration[], include: (t: Taint) => boolean): Taint | undefined {
  return taints.find((taint) => include(taint) && !tolerations.some((t) => tolerates(t, taint)));
}
