/**
 * Normalization: from the replica count the metrics ask for to the count written, as upstream's HPA does it.
 *
 * With `spec.behavior` (normalizeWithBehaviors): the recommendation is stabilized (the lowest recommendation of
 * the scale-up window and the highest of the scale-down window bound it; defaults 0 s up, 300 s down, the latter
 * `--horizontal-pod-autoscaler-downscale-stabilization`), then limited by the policies against the changes made
 * within each policy's period (selectPolicy Max picks the policy allowing the largest change, Min the smallest,
 * Disabled forbids that direction), then clamped to min/max.
 *
 * Without `spec.behavior` (normalizeLegacy): the highest recommendation of the downscale window, then at most
 * max(2 × current, 4) on the way up, then min/max.
 *
 * Beyond upstream: from 0 replicas the scale-up limit is at least 1, so Percent-only policies can wake a target
 * that was scaled to zero.
 *
 * Recommendations and scale events live in memory per HPA key, as upstream (a restart starts them afresh).
 */
import type { HorizontalPodAutoscalerBehavior, HPAScalingRules } from './types.js';

/** The default `--horizontal-pod-autoscaler-downscale-stabilization`. */
export const DEFAULT_DOWNSCALE_STABILIZATION_MS = 5 * 60_000;

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

/** Normalized is the count to write and why it differs (or not) from the recommendation. */
export interface Normalized {
  readonly replicas: number;
  /** AbleToScale's reason and message: ReadyForNewScale, ScaleUpStabilized or ScaleDownStabilized. */
  readonly ableReason: string;
  readonly ableMessage: string;
  /** ScalingLimited: True when the count was limited. */
  readonly limited: boolean;
  readonly limitReason: string;
  readonly limitMessage: string;
}

/** NormalizeArgs describe one decision. */
export interface NormalizeArgs {
  readonly key: string;
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

const DEFAULT_SCALE_UP: Required<HPAScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};

const DEFAULT_SCALE_DOWN_POLICIES = [{ type: 'Percent', value: 100, periodSeconds: 15 }];

const READY = { ableReason: 'ReadyForNewScale', ableMessage: 'recommended size matches current size' };
const WITHIN = { limitReason: 'DesiredWithinRange', limitMessage: 'the desired count is within the acceptable range' };

/** Normalizer keeps the per-HPA recommendation and scale-event history. */
export class Normalizer {
  readonly #now: () => number;
  readonly #downscaleWindowMs: number;
  readonly #recommendations = new Map<string, Recommendation[]>();
  readonly #scaleUpEvents = new Map<string, ScaleEvent[]>();
  readonly #scaleDownEvents = new Map<string, ScaleEvent[]>();

  constructor(config: { now: () => number; downscaleStabilizationMs?: number }) {
    this.#now = config.now;
    this.#downscaleWindowMs = config.downscaleStabilizationMs ?? DEFAULT_DOWNSCALE_STABILIZATION_MS;
  }

  /** recordInitial seeds the history with the current count the first time a key is seen. */
  recordInitial(key: string, currentReplicas: number): void {
    if (!this.#recommendations.has(key)) this.#recommendations.set(key, [{ replicas: currentReplicas, at: this.#now() }]);
  }

  /** forget drops a deleted HPA's history. */
  forget(key: string): void {
    this.#recommendations.delete(key);
    this.#scaleUpEvents.delete(key);
    this.#scaleDownEvents.delete(key);
  }

  /** normalizeLegacy: upstream's rules for an HPA without spec.behavior. */
  normalizeLegacy(a: NormalizeArgs): Normalized {
    const stabilized = this.#stabilizeLegacy(a.key, a.desiredReplicas);
    const able =
      stabilized !== a.desiredReplicas
        ? { ableReason: 'ScaleDownStabilized', ableMessage: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
        : READY;
    const scaleUpLimit = Math.max(2 * a.currentReplicas, 4);
    let maxAllowed: number;
    let limit: { limitReason: string; limitMessage: string };
    if (a.maxReplicas > scaleUpLimit) {
      maxAllowed = scaleUpLimit;
      limit = { limitReason: 'ScaleUpLimit', limitMessage: 'the desired replica count is increasing faster than the maximum scale rate' };
    } else {
      maxAllowed = a.maxReplicas;
      limit = { limitReason: 'TooManyReplicas', limitMessage: 'the desired replica count is more than the maximum replica count' };
    }
    let replicas = stabilized;
    if (stabilized < a.minReplicas) {
      replicas = a.minReplicas;
      limit = { limitReason: 'TooFewReplicas', limitMessage: 'the desired replica count is less than the minimum replica count' };
    } else if (stabilized > maxAllowed) replicas = maxAllowed;
    else limit = WITHIN;
    return { replicas, ...able, limited: replicas !== stabilized, ...limit };
  }

  /** normalizeWithBehaviors: upstream's rules for an HPA with spec.behavior. */
  normalizeWithBehaviors(a: NormalizeArgs, behavior: HorizontalPodAutoscalerBehavior): Normalized {
    const up = withDefaults(behavior.scaleUp, DEFAULT_SCALE_UP);
    const down = withDefaults(behavior.scaleDown, { stabilizationWindowSeconds: this.#downscaleWindowMs / 1000, selectPolicy: 'Max', policies: DEFAULT_SCALE_DOWN_POLICIES });
    const stab = this.#stabilizeWithBehaviors(a, up.stabilizationWindowSeconds, down.stabilizationWindowSeconds);
    const able = stab.replicas !== a.desiredReplicas ? { ableReason: stab.reason, ableMessage: stab.message } : READY;
    const rate = this.#limitRate({ ...a, desiredReplicas: stab.replicas }, up, down);
    return { replicas: rate.replicas, ...able, limited: rate.replicas !== stab.replicas, limitReason: rate.reason, limitMessage: rate.message };
  }

  /** recordScale remembers a change for the policies' periods (only HPAs with behavior use them, as upstream). */
  recordScale(key: string, behavior: HorizontalPodAutoscalerBehavior | undefined, from: number, to: number): void {
    if (!behavior || from === to) return;
    const upward = to > from;
    const rules = upward ? withDefaults(behavior.scaleUp, DEFAULT_SCALE_UP) : withDefaults(behavior.scaleDown, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: DEFAULT_SCALE_DOWN_POLICIES });
    const map = upward ? this.#scaleUpEvents : this.#scaleDownEvents;
    const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds)) * 1000;
    const now = this.#now();
    const events = map.get(key) ?? [];
    for (const e of events) if (e.at <= now - longest) e.outdated = true;
    const change = Math.abs(to - from);
    const reuse = events.find((e) => e.outdated);
    if (reuse) Object.assign(reuse, { change, at: now, outdated: false });
    else events.push({ change, at: now, outdated: false });
    map.set(key, events);
  }

  #stabilizeLegacy(key: string, desired: number): number {
    const now = this.#now();
    const cutoff = now - this.#downscaleWindowMs;
    const recs = this.#recommendations.get(key) ?? [];
    let max = desired;
    let old: Recommendation | undefined;
    for (const r of recs) {
      // A sample exactly at the cutoff is outside the window (as in the behavior path's strict "after").
      if (r.at <= cutoff) old = r;
      else if (r.replicas > max) max = r.replicas;
    }
    if (old) Object.assign(old, { replicas: desired, at: now });
    else recs.push({ replicas: desired, at: now });
    this.#recommendations.set(key, recs);
    return max;
  }

  #stabilizeWithBehaviors(a: NormalizeArgs, upWindowS: number, downWindowS: number): { replicas: number; reason: string; message: string } {
    const now = this.#now();
    const upCutoff = now - upWindowS * 1000;
    const downCutoff = now - downWindowS * 1000;
    let upRec = a.desiredReplicas;
    let downRec = a.desiredReplicas;
    const recs = this.#recommendations.get(a.key) ?? [];
    let old: Recommendation | undefined;
    for (const r of recs) {
      if (r.at > upCutoff) upRec = Math.min(r.replicas, upRec);
      if (r.at > downCutoff) downRec = Math.max(r.replicas, downRec);
      if (r.at < upCutoff && r.at < downCutoff) old = r;
    }
    let replicas = a.currentReplicas;
    if (replicas < upRec) replicas = upRec;
    if (replicas > downRec) replicas = downRec;
    if (old) Object.assign(old, { replicas: a.desiredReplicas, at: now });
    else recs.push({ replicas: a.desiredReplicas, at: now });
    this.#recommendations.set(a.key, recs);
    return a.desiredReplicas >= a.currentReplicas
      ? { replicas, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
      : { replicas, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
  }

  #limitRate(a: NormalizeArgs, up: Required<HPAScalingRules>, down: Required<HPAScalingRules>): { replicas: number; reason: string; message: string } {
    if (a.desiredReplicas > a.currentReplicas) {
      let limit = scaleUpLimit(a.currentReplicas, this.#changeWithin(this.#scaleUpEvents.get(a.key)), up);
      if (limit < a.currentReplicas) limit = a.currentReplicas;
      // Beyond upstream: Percent policies alone cannot leave 0; allow the first replica.
      if (a.currentReplicas === 0 && up.selectPolicy !== 'Disabled') limit = Math.max(limit, 1);
      let maxAllowed = a.maxReplicas;
      let reason = 'TooManyReplicas';
      let message = 'the desired replica count is more than the maximum replica count';
      if (maxAllowed > limit) {
        maxAllowed = limit;
        reason = 'ScaleUpLimit';
        message = 'the desired replica count is increasing faster than the maximum scale rate';
      }
      if (a.desiredReplicas > maxAllowed) return { replicas: maxAllowed, reason, message };
    } else if (a.desiredReplicas < a.currentReplicas) {
      let limit = scaleDownLimit(a.currentReplicas, this.#changeWithin(this.#scaleDownEvents.get(a.key)), down);
      if (limit > a.currentReplicas) limit = a.currentReplicas;
      let minAllowed = a.minReplicas;
      let reason = 'TooFewReplicas';
      let message = 'the desired replica count is less than the minimum replica count';
      if (minAllowed < limit) {
        minAllowed = limit;
        reason = 'ScaleDownLimit';
        message = 'the desired replica count is decreasing faster than the maximum scale rate';
      }
      if (a.desiredReplicas < minAllowed) return { replicas: minAllowed, reason, message };
    }
    return { replicas: a.desiredReplicas, reason: WITHIN.limitReason, message: WITHIN.limitMessage };
  }

  /** #changeWithin returns a function: the replicas changed within the last `periodSeconds`. */
  #changeWithin(events: readonly ScaleEvent[] | undefined): (periodSeconds: number) => number {
    const now = this.#now();
    return (periodSeconds) => (events ?? []).filter((e) => e.at > now - periodSeconds * 1000).reduce((s, e) => s + e.change, 0);
  }
}

function withDefaults(rules: HPAScalingRules | undefined, defaults: Required<HPAScalingRules>): Required<HPAScalingRules> {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies && rules.policies.length > 0 ? rules.policies : defaults.policies,
  };
}

function scaleUpLimit(current: number, changed: (periodSeconds: number) => number, rules: Required<HPAScalingRules>): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changed(p.periodSeconds);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

function scaleDownLimit(current: number, changed: (periodSeconds: number) => number, rules: Required<HPAScalingRules>): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current + changed(p.periodSeconds);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    // "Min" picks the smallest change (the highest floor); "Max" the largest change (the lowest floor).
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}
