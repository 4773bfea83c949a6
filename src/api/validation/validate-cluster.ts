/**
 * Validation of cluster bookkeeping kinds: Namespace, Node, Event, ServiceAccount, ResourceQuota, LimitRange,
 * PriorityClass and Lease.
 */
import type { KubeObject } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { semanticEqual, validateLabelName, validateNonnegativeField } from './generic.js';
import { isIPv4, isIPv6 } from './names.js';
import { parseQuantity, QUANTITY_FORMAT_MSG } from './quantity.js';
import { num, obj, objects, str, strings } from './unstructured.js';

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

/** validateNamespace checks spec.finalizers (qualified names; `kubernetes` is allowed). */
export function validateNamespace(ns: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  strings(obj(ns['spec'])['finalizers']).forEach((f, i) => {
    if (f !== 'kubernetes') errs.push(...validateLabelName(f, `spec.finalizers[${i}]`));
  });
  const phase = str(obj(ns['status'])['phase']);
  if (phase && phase !== 'Active' && phase !== 'Terminating') errs.push(fieldErrors.notSupported('status.phase', phase, ['Active', 'Terminating']));
  return errs;
}

function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (isIPv4(ip)) return n <= 32;
  return isIPv6(ip) && n <= 128;
}

/** validateNode checks taints, pod CIDRs and status quantities. */
export function validateNode(node: KubeObject): FieldError[] {
  const spec = obj(node['spec']);
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  objects(spec['taints']).forEach((t, i) => {
    const f = `spec.taints[${i}]`;
    const key = str(t['key']) ?? '';
    if (!key) errs.push(fieldErrors.required(`${f}.key`));
    else errs.push(...validateLabelName(key, `${f}.key`));
    const effect = str(t['effect']) ?? '';
    if (!effect) errs.push(fieldErrors.required(`${f}.effect`));
    else if (!TAINT_EFFECTS.includes(effect)) errs.push(fieldErrors.notSupported(`${f}.effect`, effect, TAINT_EFFECTS));
    const id = `${key}:${effect}`;
    if (seen.has(id)) errs.push(fieldErrors.duplicate(`spec.taints`, t));
    seen.add(id);
  });
  const cidrs = strings(spec['podCIDRs']);
  const podCIDR = str(spec['podCIDR']);
  if (podCIDR && !isCIDR(podCIDR)) errs.push(fieldErrors.invalid('spec.podCIDR', podCIDR, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  cidrs.forEach((c, i) => {
    if (!isCIDR(c)) errs.push(fieldErrors.invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  const status = obj(node['status']);
  for (const key of ['capacity', 'allocatable']) {
    for (const [name, q] of Object.entries(obj(status[key]))) {
      if (parseQuantity(q) === undefined) errs.push(fieldErrors.invalid(`status.${key}[${name}]`, q, QUANTITY_FORMAT_MSG));
    }
  }
  return errs;
}

/** validateNodeUpdate: podCIDR(s) and providerID may only go from unset to set. */
export function validateNodeUpdate(node: KubeObject, old: KubeObject): FieldError[] {
  const spec = obj(node['spec']);
  const oldSpec = obj(old['spec']);
  const errs: FieldError[] = [];
  const oldCIDRs = strings(oldSpec['podCIDRs']);
  if (oldCIDRs.length > 0 && !semanticEqual(spec['podCIDRs'], oldSpec['podCIDRs'])) {
    errs.push(fieldErrors.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldProvider = str(oldSpec['providerID']);
  if (oldProvider && spec['providerID'] !== oldProvider) errs.push(fieldErrors.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return errs;
}

/** validateEvent checks that a namespaced involved object lives in the event's namespace, and the event type. */
export function validateEvent(ev: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  // events.k8s.io/v1 objects name the involved object `regarding`.
  const involved = obj(ev['involvedObject'] ?? ev['regarding']);
  const ns = str(involved['namespace']);
  const evNs = ev.metadata?.namespace ?? '';
  if (ns && ns !== evNs) errs.push(fieldErrors.invalid('involvedObject.namespace', ns, 'does not match event.namespace'));
  const type = str(ev['type']);
  if (type && type !== 'Normal' && type !== 'Warning') errs.push(fieldErrors.notSupported('type', type, ['Normal', 'Warning']));
  const count = num(ev['count']);
  if (count !== undefined) errs.push(...validateNonnegativeField(count, 'count'));
  if ((str(ev['reason']) ?? '').length > 128) errs.push(fieldErrors.tooLong('reason', '', 128));
  if ((str(ev['action']) ?? '').length > 128) errs.push(fieldErrors.tooLong('action', '', 128));
  return errs;
}

function validateQuantityMap(m: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(obj(m))) {
    const v = parseQuantity(q);
    if (v === undefined) errs.push(fieldErrors.invalid(`${field}[${name}]`, q, QUANTITY_FORMAT_MSG));
    else if (v < 0) errs.push(fieldErrors.invalid(`${field}[${name}]`, q, 'must be greater than or equal to 0'));
  }
  return errs;
}

/** validateResourceQuota checks hard quantities and scopes. */
export function validateResourceQuota(q: KubeObject): FieldError[] {
  const spec = obj(q['spec']);
  return [...validateQuantityMap(spec['hard'], 'spec.hard'), ...validateQuantityMap(obj(q['status'])['hard'], 'status.hard'), ...validateQuantityMap(obj(q['status'])['used'], 'status.used')];
}

/** validateLimitRange checks item types and quantities. */
export function validateLimitRange(lr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const types = ['Container', 'Pod', 'PersistentVolumeClaim'];
  objects(obj(lr['spec'])['limits']).forEach((item, i) => {
    const f = `spec.limits[${i}]`;
    const type = str(item['type']) ?? '';
    if (!types.includes(type)) errs.push(fieldErrors.notSupported(`${f}.type`, type, types));
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) errs.push(...validateQuantityMap(item[k], `${f}.${k}`));
  });
  return errs;
}

/** HIGHEST_USER_DEFINABLE_PRIORITY bounds user PriorityClass values (one billion). */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;

/** validatePriorityClass: value ≤ 1e9 unless a `system-` class; preemptionPolicy values. */
export function validatePriorityClass(pc: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = pc.metadata?.name ?? '';
  const value = num(pc['value']);
  if (value === undefined) errs.push(fieldErrors.required('value'));
  else if (!name.startsWith('system-') && value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(fieldErrors.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (name.startsWith('system-') && name !== 'system-node-critical' && name !== 'system-cluster-critical') {
    errs.push(fieldErrors.forbidden('metadata.name', "priority class names with 'system-' prefix are reserved for system use only"));
  }
  const pp = str(pc['preemptionPolicy']);
  if (pp && pp !== 'Never' && pp !== 'PreemptLowerPriority') errs.push(fieldErrors.notSupported('preemptionPolicy', pp, ['Never', 'PreemptLowerPriority']));
  return errs;
}

/** validatePriorityClassUpdate: value and preemptionPolicy are immutable. */
export function validatePriorityClassUpdate(pc: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (pc['value'] !== old['value']) errs.push(fieldErrors.forbidden('value', 'may not be changed in an update.'));
  if (!semanticEqual(pc['preemptionPolicy'], old['preemptionPolicy'])) errs.push(fieldErrors.invalid('preemptionPolicy', pc['preemptionPolicy'], 'field is immutable'));
  return errs;
}

/** validateLease: durations positive, transitions non-negative. */
export function validateLease(lease: KubeObject): FieldError[] {
  const spec = obj(lease['spec']);
  const errs: FieldError[] = [];
  const d = num(spec['leaseDurationSeconds']);
  if (d !== undefined && d <= 0) errs.push(fieldErrors.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  errs.push(...validateNonnegativeField(spec['leaseTransitions'], 'spec.leaseTransitions'));
  return errs;
}
