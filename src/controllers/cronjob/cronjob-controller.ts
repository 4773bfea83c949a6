/**
 * CronJob controller (batch/v1): creates a Job from the CronJob's jobTemplate each time its schedule falls due
 * (upstream's "cronjob" controller, v2). Each pass:
 * - keeps status.active to the Jobs it started that still run, and lastSuccessfulTime current;
 * - deletes finished Jobs beyond successfulJobsHistoryLimit (3) / failedJobsHistoryLimit (1), oldest first;
 * - unless suspended, starts the most recent due run (missed earlier ones are not replayed, as upstream), unless it is
 *   older than startingDeadlineSeconds; concurrencyPolicy Forbid skips it while a Job runs, Replace deletes the
 *   running Jobs first;
 * - asks to be woken at the next scheduled time.
 * Jobs are named `<cronjob>-<scheduled time in minutes>` (so a run is created once even if two passes race) and
 * carry `batch.kubernetes.io/cronjob-scheduled-timestamp`.
 */
import { formatTimestamp } from '../../api/meta/timestamp.js';
import { controllerOf } from '../../api/meta/owner-references.js';
import type { KubeObject } from '../../api/meta/types.js';
import { semanticJson } from '../../api/meta/semantic-json.js';
import type { Clock } from '../../base/clock/clock.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import { finishedCondition, type JobShape } from '../job/job-controller.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import { CronScheduleError, dueRuns, MAX_MISSED_SCHEDULES } from './cron-schedule.js';

const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs' } as const;
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

/** CronJobShape is the part of batch/v1 CronJob the controller reads. */
export interface CronJobShape extends KubeObject {
  spec?: {
    schedule?: string;
    timeZone?: string;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    startingDeadlineSeconds?: number;
    suspend?: boolean;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
  };
  status?: { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}


function timestamp(ms: number): string {
  return formatTimestamp(ms);
}

function finishedAt(job: JobShape): number {
  const t = Date.parse(job.status?.completionTime ?? finishedCondition(job)?.lastTransitionTime ?? job.metadata?.creationTimestamp ?? '');
  return Number.isFinite(t) ? t : 0;
}

/** CronJobReconciler converges one CronJob (key `namespace/name`). */
export class CronJobReconciler implements Reconciler {
  constructor(
    readonly client: RestClient,
    readonly cronJobs: SharedInformer<CronJobShape>,
    readonly jobs: SharedInformer<JobShape>,
    readonly clock: Clock,
    readonly events: EventRecorder,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cj = this.cronJobs.store.get(key);
    if (!cj || cj.metadata?.deletionTimestamp) return;
    const { namespace } = splitMetaNamespaceKey(key);
    const uid = cj.metadata?.uid ?? '';
    const spec = cj.spec ?? {};
    const now = this.clock.now();
    const owned = this.jobs.store.byIndex(NAMESPACE_INDEX, namespace).filter((j) => controllerOf(j)?.uid === uid && !j.metadata?.deletionTimestamp);
    const running = owned.filter((j) => !finishedCondition(j));
    const finished = owned.filter((j) => finishedCondition(j));
    const status = { ...(cj.status ?? {}) };
    const lastSuccess = finished.filter((j) => finishedCondition(j)?.type === 'Complete').reduce((m, j) => Math.max(m, finishedAt(j)), 0);
    if (lastSuccess > Date.parse(status.lastSuccessfulTime ?? '') || (lastSuccess > 0 && !status.lastSuccessfulTime)) status.lastSuccessfulTime = timestamp(lastSuccess);

    await this.#trimHistory(finished.filter((j) => finishedCondition(j)?.type === 'Complete'), spec.successfulJobsHistoryLimit ?? 3);
    await this.#trimHistory(finished.filter((j) => finishedCondition(j)?.type === 'Failed'), spec.failedJobsHistoryLimit ?? 1);

    let active = running;
    let requeueAfterMs: number | undefined;
    if (!spec.suspend && spec.schedule) {
      const since = Date.parse(status.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? '') || now;
      let due;
      try {
        due = dueRuns(spec.schedule, spec.timeZone, since, now);
      } catch (err) {
        if (!(err instanceof CronScheduleError)) throw err;
        void this.events.record(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${spec.schedule}" : ${err.message}`);
        return;
      }
      if (due.missed > MAX_MISSED_SCHEDULES) {
        void this.events.record(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
      }
      requeueAfterMs = Math.max(0, due.next - now) + 100;
      const t = due.mostRecent;
      const tooLate = t !== undefined && spec.startingDeadlineSeconds !== undefined && now - t > spec.startingDeadlineSeconds * 1000;
      if (t !== undefined && tooLate) {
        void this.events.record(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${timestamp(t)}`);
        status.lastScheduleTime = timestamp(t);
      } else if (t !== undefined) {
        const policy = spec.concurrencyPolicy ?? 'Allow';
        if (policy === 'Forbid' && running.length > 0) {
          void this.events.record(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
          // Look again soon: when the running Job ends, this run may still start (within the deadline, if any).
          requeueAfterMs = Math.min(requeueAfterMs, 5_000);
        } else {
          if (policy === 'Replace') {
            for (const j of running) await this.#deleteJob(cj, j);
            active = [];
          }
          const job = await this.#createJob(cj, t);
          if (job) active = [...active, job];
          status.lastScheduleTime = timestamp(t);
        }
      }
    }
    status.active = active.map((j) => ({ apiVersion: 'batch/v1', kind: 'Job', name: j.metadata?.name, namespace, uid: j.metadata?.uid, resourceVersion: j.metadata?.resourceVersion }));
    if (status.active.length === 0) delete status.active;
    await this.#writeStatus(cj, status);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  async #createJob(cj: CronJobShape, scheduled: number): Promise<JobShape | undefined> {
    const tpl = cj.spec?.jobTemplate ?? {};
    const name = `${cj.metadata?.name ?? ''}-${Math.floor(scheduled / 60_000)}`;
    const job: JobShape = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata?.namespace,
        labels: { ...(tpl.metadata?.labels ?? {}) },
        annotations: { ...(tpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: timestamp(scheduled) },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata?.name ?? '', uid: cj.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(tpl.spec ?? {}) as JobShape['spec'],
    };
    try {
      const created = (await this.client.create({ ...JOBS, namespace: cj.metadata?.namespace }, job)) as JobShape;
      void this.events.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
      return created;
    } catch (err) {
      if (isAlreadyExists(err)) return undefined; // this run was started by an earlier pass
      void this.events.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async #trimHistory(jobs: readonly JobShape[], limit: number): Promise<void> {
    const sorted = [...jobs].sort((a, b) => finishedAt(a) - finishedAt(b));
    for (const j of sorted.slice(0, Math.max(0, sorted.length - limit))) await this.#deleteJob(undefined, j);
  }

  async #deleteJob(cj: CronJobShape | undefined, job: KubeObject): Promise<void> {
    try {
      await this.client.delete({ ...JOBS, namespace: job.metadata?.namespace, name: job.metadata?.name }, { propagationPolicy: 'Background' });
      if (cj) void this.events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata?.name ?? ''}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #writeStatus(cj: CronJobShape, status: NonNullable<CronJobShape['status']>): Promise<void> {
    if (semanticJson(status) === semanticJson(cj.status ?? {})) return;
    try {
      await this.client.update({ ...CRONJOBS, namespace: cj.metadata?.namespace, name: cj.metadata?.name, subresource: 'status' }, { ...cj, status });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) throw new Error(`Cannot update cronjob ${cj.metadata?.name ?? ''} status: it changed meanwhile; retrying`);
      throw err;
    }
  }
}

/** newCronJobController builds the controller: CronJobs by key; their Jobs mapped to them. */
export function newCronJobController(ctx: ControllerContext): Controller {
  const cronJobs = ctx.informers.informerFor<CronJobShape>(CRONJOBS);
  const jobs = ctx.informers.informerFor<JobShape>(JOBS);
  const events = new EventRecorder({ client: ctx.client, component: 'cronjob-controller', clock: ctx.clock, log: ctx.log });
  const controller = new Controller({ name: 'cronjob', reconciler: new CronJobReconciler(ctx.client, cronJobs, jobs, ctx.clock, events), clock: ctx.clock, log: ctx.log, workers: 5 });
  const enqueue = (o: KubeObject): void => controller.enqueue(metaNamespaceKey(o));
  cronJobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, c) => enqueue(c), onDelete: enqueue });
  const onJob = (j: KubeObject): void => {
    const ref = controllerOf(j);
    if (ref?.kind === 'CronJob') controller.enqueue(`${j.metadata?.namespace ?? ''}/${ref.name}`);
  };
  jobs.addEventHandler({ onAdd: onJob, onUpdate: (_o, j) => onJob(j), onDelete: onJob });
  return controller;
}

/** CRONJOB_CONTROLLER is the table row of the CronJob controller. */
export const CRONJOB_CONTROLLER: ControllerDescriptor = { name: 'cronjob', enabledByDefault: true, create: newCronJobController };
