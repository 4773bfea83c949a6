/**
 * The seam between whatever collects custom and external metrics and the API server that serves them
 * (`custom.metrics.k8s.io/v1beta2`, `external.metrics.k8s.io/v1beta1`). Upstream puts a metrics adapter behind an
 * APIService; here the collector runs in the server process and the API server asks it through this interface
 * (boot/ wires one to the other), so neither side imports the other.
 *
 * Contract: every method answers from memory, synchronously and cheaply (they run on the request path).
 * `undefined` means "this metric is unknown here" (the API answers 404); an empty list means the metric is known
 * but nothing matched the selector.
 */
import type { LabelSelector } from '../meta/labels.js';

/** MetricPoint is one value of a series (or of a sum of series) at a time. */
export interface MetricPoint {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** When the value was observed (ms since the epoch). */
  readonly timestampMs: number;
  /** For rates: the window the value was computed over. */
  readonly windowSeconds?: number;
}

/** PodMetricPoint is a pod's value of a metric. */
export interface PodMetricPoint extends MetricPoint {
  readonly podName: string;
}

/** PodMetricsQuery asks for a metric of the pods of a namespace. */
export interface PodMetricsQuery {
  readonly namespace: string;
  readonly metric: string;
  /** Selects pods by their labels (`labelSelector`). */
  readonly podSelector: LabelSelector;
  /** Selects the metric's series by their labels (`metricLabelSelector`). */
  readonly metricSelector: LabelSelector;
  /** Only this pod. */
  readonly podName?: string;
}

/** ObjectMetricQuery asks for a metric describing one object (`/namespaces/NS/<resource>/<name>/<metric>`). */
export interface ObjectMetricQuery {
  readonly namespace: string;
  /** Plural resource name, e.g. "services". */
  readonly resource: string;
  readonly name: string;
  readonly metric: string;
  readonly metricSelector: LabelSelector;
}

/** ExternalMetricsQuery asks for an external metric of a namespace. */
export interface ExternalMetricsQuery {
  readonly namespace: string;
  readonly metric: string;
  /** Matched against each series' labels (`labelSelector`). */
  readonly selector: LabelSelector;
}

/** CustomMetricName is one entry of custom metrics discovery: `<resource>/<metric>`. */
export interface CustomMetricName {
  readonly resource: string;
  readonly metric: string;
}

/** CustomMetricsProvider answers the custom and external metrics APIs. */
export interface CustomMetricsProvider {
  /** The metrics that currently have values, per described resource (for discovery). */
  listCustomMetrics(): readonly CustomMetricName[];
  /** The external metric names that currently have values (for discovery). */
  listExternalMetrics(): readonly string[];
  podMetrics(query: PodMetricsQuery): readonly PodMetricPoint[] | undefined;
  objectMetric(query: ObjectMetricQuery): MetricPoint | undefined;
  externalMetrics(query: ExternalMetricsQuery): readonly MetricPoint[] | undefined;
  /** Calls `listener` whenever the lists above may have changed. */
  onMetricsChanged(listener: () => void): void;
}
