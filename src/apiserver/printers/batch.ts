/**
 * Job and CronJob tables. Job STATUS is `Complete`, `Failed`, `Terminating`, `Suspended`, `FailureTarget`,
 * `SuccessCriteriaMet` or `Running` (first matching true condition, in that order); COMPLETIONS is
 * `succeeded/completions` (or `n/1 of p` for work queues); DURATION runs from startTime to completion or now.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { formatLabelSelectorObject } from '../../api/meta/labels.js';
import { num, obj, objects, str } from '../../api/validation/unstructured.js';
import { humanDuration, translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, CONTAINERS_COLUMN, containersAndImages, formatBool, IMAGES_COLUMN, intOr, NAME_COLUMN, nameOf, SELECTOR_COLUMN } from './columns.js';
import type { TableConvertor } from './table.js';

function hasCondition(o: KubeObject, type: string): boolean {
  return objects(obj(o['status'])['conditions']).some((c) => c['type'] === type && c['status'] === 'True');
}

/** jobStatus renders a Job's STATUS cell. */
export function jobStatus(job: KubeObject): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** jobCompletions renders COMPLETIONS. */
export function jobCompletions(job: KubeObject): string {
  const spec = obj(job['spec']);
  const succeeded = intOr(obj(job['status'])['succeeded']);
  const completions = num(spec['completions']);
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = num(spec['parallelism']);
  if (parallelism !== undefined && parallelism > 1) return `${succeeded}/1 of ${parallelism}`;
  return `${succeeded}/1`;
}

/** jobDuration renders DURATION ("" before the job starts). */
export function jobDuration(job: KubeObject, now: Date): string {
  const status = obj(job['status']);
  const start = Date.parse(str(status['startTime']) ?? '');
  if (Number.isNaN(start)) return '';
  const end = Date.parse(str(status['completionTime']) ?? '');
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

/** jobTable renders jobs. */
export const jobTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Status', { description: 'Status of the job.' }),
    column('Completions', { description: 'The completed job replicas.' }),
    column('Duration', { description: 'Time required to complete the job.' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells(job, now) {
    const spec = obj(job['spec']);
    const [containers, images] = containersAndImages(obj(spec['template'])['spec']);
    return [
      nameOf(job),
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, now),
      translateTimestampSince(job.metadata?.creationTimestamp, now),
      containers,
      images,
      formatLabelSelectorObject(obj(spec['selector'])),
    ];
  },
};

/** cronJobTable renders cronjobs: SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE. */
export const cronJobTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Schedule', { description: 'The schedule in Cron format.' }),
    column('Timezone', { description: 'The time zone name for the given schedule.' }),
    column('Suspend', { type: 'boolean', description: 'This flag tells the controller to suspend subsequent executions.' }),
    column('Active', { type: 'integer', description: 'A list of pointers to currently running jobs.' }),
    column('Last Schedule', { description: 'Information when was the last time the job was successfully scheduled.' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells(cj, now) {
    const spec = obj(cj['spec']);
    const status = obj(cj['status']);
    const jobSpec = obj(obj(spec['jobTemplate'])['spec']);
    const [containers, images] = containersAndImages(obj(jobSpec['template'])['spec']);
    const last = str(status['lastScheduleTime']);
    return [
      nameOf(cj),
      str(spec['schedule']) ?? '',
      str(spec['timeZone']) || '<none>',
      formatBool(spec['suspend']),
      objects(status['active']).length,
      last ? translateTimestampSince(last, now) : '<none>',
      translateTimestampSince(cj.metadata?.creationTimestamp, now),
      containers,
      images,
      formatLabelSelectorObject(obj(jobSpec['selector'])),
    ];
  },
};
