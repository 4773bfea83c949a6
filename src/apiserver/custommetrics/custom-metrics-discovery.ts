/**
 * Discovery entries of the metrics APIs, as upstream's metrics adapters publish them: one per metric that currently
 * has values, `pods/queue_length` (kind MetricValueList) in custom.metrics.k8s.io/v1beta2 and `queue_length` (kind
 * ExternalMetricValueList) in external.metrics.k8s.io/v1beta1, namespaced, verb get. A group with no metric yet
 * is absent from discovery (its URLs still answer: 404 for the unknown metric).
 */
import type { CustomMetricsProvider } from '../../api/custommetrics/custom-metrics-provider.js';
import type { ResourceInfo } from '../../api/scheme.js';
import { CUSTOM_METRICS_GROUP, CUSTOM_METRICS_VERSION, EXTERNAL_METRICS_GROUP, EXTERNAL_METRICS_VERSION } from './custom-metrics-handler.js';

/** customMetricsResources lists the discovery entries of the provider's current metrics. */
export function customMetricsResources(provider: CustomMetricsProvider | undefined): ResourceInfo[] {
  if (!provider) return [];
  const custom = provider.listCustomMetrics().map(
    (m): ResourceInfo => ({
      group: CUSTOM_METRICS_GROUP,
      version: CUSTOM_METRICS_VERSION,
      kind: 'MetricValueList',
      resource: `${m.resource}/${m.metric}`,
      singular: '',
      namespaced: true,
      verbs: ['get'],
    }),
  );
  const external = provider.listExternalMetrics().map(
    (metric): ResourceInfo => ({
      group: EXTERNAL_METRICS_GROUP,
      version: EXTERNAL_METRICS_VERSION,
      kind: 'ExternalMetricValueList',
      resource: metric,
      singular: '',
      namespaced: true,
      verbs: ['get'],
    }),
  );
  return [...custom, ...external];
}
