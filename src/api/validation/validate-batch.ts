/**
 * Job and CronJob validation: selectors (manual or generated from the job's uid), restartPolicy OnFailure or
 * Never, counts, completion mode, the cron schedule, and the fields an update may not change.
 */
import { labelSelectorFromObject, type LabelSelectorObject } from '../meta/labels.js';
import type { KubeObject } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { validateImmutableField, validateNonnegativeField } from './generic.js';
import { isObject, num, obj, str, strMap } from './unstructured.js';
import { validatePodTemplateSpec } from './validate-pod.js';
import { validateLabelSelectorObject } from './validate-workloads.js';

const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];
const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** MAX_CRONJOB_NAME_LENGTH leaves room for the 11-character suffix of spawned jobs. */
export const MAX_CRONJOB_NAME_LENGTH = 52;

function validateJobSpec(spec: Record<string, unknown>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...validateNonnegativeField(spec[k], `${field}.${k}`));
  }
  const ads = num(spec['activeDeadlineSeconds']);
  if (ads !== undefined && ads <= 0) errs.push(fieldErrors.invalid(`${field}.activeDeadlineSeconds`, ads, 'must be greater than 0'));
  const mode = str(spec['completionMode']);
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(fieldErrors.notSupported(`${field}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && num(spec['completions']) === undefined) errs.push(fieldErrors.required(`${field}.completions`, 'when completion mode is Indexed'));
  const prp = str(spec['podReplacementPolicy']);
  if (prp !== undefined && prp !== 'TerminatingOrFailed' && prp !== 'Failed') errs.push(fieldErrors.notSupported(`${field}.podReplacementPolicy`, prp, ['TerminatingOrFailed', 'Failed']));
  errs.push(...validatePodTemplateSpec(spec['template'], `${field}.template`, { restartPolicies: JOB_RESTART_POLICIES }));
  return errs;
}

/** validateJob checks a Job after its selector was generated (see generateJobSelector). */
export function validateJob(job: KubeObject): FieldError[] {
  const spec = obj(job['spec']);
  const errs = validateJobSpec(spec, 'spec');
  const sel = spec['selector'];
  const labels = strMap(obj(obj(spec['template'])['metadata'])['labels']);
  if (!isObject(sel)) {
    errs.push(fieldErrors.required('spec.selector'));
    return errs;
  }
  const selErrs = validateLabelSelectorObject(sel, 'spec.selector');
  errs.push(...selErrs);
  if (selErrs.length === 0) {
    let matches = false;
    try {
      matches = labelSelectorFromObject(sel as LabelSelectorObject).matches(labels);
    } catch {
      matches = false;
    }
    if (!matches) errs.push(fieldErrors.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  const uid = job.metadata?.uid;
  if (spec['manualSelector'] !== true && uid) {
    if (strMap(sel['matchLabels'])[CONTROLLER_UID_LABEL] !== uid) errs.push(fieldErrors.invalid('spec.selector', sel, '`selector` not auto-generated'));
    const tl = labels[CONTROLLER_UID_LABEL];
    if (tl !== undefined && tl !== uid) errs.push(fieldErrors.invalid('spec.template.metadata.labels', labels, `must be '${uid}'`));
  }
  return errs;
}

/** validateJobUpdate: selector, template, completionMode and (non-indexed) completions are immutable. */
export function validateJobUpdate(job: KubeObject, old: KubeObject): FieldError[] {
  const spec = obj(job['spec']);
  const oldSpec = obj(old['spec']);
  const errs = [
    ...validateImmutableField(spec['selector'], oldSpec['selector'], 'spec.selector'),
    ...validateImmutableField(spec['template'], oldSpec['template'], 'spec.template'),
    ...validateImmutableField(spec['completionMode'], oldSpec['completionMode'], 'spec.completionMode'),
  ];
  // Indexed jobs may scale completions together with parallelism (elastic indexed jobs).
  const elastic = spec['completionMode'] === 'Indexed' && spec['completions'] === spec['parallelism'];
  if (!elastic) errs.push(...validateImmutableField(spec['completions'], oldSpec['completions'], 'spec.completions'));
  return errs;
}

const CRON_MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** validateCronSchedule checks the 5-field cron syntax (or a macro); TZ prefixes belong in spec.timeZone. */
export function validateCronSchedule(schedule: string, field: string): FieldError[] {
  if (!schedule) return [fieldErrors.required(field)];
  if (/^(CRON_)?TZ=/.test(schedule)) return [fieldErrors.invalid(field, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead')];
  const s = schedule.trim();
  if (s.startsWith('@')) {
    if (CRON_MACROS.has(s) || s.startsWith('@every ')) return [];
    return [fieldErrors.invalid(field, schedule, `unrecognized descriptor: ${s}`)];
  }
  const parts = s.split(/\s+/);
  if (parts.length !== 5) return [fieldErrors.invalid(field, schedule, `expected exactly 5 fields, found ${parts.length}: ${schedule}`)];
  const fieldRe = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
  for (const p of parts) if (!fieldRe.test(p)) return [fieldErrors.invalid(field, schedule, `failed to parse schedule field: ${p}`)];
  return [];
}

/** validateCronJob checks schedule, policies, limits, the job template and the name length. */
export function validateCronJob(cj: KubeObject): FieldError[] {
  const spec = obj(cj['spec']);
  const errs: FieldError[] = [];
  const name = cj.metadata?.name ?? '';
  if (name.length > MAX_CRONJOB_NAME_LENGTH) errs.push(fieldErrors.invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`));
  errs.push(...validateCronSchedule(str(spec['schedule']) ?? '', 'spec.schedule'));
  const cp = str(spec['concurrencyPolicy']);
  if (!cp) errs.push(fieldErrors.required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(fieldErrors.notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  for (const k of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) errs.push(...validateNonnegativeField(spec[k], `spec.${k}`));
  const jobSpec = obj(obj(spec['jobTemplate'])['spec']);
  errs.push(...validateJobSpec(jobSpec, 'spec.jobTemplate.spec'));
  if (jobSpec['manualSelector'] === true || isObject(jobSpec['selector'])) {
    // Jobs made from the template get generated selectors; a manual one here would never match.
    if (isObject(jobSpec['selector'])) errs.push(fieldErrors.invalid('spec.jobTemplate.spec.selector', jobSpec['selector'], '`selector` will be auto-generated'));
  }
  return errs;
}
