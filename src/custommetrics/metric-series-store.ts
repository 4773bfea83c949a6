/**
 * MetricSeriesStore: the latest scraped series of every origin (a pod or an ExternalMetricSource), and the
 * answers of the custom and external metrics APIs computed from them (it implements CustomMetricsProvider).
 *
 * Mapping (docs/metrics.md, "Custom and external metrics"):
 * - pods/<m>: a pod's value is the sum of its own series named <m> (after `metricLabelSelector`); pods are
 *   selected by their labels.
 * - <resource>/<name>/<m> (object metrics): the sum of the series named <m>, from any origin in the namespace,
 *   whose label `<kind in lower case>` (service, deployment, statefulset, …; OBJECT_LABELS) equals <name>; for a
 *   Service without such series, the sum over the pods its selector picks; for a pod, its own value.
 * - external <m>: every series named <m> of the namespace's ExternalMetricSources whose labels match
 *   `labelSelector`, one item each. Pod series are not external metrics (replicas exposing the same queue length
 *   would count it once per replica).
 * An origin whose last good scrape is older than its stale age serves nothing, so a dead endpoint stops driving
 * scaling instead of freezing its last value.
 */
import type {
  CustomMetricName,
  CustomMetricsProvider,
  ExternalMetricsQuery,
  MetricPoint,
  ObjectMetricQuery,
  PodMetricPoint,
  PodMetricsQuery,
} from '../api/custommetrics/custom-metrics-provider.js';
import { selectorFromSet, type LabelSelector } from '../api/meta/labels.js';
import type { Clock } from '../base/clock/clock.js';

/** SeriesValue is one stored series. */
export interface SeriesValue {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** For rates derived from counters. */
  readonly windowSeconds?: number;
}

/** Origin is where a set of series came from. */
export interface Origin {
  readonly kind: 'pod' | 'source';
  readonly namespace: string;
  readonly name: string;
  /** The pod's labels (pods only), for `labelSelector`. */
  readonly podLabels?: Readonly<Record<string, string>>;
  readonly series: readonly SeriesValue[];
  /** When these series were scraped. */
  readonly scrapedAtMs: number;
  /** Past scrapedAtMs + staleAfterMs the series are not served. */
  readonly staleAfterMs: number;
}

/** ServiceSelectorLookup gives a Service's `spec.selector`, or undefined when it does not exist or selects nothing. */
export type ServiceSelectorLookup = (namespace: string, name: string) => Readonly<Record<string, string>> | undefined;

/**
 * OBJECT_LABELS maps plural resource names to the series label that names such an object (kube-state-metrics'
 * and most exporters' convention: `service="web"`, `deployment="web"`).
 */
export const OBJECT_LABELS: Readonly<Record<string, string>> = {
  services: 'service',
  deployments: 'deployment',
  statefulsets: 'statefulset',
  replicasets: 'replicaset',
  daemonsets: 'daemonset',
  jobs: 'job',
  ingresses: 'ingress',
  replicationcontrollers: 'replicationcontroller',
};

function originKey(kind: Origin['kind'], namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** MetricSeriesStore holds series by origin and answers metric queries. */
export class MetricSeriesStore implements CustomMetricsProvider {
  readonly #clock: Clock;
  readonly #services: ServiceSelectorLookup;
  readonly #origins = new Map<string, Origin>();
  readonly #listeners: (() => void)[] = [];
  #signature = '';

  constructor(config: { readonly clock: Clock; readonly services?: ServiceSelectorLookup }) {
    this.#clock = config.clock;
    this.#services = config.services ?? (() => undefined);
  }

  /** set replaces an origin's series. */
  set(origin: Origin): void {
    this.#origins.set(originKey(origin.kind, origin.namespace, origin.name), origin);
    this.#maybeChanged();
  }

  /** setPodLabels updates a scraped pod's labels without touching its series. */
  setPodLabels(namespace: string, name: string, labels: Readonly<Record<string, string>>): void {
    const key = originKey('pod', namespace, name);
    const origin = this.#origins.get(key);
    if (origin) this.#origins.set(key, { ...origin, podLabels: labels });
  }

  /** delete forgets an origin. */
  delete(kind: Origin['kind'], namespace: string, name: string): void {
    if (this.#origins.delete(originKey(kind, namespace, name))) this.#maybeChanged();
  }

  /** origin returns an origin as stored (fresh or not). */
  origin(kind: Origin['kind'], namespace: string, name: string): Origin | undefined {
    return this.#origins.get(originKey(kind, namespace, name));
  }

  onMetricsChanged(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** #fresh lists the origins whose series may be served now. */
  #fresh(namespace: string | undefined, kind?: Origin['kind']): Origin[] {
    const now = this.#clock.now();
    const out: Origin[] = [];
    for (const o of this.#origins.values()) {
      if (namespace !== undefined && o.namespace !== namespace) continue;
      if (kind !== undefined && o.kind !== kind) continue;
      if (now - o.scrapedAtMs > o.staleAfterMs) continue;
      out.push(o);
    }
    return out;
  }

  listCustomMetrics(): readonly CustomMetricName[] {
    const names = new Set<string>();
    for (const o of this.#fresh(undefined)) {
      for (const s of o.series) {
        if (o.kind === 'pod') {
          names.add(`pods/${s.name}`);
          names.add(`services/${s.name}`);
        }
        for (const [resource, label] of Object.entries(OBJECT_LABELS)) {
          if (s.labels[label] !== undefined) names.add(`${resource}/${s.name}`);
        }
      }
    }
    return [...names].sort().map((n) => {
      const slash = n.indexOf('/');
      return { resource: n.slice(0, slash), metric: n.slice(slash + 1) };
    });
  }

  listExternalMetrics(): readonly string[] {
    const names = new Set<string>();
    for (const o of this.#fresh(undefined, 'source')) for (const s of o.series) names.add(s.name);
    return [...names].sort();
  }

  podMetrics(query: PodMetricsQuery): readonly PodMetricPoint[] | undefined {
    const pods = this.#fresh(query.namespace, 'pod');
    if (!pods.some((o) => o.series.some((s) => s.name === query.metric))) return undefined;
    const out: PodMetricPoint[] = [];
    for (const o of pods) {
      if (query.podName !== undefined && o.name !== query.podName) continue;
      if (!query.podSelector.matches(o.podLabels ?? {})) continue;
      const point = sumOf([o], query.metric, query.metricSelector);
      if (point) out.push({ ...point, podName: o.name });
    }
    return out.sort((a, b) => (a.podName < b.podName ? -1 : a.podName > b.podName ? 1 : 0));
  }

  objectMetric(query: ObjectMetricQuery): MetricPoint | undefined {
    if (query.resource === 'pods') {
      const [point] = this.podMetrics({ ...query, podName: query.name, podSelector: selectorFromSet({}) }) ?? [];
      return point;
    }
    const origins = this.#fresh(query.namespace);
    const label = OBJECT_LABELS[query.resource];
    if (label !== undefined) {
      const named = sumOf(origins, query.metric, query.metricSelector, (s) => s.labels[label] === query.name);
      if (named) return named;
    }
    if (query.resource === 'services') {
      const selector = this.#services(query.namespace, query.name);
      if (selector === undefined || Object.keys(selector).length === 0) return undefined;
      const podSelector = selectorFromSet(selector);
      const pods = origins.filter((o) => o.kind === 'pod' && podSelector.matches(o.podLabels ?? {}));
      return sumOf(pods, query.metric, query.metricSelector);
    }
    return undefined;
  }

  externalMetrics(query: ExternalMetricsQuery): readonly MetricPoint[] | undefined {
    const sources = this.#fresh(query.namespace, 'source');
    let known = false;
    const out: MetricPoint[] = [];
    for (const o of sources) {
      for (const s of o.series) {
        if (s.name !== query.metric) continue;
        known = true;
        if (!query.selector.matches(s.labels)) continue;
        out.push({ labels: s.labels, value: s.value, timestampMs: o.scrapedAtMs, ...(s.windowSeconds !== undefined ? { windowSeconds: s.windowSeconds } : {}) });
      }
    }
    return known ? out : undefined;
  }

  /** #maybeChanged tells listeners when the set of served metric names changed. */
  #maybeChanged(): void {
    const signature = JSON.stringify([this.listCustomMetrics(), this.listExternalMetrics()]);
    if (signature === this.#signature) return;
    this.#signature = signature;
    for (const l of this.#listeners) l();
  }
}

/** sumOf adds up the matching series of some origins; undefined when none matched. */
function sumOf(origins: readonly Origin[], metric: string, selector: LabelSelector, extra?: (s: SeriesValue) => boolean): MetricPoint | undefined {
  let total = 0;
  let found = false;
  let timestampMs = 0;
  let windowSeconds: number | undefined;
  for (const o of origins) {
    for (const s of o.series) {
      if (s.name !== metric || !selector.matches(s.labels) || (extra && !extra(s))) continue;
      found = true;
      total += s.value;
      timestampMs = Math.max(timestampMs, o.scrapedAtMs);
      if (s.windowSeconds !== undefined) windowSeconds = Math.max(windowSeconds ?? 0, s.windowSeconds);
    }
  }
  if (!found) return undefined;
  return { labels: {}, value: total, timestampMs, ...(windowSeconds !== undefined ? { windowSeconds } : {}) };
}
