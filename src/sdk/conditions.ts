/**
 * Status conditions (apimachinery's meta.SetStatusCondition semantics):
 *  - a new condition type is added, with lastTransitionTime = the given one, or now;
 *  - an existing one changes lastTransitionTime only when its `status` changes;
 *  - reason, message and observedGeneration are always brought up to date.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';

/** Condition is metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** NewCondition is what a caller sets (lastTransitionTime filled in when left out). */
export type NewCondition = Omit<Condition, 'reason' | 'message'> & { reason?: string; message?: string };

/**
 * setStatusCondition puts `condition` into `conditions` (in place); true when anything changed. `nowMs` is the
 * time a transition is stamped with (pass the controller's clock).
 */
export function setStatusCondition(conditions: Condition[], condition: NewCondition, nowMs: number): boolean {
  const wanted: Condition = { ...condition, reason: condition.reason ?? '', message: condition.message ?? '' };
  const existing = conditions.find((c) => c.type === wanted.type);
  if (!existing) {
    conditions.push({ ...wanted, lastTransitionTime: wanted.lastTransitionTime ?? formatTimestamp(nowMs) });
    return true;
  }
  let changed = false;
  if (existing.status !== wanted.status) {
    existing.status = wanted.status;
    existing.lastTransitionTime = wanted.lastTransitionTime ?? formatTimestamp(nowMs);
    changed = true;
  }
  if (existing.reason !== wanted.reason) {
    existing.reason = wanted.reason;
    changed = true;
  }
  if (existing.message !== wanted.message) {
    existing.message = wanted.message;
    changed = true;
  }
  if (wanted.observedGeneration !== undefined && existing.observedGeneration !== wanted.observedGeneration) {
    existing.observedGeneration = wanted.observedGeneration;
    changed = true;
  }
  return changed;
}

/** findStatusCondition returns the condition of `type`, if any. */
export function findStatusCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** removeStatusCondition drops the condition of `type` (in place); true when one was there. */
export function removeStatusCondition(conditions: Condition[], type: string): boolean {
  const i = conditions.findIndex((c) => c.type === type);
  if (i < 0) return false;
  conditions.splice(i, 1);
  return true;
}

/** isStatusConditionTrue tells whether the condition of `type` is present with status "True". */
export function isStatusConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findStatusCondition(conditions, type)?.status === 'True';
}
