/**
 * Validation of the workload controllers: Deployment, ReplicaSet, ReplicationController, StatefulSet and
 * DaemonSet (selector present, non-empty and matching the template's labels; template restartPolicy Always;
 * update strategies), plus their immutable fields on update.
 */
import { labelSelectorFromObject, type LabelSelectorObject } from '../meta/labels.js';
import type { KubeObject } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { semanticEqual, validateImmutableField, validateLabelName, validateLabels, validateNonnegativeField } from './generic.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from './names.js';
import { isObject, num, obj, objects, str, strMap } from './unstructured.js';
import { validatePodTemplateSpec } from './validate-pod.js';

const ALWAYS = ['Always'];
const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%'";

/** validateLabelSelectorObject checks a `metav1.LabelSelector` (keys, values, operators). */
export function validateLabelSelectorObject(sel: unknown, field: string): FieldError[] {
  if (!isObject(sel)) return [];
  const errs: FieldError[] = [...validateLabels(sel['matchLabels'], `${field}.matchLabels`)];
  const exprs = Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'] : [];
  exprs.forEach((e: unknown, i: number) => {
    const ex = obj(e);
    const f = `${field}.matchExpressions[${i}]`;
    const op = str(ex['operator']);
    const values = Array.isArray(ex['values']) ? ex['values'] : [];
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(fieldErrors.required(`${f}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(fieldErrors.forbidden(`${f}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    } else {
      errs.push(fieldErrors.invalid(`${f}.operator`, op ?? '', 'not a valid selector operator'));
    }
    const key = str(ex['key']) ?? '';
    errs.push(...validateLabelName(key, `${f}.key`));
  });
  return errs;
}

/**
 * validateSelectorAndTemplate checks `spec.selector` (a LabelSelector) against `spec.template.metadata.labels`:
 * required, non-empty, matching. `kind` names the owner in upstream's "empty selector is invalid for <kind>".
 */
export function validateSelectorAndTemplate(spec: Record<string, unknown>, field: string, kind: string): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec['selector'];
  if (!isObject(sel)) {
    errs.push(fieldErrors.required(`${field}.selector`));
    return errs;
  }
  errs.push(...validateLabelSelectorObject(sel, `${field}.selector`));
  const selector = sel as LabelSelectorObject;
  const empty = Object.keys(obj(sel['matchLabels'])).length === 0 && (!Array.isArray(sel['matchExpressions']) || sel['matchExpressions'].length === 0);
  if (empty) {
    errs.push(fieldErrors.invalid(`${field}.selector`, sel, `empty selector is invalid for ${kind}`));
    return errs;
  }
  if (errs.length > 0) return errs;
  const labels = strMap(obj(obj(spec['template'])['metadata'])['labels']);
  let matches = false;
  try {
    matches = labelSelectorFromObject(selector).matches(labels);
  } catch (e) {
    errs.push(fieldErrors.invalid(`${field}.selector`, sel, e instanceof Error ? e.message : String(e)));
    return errs;
  }
  if (!matches) errs.push(fieldErrors.invalid(`${field}.template.metadata.labels`, labels, '`selector` does not match template `labels`'));
  return errs;
}

/** validateIntOrPercent checks an IntOrString count or percentage; returns the value as a number (percent as-is). */
function validateIntOrPercent(v: unknown, field: string, errs: FieldError[]): { n: number; percent: boolean } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    errs.push(...validateNonnegativeField(v, field));
    return { n: v, percent: false };
  }
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    if (!m) {
      errs.push(fieldErrors.invalid(field, v, `${PERCENT_MSG} (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`));
      return undefined;
    }
    const n = Number(m[1]);
    if (n > 100) errs.push(fieldErrors.invalid(field, v, 'must not be greater than 100%'));
    return { n, percent: true };
  }
  errs.push(fieldErrors.invalid(field, v, 'must be an integer or percentage (e.g \'5%\')'));
  return undefined;
}

function validateReplicas(spec: Record<string, unknown>, field: string): FieldError[] {
  return [...validateNonnegativeField(spec['replicas'], `${field}.replicas`), ...validateNonnegativeField(spec['minReadySeconds'], `${field}.minReadySeconds`)];
}

/** validateDeployment checks a Deployment's spec. */
export function validateDeployment(d: KubeObject): FieldError[] {
  const spec = obj(d['spec']);
  const errs: FieldError[] = [
    ...validateReplicas(spec, 'spec'),
    ...validateSelectorAndTemplate(spec, 'spec', 'deployment'),
    ...validatePodTemplateSpec(spec['template'], 'spec.template', { restartPolicies: ALWAYS }),
    ...validateNonnegativeField(spec['revisionHistoryLimit'], 'spec.revisionHistoryLimit'),
  ];
  const strategy = obj(spec['strategy']);
  const type = str(strategy['type']);
  if (type !== 'Recreate' && type !== 'RollingUpdate') {
    if (type === undefined || type === '') errs.push(fieldErrors.required('spec.strategy.type'));
    else errs.push(fieldErrors.notSupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate']));
  }
  if (type === 'Recreate' && isObject(strategy['rollingUpdate'])) {
    errs.push(fieldErrors.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  }
  if (type === 'RollingUpdate') {
    const ru = obj(strategy['rollingUpdate']);
    const mu = validateIntOrPercent(ru['maxUnavailable'], 'spec.strategy.rollingUpdate.maxUnavailable', errs);
    const ms = validateIntOrPercent(ru['maxSurge'], 'spec.strategy.rollingUpdate.maxSurge', errs);
    if (mu && ms && mu.n === 0 && ms.n === 0) {
      errs.push(fieldErrors.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru['maxUnavailable'], 'may not be 0 when `maxSurge` is 0'));
    }
  }
  const pds = num(spec['progressDeadlineSeconds']);
  if (pds !== undefined) {
    errs.push(...validateNonnegativeField(pds, 'spec.progressDeadlineSeconds'));
    const mrs = num(spec['minReadySeconds']) ?? 0;
    if (pds <= mrs) errs.push(fieldErrors.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** validateDeploymentUpdate: the selector is immutable in apps/v1. */
export function validateDeploymentUpdate(d: KubeObject, old: KubeObject): FieldError[] {
  return validateImmutableField(obj(d['spec'])['selector'], obj(old['spec'])['selector'], 'spec.selector');
}

/** validateReplicaSet checks a ReplicaSet's spec. */
export function validateReplicaSet(rs: KubeObject): FieldError[] {
  const spec = obj(rs['spec']);
  return [
    ...validateReplicas(spec, 'spec'),
    ...validateSelectorAndTemplate(spec, 'spec', 'replicaset'),
    ...validatePodTemplateSpec(spec['template'], 'spec.template', { restartPolicies: ALWAYS }),
  ];
}

/** validateSelectorUpdate: a workload's selector is immutable in apps/v1. */
export function validateSelectorUpdate(o: KubeObject, old: KubeObject): FieldError[] {
  return validateImmutableField(obj(o['spec'])['selector'], obj(old['spec'])['selector'], 'spec.selector');
}

/** validateReplicationController checks an RC, whose selector is a plain label map. */
export function validateReplicationController(rc: KubeObject): FieldError[] {
  const spec = obj(rc['spec']);
  const errs: FieldError[] = [...validateReplicas(spec, 'spec')];
  const selector = strMap(spec['selector']);
  errs.push(...validateLabels(spec['selector'], 'spec.selector'));
  if (Object.keys(selector).length === 0) errs.push(fieldErrors.required('spec.selector'));
  const template = spec['template'];
  if (!isObject(template)) {
    errs.push(fieldErrors.required('spec.template'));
    return errs;
  }
  const labels = strMap(obj(template['metadata'])['labels']);
  if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(fieldErrors.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template', { restartPolicies: ALWAYS }));
  return errs;
}

/**
 * withClaimVolumes: the template as its pods will be, with a volume per volumeClaimTemplate (the controller adds
 * them), so containers may mount claim templates by name without listing them under volumes — as every
 * StatefulSet manifest with volumeClaimTemplates does, and as upstream accepts (it checks the union of volumes and
 * claims). A template volume of the same name wins.
 */
function withClaimVolumes(template: unknown, claims: unknown): unknown {
  const names = objects(claims).map((c) => str(obj(c['metadata'])['name'])).filter((n): n is string => n !== undefined && n !== '');
  if (names.length === 0 || !isObject(template)) return template;
  const podSpec = obj(template['spec']);
  const volumes = objects(podSpec['volumes']);
  const extra = names.filter((n) => !volumes.some((v) => v['name'] === n)).map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } }));
  return { ...template, spec: { ...podSpec, volumes: [...volumes, ...extra] } };
}

/** validateStatefulSet checks a StatefulSet's spec. */
export function validateStatefulSet(sts: KubeObject): FieldError[] {
  const spec = obj(sts['spec']);
  const errs: FieldError[] = [
    ...validateReplicas(spec, 'spec'),
    ...validateSelectorAndTemplate(spec, 'spec', 'statefulset'),
    ...validatePodTemplateSpec(withClaimVolumes(spec['template'], spec['volumeClaimTemplates']), 'spec.template', { restartPolicies: ALWAYS }),
    ...validateNonnegativeField(spec['revisionHistoryLimit'], 'spec.revisionHistoryLimit'),
  ];
  const pmp = str(spec['podManagementPolicy']);
  if (pmp !== undefined && pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(fieldErrors.notSupported('spec.podManagementPolicy', pmp, ['OrderedReady', 'Parallel']));
  const us = obj(spec['updateStrategy']);
  const type = str(us['type']);
  if (type !== undefined && type !== 'OnDelete' && type !== 'RollingUpdate') errs.push(fieldErrors.notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']));
  if (type === 'OnDelete' && isObject(us['rollingUpdate'])) errs.push(fieldErrors.invalid('spec.updateStrategy.rollingUpdate', us['rollingUpdate'], 'only allowed for updateStrategy \'RollingUpdate\''));
  const ru = obj(us['rollingUpdate']);
  errs.push(...validateNonnegativeField(ru['partition'], 'spec.updateStrategy.rollingUpdate.partition'));
  const retention = obj(spec['persistentVolumeClaimRetentionPolicy']);
  for (const k of ['whenDeleted', 'whenScaled']) {
    const v = str(retention[k]);
    if (v !== undefined && v !== 'Retain' && v !== 'Delete') errs.push(fieldErrors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, ['Retain', 'Delete']));
  }
  return errs;
}

/** STATEFULSET_UPDATE_FORBIDDEN_MSG is upstream's text for changing a fixed StatefulSet field. */
export const STATEFULSET_UPDATE_FORBIDDEN_MSG =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/** validateStatefulSetUpdate: only replicas, ordinals, template, updateStrategy, retention policy and minReadySeconds may change. */
export function validateStatefulSetUpdate(sts: KubeObject, old: KubeObject): FieldError[] {
  const spec = { ...obj(sts['spec']) };
  const oldSpec = { ...obj(old['spec']) };
  for (const k of ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'revisionHistoryLimit']) {
    delete spec[k];
    delete oldSpec[k];
  }
  return semanticEqual(spec, oldSpec) ? [] : [fieldErrors.forbidden('spec', STATEFULSET_UPDATE_FORBIDDEN_MSG)];
}

/** validateDaemonSet checks a DaemonSet's spec. */
export function validateDaemonSet(ds: KubeObject): FieldError[] {
  const spec = obj(ds['spec']);
  const errs: FieldError[] = [
    ...validateSelectorAndTemplate(spec, 'spec', 'daemonset'),
    ...validatePodTemplateSpec(spec['template'], 'spec.template', { restartPolicies: ALWAYS }),
    ...validateNonnegativeField(spec['minReadySeconds'], 'spec.minReadySeconds'),
    ...validateNonnegativeField(spec['revisionHistoryLimit'], 'spec.revisionHistoryLimit'),
  ];
  const us = obj(spec['updateStrategy']);
  const type = str(us['type']);
  if (type !== 'OnDelete' && type !== 'RollingUpdate') {
    if (!type) errs.push(fieldErrors.required('spec.updateStrategy.type'));
    else errs.push(fieldErrors.notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']));
  }
  if (type === 'RollingUpdate') {
    const ru = obj(us['rollingUpdate']);
    const mu = validateIntOrPercent(ru['maxUnavailable'], 'spec.updateStrategy.rollingUpdate.maxUnavailable', errs);
    const ms = validateIntOrPercent(ru['maxSurge'], 'spec.updateStrategy.rollingUpdate.maxSurge', errs);
    if (mu && ms && mu.n === 0 && ms.n === 0) {
      errs.push(fieldErrors.invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', ru['maxUnavailable'], 'may not be 0 when `maxSurge` is 0'));
    }
  }
  return errs;
}

/** validateControllerRevision: data may not change, revision is non-negative. */
export function validateControllerRevision(cr: KubeObject): FieldError[] {
  return validateNonnegativeField(cr['revision'], 'revision');
}

/** validateControllerRevisionUpdate: data is immutable. */
export function validateControllerRevisionUpdate(cr: KubeObject, old: KubeObject): FieldError[] {
  return semanticEqual(cr['data'], old['data']) ? [] : [fieldErrors.invalid('data', cr['data'], FIELD_IMMUTABLE_ERROR_MSG)];
}
