/**
 * FakeMetricsClient: a MetricsClient whose answers tests set (a value per pod, per object, per external metric),
 * or a failure to report. It is a test double shipped next to the interface, like FakeClock.
 */
import type { LabelSelector } from '../../../api/meta/labels.js';
import { failed, ok, type CrossVersionObjectReference, type Result } from '../types.js';
import type { ExternalMetric, MetricsClient, ObjectMetric, PodMetricsInfo } from './metrics-client.js';

/** FakeMetricsClient answers from maps the test fills. */
export class FakeMetricsClient implements MetricsClient {
  /** resource name → pod name → milli value. */
  readonly resource = new Map<string, Map<string, number>>();
  /** custom pods metric name → pod name → milli value. */
  readonly pods = new Map<string, Map<string, number>>();
  /** `Kind/name/metric` → milli value. */
  readonly objects = new Map<string, number>();
  /** external metric name → milli values of its series. */
  readonly external = new Map<string, number[]>();
  /** When set, every call fails with this reason. */
  failure: string | undefined;
  /** The time stamped on samples. */
  timestamp = 0;
  /** The sample window. */
  windowMs = 30_000;
  /** Calls made, for assertions ("getExternalMetric queue"). */
  readonly calls: string[] = [];

  #podInfo(values: Map<string, number> | undefined): PodMetricsInfo {
    const out: PodMetricsInfo = new Map();
    for (const [name, value] of values ?? []) out.set(name, { value, timestamp: this.timestamp, windowMs: this.windowMs });
    return out;
  }

  getResourceMetric(resource: string): Promise<Result<{ metrics: PodMetricsInfo; timestamp: number }>> {
    this.calls.push(`getResourceMetric ${resource}`);
    if (this.failure !== undefined) return Promise.resolve(failed(this.failure));
    const metrics = this.#podInfo(this.resource.get(resource));
    if (metrics.size === 0) return Promise.resolve(failed('no metrics returned from resource metrics API'));
    return Promise.resolve(ok({ metrics, timestamp: this.timestamp }));
  }

  getRawMetric(metricName: string, _namespace: string, _selector: LabelSelector): Promise<Result<{ metrics: PodMetricsInfo; timestamp: number }>> {
    this.calls.push(`getRawMetric ${metricName}`);
    if (this.failure !== undefined) return Promise.resolve(failed(this.failure));
    const metrics = this.#podInfo(this.pods.get(metricName));
    if (metrics.size === 0) return Promise.resolve(failed('no metrics returned from custom metrics API'));
    return Promise.resolve(ok({ metrics, timestamp: this.timestamp }));
  }

  getObjectMetric(metricName: string, _namespace: string, object: CrossVersionObjectReference): Promise<Result<ObjectMetric>> {
    this.calls.push(`getObjectMetric ${metricName}`);
    if (this.failure !== undefined) return Promise.resolve(failed(this.failure));
    const value = this.objects.get(`${object.kind}/${object.name}/${metricName}`);
    if (value === undefined) return Promise.resolve(failed('no metrics returned from custom metrics API'));
    return Promise.resolve(ok({ value, timestamp: this.timestamp }));
  }

  getExternalMetric(metricName: string): Promise<Result<ExternalMetric>> {
    this.calls.push(`getExternalMetric ${metricName}`);
    if (this.failure !== undefined) return Promise.resolve(failed(this.failure));
    const values = this.external.get(metricName);
    if (!values || values.length === 0) return Promise.resolve(failed('no metrics returned from external metrics API'));
    return Promise.resolve(ok({ values, timestamp: this.timestamp }));
  }
}
