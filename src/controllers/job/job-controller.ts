/**
 * Job controller (batch/v1): runs a Job's pods until enough of them succeed, or until it fails (upstream's "job"
 * controller, with the TTL-after-finished cleanup folded in). Level-based: each pass counts the Job's pods from the
 * informer and takes the next step:
 *
 * - finished (Complete/Failed condition): only ttlSecondsAfterFinished is left — the Job is deleted (its pods go
 *   with it through the garbage collector) once that long has passed;
 * - failure: a podFailurePolicy FailJob rule, more counted failures than backoffLimit (default 6), or
 *   activeDeadlineSeconds passed → active pods are deleted and the Job gets Failed with upstream's reason;
 * - success: `completions` pods succeeded (Indexed: every index in [0, completions) succeeded; without completions:
 *   one succeeded and none is active) → Complete;
 * - suspend: active pods are deleted, Suspended=True; resuming starts pods again;
 * - otherwise pods are created or deleted to keep min(parallelism, remaining) active, with upstream's back-off
 *   after failures (10 s doubling, at most 6 min). Indexed Jobs give each pod its index (annotation, label, env
 *   JOB_COMPLETION_INDEX, hostname `<job>-<index>`).
 */
import { formatTimestamp } from '../../api/meta/timestamp.js';
import { semanticJson } from '../../api/meta/semantic-json.js';
import { controllerOf } from '../../api/meta/owner-references.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import { ControllerExpectations } from '../controller-expectations.js';
import { formatIndexes, parseIndexes } from './completion-indexes.js';
import { matchPodFailurePolicy, type PodFailurePolicyRule } from './pod-failure-policy.js';

const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

/** JobShape is the part of batch/v1 Job the controller reads. */
export interface JobShape extends KubeObject {
  spec?: {
    parallelism?: number;
    completions?: number;
    completionMode?: 'NonIndexed' | 'Indexed';
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    suspend?: boolean;
    podFailurePolicy?: { rules?: PodFailurePolicyRule[] };
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
  };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    ready?: number;
    terminating?: number;
    startTime?: string;
    completionTime?: string;
    completedIndexes?: string;
    conditions?: Condition[];
  };
}

interface ContainerStatus {
  name: string;
  state?: { terminated?: { exitCode?: number; finishedAt?: string } };
}

/** PodShape is the part of v1 Pod the controller reads. */
interface PodShape extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: ContainerStatus[] };
}


function phaseOf(p: PodShape): string {
  return p.status?.phase ?? '';
}

function indexOf(p: KubeObject): number | undefined {
  const v = p.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function finishedAt(p: PodShape): number {
  let last = 0;
  for (const c of p.status?.containerStatuses ?? []) {
    const t = Date.parse(c.state?.terminated?.finishedAt ?? '');
    if (Number.isFinite(t)) last = Math.max(last, t);
  }
  return last;
}

/** finishedCondition is the Job's Complete or Failed condition when it has one that is True. */
export function finishedCondition(job: JobShape): Condition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** JobReconcilerConfig constructs a JobReconciler. */
export interface JobReconcilerConfig {
  readonly client: RestClient;
  readonly jobs: SharedInformer<JobShape>;
  readonly pods: SharedInformer<PodShape>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly expectations: ControllerExpectations;
}

/** JobReconciler converges one Job (key `namespace/name`). */
export class JobReconciler implements Reconciler {
  readonly #c: JobReconcilerConfig;

  constructor(config: JobReconcilerConfig) {
    this.#c = config;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const job = this.#c.jobs.store.get(key);
    if (!job) {
      this.#c.expectations.forget(key);
      return;
    }
    if (job.metadata?.deletionTimestamp) return;
    if (finishedCondition(job)) return this.#expireFinished(job);
    if (!this.#c.expectations.satisfied(key)) return;

    const { namespace } = splitMetaNamespaceKey(key);
    const uid = job.metadata?.uid ?? '';
    const pods = this.#c.pods.store.byIndex(NAMESPACE_INDEX, namespace).filter((p) => controllerOf(p)?.uid === uid);
    const active = pods.filter((p) => phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed' && !p.metadata?.deletionTimestamp);
    const terminating = pods.filter((p) => phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed' && p.metadata?.deletionTimestamp);
    const spec = job.spec ?? {};
    const indexed = spec.completionMode === 'Indexed';
    const parallelism = spec.parallelism ?? 1;
    const completions = spec.completions;
    const now = this.#c.clock.now();

    // Failures, through the pod failure policy.
    let failJob: string | undefined;
    let counted = 0;
    for (const p of pods.filter((x) => phaseOf(x) === 'Failed')) {
      const match = matchPodFailurePolicy(spec.podFailurePolicy?.rules ?? [], {
        containers: (p.status?.containerStatuses ?? []).map((c) => ({ name: c.name, exitCode: c.state?.terminated?.exitCode })),
        conditions: p.status?.conditions ?? [],
      });
      if (match?.rule.action === 'Ignore') continue;
      if (match?.rule.action === 'FailJob' && failJob === undefined) {
        failJob = match.container
          ? `Container ${match.container} for pod ${namespace}/${p.metadata?.name ?? ''} failed with exit code ${match.exitCode ?? 0} matching FailJob rule at index ${match.index}`
          : `Pod ${namespace}/${p.metadata?.name ?? ''} has condition matching FailJob rule at index ${match.index}`;
      }
      counted++;
    }
    const failed = Math.max(job.status?.failed ?? 0, counted);

    // Successes (monotonic: pods of a finished index may be gone later).
    const completed = parseIndexes(job.status?.completedIndexes);
    for (const p of pods) {
      const i = indexOf(p);
      if (indexed && phaseOf(p) === 'Succeeded' && i !== undefined && i < (completions ?? 0)) completed.add(i);
    }
    const succeeded = indexed ? completed.size : Math.max(job.status?.succeeded ?? 0, pods.filter((p) => phaseOf(p) === 'Succeeded').length);

    const startTime = job.status?.startTime ?? (spec.suspend ? undefined : this.#timestamp(now));
    const conditions = [...(job.status?.conditions ?? [])];
    let finished: Condition | undefined;
    if (failJob) finished = this.#condition('Failed', 'PodFailurePolicy', failJob);
    else if (failed > (spec.backoffLimit ?? 6)) finished = this.#condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    else if (spec.activeDeadlineSeconds !== undefined && startTime && !spec.suspend && now - Date.parse(startTime) >= spec.activeDeadlineSeconds * 1000) {
      finished = this.#condition('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
    } else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
      finished = this.#condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
    }

    let created = 0;
    let requeueAfterMs: number | undefined;
    if (finished) {
      await this.#deletePods(job, active);
      // Upstream sets the interim condition first (SuccessCriteriaMet / FailureTarget), then the final one.
      const interim = finished.type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
      this.#setCondition(conditions, { ...finished, type: interim });
      this.#setCondition(conditions, finished);
      if (finished.type === 'Complete') void this.#c.events.record(job, 'Normal', 'Completed', 'Job completed');
      else void this.#c.events.record(job, 'Warning', finished.reason ?? 'Failed', finished.message ?? '');
    } else if (spec.suspend) {
      await this.#deletePods(job, active);
      this.#setCondition(conditions, this.#condition('Suspended', 'JobSuspended', 'Job suspended'));
    } else {
      if (conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) this.#setCondition(conditions, { ...this.#condition('Suspended', 'JobResumed', 'Job resumed'), status: 'False' });
      // Back off after failures before starting replacements.
      const lastFailure = Math.max(0, ...pods.filter((p) => phaseOf(p) === 'Failed').map(finishedAt));
      const delay = counted > 0 ? Math.min(BACKOFF_BASE_MS * 2 ** (counted - 1), BACKOFF_MAX_MS) : 0;
      const waitMs = lastFailure > 0 ? lastFailure + delay - now : 0;
      if (indexed) {
        const busy = new Set(active.map(indexOf).filter((i): i is number => i !== undefined));
        const todo: number[] = [];
        for (let i = 0; i < (completions ?? 0) && todo.length < parallelism - active.length; i++) if (!completed.has(i) && !busy.has(i)) todo.push(i);
        if (todo.length > 0 && waitMs > 0) requeueAfterMs = waitMs;
        else created = await this.#createPods(key, job, todo);
      } else {
        const remaining = completions !== undefined ? completions - succeeded : succeeded > 0 ? 0 : parallelism;
        const want = Math.max(0, Math.min(parallelism, remaining));
        const diff = want - active.length;
        if (diff > 0 && waitMs > 0) requeueAfterMs = waitMs;
        else if (diff > 0) created = await this.#createPods(key, job, Array.from({ length: diff }, () => undefined));
        else if (diff < 0) await this.#deletePods(job, active.slice(diff));
      }
      if (spec.activeDeadlineSeconds !== undefined && startTime) {
        const left = Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 - now;
        requeueAfterMs = Math.max(0, Math.min(requeueAfterMs ?? left, left));
      }
    }

    const status: NonNullable<JobShape['status']> = {
      ...(startTime ? { startTime } : {}),
      active: finished || spec.suspend ? 0 : active.length + created,
      succeeded,
      failed,
      ready: finished || spec.suspend ? 0 : active.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length,
      terminating: terminating.length,
      ...(indexed ? { completedIndexes: formatIndexes(completed) } : {}),
      ...(finished?.type === 'Complete' ? { completionTime: this.#timestamp(now) } : job.status?.completionTime ? { completionTime: job.status.completionTime } : {}),
      ...(conditions.length > 0 ? { conditions } : {}),
    };
    await this.#writeStatus(job, status);
    if (finished) return this.#expireFinished({ ...job, status });
    return requeueAfterMs !== undefined ? { requeueAfterMs: requeueAfterMs + 100 } : undefined;
  }

  /** ttlSecondsAfterFinished: delete the finished Job once that long has passed since it finished. */
  async #expireFinished(job: JobShape): Promise<ReconcileResult | void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    const cond = finishedCondition(job);
    const since = Date.parse(job.status?.completionTime ?? cond?.lastTransitionTime ?? '');
    if (!Number.isFinite(since)) return;
    const left = since + ttl * 1000 - this.#c.clock.now();
    if (left > 0) return { requeueAfterMs: left + 100 };
    try {
      await this.#c.client.delete({ ...JOBS, namespace: job.metadata?.namespace, name: job.metadata?.name }, { propagationPolicy: 'Background', preconditions: { uid: job.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** Creates pods (one per entry: an index for Indexed Jobs, undefined otherwise); returns how many were created. */
  async #createPods(key: string, job: JobShape, indexes: readonly (number | undefined)[]): Promise<number> {
    if (indexes.length === 0) return 0;
    this.#c.expectations.expectCreations(key, indexes.length);
    const results = await Promise.all(
      indexes.map(async (index) => {
        try {
          const pod = (await this.#c.client.create({ ...PODS, namespace: job.metadata?.namespace }, this.#podFor(job, index))) as KubeObject;
          void this.#c.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name ?? ''}`);
          return true;
        } catch (err) {
          this.#c.expectations.creationObserved(key);
          void this.#c.events.record(job, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
          return false;
        }
      }),
    );
    return results.filter(Boolean).length;
  }

  #podFor(job: JobShape, index: number | undefined): KubeObject {
    const template = structuredClone(job.spec?.template ?? {});
    const name = job.metadata?.name ?? '';
    const labels = { ...(template.metadata?.labels ?? {}) };
    const annotations = { ...(template.metadata?.annotations ?? {}) };
    const spec = (template.spec ?? {}) as Record<string, unknown> & { containers?: { env?: { name: string; value?: string }[] }[]; hostname?: string };
    if (index !== undefined) {
      annotations[COMPLETION_INDEX_ANNOTATION] = String(index);
      labels[COMPLETION_INDEX_ANNOTATION] = String(index);
      spec.hostname ??= `${name}-${index}`;
      for (const c of spec.containers ?? []) c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', value: String(index) }];
    }
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
        namespace: job.metadata?.namespace,
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec,
    };
  }

  async #deletePods(job: JobShape, pods: readonly KubeObject[]): Promise<void> {
    for (const p of pods) {
      try {
        await this.#c.client.delete({ ...PODS, namespace: p.metadata?.namespace, name: p.metadata?.name });
        void this.#c.events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name ?? ''}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async #writeStatus(job: JobShape, status: NonNullable<JobShape['status']>): Promise<void> {
    if (semanticJson(status) === semanticJson(job.status ?? {})) return;
    try {
      await this.#c.client.update({ ...JOBS, namespace: job.metadata?.namespace, name: job.metadata?.name, subresource: 'status' }, { ...job, status });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) throw new Error(`Cannot update job ${job.metadata?.name ?? ''} status: it changed meanwhile; retrying`);
      throw err;
    }
  }

  #condition(type: string, reason: string, message: string): Condition {
    const now = this.#timestamp(this.#c.clock.now());
    return { type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now };
  }

  #setCondition(conditions: Condition[], c: Condition): void {
    const i = conditions.findIndex((x) => x.type === c.type);
    const prev = i >= 0 ? conditions[i] : undefined;
    if (prev && prev.status === c.status && prev.reason === c.reason) return;
    if (i >= 0) conditions[i] = c;
    else conditions.push(c);
  }

  #timestamp(ms: number): string {
    return formatTimestamp(ms);
  }
}

/** newJobController builds the controller: Jobs by key; their pods mapped to them. */
export function newJobController(ctx: ControllerContext): Controller {
  const jobs = ctx.informers.informerFor<JobShape>(JOBS);
  const pods = ctx.informers.informerFor<PodShape>(PODS);
  const expectations = new ControllerExpectations({ now: () => ctx.clock.now() });
  const events = new EventRecorder({ client: ctx.client, component: 'job-controller', clock: ctx.clock, log: ctx.log });
  const controller = new Controller({
    name: 'job',
    reconciler: new JobReconciler({ client: ctx.client, jobs, pods, clock: ctx.clock, log: ctx.log, events, expectations }),
    clock: ctx.clock,
    log: ctx.log,
    workers: 5,
  });
  const enqueue = (j: KubeObject): void => controller.enqueue(metaNamespaceKey(j));
  jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, j) => enqueue(j), onDelete: enqueue });
  const jobKeyOf = (p: KubeObject): string | undefined => {
    const ref = controllerOf(p);
    return ref?.kind === 'Job' ? `${p.metadata?.namespace ?? ''}/${ref.name}` : undefined;
  };
  pods.addEventHandler({
    onAdd: (p) => {
      const key = jobKeyOf(p);
      if (!key) return;
      expectations.creationObserved(key);
      controller.enqueue(key);
    },
    onUpdate: (_o, p) => {
      const key = jobKeyOf(p);
      if (key) controller.enqueue(key);
    },
    onDelete: (p) => {
      const key = jobKeyOf(p);
      if (key) controller.enqueue(key);
    },
  });
  return controller;
}

/** JOB_CONTROLLER is the table row of the Job controller. */
export const JOB_CONTROLLER: ControllerDescriptor = { name: 'job', enabledByDefault: true, create: newJobController };
