/**
 * CustomMetricsHandler serves the two metrics APIs the HPA reads for non-resource metrics, in upstream's shapes:
 *
 *   GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/NS/pods/*\/METRIC?labelSelector=…&metricLabelSelector=…
 *   GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/NS/<resource>/<name>/METRIC      (object metrics)
 *     → MetricValueList {items: [{describedObject, metric: {name, selector}, timestamp, windowSeconds?, value}]}
 *   GET /apis/external.metrics.k8s.io/v1beta1/namespaces/NS/METRIC?labelSelector=…
 *     → ExternalMetricValueList {items: [{metricName, metricLabels, timestamp, windowSeconds?, value}]}
 *
 * Values are Quantity strings. The answers come from a CustomMetricsProvider (the collector, wired by boot/
 * through `setProvider`); until one is set the groups answer 503. An unknown metric is a 404 Status naming it; a bad
 * selector a 400; other verbs 405. Every other request goes to `next`.
 */
import { type CustomMetricsProvider, type MetricPoint } from '../../api/custommetrics/custom-metrics-provider.js';
import { formatMetricQuantity } from '../../api/custommetrics/metric-quantity.js';
import { EVERYTHING_SELECTOR, parseLabelSelector, type LabelSelector, type LabelSelectorObject } from '../../api/meta/labels.js';
import { badRequest, methodNotAllowed, newStatus, StatusError } from '../../api/meta/status-error.js';
import { BUILTIN_RESOURCES, groupVersionOf } from '../../api/scheme.js';
import { writeJson } from '../negotiation/write.js';
import type { RequestScope, ResourceHandler } from '../request/request-scope.js';

export const CUSTOM_METRICS_GROUP = 'custom.metrics.k8s.io';
export const CUSTOM_METRICS_VERSION = 'v1beta2';
export const EXTERNAL_METRICS_GROUP = 'external.metrics.k8s.io';
export const EXTERNAL_METRICS_VERSION = 'v1beta1';

/** MetricValue is one item of a custom.metrics.k8s.io/v1beta2 MetricValueList. */
export interface MetricValue {
  readonly describedObject: { readonly kind: string; readonly namespace?: string; readonly name: string; readonly apiVersion: string };
  readonly metric: { readonly name: string; readonly selector?: LabelSelectorObject };
  readonly timestamp: string;
  readonly windowSeconds?: number;
  readonly value: string;
}

/** ExternalMetricValue is one item of an external.metrics.k8s.io/v1beta1 ExternalMetricValueList. */
export interface ExternalMetricValue {
  readonly metricName: string;
  readonly metricLabels: Readonly<Record<string, string>>;
  readonly timestamp: string;
  readonly windowSeconds?: number;
  readonly value: string;
}

function notFoundStatus(message: string, group: string, kind: string, name: string): StatusError {
  return new StatusError(newStatus(404, 'NotFound', message, { group, kind, name }));
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseSelector(url: URL, param: string): LabelSelector {
  const text = url.searchParams.get(param);
  if (text === null || text === '') return EVERYTHING_SELECTOR;
  try {
    return parseLabelSelector(text);
  } catch (err) {
    throw badRequest(`invalid ${param} "${text}": ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** selectorObject renders a parsed selector as metav1.LabelSelector (the `metric.selector` upstream echoes). */
function selectorObject(selector: LabelSelector): LabelSelectorObject | undefined {
  if (selector.empty()) return undefined;
  const matchLabels: Record<string, string> = {};
  const matchExpressions: { key: string; operator: string; values?: string[] }[] = [];
  for (const r of selector.requirements) {
    if ((r.operator === '=' || r.operator === '==') && r.values.length === 1) matchLabels[r.key] = r.values[0] ?? '';
    else if (r.operator === 'in' || r.operator === '=' || r.operator === '==') matchExpressions.push({ key: r.key, operator: 'In', values: [...r.values] });
    else if (r.operator === 'notin' || r.operator === '!=') matchExpressions.push({ key: r.key, operator: 'NotIn', values: [...r.values] });
    else if (r.operator === 'exists') matchExpressions.push({ key: r.key, operator: 'Exists' });
    else if (r.operator === '!') matchExpressions.push({ key: r.key, operator: 'DoesNotExist' });
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  } as LabelSelectorObject;
}

/** describedKind finds the kind and API version of a namespaced resource by its plural (core group first). */
function describedKind(resource: string): { kind: string; apiVersion: string } | undefined {
  const info = BUILTIN_RESOURCES.find((r) => r.resource === resource && r.namespaced && r.group === '') ?? BUILTIN_RESOURCES.find((r) => r.resource === resource && r.namespaced);
  return info ? { kind: info.kind, apiVersion: groupVersionOf(info.group, info.version) } : undefined;
}

function quantity(point: MetricPoint): string {
  return formatMetricQuantity(point.value) ?? '0';
}

/** CustomMetricsHandler implements ResourceHandler for custom.metrics.k8s.io and external.metrics.k8s.io. */
export class CustomMetricsHandler implements ResourceHandler {
  readonly #next: ResourceHandler;
  #provider: CustomMetricsProvider | undefined;

  constructor(config: { readonly next: ResourceHandler; readonly provider?: CustomMetricsProvider }) {
    this.#next = config.next;
    this.#provider = config.provider;
  }

  /** setProvider connects the collector (boot/ calls it once the collector runs). */
  setProvider(provider: CustomMetricsProvider): void {
    this.#provider = provider;
  }

  /** provider is the connected provider, if any. */
  get provider(): CustomMetricsProvider | undefined {
    return this.#provider;
  }

  async handle(scope: RequestScope): Promise<void> {
    const { info } = scope;
    const custom = info.apiGroup === CUSTOM_METRICS_GROUP;
    if (!custom && info.apiGroup !== EXTERNAL_METRICS_GROUP) return this.#next.handle(scope);
    const served = custom ? info.apiVersion === CUSTOM_METRICS_VERSION : info.apiVersion === EXTERNAL_METRICS_VERSION;
    if (!served) throw new StatusError(newStatus(404, 'NotFound', 'the server could not find the requested resource'));
    if (info.verb !== 'get' && info.verb !== 'list') throw methodNotAllowed(`the server does not allow this method on the requested resource (${info.verb} is not supported by ${info.apiGroup})`);
    const provider = this.#provider;
    if (!provider) throw new StatusError(newStatus(503, 'ServiceUnavailable', 'the metrics collector is not running yet, please try again later', { retryAfterSeconds: 1 }));
    const body = custom ? this.#custom(scope, provider) : this.#external(scope, provider);
    writeJson(scope.res, 200, body);
  }

  #custom(scope: RequestScope, provider: CustomMetricsProvider): unknown {
    const { info, url } = scope;
    const metric = info.subresource;
    if (info.namespace === '' || metric === '' || info.name === '') {
      throw new StatusError(newStatus(404, 'NotFound', `the server could not find the requested resource: only namespaced metrics (namespaces/NS/<resource>/<name>/<metric>) are served`));
    }
    const described = describedKind(info.resource);
    if (!described) throw notFoundStatus(`the server could not find the metric ${metric} for ${info.resource}: "${info.resource}" is not a namespaced resource`, CUSTOM_METRICS_GROUP, info.resource, metric);
    const metricSelector = parseSelector(url, 'metricLabelSelector');
    const selector = selectorObject(metricSelector);
    const item = (name: string, point: MetricPoint): MetricValue => ({
      describedObject: { kind: described.kind, namespace: info.namespace, name, apiVersion: described.apiVersion },
      metric: { name: metric, ...(selector ? { selector } : {}) },
      timestamp: rfc3339(point.timestampMs),
      ...(point.windowSeconds !== undefined ? { windowSeconds: point.windowSeconds } : {}),
      value: quantity(point),
    });
    const list = (items: MetricValue[]) => ({ kind: 'MetricValueList', apiVersion: `${CUSTOM_METRICS_GROUP}/${CUSTOM_METRICS_VERSION}`, metadata: {}, items });
    if (info.name === '*') {
      if (info.resource !== 'pods') {
        throw notFoundStatus(`the server could not find the metric ${metric} for ${info.resource}: only pods can be selected with "*"`, CUSTOM_METRICS_GROUP, info.resource, metric);
      }
      const points = provider.podMetrics({ namespace: info.namespace, metric, podSelector: parseSelector(url, 'labelSelector'), metricSelector });
      if (points === undefined) throw notFoundStatus(`the server could not find the metric ${metric} for pods in namespace ${info.namespace}`, CUSTOM_METRICS_GROUP, 'pods', metric);
      return list(points.map((p) => item(p.podName, p)));
    }
    const point = provider.objectMetric({ namespace: info.namespace, resource: info.resource, name: info.name, metric, metricSelector });
    if (point === undefined) {
      throw notFoundStatus(`the server could not find the metric ${metric} for ${info.resource} ${info.name} in namespace ${info.namespace}`, CUSTOM_METRICS_GROUP, info.resource, info.name);
    }
    return list([item(info.name, point)]);
  }

  #external(scope: RequestScope, provider: CustomMetricsProvider): unknown {
    const { info, url } = scope;
    // `/namespaces/NS/METRIC` resolves to resource=METRIC without a name; anything longer names no metric.
    if (info.namespace === '' || info.resource === '' || info.name !== '') {
      throw new StatusError(newStatus(404, 'NotFound', 'the server could not find the requested resource: external metrics are served at namespaces/NS/<metric>'));
    }
    const metric = info.resource;
    const points = provider.externalMetrics({ namespace: info.namespace, metric, selector: parseSelector(url, 'labelSelector') });
    if (points === undefined) throw notFoundStatus(`the server could not find the external metric ${metric} in namespace ${info.namespace}`, EXTERNAL_METRICS_GROUP, 'externalmetrics', metric);
    const items: ExternalMetricValue[] = points.map((p) => ({
      metricName: metric,
      metricLabels: p.labels,
      timestamp: rfc3339(p.timestampMs),
      ...(p.windowSeconds !== undefined ? { windowSeconds: p.windowSeconds } : {}),
      value: quantity(p),
    }));
    return { kind: 'ExternalMetricValueList', apiVersion: `${EXTERNAL_METRICS_GROUP}/${EXTERNAL_METRICS_VERSION}`, metadata: {}, items };
  }
}
