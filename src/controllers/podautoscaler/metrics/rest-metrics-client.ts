/**
 * RestMetricsClient: the MetricsClient over the aggregated metrics APIs, with the same requests upstream's HPA
 * makes:
 *   metrics.k8s.io/v1beta1        GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods?labelSelector=…
 *   custom.metrics.k8s.io/v1beta2 GET …/namespaces/NS/pods/*\/METRIC?labelSelector=…&metricLabelSelector=…
 *                                 GET …/namespaces/NS/<resource>/<name>/METRIC?metricLabelSelector=…
 *   external.metrics.k8s.io/v1beta1 GET …/namespaces/NS/METRIC?labelSelector=…
 * Failures (API not served, 403, no samples) come back as `failed` with upstream's wording.
 */
import type { LabelSelector } from '../../../api/meta/labels.js';
import { parseGoDuration } from '../../../api/protobuf/go-duration.js';
import { ApiError } from '../../../client/api-error.js';
import type { RestClient } from '../../../client/rest-client.js';
import { toMilli } from '../quantity.js';
import type { ResourceResolver } from '../resource-resolver.js';
import { failed, ok, type CrossVersionObjectReference, type Result } from '../types.js';
import type { ExternalMetric, MetricsClient, ObjectMetric, PodMetricsInfo } from './metrics-client.js';

const RESOURCE_API = '/apis/metrics.k8s.io/v1beta1';
const CUSTOM_API = '/apis/custom.metrics.k8s.io/v1beta2';
const EXTERNAL_API = '/apis/external.metrics.k8s.io/v1beta1';

interface PodMetricsDoc {
  items?: { metadata?: { name?: string }; timestamp?: string; window?: string; containers?: { name?: string; usage?: Record<string, unknown> }[] }[];
}

interface MetricValueListDoc {
  items?: { describedObject?: { name?: string }; timestamp?: string; windowSeconds?: number; value?: unknown }[];
}

interface ExternalMetricValueListDoc {
  items?: { timestamp?: string; value?: unknown }[];
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function query(params: Record<string, string>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '') p.set(k, v);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/** message words a failed read as client-go does: a 404 names what was asked for, "(get pods.metrics.k8s.io)". */
function message(err: unknown, what?: string): string {
  const text = err instanceof Error ? err.message : String(err);
  return what !== undefined && err instanceof ApiError && err.code === 404 ? `${text} (get ${what})` : text;
}

function time(ts: string | undefined): number {
  const t = ts ? Date.parse(ts) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** RestMetricsClient reads the metrics APIs through the API server. */
export class RestMetricsClient implements MetricsClient {
  readonly #client: RestClient;
  readonly #resolver: ResourceResolver;

  constructor(config: { client: RestClient; resolver: ResourceResolver }) {
    this.#client = config.client;
    this.#resolver = config.resolver;
  }

  async getResourceMetric(resource: string, namespace: string, selector: LabelSelector, container?: string): Promise<Result<{ metrics: PodMetricsInfo; timestamp: number }>> {
    let doc: PodMetricsDoc;
    try {
      doc = (await this.#client.getPath(`${RESOURCE_API}/namespaces/${enc(namespace)}/pods${query({ labelSelector: selector.toString() })}`)) as PodMetricsDoc;
    } catch (err) {
      return failed(`unable to fetch metrics from resource metrics API: ${message(err, 'pods.metrics.k8s.io')}`);
    }
    const items = doc.items ?? [];
    if (items.length === 0) return failed('no metrics returned from resource metrics API');
    const metrics: PodMetricsInfo = new Map();
    for (const item of items) {
      const name = item.metadata?.name;
      if (!name) continue;
      let sum = 0;
      let missing = false;
      let seen = false;
      for (const c of item.containers ?? []) {
        if (container !== undefined && c.name !== container) continue;
        const v = toMilli(c.usage?.[resource]);
        if (v === undefined) {
          missing = true;
          break;
        }
        sum += v;
        seen = true;
      }
      // Upstream leaves out a pod with a container lacking the resource (or lacking the named container).
      if (missing || !seen) continue;
      const windowNs = parseGoDuration(item.window ?? '') ?? 0;
      metrics.set(name, { value: sum, timestamp: time(item.timestamp), windowMs: windowNs / 1e6 });
    }
    const first = items[0];
    return ok({ metrics, timestamp: time(first?.timestamp) });
  }

  async getRawMetric(metricName: string, namespace: string, selector: LabelSelector, metricSelector: LabelSelector): Promise<Result<{ metrics: PodMetricsInfo; timestamp: number }>> {
    let doc: MetricValueListDoc;
    const q = query({ labelSelector: selector.toString(), metricLabelSelector: metricSelector.toString() });
    try {
      doc = (await this.#client.getPath(`${CUSTOM_API}/namespaces/${enc(namespace)}/pods/*/${enc(metricName)}${q}`)) as MetricValueListDoc;
    } catch (err) {
      return failed(`unable to fetch metrics from custom metrics API: ${message(err)}`);
    }
    const items = doc.items ?? [];
    if (items.length === 0) return failed('no metrics returned from custom metrics API');
    const metrics: PodMetricsInfo = new Map();
    for (const item of items) {
      const name = item.describedObject?.name;
      const value = toMilli(item.value);
      if (!name || value === undefined) continue;
      metrics.set(name, { value, timestamp: time(item.timestamp), windowMs: (item.windowSeconds ?? 0) * 1000 });
    }
    return ok({ metrics, timestamp: time(items[0]?.timestamp) });
  }

  async getObjectMetric(metricName: string, namespace: string, object: CrossVersionObjectReference, metricSelector: LabelSelector): Promise<Result<ObjectMetric>> {
    let path: string;
    const q = query({ metricLabelSelector: metricSelector.toString() });
    if (object.kind === 'Namespace' && (object.apiVersion ?? 'v1') === 'v1') {
      // Metrics about a namespace itself live at the root-scoped "metrics" path (upstream's special case).
      path = `${CUSTOM_API}/namespaces/${enc(object.name)}/metrics/${enc(metricName)}${q}`;
    } else {
      const resolved = await this.#resolver.resolve(object.apiVersion ?? 'v1', object.kind);
      if (!resolved.ok) return failed(`unable to map kind ${object.kind} to a resource: ${resolved.error}`);
      const { group, resource } = resolved.value;
      const gr = group === '' ? resource : `${resource}.${group}`;
      path = `${CUSTOM_API}/namespaces/${enc(namespace)}/${enc(gr)}/${enc(object.name)}/${enc(metricName)}${q}`;
    }
    let doc: MetricValueListDoc;
    try {
      doc = (await this.#client.getPath(path)) as MetricValueListDoc;
    } catch (err) {
      return failed(`unable to fetch metrics from custom metrics API: ${message(err)}`);
    }
    const item = (doc.items ?? [])[0];
    const value = toMilli(item?.value);
    if (!item || value === undefined) return failed('no metrics returned from custom metrics API');
    return ok({ value, timestamp: time(item.timestamp) });
  }

  async getExternalMetric(metricName: string, namespace: string, metricSelector: LabelSelector): Promise<Result<ExternalMetric>> {
    let doc: ExternalMetricValueListDoc;
    try {
      doc = (await this.#client.getPath(`${EXTERNAL_API}/namespaces/${enc(namespace)}/${enc(metricName)}${query({ labelSelector: metricSelector.toString() })}`)) as ExternalMetricValueListDoc;
    } catch (err) {
      return failed(`unable to fetch metrics from external metrics API: ${message(err, `${metricName}.external.metrics.k8s.io`)}`);
    }
    const items = doc.items ?? [];
    if (items.length === 0) return failed('no metrics returned from external metrics API');
    const values: number[] = [];
    for (const item of items) {
      const v = toMilli(item.value);
      if (v !== undefined) values.push(v);
    }
    return ok({ values, timestamp: time(items[0]?.timestamp) });
  }
}
