/**
 * Defaulting of batch/v1 Job and CronJob, as upstream's batch/v1 SetDefaults_*. The Job selector generated from
 * the job's uid is a strategy concern (it needs metadata.uid) and lives in `generateJobSelector`.
 */
import { child, isObject, obj, setDefault, setDefaultString, type JsonObject } from '../validation/unstructured.js';
import { defaultPodTemplateSpec } from './pod.js';

/** JOB_CONTROLLER_UID_LABEL and friends are the labels that tie a Job's pods to it. */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** LEGACY_CONTROLLER_UID_LABEL is the pre-1.27 spelling, still set for compatibility. */
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
/** JOB_NAME_LABEL names the job on its pods. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** LEGACY_JOB_NAME_LABEL is the pre-1.27 spelling. */
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/** defaultJobSpec fills a JobSpec (of a Job or a CronJob's jobTemplate). */
export function defaultJobSpec(spec: JsonObject): void {
  if (spec['completions'] === undefined || spec['completions'] === null) {
    if (spec['parallelism'] === undefined || spec['parallelism'] === null) {
      spec['completions'] = 1;
      spec['parallelism'] = 1;
    }
  }
  setDefault(spec, 'parallelism', 1);
  // With per-index backoff the global limit is effectively unlimited, as upstream sets it.
  if (spec['backoffLimitPerIndex'] !== undefined && spec['backoffLimitPerIndex'] !== null) setDefault(spec, 'backoffLimit', 2147483647);
  else setDefault(spec, 'backoffLimit', 6);
  setDefaultString(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  if (!isObject(spec['podFailurePolicy'])) setDefaultString(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  else setDefaultString(spec, 'podReplacementPolicy', 'Failed');
  const template = spec['template'];
  if (isObject(template)) defaultPodTemplateSpec(template);
}

/** defaultJob fills a Job. */
export function defaultJob(job: JsonObject): void {
  defaultJobSpec(child(job, 'spec'));
}

/**
 * generateJobSelector gives a Job without `manualSelector: true` the labels and selector that tie its pods to
 * its uid, as upstream's job strategy does on create: template labels for job name and controller uid (both
 * spellings) are added unless present, and the selector gains `batch.kubernetes.io/controller-uid=<uid>`.
 * Conflicting user-set values are left for validation to reject. A job with manualSelector keeps its own.
 */
export function generateJobSelector(job: JsonObject): void {
  const spec = child(job, 'spec');
  if (spec['manualSelector'] === true) return;
  const meta = obj(job['metadata']);
  const uid = typeof meta['uid'] === 'string' ? meta['uid'] : '';
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  if (!uid) return;
  const labels = child(child(child(spec, 'template'), 'metadata'), 'labels');
  setDefault(labels, LEGACY_JOB_NAME_LABEL, name);
  setDefault(labels, JOB_NAME_LABEL, name);
  setDefault(labels, LEGACY_CONTROLLER_UID_LABEL, uid);
  setDefault(labels, JOB_CONTROLLER_UID_LABEL, uid);
  const matchLabels = child(child(spec, 'selector'), 'matchLabels');
  setDefault(matchLabels, JOB_CONTROLLER_UID_LABEL, uid);
}

/** defaultCronJob: concurrencyPolicy Allow, suspend false, history limits 3 and 1. */
export function defaultCronJob(cj: JsonObject): void {
  const spec = child(cj, 'spec');
  setDefaultString(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jt = spec['jobTemplate'];
  // Upstream's generated defaulters only reach the pod template inside jobTemplate; the JobSpec's own defaults
  // (completions, backoffLimit…) apply when the controller creates the Job.
  const template = obj(obj(jt)['spec'])['template'];
  if (isObject(template)) defaultPodTemplateSpec(template);
}
