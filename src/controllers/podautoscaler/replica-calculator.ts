/**
 * ReplicaCalculator: upstream's replica arithmetic, metric by metric. Each method returns the replica count one
 * metric asks for, plus the current value the status shows. The rules that matter:
 *
 *   - tolerance: a usage ratio within 1 ± 0.1 keeps the current count;
 *   - resource metrics ignore pods being deleted or Failed; Pending pods, and (CPU only) pods not yet ready or
 *     still in their initialization period with a sample from before they became ready, count as "unready";
 *     pods without a sample are "missing". On scale-down, missing pods are assumed to use 100% of their request
 *     (or the target, if higher); on scale-up, 0; unready pods count as 0 on scale-up. If that changes the
 *     direction of the decision, nothing changes;
 *   - Object and External `Value` targets multiply the ratio by the ready pod count; `AverageValue` targets divide
 *     the total by the target. At 0 replicas (scale to zero, see docs/autoscaling.md) a Value target asks for
 *     ceil(ratio) replicas.
 */
import type { LabelSelector } from '../../api/meta/labels.js';
import type { MetricsClient, PodMetricsInfo } from './metrics/metrics-client.js';
import { toMilli } from './quantity.js';
import { failed, ok, type CrossVersionObjectReference, type Result } from './types.js';

/** The default tolerance (`--horizontal-pod-autoscaler-tolerance`). */
export const DEFAULT_TOLERANCE = 0.1;
/** `--horizontal-pod-autoscaler-cpu-initialization-period`. */
export const DEFAULT_CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** `--horizontal-pod-autoscaler-initial-readiness-delay`. */
export const DEFAULT_INITIAL_READINESS_DELAY_MS = 30_000;

/** PodInfo is the part of a pod the calculator reads. */
export interface PodInfo {
  metadata?: { name?: string; deletionTimestamp?: string };
  spec?: {
    containers?: { name: string; resources?: { requests?: Record<string, unknown> } }[];
    initContainers?: { name: string; restartPolicy?: string; resources?: { requests?: Record<string, unknown> } }[];
  };
  status?: { phase?: string; startTime?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
}

/** ReplicaProposal is one metric's answer. */
export interface ReplicaProposal {
  readonly replicas: number;
  /** The current value for the status, milli-units (utilization is a percentage, not milli). */
  readonly usage: number;
  /** For resource utilization targets: the average raw usage in milli-units. */
  readonly rawUsage?: number;
  readonly timestamp: number;
}

/** ReplicaCalculatorConfig constructs a ReplicaCalculator. */
export interface ReplicaCalculatorConfig {
  readonly metrics: MetricsClient;
  /** The pods of a namespace matching a selector (from the pod informer). */
  readonly pods: (namespace: string, selector: LabelSelector) => readonly PodInfo[];
  readonly now: () => number;
  readonly tolerance?: number;
  readonly cpuInitializationPeriodMs?: number;
  readonly initialReadinessDelayMs?: number;
}

interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** ReplicaCalculator computes replica counts from metrics. */
export class ReplicaCalculator {
  readonly #metrics: MetricsClient;
  readonly #pods: ReplicaCalculatorConfig['pods'];
  readonly #now: () => number;
  readonly #tolerance: number;
  readonly #cpuInitMs: number;
  readonly #readinessDelayMs: number;

  constructor(config: ReplicaCalculatorConfig) {
    this.#metrics = config.metrics;
    this.#pods = config.pods;
    this.#now = config.now;
    this.#tolerance = config.tolerance ?? DEFAULT_TOLERANCE;
    this.#cpuInitMs = config.cpuInitializationPeriodMs ?? DEFAULT_CPU_INITIALIZATION_PERIOD_MS;
    this.#readinessDelayMs = config.initialReadinessDelayMs ?? DEFAULT_INITIAL_READINESS_DELAY_MS;
  }

  #within(ratio: number): boolean {
    return Math.abs(1 - ratio) <= this.#tolerance;
  }

  /** resourceReplicas: a Utilization target (percent of the pods' requests). */
  async resourceReplicas(currentReplicas: number, targetUtilization: number, resource: string, namespace: string, selector: LabelSelector, container?: string): Promise<Result<ReplicaProposal>> {
    const got = await this.#metrics.getResourceMetric(resource, namespace, selector, container);
    if (!got.ok) return failed(`unable to get metrics for resource ${resource}: ${got.error}`);
    const metrics = new Map(got.value.metrics);
    const pods = this.#pods(namespace, selector);
    if (pods.length === 0) return failed('no pods returned by selector while calculating replica count');
    const groups = this.#groupPods(pods, metrics, resource);
    for (const n of groups.ignored) metrics.delete(n);
    for (const n of groups.unready) metrics.delete(n);
    if (metrics.size === 0) return failed('did not receive metrics for targeted pods (pods might be unready)');
    const requests = podRequests(pods, resource, container);
    if (!requests.ok) return requests;
    const first = utilizationRatio(metrics, requests.value, targetUtilization);
    if (!first.ok) return first;
    const { ratio, utilization, rawAverage } = first.value;
    const result = (replicas: number): Result<ReplicaProposal> => ok({ replicas, usage: utilization, rawUsage: rawAverage, timestamp: got.value.timestamp });

    const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
    if (!scaleUpWithUnready && groups.missing.size === 0) {
      if (this.#within(ratio)) return result(currentReplicas);
      return result(Math.ceil(ratio * groups.readyPodCount));
    }
    if (groups.missing.size > 0) {
      const fallback = Math.max(100, targetUtilization);
      for (const n of groups.missing) {
        const value = ratio < 1 ? Math.trunc(((requests.value.get(n) ?? 0) * fallback) / 100) : 0;
        if (ratio !== 1) metrics.set(n, { value, timestamp: 0, windowMs: 0 });
      }
    }
    if (scaleUpWithUnready) for (const n of groups.unready) metrics.set(n, { value: 0, timestamp: 0, windowMs: 0 });
    const again = utilizationRatio(metrics, requests.value, targetUtilization);
    if (!again.ok) return again;
    const newRatio = again.value.ratio;
    if (this.#within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return result(currentReplicas);
    const replicas = Math.ceil(newRatio * metrics.size);
    if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return result(currentReplicas);
    return result(replicas);
  }

  /** rawResourceReplicas: an AverageValue target on a resource (e.g. 500Mi memory per pod). */
  async rawResourceReplicas(currentReplicas: number, targetAverage: number, resource: string, namespace: string, selector: LabelSelector, container?: string): Promise<Result<ReplicaProposal>> {
    const got = await this.#metrics.getResourceMetric(resource, namespace, selector, container);
    if (!got.ok) return failed(`unable to get metrics for resource ${resource}: ${got.error}`);
    return this.#plainReplicas(new Map(got.value.metrics), got.value.timestamp, currentReplicas, targetAverage, namespace, selector, resource);
  }

  /** podsReplicas: a Pods metric (custom, per pod) with an AverageValue target. */
  async podsReplicas(currentReplicas: number, targetAverage: number, metricName: string, namespace: string, selector: LabelSelector, metricSelector: LabelSelector): Promise<Result<ReplicaProposal>> {
    const got = await this.#metrics.getRawMetric(metricName, namespace, selector, metricSelector);
    if (!got.ok) return failed(`unable to get metric ${metricName}: ${got.error}`);
    return this.#plainReplicas(new Map(got.value.metrics), got.value.timestamp, currentReplicas, targetAverage, namespace, selector, '');
  }

  /** objectReplicas: an Object metric with a Value target. */
  async objectReplicas(currentReplicas: number, target: number, metricName: string, namespace: string, object: CrossVersionObjectReference, selector: LabelSelector, metricSelector: LabelSelector): Promise<Result<ReplicaProposal>> {
    const got = await this.#metrics.getObjectMetric(metricName, namespace, object, metricSelector);
    if (!got.ok) return failed(`unable to get metric ${metricName}: ${object.kind} on ${namespace} ${object.name}/${got.error}`);
    const count = this.#usageRatioReplicas(currentReplicas, got.value.value / target, namespace, selector);
    if (!count.ok) return count;
    return ok({ replicas: count.value, usage: got.value.value, timestamp: got.value.timestamp });
  }

  /** objectPerPodReplicas: an Object metric with an AverageValue target (the total divided among the pods). */
  async objectPerPodReplicas(statusReplicas: number, targetAverage: number, metricName: string, namespace: string, object: CrossVersionObjectReference, metricSelector: LabelSelector): Promise<Result<ReplicaProposal>> {
    const got = await this.#metrics.getObjectMetric(metricName, namespace, object, metricSelector);
    if (!got.ok) return failed(`unable to get metric ${metricName}: ${object.kind} on ${namespace} ${object.name}/${got.error}`);
    return ok(this.#perPod(got.value.value, statusReplicas, targetAverage, got.value.timestamp));
  }

  /** externalReplicas: an External metric with a Value target (the sum of the matched series). */
  async externalReplicas(currentReplicas: number, target: number, metricName: string, namespace: string, metricSelector: LabelSelector, podSelector: LabelSelector): Promise<Result<ReplicaProposal>> {
    const got = await this.#metrics.getExternalMetric(metricName, namespace, metricSelector);
    if (!got.ok) return failed(`unable to get external metric ${namespace}/${metricName}/${metricSelector.toString()}: ${got.error}`);
    const usage = got.value.values.reduce((a, b) => a + b, 0);
    const count = this.#usageRatioReplicas(currentReplicas, usage / target, namespace, podSelector);
    if (!count.ok) return count;
    return ok({ replicas: count.value, usage, timestamp: got.value.timestamp });
  }

  /** externalPerPodReplicas: an External metric with an AverageValue target. */
  async externalPerPodReplicas(statusReplicas: number, targetAverage: number, metricName: string, namespace: string, metricSelector: LabelSelector): Promise<Result<ReplicaProposal>> {
    const got = await this.#metrics.getExternalMetric(metricName, namespace, metricSelector);
    if (!got.ok) return failed(`unable to get external metric ${namespace}/${metricName}/${metricSelector.toString()}: ${got.error}`);
    const usage = got.value.values.reduce((a, b) => a + b, 0);
    return ok(this.#perPod(usage, statusReplicas, targetAverage, got.value.timestamp));
  }

  #perPod(usage: number, statusReplicas: number, targetAverage: number, timestamp: number): ReplicaProposal {
    let replicas = statusReplicas;
    // At 0 replicas the ratio is infinite (or NaN for 0 usage): both fall outside the tolerance, as upstream.
    const ratio = usage / (targetAverage * statusReplicas);
    if (!this.#within(ratio)) replicas = Math.ceil(usage / targetAverage);
    // Upstream divides by the status replicas; at 0 we show the total rather than a division by zero.
    const average = statusReplicas > 0 ? Math.ceil(usage / statusReplicas) : usage;
    return { replicas, usage: average, timestamp };
  }

  #usageRatioReplicas(currentReplicas: number, ratio: number, namespace: string, selector: LabelSelector): Result<number> {
    if (currentReplicas === 0) return ok(Math.ceil(ratio));
    if (this.#within(ratio)) return ok(currentReplicas);
    const pods = this.#pods(namespace, selector);
    if (pods.length === 0) return failed('unable to calculate ready pods: no pods returned by selector while calculating replica count');
    const ready = pods.filter((p) => p.status?.phase === 'Running' && isReady(p)).length;
    return ok(Math.ceil(ratio * ready));
  }

  async #plainReplicas(metrics: PodMetricsInfo, timestamp: number, currentReplicas: number, targetAverage: number, namespace: string, selector: LabelSelector, resource: string): Promise<Result<ReplicaProposal>> {
    const pods = this.#pods(namespace, selector);
    if (pods.length === 0) return failed('no pods returned by selector while calculating replica count');
    const groups = this.#groupPods(pods, metrics, resource);
    for (const n of groups.ignored) metrics.delete(n);
    for (const n of groups.unready) metrics.delete(n);
    if (metrics.size === 0) return failed('did not receive metrics for targeted pods (pods might be unready)');
    const { ratio, average } = usageRatio(metrics, targetAverage);
    const result = (replicas: number): Result<ReplicaProposal> => ok({ replicas, usage: average, timestamp });
    const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
    if (!scaleUpWithUnready && groups.missing.size === 0) {
      if (this.#within(ratio)) return result(currentReplicas);
      return result(Math.ceil(ratio * groups.readyPodCount));
    }
    if (groups.missing.size > 0) for (const n of groups.missing) metrics.set(n, { value: ratio < 1 ? targetAverage : 0, timestamp: 0, windowMs: 0 });
    if (scaleUpWithUnready) for (const n of groups.unready) metrics.set(n, { value: 0, timestamp: 0, windowMs: 0 });
    const newRatio = usageRatio(metrics, targetAverage).ratio;
    if (this.#within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return result(currentReplicas);
    const replicas = Math.ceil(newRatio * metrics.size);
    if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return result(currentReplicas);
    return result(replicas);
  }

  /** #groupPods sorts pods into ready (counted), unready, missing (no sample) and ignored (deleted, failed). */
  #groupPods(pods: readonly PodInfo[], metrics: PodMetricsInfo, resource: string): PodGroups {
    const g: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
    const now = this.#now();
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
        g.ignored.add(name);
        continue;
      }
      if (pod.status?.phase === 'Pending') {
        g.unready.add(name);
        continue;
      }
      const metric = metrics.get(name);
      if (!metric) {
        g.missing.add(name);
        continue;
      }
      if (resource === 'cpu') {
        const cond = pod.status?.conditions?.find((c) => c.type === 'Ready');
        const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
        let unready: boolean;
        if (!cond || Number.isNaN(start)) unready = true;
        else {
          const transition = cond.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : 0;
          if (start + this.#cpuInitMs > now) {
            // Still initializing: the sample must be ready and cover a whole window since it became ready.
            unready = cond.status === 'False' || metric.timestamp < transition + metric.windowMs;
          } else {
            // Unready and never been ready since start.
            unready = cond.status === 'False' && start + this.#readinessDelayMs > transition;
          }
        }
        if (unready) {
          g.unready.add(name);
          continue;
        }
      }
      g.readyPodCount++;
    }
    return g;
  }
}

function isReady(pod: PodInfo): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** podRequests sums each pod's requests of `resource` (regular and sidecar containers, or only `container`). */
function podRequests(pods: readonly PodInfo[], resource: string, container?: string): Result<Map<string, number>> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
    for (const c of containers) {
      if (container !== undefined && container !== c.name) continue;
      const request = toMilli(c.resources?.requests?.[resource]);
      if (request === undefined) return failed(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name ?? ''}`);
      sum += request;
    }
    out.set(pod.metadata?.name ?? '', sum);
  }
  return ok(out);
}

function utilizationRatio(metrics: PodMetricsInfo, requests: ReadonlyMap<string, number>, targetUtilization: number): Result<{ ratio: number; utilization: number; rawAverage: number }> {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const request = requests.get(name);
    // Requests are checked elsewhere: a metric without a pod is an extraneous sample.
    if (request === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) return failed('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return ok({ ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) });
}

function usageRatio(metrics: PodMetricsInfo, targetAverage: number): { ratio: number; average: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const average = Math.trunc(total / metrics.size);
  return { ratio: average / targetAverage, average };
}
