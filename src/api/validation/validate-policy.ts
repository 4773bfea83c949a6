/**
 * PodDisruptionBudget and HorizontalPodAutoscaler validation.
 */
import type { KubeObject } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { num, obj, objects, str } from './unstructured.js';
import { validateLabelSelectorObject } from './validate-workloads.js';

function validateIntOrPercent(v: unknown, field: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return v < 0 ? [fieldErrors.invalid(field, v, 'must be greater than or equal to 0')] : [];
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    if (!m) return [fieldErrors.invalid(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
    return Number(m[1]) > 100 ? [fieldErrors.invalid(field, v, 'must not be greater than 100%')] : [];
  }
  return [fieldErrors.invalid(field, v, 'must be an integer or percentage')];
}

/** validatePodDisruptionBudget: minAvailable xor maxUnavailable, selector syntax, eviction policy. */
export function validatePodDisruptionBudget(pdb: KubeObject): FieldError[] {
  const spec = obj(pdb['spec']);
  const errs: FieldError[] = [];
  const min = spec['minAvailable'];
  const max = spec['maxUnavailable'];
  if (min !== undefined && min !== null && max !== undefined && max !== null) errs.push(fieldErrors.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  errs.push(...validateIntOrPercent(min, 'spec.minAvailable'), ...validateIntOrPercent(max, 'spec.maxUnavailable'));
  errs.push(...validateLabelSelectorObject(spec['selector'], 'spec.selector'));
  const policy = str(spec['unhealthyPodEvictionPolicy']);
  if (policy && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') errs.push(fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', policy, ['IfHealthyBudget', 'AlwaysAllow']));
  return errs;
}

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];

function validateScalingRules(rules: unknown, field: string): FieldError[] {
  if (rules === undefined || rules === null) return [];
  const r = obj(rules);
  const errs: FieldError[] = [];
  const window = num(r['stabilizationWindowSeconds']);
  if (window !== undefined && window < 0) errs.push(fieldErrors.invalid(`${field}.stabilizationWindowSeconds`, window, 'must be greater than or equal to zero'));
  if (window !== undefined && window > 3600) errs.push(fieldErrors.invalid(`${field}.stabilizationWindowSeconds`, window, 'must be less than or equal to 3600'));
  const select = str(r['selectPolicy']);
  if (select !== undefined && !SELECT_POLICIES.includes(select)) errs.push(fieldErrors.notSupported(`${field}.selectPolicy`, select, SELECT_POLICIES));
  objects(r['policies']).forEach((p, i) => {
    const f = `${field}.policies[${i}]`;
    const type = str(p['type']) ?? '';
    if (!POLICY_TYPES.includes(type)) errs.push(fieldErrors.notSupported(`${f}.type`, type, POLICY_TYPES));
    const value = num(p['value']);
    if (value === undefined || value <= 0) errs.push(fieldErrors.invalid(`${f}.value`, value ?? 0, 'must be greater than zero'));
    const period = num(p['periodSeconds']);
    if (period === undefined || period <= 0) errs.push(fieldErrors.invalid(`${f}.periodSeconds`, period ?? 0, 'must be greater than zero'));
    else if (period > 1800) errs.push(fieldErrors.invalid(`${f}.periodSeconds`, period, 'must be less than or equal to 1800'));
  });
  return errs;
}

/**
 * validateHorizontalPodAutoscaler: scale target, replica bounds, metric types, behavior. Beyond upstream (which
 * gates it behind HPAScaleToZero): minReplicas 0 is allowed when an Object or External metric can wake the target.
 */
export function validateHorizontalPodAutoscaler(hpa: KubeObject): FieldError[] {
  const spec = obj(hpa['spec']);
  const errs: FieldError[] = [];
  const ref = obj(spec['scaleTargetRef']);
  if (!str(ref['kind'])) errs.push(fieldErrors.required('spec.scaleTargetRef.kind'));
  if (!str(ref['name'])) errs.push(fieldErrors.required('spec.scaleTargetRef.name'));
  const min = num(spec['minReplicas']);
  const max = num(spec['maxReplicas']);
  const metrics = objects(spec['metrics']);
  if (min !== undefined && min < 0) errs.push(fieldErrors.invalid('spec.minReplicas', min, 'must be greater than or equal to 0'));
  else if (min === 0 && !metrics.some((m) => m['type'] === 'Object' || m['type'] === 'External')) {
    errs.push(fieldErrors.forbidden('spec.minReplicas', 'must specify at least one Object or External metric to support scaling to zero replicas'));
  }
  if (max === undefined || max < 1) errs.push(fieldErrors.invalid('spec.maxReplicas', max ?? 0, 'must be greater than or equal to 1'));
  else if (min !== undefined && min > max) errs.push(fieldErrors.invalid('spec.minReplicas', min, 'must be less than or equal to maxReplicas'));
  const cpu = num(spec['targetCPUUtilizationPercentage']);
  if (cpu !== undefined && cpu < 1) errs.push(fieldErrors.invalid('spec.targetCPUUtilizationPercentage', cpu, 'must be greater than or equal to 1'));
  metrics.forEach((m, i) => {
    const type = str(m['type']) ?? '';
    if (!METRIC_TYPES.includes(type)) errs.push(fieldErrors.notSupported(`spec.metrics[${i}].type`, type, METRIC_TYPES));
  });
  const behavior = spec['behavior'];
  if (behavior !== undefined && behavior !== null) {
    errs.push(...validateScalingRules(obj(behavior)['scaleUp'], 'spec.behavior.scaleUp'), ...validateScalingRules(obj(behavior)['scaleDown'], 'spec.behavior.scaleDown'));
  }
  return errs;
}
