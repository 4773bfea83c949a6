/**
 * MetricsClient: what the HPA reads from the three metrics APIs (upstream's MetricsClient). Values are milli-units.
 * Every call resolves to a Result: a metrics API that is missing or answers nothing useful is an expected outcome
 * (the HPA reports it in its ScalingActive condition), never an exception.
 */
import type { LabelSelector } from '../../../api/meta/labels.js';
import type { CrossVersionObjectReference, Result } from '../types.js';

/** PodMetric is one pod's sample: its value, when it was taken and over which window. */
export interface PodMetric {
  /** milli-units (CPU: millicores; memory: milli-bytes; custom: milli of the metric). */
  readonly value: number;
  /** ms since the epoch. */
  readonly timestamp: number;
  /** The sample window in ms. */
  readonly windowMs: number;
}

/** PodMetricsInfo maps pod names to their sample. */
export type PodMetricsInfo = Map<string, PodMetric>;

/** ObjectMetric is one object's metric value. */
export interface ObjectMetric {
  readonly value: number;
  readonly timestamp: number;
}

/** ExternalMetric is the values of every series an external metric selector matched. */
export interface ExternalMetric {
  readonly values: readonly number[];
  readonly timestamp: number;
}

/** MetricsClient reads resource, custom and external metrics. */
export interface MetricsClient {
  /**
   * getResourceMetric: per-pod usage of `resource` (cpu, memory) from metrics.k8s.io, summed over the pod's
   * containers, or only `container` when given. Pods lacking the resource in one of their containers are left out.
   */
  getResourceMetric(resource: string, namespace: string, selector: LabelSelector, container?: string): Promise<Result<{ metrics: PodMetricsInfo; timestamp: number }>>;
  /** getRawMetric: a per-pod custom metric (custom.metrics.k8s.io, pods/*). */
  getRawMetric(metricName: string, namespace: string, selector: LabelSelector, metricSelector: LabelSelector): Promise<Result<{ metrics: PodMetricsInfo; timestamp: number }>>;
  /** getObjectMetric: one object's custom metric (custom.metrics.k8s.io, <resource>/<name>). */
  getObjectMetric(metricName: string, namespace: string, object: CrossVersionObjectReference, metricSelector: LabelSelector): Promise<Result<ObjectMetric>>;
  /** getExternalMetric: the series of an external metric (external.metrics.k8s.io). */
  getExternalMetric(metricName: string, namespace: string, metricSelector: LabelSelector): Promise<Result<ExternalMetric>>;
}
