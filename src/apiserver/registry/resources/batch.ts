/**
 * Job and CronJob strategies. A new Job without `manualSelector: true` gets its selector and pod labels from
 * its uid (set by the store before prepareForCreate runs).
 */
import { defaultCronJob, defaultJob, generateJobSelector } from '../../../api/defaults/batch.js';
import { num, obj } from '../../../api/validation/unstructured.js';
import { validateCronJob, validateJob, validateJobUpdate } from '../../../api/validation/validate-batch.js';
import { cronJobTable, jobTable } from '../../printers/batch.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** jobStrategy is the batch/v1 jobs policy; `status.successful` is selectable. */
export const jobStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  defaults: defaultJob,
  prepareForCreate: generateJobSelector,
  validate: validateJob,
  validateUpdate: validateJobUpdate,
  selectableFields: (job) => ({ 'status.successful': String(num(obj(job['status'])['succeeded']) ?? 0) }),
  table: jobTable,
});

/** cronJobStrategy is the batch/v1 cronjobs policy. */
export const cronJobStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  defaults: defaultCronJob,
  validate: validateCronJob,
  table: cronJobTable,
});
