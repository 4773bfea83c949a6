/**
 * MetricCollector scrapes metrics endpoints on a schedule and keeps their latest series in a MetricSeriesStore:
 *
 * - pods that opt in with annotations (`prometheus.io/scrape: "true"`, `prometheus.io/port` (default: the first
 *   declared containerPort), `prometheus.io/path` (default `/metrics`), `prometheus.io/scheme` (http|https)) once
 *   they are Running with an IP, every `defaultIntervalMs`;
 * - ExternalMetricSource objects at `spec.url`, every `spec.intervalSeconds` (default `defaultIntervalMs`), with
 *   their result written back to `status` (lastScrapeTime, lastSuccessTime, lastError, values).
 *
 * It is fed object events (podChanged/podDeleted, sourceChanged/sourceDeleted) by whoever watches the API (boot/
 * connects shared informers), and time comes from the injected Clock, so tests drive it with a FakeClock and a fake
 * MetricsFetcher. Each target scrapes at most once at a time; a changed target (new IP, port, URL, spec) is
 * restarted, a removed one forgotten along with its series.
 *
 * Counters (`# TYPE x counter`, or a name ending in `_total`) also yield a rate series `<name without _total>
 * _per_second` from the last two scrapes (a drop counts as a counter reset), so "requests per second" can drive
 * scaling without a query language.
 */
import type { KubeObject } from '../api/meta/types.js';
import { formatMetricQuantity } from '../api/custommetrics/metric-quantity.js';
import type { Clock, Timer } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { parseExternalMetricSource, type ExternalMetricSourceSpec } from './external-metric-source.js';
import { numberOf, valueAtPath } from './json-value-path.js';
import type { FetchResult, MetricsFetcher } from './metrics-fetcher.js';
import type { MetricSeriesStore, SeriesValue } from './metric-series-store.js';
import { parsePrometheusText, type Sample } from './prometheus-text-parser.js';

/** Annotations by which a pod opts in to scraping (the widespread Prometheus convention). */
export const SCRAPE_ANNOTATION = 'prometheus.io/scrape';
export const PORT_ANNOTATION = 'prometheus.io/port';
export const PATH_ANNOTATION = 'prometheus.io/path';
export const SCHEME_ANNOTATION = 'prometheus.io/scheme';

/** DEFAULT_SCRAPE_INTERVAL_MS is `--metrics-scrape-interval`'s default. */
export const DEFAULT_SCRAPE_INTERVAL_MS = 15_000;
/** MAX_TIMEOUT_MS caps the default per-scrape timeout. */
const MAX_TIMEOUT_MS = 10_000;
/** Series are served for this many intervals after their last good scrape. */
const STALE_INTERVALS = 3;
/** An unchanged ExternalMetricSource status is rewritten (for lastScrapeTime) at most this often. */
const STATUS_REFRESH_MS = 60_000;

/** ExternalMetricSourceStatus is what the collector writes to an ExternalMetricSource's status. */
export interface ExternalMetricSourceStatus {
  readonly lastScrapeTime: string;
  readonly lastSuccessTime?: string;
  /** null clears a previous error (merge patch). */
  readonly lastError: string | null;
  readonly values: readonly { readonly name: string; readonly labels?: Readonly<Record<string, string>>; readonly value: string }[];
}

/** SourceStatusWriter stores a status; it may reject (the collector logs and carries on). */
export type SourceStatusWriter = (namespace: string, name: string, status: ExternalMetricSourceStatus) => Promise<void>;

/** MetricCollectorConfig constructs a MetricCollector. */
export interface MetricCollectorConfig {
  readonly clock: Clock;
  readonly fetch: MetricsFetcher;
  readonly store: MetricSeriesStore;
  /** `--metrics-scrape-interval`. @default DEFAULT_SCRAPE_INTERVAL_MS */
  readonly defaultIntervalMs?: number;
  /** Without it ExternalMetricSource status is not written. */
  readonly writeSourceStatus?: SourceStatusWriter;
  readonly log: Logger;
}

/** TargetSpec is what defines one scrape; a different fingerprint restarts the target. */
interface TargetSpec {
  readonly kind: 'pod' | 'source';
  readonly namespace: string;
  readonly name: string;
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** ExternalMetricSources only. */
  readonly source?: ExternalMetricSourceSpec;
  readonly fingerprint: string;
}

interface Target {
  readonly spec: TargetSpec;
  readonly abort: AbortController;
  timer?: Timer;
  stopped: boolean;
  /** Counter values of the last good scrape, by series identity, for rates. */
  counters: Map<string, { value: number; atMs: number }>;
}

interface WrittenStatus {
  readonly signature: string;
  readonly atMs: number;
}

function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** MetricCollector schedules scrapes and stores their series. */
export class MetricCollector {
  readonly #config: MetricCollectorConfig;
  readonly #clock: Clock;
  readonly #defaultIntervalMs: number;
  readonly #targets = new Map<string, Target>();
  readonly #podLabels = new Map<string, Readonly<Record<string, string>>>();
  readonly #written = new Map<string, WrittenStatus>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(config: MetricCollectorConfig) {
    this.#config = config;
    this.#clock = config.clock;
    this.#defaultIntervalMs = config.defaultIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
  }

  /** podChanged (re)considers a pod: scraped when it opts in and is Running with an IP, else forgotten. */
  podChanged(pod: KubeObject): void {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const key = keyOf('pod', namespace, name);
    const spec = this.#podTarget(pod);
    if (!spec) {
      this.podDeleted(pod);
      return;
    }
    const labels = { ...(pod.metadata?.labels ?? {}) };
    this.#podLabels.set(key, labels);
    this.#config.store.setPodLabels(namespace, name, labels);
    this.#ensure(key, spec);
  }

  podDeleted(pod: KubeObject): void {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const key = keyOf('pod', namespace, name);
    this.#podLabels.delete(key);
    this.#remove(key);
    this.#config.store.delete('pod', namespace, name);
  }

  /** sourceChanged (re)starts an ExternalMetricSource's scrapes; an invalid spec is reported in its status. */
  sourceChanged(obj: KubeObject): void {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const key = keyOf('source', namespace, name);
    const parsed = parseExternalMetricSource(obj);
    if ('problems' in parsed) {
      this.#remove(key);
      this.#config.store.delete('source', namespace, name);
      // Deduplicated like every status write: our own write comes back as an update event of this object.
      void this.#reportStatus(namespace, name, { lastScrapeTime: isoTime(this.#clock.now()), lastError: `invalid spec: ${parsed.problems.join('; ')}`, values: [] });
      return;
    }
    const intervalMs = parsed.spec.intervalMs ?? this.#defaultIntervalMs;
    const spec: TargetSpec = {
      kind: 'source',
      namespace,
      name,
      url: parsed.spec.url,
      intervalMs,
      timeoutMs: parsed.spec.timeoutMs ?? Math.min(MAX_TIMEOUT_MS, intervalMs),
      source: parsed.spec,
      fingerprint: JSON.stringify(parsed.spec),
    };
    this.#ensure(key, spec);
  }

  sourceDeleted(obj: KubeObject): void {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const key = keyOf('source', namespace, name);
    this.#remove(key);
    this.#written.delete(key);
    this.#config.store.delete('source', namespace, name);
  }

  /** targets lists the URLs being scraped, by origin key (for tests and debugging). */
  targets(): ReadonlyMap<string, string> {
    return new Map([...this.#targets].map(([k, t]) => [k, t.spec.url]));
  }

  /** settled resolves once no scrape is in flight (tests advance a FakeClock, then await this). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** stop cancels every timer and in-flight scrape; nothing is scraped afterwards. */
  stop(): void {
    this.#stopped = true;
    for (const key of [...this.#targets.keys()]) this.#remove(key);
  }

  #podTarget(pod: KubeObject): TargetSpec | undefined {
    const annotations = pod.metadata?.annotations ?? {};
    if (annotations[SCRAPE_ANNOTATION] !== 'true') return undefined;
    if (pod.metadata?.deletionTimestamp) return undefined;
    const status = (pod.status ?? {}) as { phase?: string; podIP?: string };
    if (status.phase !== 'Running' || !status.podIP) return undefined;
    const port = Number(annotations[PORT_ANNOTATION] ?? firstContainerPort(pod));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
    const path = annotations[PATH_ANNOTATION] ?? '/metrics';
    const scheme = annotations[SCHEME_ANNOTATION] === 'https' ? 'https' : 'http';
    const host = status.podIP.includes(':') ? `[${status.podIP}]` : status.podIP;
    const url = `${scheme}://${host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
    const intervalMs = this.#defaultIntervalMs;
    return {
      kind: 'pod',
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      url,
      intervalMs,
      timeoutMs: Math.min(MAX_TIMEOUT_MS, intervalMs),
      fingerprint: url,
    };
  }

  #ensure(key: string, spec: TargetSpec): void {
    if (this.#stopped) return;
    const existing = this.#targets.get(key);
    if (existing && existing.spec.fingerprint === spec.fingerprint) return;
    if (existing) this.#remove(key);
    const target: Target = { spec, abort: new AbortController(), stopped: false, counters: new Map() };
    this.#targets.set(key, target);
    this.#schedule(target, 0);
  }

  #remove(key: string): void {
    const target = this.#targets.get(key);
    if (!target) return;
    target.stopped = true;
    target.timer?.cancel();
    target.abort.abort();
    this.#targets.delete(key);
  }

  #schedule(target: Target, delayMs: number): void {
    target.timer = this.#clock.setTimer(delayMs, () => {
      if (target.stopped) return;
      const run = this.#scrape(target).finally(() => this.#inFlight.delete(run));
      this.#inFlight.add(run);
    });
  }

  async #scrape(target: Target): Promise<void> {
    const { spec } = target;
    const started = this.#clock.now();
    let result: FetchResult;
    try {
      result = await this.#config.fetch(spec.url, { timeoutMs: spec.timeoutMs, signal: target.abort.signal });
    } catch (err) {
      result = { error: err instanceof Error ? err.message : String(err) };
    }
    if (target.stopped) return;
    const now = this.#clock.now();
    const extracted = 'error' in result ? result : this.#extract(target, result, now);
    if ('error' in extracted) {
      this.#config.log.debug('Cannot scrape metrics', { target: keyOf(spec.kind, spec.namespace, spec.name), url: spec.url, error: extracted.error });
    } else {
      this.#config.store.set({
        kind: spec.kind,
        namespace: spec.namespace,
        name: spec.name,
        ...(spec.kind === 'pod' ? { podLabels: this.#podLabels.get(keyOf('pod', spec.namespace, spec.name)) ?? {} } : {}),
        series: extracted.series,
        scrapedAtMs: now,
        staleAfterMs: STALE_INTERVALS * spec.intervalMs + spec.timeoutMs,
      });
    }
    if (spec.kind === 'source') await this.#reportSource(spec, now, extracted);
    if (target.stopped) return;
    this.#schedule(target, Math.max(0, spec.intervalMs - (this.#clock.now() - started)));
  }

  /** #extract turns a response body into the target's series. */
  #extract(target: Target, result: { body: string; contentType: string }, now: number): { series: SeriesValue[] } | { error: string } {
    const source = target.spec.source;
    const wantsJson = source?.metrics.some((m) => 'jsonPath' in m) ?? false;
    if (wantsJson) return extractJson(source?.metrics ?? [], result.body);
    if (/json/i.test(result.contentType) && source !== undefined) return { error: `the body is JSON (${result.contentType}); map its numbers with spec.metrics[].jsonPath` };
    const parsed = parsePrometheusText(result.body);
    if (parsed.samples.length === 0 && parsed.skippedLines.length > 0) return { error: `the body is not in the Prometheus text format (line ${parsed.skippedLines[0] ?? 0})` };
    const series = [...finiteSeries(parsed.samples), ...this.#rates(target, parsed.samples, now)];
    if (source === undefined || source.metrics.length === 0) return { series };
    const mapped: SeriesValue[] = [];
    for (const m of source.metrics) {
      if (!('series' in m)) continue;
      const matchLabels = Object.entries(m.matchLabels);
      for (const s of series) {
        if (s.name !== m.series || !matchLabels.every(([k, v]) => s.labels[k] === v)) continue;
        mapped.push({ ...s, name: m.name, labels: { ...s.labels, ...m.labels } });
      }
    }
    return { series: mapped };
  }

  /** #rates derives `<base>_per_second` series from counters and remembers this scrape's counter values. */
  #rates(target: Target, samples: readonly Sample[], now: number): SeriesValue[] {
    const out: SeriesValue[] = [];
    const next = new Map<string, { value: number; atMs: number }>();
    for (const s of samples) {
      const counter = s.type === 'counter' || (s.type === 'untyped' && s.name.endsWith('_total'));
      if (!counter || !Number.isFinite(s.value)) continue;
      const id = `${s.name}${JSON.stringify(s.labels)}`;
      next.set(id, { value: s.value, atMs: now });
      const prev = target.counters.get(id);
      if (!prev || now <= prev.atMs) continue;
      const seconds = (now - prev.atMs) / 1000;
      // A counter that went down was reset: everything it counts now happened since the last scrape.
      const increase = s.value >= prev.value ? s.value - prev.value : s.value;
      out.push({ name: `${s.name.replace(/_total$/, '')}_per_second`, labels: s.labels, value: increase / seconds, windowSeconds: Math.max(1, Math.round(seconds)) });
    }
    target.counters = next;
    return out;
  }

  /** #reportSource writes an ExternalMetricSource's status when it changed or the last write is old. */
  async #reportSource(spec: TargetSpec, now: number, extracted: { series: SeriesValue[] } | { error: string }): Promise<void> {
    const lastSuccess = this.#config.store.origin('source', spec.namespace, spec.name)?.scrapedAtMs;
    const values =
      'error' in extracted
        ? []
        : extracted.series.map((s) => ({
            name: s.name,
            ...(Object.keys(s.labels).length > 0 ? { labels: s.labels } : {}),
            value: formatMetricQuantity(s.value) ?? '0',
          }));
    const status: ExternalMetricSourceStatus = {
      lastScrapeTime: isoTime(now),
      ...(lastSuccess !== undefined ? { lastSuccessTime: isoTime(lastSuccess) } : {}),
      lastError: 'error' in extracted ? extracted.error : null,
      values,
    };
    await this.#reportStatus(spec.namespace, spec.name, status);
  }

  /** #reportStatus writes a status unless the same one was written less than STATUS_REFRESH_MS ago. */
  async #reportStatus(namespace: string, name: string, status: ExternalMetricSourceStatus): Promise<void> {
    const key = keyOf('source', namespace, name);
    const now = this.#clock.now();
    const signature = JSON.stringify([status.lastError, status.values]);
    const written = this.#written.get(key);
    if (written && written.signature === signature && now - written.atMs < STATUS_REFRESH_MS) return;
    this.#written.set(key, { signature, atMs: now });
    await this.#writeStatus(namespace, name, status);
  }

  async #writeStatus(namespace: string, name: string, status: ExternalMetricSourceStatus): Promise<void> {
    const write = this.#config.writeSourceStatus;
    if (!write) return;
    try {
      await write(namespace, name, status);
    } catch (err) {
      // A deleted source or a conflict is harmless: the next scrape or event writes again.
      this.#config.log.debug('Cannot write ExternalMetricSource status', { namespace, name, error: err instanceof Error ? err.message : String(err) });
      this.#written.delete(keyOf('source', namespace, name));
    }
  }
}

function firstContainerPort(pod: KubeObject): string | undefined {
  const containers = ((pod.spec ?? {}) as { containers?: { ports?: { containerPort?: number; protocol?: string }[] }[] }).containers ?? [];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if ((p.protocol ?? 'TCP') === 'TCP' && p.containerPort !== undefined) return String(p.containerPort);
    }
  }
  return undefined;
}

/** finiteSeries keeps the samples a Quantity can carry (no NaN, no infinities). */
function finiteSeries(samples: readonly Sample[]): SeriesValue[] {
  return samples.filter((s) => Number.isFinite(s.value)).map((s) => ({ name: s.name, labels: s.labels, value: s.value }));
}

/** extractJson reads each mapping's number from a JSON body. */
function extractJson(mappings: ExternalMetricSourceSpec['metrics'], body: string): { series: SeriesValue[] } | { error: string } {
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch {
    return { error: 'the body is not JSON, but spec.metrics use jsonPath' };
  }
  const series: SeriesValue[] = [];
  const missing: string[] = [];
  for (const m of mappings) {
    if (!('jsonPath' in m)) continue;
    const value = numberOf(valueAtPath(root, m.jsonPath));
    if (value === undefined) missing.push(m.name);
    else series.push({ name: m.name, labels: m.labels, value });
  }
  if (missing.length > 0 && series.length === 0) return { error: `no number at the jsonPath of ${missing.join(', ')}` };
  return { series };
}
