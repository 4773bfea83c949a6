/**
 * The HorizontalPodAutoscaler controller ("horizontalpodautoscaling"), upstream's reconcileAutoscaler: every
 * sync period (`--horizontal-pod-autoscaler-sync-period`, 15 s), and at once when an HPA is created or its spec
 * changes, it
 *
 *   1. reads the target's `/scale` (AbleToScale False/FailedGetScale when it cannot);
 *   2. clamps a count outside [min, max] straight to the bound, or else asks every metric for a count (the
 *      largest wins; ScalingActive False with the first failure when all fail, or when some fail and the rest
 *      would scale down), then stabilizes and rate-limits it (behavior.ts) and clamps it (ScalingLimited);
 *   3. writes `/scale` when the count changes (event SuccessfulRescale "New size: N; reason: …");
 *   4. writes status: currentReplicas, desiredReplicas, currentMetrics, conditions, lastScaleTime.
 *
 * A target at 0 replicas is left alone (ScalingActive False/ScalingDisabled) unless minReplicas is 0: then the
 * HPA keeps evaluating its metrics and scales from zero (docs/autoscaling.md).
 */
import { labelSelectorFromObject, parseLabelSelector, type LabelSelector, type LabelSelectorObject } from '../../api/meta/labels.js';
import { formatTimestamp } from '../../api/meta/timestamp.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Logger } from '../../base/log/logger.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX } from '../../client/informer/store.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import { RestAutoscalerApi, type AutoscalerApi } from './autoscaler-api.js';
import { Normalizer } from './behavior.js';
import type { MetricsClient } from './metrics/metrics-client.js';
import { RestMetricsClient } from './metrics/rest-metrics-client.js';
import { formatMilli, toMilli } from './quantity.js';
import { ReplicaCalculator, type PodInfo, type ReplicaProposal } from './replica-calculator.js';
import { ResourceResolver } from './resource-resolver.js';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricIdentifier, MetricSpec, MetricStatus, Result, Scale } from './types.js';

/** The default `--horizontal-pod-autoscaler-sync-period`. */
export const DEFAULT_SYNC_PERIOD_MS = 15_000;

const HPAS = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;

/** MetricOutcome is one metric's proposal, or the condition to report when it failed. */
type MetricOutcome =
  | { readonly ok: true; readonly replicas: number; readonly name: string; readonly status: MetricStatus; readonly timestamp: number }
  | { readonly ok: false; readonly reason: string; readonly error: string };

/** HorizontalReconcilerConfig constructs a HorizontalReconciler. */
export interface HorizontalReconcilerConfig {
  /** The HPA of a key, from the informer (or a test map). */
  readonly hpa: (key: string) => HorizontalPodAutoscaler | undefined;
  readonly api: AutoscalerApi;
  readonly calculator: ReplicaCalculator;
  readonly normalizer: Normalizer;
  readonly now: () => number;
  readonly log: Logger;
  /** @default 15 s */
  readonly syncPeriodMs?: number;
}

/** HorizontalReconciler converges one HPA (key `namespace/name`). */
export class HorizontalReconciler implements Reconciler {
  readonly #hpa: HorizontalReconcilerConfig['hpa'];
  readonly #api: AutoscalerApi;
  readonly #calc: ReplicaCalculator;
  readonly #norm: Normalizer;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #syncPeriodMs: number;

  constructor(config: HorizontalReconcilerConfig) {
    this.#hpa = config.hpa;
    this.#api = config.api;
    this.#calc = config.calculator;
    this.#norm = config.normalizer;
    this.#now = config.now;
    this.#log = config.log;
    this.#syncPeriodMs = config.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.#hpa(key);
    if (!cached) {
      this.#norm.forget(key);
      return;
    }
    // Informer objects are shared: work on a copy.
    const hpa = structuredClone({ ...cached, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' }) as HorizontalPodAutoscaler;
    if (hpa.metadata?.deletionTimestamp) return;
    const started = this.#now();
    const original = JSON.stringify(hpa.status ?? {});
    await this.#reconcile(key, hpa);
    if (JSON.stringify(hpa.status ?? {}) !== original) await this.#api.updateStatus(hpa);
    // The next look is one period after this one began (not ended), so metric reads stay one period apart and a
    // change waits at most one period however long reads and writes take.
    return { requeueAfterMs: Math.max(0, this.#syncPeriodMs - (this.#now() - started)) };
  }

  async #reconcile(key: string, hpa: HorizontalPodAutoscaler): Promise<void> {
    const spec = hpa.spec;
    const namespace = hpa.metadata?.namespace ?? '';
    if (!spec) return;
    const ref = spec.scaleTargetRef;
    // desiredReplicas is a required field (upstream writes 0 until a decision is made).
    const status: HorizontalPodAutoscalerStatus = { ...hpa.status, desiredReplicas: hpa.status?.desiredReplicas ?? 0 };
    hpa.status = status;

    const target = await this.#api.getScale(namespace, ref);
    if (!target.ok) {
      await this.#api.event(hpa, 'Warning', 'FailedGetScale', target.error);
      this.#setCondition(hpa, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${target.error}`);
      return;
    }
    this.#setCondition(hpa, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const scale = target.value.scale;
    const currentReplicas = scale.spec?.replicas ?? 0;
    this.#norm.recordInitial(key, currentReplicas);

    const minReplicas = spec.minReplicas ?? 1;
    let desired = 0;
    let reason = '';
    let rescale = true;
    let statuses: MetricStatus[] | undefined;
    if (currentReplicas === 0 && minReplicas !== 0) {
      rescale = false;
      this.#setCondition(hpa, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > spec.maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = spec.maxReplicas;
    } else if (currentReplicas < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const computed = await this.#computeReplicasForMetrics(hpa, scale, spec.metrics ?? []);
      statuses = computed.statuses;
      if (!computed.ok) {
        this.#setCurrent(hpa, currentReplicas, statuses);
        await this.#api.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error);
        return;
      }
      desired = computed.replicas;
      if (desired > currentReplicas) reason = `${computed.metric} above target`;
      if (desired < currentReplicas) reason = 'All metrics below target';
      const args = { key, currentReplicas, desiredReplicas: desired, minReplicas, maxReplicas: spec.maxReplicas };
      const n = spec.behavior ? this.#norm.normalizeWithBehaviors(args, spec.behavior) : this.#norm.normalizeLegacy(args);
      this.#setCondition(hpa, 'AbleToScale', 'True', n.ableReason, n.ableMessage);
      this.#setCondition(hpa, 'ScalingLimited', n.limited ? 'True' : 'False', n.limitReason, n.limitMessage);
      desired = n.replicas;
      rescale = desired !== currentReplicas;
    }

    if (rescale) {
      const written = await this.#api.updateScale(namespace, target.value, desired);
      if (!written.ok) {
        await this.#api.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${written.error}`);
        this.#setCondition(hpa, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${written.error}`);
        this.#setCurrent(hpa, currentReplicas, statuses);
        return;
      }
      this.#setCondition(hpa, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      await this.#api.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.#norm.recordScale(key, spec.behavior, currentReplicas, desired);
      this.#log.info('Successfully rescaled', { hpa: key, currentReplicas, desiredReplicas: desired, reason });
    } else desired = currentReplicas;

    status.currentReplicas = currentReplicas;
    status.desiredReplicas = desired;
    setMetrics(status, statuses);
    if (rescale) status.lastScaleTime = formatTimestamp(this.#now());
    if (hpa.metadata?.generation !== undefined) status.observedGeneration = hpa.metadata.generation;
  }

  #setCurrent(hpa: HorizontalPodAutoscaler, currentReplicas: number, statuses: MetricStatus[] | undefined): void {
    const status = hpa.status ?? { desiredReplicas: 0 };
    status.currentReplicas = currentReplicas;
    setMetrics(status, statuses);
    hpa.status = status;
  }

  /** #computeReplicasForMetrics asks every metric; the largest proposal wins. */
  async #computeReplicasForMetrics(
    hpa: HorizontalPodAutoscaler,
    scale: Scale,
    specs: readonly MetricSpec[],
  ): Promise<{ ok: true; replicas: number; metric: string; statuses: MetricStatus[] } | { ok: false; error: string; statuses: MetricStatus[] }> {
    const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
    const selectorText = scale.status?.selector ?? '';
    if (selectorText === '') {
      await this.#api.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      this.#setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      return { ok: false, error: 'selector is required', statuses };
    }
    let selector: LabelSelector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (err) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${err instanceof Error ? err.message : String(err)}`;
      await this.#api.event(hpa, 'Warning', 'InvalidSelector', msg);
      this.#setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', msg);
      return { ok: false, error: msg, statuses };
    }

    const specReplicas = scale.spec?.replicas ?? 0;
    const statusReplicas = scale.status?.replicas ?? 0;
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let firstInvalid: { reason: string; error: string } | undefined;
    for (const [i, spec] of specs.entries()) {
      const outcome = await this.#computeReplicasForMetric(hpa, spec, specReplicas, statusReplicas, selector);
      if (!outcome.ok) {
        if (!firstInvalid) firstInvalid = outcome;
        invalid++;
        continue;
      }
      statuses[i] = outcome.status;
      if (replicas === 0 || outcome.replicas > replicas) {
        replicas = outcome.replicas;
        metric = outcome.name;
      }
    }
    // All metrics failed, or some failed and the others would scale down: do nothing rather than act on a partial view.
    if (firstInvalid && (invalid >= specs.length || replicas < specReplicas)) {
      this.#setCondition(hpa, 'ScalingActive', 'False', firstInvalid.reason, `the HPA was unable to compute the replica count: ${firstInvalid.error}`);
      return { ok: false, error: `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstInvalid.error}`, statuses };
    }
    this.#setCondition(hpa, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
    return { ok: true, replicas, metric, statuses };
  }

  async #computeReplicasForMetric(hpa: HorizontalPodAutoscaler, spec: MetricSpec, specReplicas: number, statusReplicas: number, selector: LabelSelector): Promise<MetricOutcome> {
    const namespace = hpa.metadata?.namespace ?? '';
    const fail = async (reason: string, error: string): Promise<MetricOutcome> => {
      await this.#api.event(hpa, 'Warning', reason, error);
      return { ok: false, reason, error };
    };
    switch (spec.type) {
      case 'Resource':
      case 'ContainerResource': {
        const container = spec.type === 'ContainerResource' ? spec.containerResource?.container : undefined;
        const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const reason = spec.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
        if (!source) return fail(reason, `invalid ${spec.type} metric source: missing source`);
        const name = source.name;
        const averageValue = toMilli(source.target.averageValue);
        let got: Result<ReplicaProposal>;
        if (averageValue !== undefined) got = await this.#calc.rawResourceReplicas(specReplicas, averageValue, name, namespace, selector, container);
        else if (source.target.averageUtilization !== undefined) got = await this.#calc.resourceReplicas(specReplicas, source.target.averageUtilization, name, namespace, selector, container);
        else return fail(reason, `failed to get ${name} utilization: invalid resource metric source: neither a utilization target nor a value target was set`);
        if (!got.ok) return fail(reason, `failed to get ${name} ${spec.type === 'Resource' ? 'utilization' : 'usage'}: ${got.error}`);
        const p = got.value;
        const current = averageValue !== undefined ? { averageValue: formatMilli(p.usage) } : { averageUtilization: p.usage, averageValue: formatMilli(p.rawUsage ?? 0) };
        const status: MetricStatus =
          spec.type === 'Resource' ? { type: 'Resource', resource: { name, current } } : { type: 'ContainerResource', containerResource: { name, container: container ?? '', current } };
        const metricName = averageValue !== undefined ? `${name} resource` : `${name} resource utilization (percentage of request)`;
        return { ok: true, replicas: p.replicas, name: container ? `${metricName} on container ${container}` : metricName, status, timestamp: p.timestamp };
      }
      case 'Pods': {
        const src = spec.pods;
        const target = toMilli(src?.target.averageValue);
        if (!src || target === undefined) return fail('FailedGetPodsMetric', 'failed to get pods metric value: invalid pods metric source: an averageValue target is required');
        const metricSelector = selectorOf(src.metric);
        if (!metricSelector.ok) return fail('FailedGetPodsMetric', `failed to get pods metric value: ${metricSelector.error}`);
        const got = await this.#calc.podsReplicas(specReplicas, target, src.metric.name, namespace, selector, metricSelector.value);
        if (!got.ok) return fail('FailedGetPodsMetric', `failed to get pods metric value: ${got.error}`);
        return {
          ok: true,
          replicas: got.value.replicas,
          name: `pods metric ${src.metric.name}`,
          status: { type: 'Pods', pods: { metric: src.metric, current: { averageValue: formatMilli(got.value.usage) } } },
          timestamp: got.value.timestamp,
        };
      }
      case 'Object': {
        const src = spec.object;
        if (!src) return fail('FailedGetObjectMetric', 'failed to get object metric value: missing object metric source');
        const metricSelector = selectorOf(src.metric);
        if (!metricSelector.ok) return fail('FailedGetObjectMetric', `failed to get object metric value: ${metricSelector.error}`);
        const value = toMilli(src.target.value);
        const average = toMilli(src.target.averageValue);
        let got: Result<ReplicaProposal>;
        if (src.target.type === 'Value' && value !== undefined) got = await this.#calc.objectReplicas(specReplicas, value, src.metric.name, namespace, src.describedObject, selector, metricSelector.value);
        else if (src.target.type === 'AverageValue' && average !== undefined) got = await this.#calc.objectPerPodReplicas(statusReplicas, average, src.metric.name, namespace, src.describedObject, metricSelector.value);
        else return fail('FailedGetObjectMetric', 'failed to get object metric value: invalid object metric source: neither a value target nor an average value target was set');
        if (!got.ok) return fail('FailedGetObjectMetric', `failed to get object metric value: ${got.error}`);
        const current = value !== undefined && src.target.type === 'Value' ? { value: formatMilli(got.value.usage) } : { averageValue: formatMilli(got.value.usage) };
        return {
          ok: true,
          replicas: got.value.replicas,
          name: `${src.describedObject.kind} metric ${src.metric.name}`,
          status: { type: 'Object', object: { describedObject: src.describedObject, metric: src.metric, current } },
          timestamp: got.value.timestamp,
        };
      }
      case 'External': {
        const src = spec.external;
        if (!src) return fail('FailedGetExternalMetric', 'failed to get external metric value: missing external metric source');
        const metricSelector = selectorOf(src.metric);
        if (!metricSelector.ok) return fail('FailedGetExternalMetric', `failed to get ${src.metric.name} external metric value: ${metricSelector.error}`);
        const value = toMilli(src.target.value);
        const average = toMilli(src.target.averageValue);
        let got: Result<ReplicaProposal>;
        if (src.target.type === 'AverageValue' && average !== undefined) got = await this.#calc.externalPerPodReplicas(statusReplicas, average, src.metric.name, namespace, metricSelector.value);
        else if (src.target.type === 'Value' && value !== undefined) got = await this.#calc.externalReplicas(specReplicas, value, src.metric.name, namespace, metricSelector.value, selector);
        else return fail('FailedGetExternalMetric', `failed to get ${src.metric.name} external metric value: invalid external metric source: neither a value target nor an average value target was set`);
        if (!got.ok) return fail('FailedGetExternalMetric', `failed to get ${src.metric.name} external metric value: ${got.error}`);
        const current = src.target.type === 'Value' ? { value: formatMilli(got.value.usage) } : { averageValue: formatMilli(got.value.usage) };
        return {
          ok: true,
          replicas: got.value.replicas,
          name: `external metric ${src.metric.name}(${selectorText(src.metric.selector)})`,
          status: { type: 'External', external: { metric: src.metric, current } },
          timestamp: got.value.timestamp,
        };
      }
      default:
        return fail('InvalidMetricSourceType', `unknown metric source type "${spec.type}"`);
    }
  }

  /** #setCondition sets a condition, moving lastTransitionTime only when its status changes (upstream's rule). */
  #setCondition(hpa: HorizontalPodAutoscaler, type: string, status: 'True' | 'False', reason: string, message: string): void {
    const st = hpa.status ?? { desiredReplicas: 0 };
    hpa.status = st;
    const conditions = st.conditions ?? [];
    st.conditions = conditions;
    let c: HorizontalPodAutoscalerCondition | undefined = conditions.find((x) => x.type === type);
    if (!c) {
      c = { type, status: 'Unknown' };
      conditions.push(c);
    }
    if (c.status !== status) c.lastTransitionTime = formatTimestamp(this.#now());
    c.status = status;
    c.reason = reason;
    c.message = message;
  }
}

function setMetrics(status: HorizontalPodAutoscalerStatus, statuses: MetricStatus[] | undefined): void {
  if (statuses && statuses.length > 0) status.currentMetrics = statuses;
  else delete status.currentMetrics;
}

function selectorOf(metric: MetricIdentifier): Result<LabelSelector> {
  try {
    return { ok: true, value: labelSelectorFromObject(metric.selector ?? undefined) };
  } catch (err) {
    return { ok: false, error: `invalid metric selector: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** selectorText renders a metric selector in the place upstream prints Go's `%+v` of it. */
function selectorText(sel: LabelSelectorObject | null | undefined): string {
  if (!sel) return 'nil';
  const labels = Object.entries(sel.matchLabels ?? {})
    .map(([k, v]) => `${k}: ${v},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{},}`;
}

/** HorizontalControllerOptions tune newHorizontalController beyond the context's settings (tests). */
export interface HorizontalControllerOptions {
  readonly api?: AutoscalerApi;
  readonly metrics?: MetricsClient;
}

/** newHorizontalController builds the HPA controller with its informers and handlers. */
export function newHorizontalController(ctx: ControllerContext, options: HorizontalControllerOptions = {}): Controller {
  const hpas = ctx.informers.informerFor<HorizontalPodAutoscaler>(HPAS);
  const pods: SharedInformer<KubeObject & PodInfo> = ctx.informers.informerFor<KubeObject & PodInfo>(PODS);
  const now = (): number => ctx.clock.now();
  const resolver = new ResourceResolver({ client: ctx.client, clock: ctx.clock });
  const events = new EventRecorder({ client: ctx.client, component: 'horizontal-pod-autoscaler', clock: ctx.clock, log: ctx.log });
  const metrics = options.metrics ?? new RestMetricsClient({ client: ctx.client, resolver });
  const settings = ctx.settings;
  const calculator = new ReplicaCalculator({
    metrics,
    now,
    pods: (namespace, selector) => pods.store.byIndex(NAMESPACE_INDEX, namespace).filter((p) => selector.matches(p.metadata?.labels)),
    tolerance: settings.horizontalPodAutoscalerTolerance,
    cpuInitializationPeriodMs: settings.horizontalPodAutoscalerCpuInitializationPeriodMs,
    initialReadinessDelayMs: settings.horizontalPodAutoscalerInitialReadinessDelayMs,
  });
  const normalizer = new Normalizer({ now, downscaleStabilizationMs: settings.horizontalPodAutoscalerDownscaleStabilizationMs });
  const controller = new Controller({
    name: 'horizontalpodautoscaling',
    reconciler: new HorizontalReconciler({
      hpa: (key) => hpas.store.get(key),
      api: options.api ?? new RestAutoscalerApi({ client: ctx.client, resolver, events }),
      calculator,
      normalizer,
      now,
      log: ctx.log,
      syncPeriodMs: settings.horizontalPodAutoscalerSyncPeriodMs,
    }),
    clock: ctx.clock,
    log: ctx.log,
    // Upstream's --concurrent-horizontal-pod-autoscaler-syncs.
    workers: 5,
  });
  hpas.addEventHandler({
    onAdd: (h) => controller.enqueue(metaNamespaceKey(h)),
    // Our own status writes come back as updates: only a spec change (a new generation) is worth an early look.
    onUpdate: (old, h) => {
      if (old.metadata?.generation !== h.metadata?.generation) controller.enqueue(metaNamespaceKey(h));
    },
    onDelete: (h) => controller.enqueue(metaNamespaceKey(h)),
  });
  return controller;
}

/** HORIZONTAL_POD_AUTOSCALER_CONTROLLER is the table row of the HPA controller (upstream's name). */
export const HORIZONTAL_POD_AUTOSCALER_CONTROLLER: ControllerDescriptor = {
  name: 'horizontalpodautoscaling',
  enabledByDefault: true,
  create: (ctx) => newHorizontalController(ctx),
};
