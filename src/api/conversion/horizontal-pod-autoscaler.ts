/**
 * autoscaling/v1 ⇄ autoscaling/v2 HorizontalPodAutoscaler conversion. Objects are stored as v2 (upstream's
 * storage version); v1 clients (`kubectl autoscale` posts v1) see the CPU utilization target as
 * `targetCPUUtilizationPercentage` and everything v1 cannot express in upstream's annotations:
 *
 *   autoscaling.alpha.kubernetes.io/metrics          the other spec.metrics
 *   autoscaling.alpha.kubernetes.io/behavior         spec.behavior
 *   autoscaling.alpha.kubernetes.io/current-metrics  the other status.currentMetrics
 *   autoscaling.alpha.kubernetes.io/conditions       status.conditions
 *
 * so a v1 round trip loses nothing. (Upstream writes the annotations in its older metric shape; we write the v2
 * shape, which is what we read back.) Pure functions: no input is changed.
 */
import type { KubeObject } from '../meta/types.js';

const METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';
const CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';

type Json = Record<string, unknown>;

function rec(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.map(rec) : [];
}

function parseAnnotation(annotations: Record<string, string>, key: string): unknown {
  const text = annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A hand-edited, unparseable annotation is dropped rather than failing every read of the object.
    return undefined;
  }
}

function isCpuUtilization(m: Json): boolean {
  const r = rec(m['resource']);
  return m['type'] === 'Resource' && r['name'] === 'cpu' && typeof rec(r['target'])['averageUtilization'] === 'number';
}

/** hpaV2ToV1 renders a stored (v2) HPA as autoscaling/v1. */
export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const spec = rec(obj['spec']);
  const status = rec(obj['status']);
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const metrics = list(spec['metrics']);
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length > 0) annotations[METRICS] = JSON.stringify(others);
  if (spec['behavior'] !== undefined && spec['behavior'] !== null) annotations[BEHAVIOR] = JSON.stringify(spec['behavior']);
  const v1Spec: Json = { scaleTargetRef: spec['scaleTargetRef'], minReplicas: spec['minReplicas'], maxReplicas: spec['maxReplicas'] };
  if (cpu) v1Spec['targetCPUUtilizationPercentage'] = rec(rec(cpu['resource'])['target'])['averageUtilization'];

  const current = list(status['currentMetrics']);
  const cpuStatus = current.find((m) => m['type'] === 'Resource' && rec(m['resource'])['name'] === 'cpu');
  const otherStatuses = current.filter((m) => m !== cpuStatus);
  if (otherStatuses.length > 0) annotations[CURRENT_METRICS] = JSON.stringify(otherStatuses);
  const conditions = list(status['conditions']);
  if (conditions.length > 0) annotations[CONDITIONS] = JSON.stringify(conditions);
  const v1Status: Json = {};
  for (const f of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (status[f] !== undefined) v1Status[f] = status[f];
  const cpuNow = cpuStatus ? rec(rec(cpuStatus['resource'])['current'])['averageUtilization'] : undefined;
  if (typeof cpuNow === 'number') v1Status['currentCPUUtilizationPercentage'] = cpuNow;
  if (obj['status'] !== undefined && v1Status['desiredReplicas'] === undefined) v1Status['desiredReplicas'] = 0;

  for (const k of Object.keys(v1Spec)) if (v1Spec[k] === undefined) delete v1Spec[k];
  const metadata = { ...(obj.metadata ?? {}) };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const out: KubeObject = { ...obj, apiVersion: 'autoscaling/v1', metadata, spec: v1Spec };
  if (obj['status'] !== undefined) out['status'] = v1Status;
  return out;
}

/** hpaV1ToV2 converts an autoscaling/v1 HPA (a client's body, or one stored as v1 by an older tkube) to v2. */
export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const spec = rec(obj['spec']);
  const status = rec(obj['status']);
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const metrics: unknown[] = [];
  const cpu = spec['targetCPUUtilizationPercentage'];
  if (typeof cpu === 'number') metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } });
  const others = parseAnnotation(annotations, METRICS);
  if (Array.isArray(others)) metrics.push(...(others as unknown[]));
  const behavior = parseAnnotation(annotations, BEHAVIOR);
  const v2Spec: Json = { scaleTargetRef: spec['scaleTargetRef'], minReplicas: spec['minReplicas'], maxReplicas: spec['maxReplicas'] };
  if (metrics.length > 0) v2Spec['metrics'] = metrics;
  if (behavior !== undefined) v2Spec['behavior'] = behavior;

  const currentMetrics: unknown[] = [];
  const cpuNow = status['currentCPUUtilizationPercentage'];
  if (typeof cpuNow === 'number') currentMetrics.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cpuNow } } });
  const otherStatuses = parseAnnotation(annotations, CURRENT_METRICS);
  if (Array.isArray(otherStatuses)) currentMetrics.push(...(otherStatuses as unknown[]));
  const conditions = parseAnnotation(annotations, CONDITIONS);
  const v2Status: Json = {};
  for (const f of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (status[f] !== undefined) v2Status[f] = status[f];
  if (currentMetrics.length > 0) v2Status['currentMetrics'] = currentMetrics;
  if (Array.isArray(conditions) && conditions.length > 0) v2Status['conditions'] = conditions;

  for (const k of [METRICS, BEHAVIOR, CURRENT_METRICS, CONDITIONS]) delete annotations[k];
  for (const k of Object.keys(v2Spec)) if (v2Spec[k] === undefined) delete v2Spec[k];
  const metadata = { ...(obj.metadata ?? {}) };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  const out: KubeObject = { ...obj, apiVersion: 'autoscaling/v2', metadata, spec: v2Spec };
  if (obj['status'] !== undefined) out['status'] = v2Status;
  return out;
}

/** convertHorizontalPodAutoscalers converts HPAs to `apiVersion` (objects already there are returned as they are). */
export function convertHorizontalPodAutoscalers(objects: readonly KubeObject[], apiVersion: string): KubeObject[] {
  return objects.map((o) => {
    if (o.apiVersion === apiVersion) return o;
    if (apiVersion === 'autoscaling/v1' && o.apiVersion === 'autoscaling/v2') return hpaV2ToV1(o);
    if (apiVersion === 'autoscaling/v2' && o.apiVersion === 'autoscaling/v1') return hpaV1ToV2(o);
    return o;
  });
}
