import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import { EVERYTHING_SELECTOR, parseLabelSelector } from '../api/meta/labels.js';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import { MetricCollector, type ExternalMetricSourceStatus } from './metric-collector.js';
import { MetricSeriesStore } from './metric-series-store.js';
import type { FetchResult } from './metrics-fetcher.js';

/** FakeHttp answers fetches from a table the test edits, and records every URL asked for. */
class FakeHttp {
  readonly bodies = new Map<string, FetchResult>();
  readonly calls: string[] = [];
  readonly fetch = (url: string): Promise<FetchResult> => {
    this.calls.push(url);
    return Promise.resolve(this.bodies.get(url) ?? { error: `GET ${url}: connection refused` });
  };
  count(url: string): number {
    return this.calls.filter((u) => u === url).length;
  }
}

function pod(name: string, extra: { ip?: string; phase?: string; annotations?: Record<string, string>; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: extra.labels ?? { app: 'web' }, annotations: extra.annotations ?? { 'prometheus.io/scrape': 'true' } },
    spec: { containers: [{ name: 'c', ports: [{ containerPort: 9100 }] }] },
    status: { phase: extra.phase ?? 'Running', ...(extra.ip !== undefined ? { podIP: extra.ip } : { podIP: '10.42.0.5' }) },
  };
}

function source(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'metrics.tkube.io/v1alpha1', kind: 'ExternalMetricSource', metadata: { name, namespace: 'default' }, spec };
}

function setup(services?: Record<string, Record<string, string>>) {
  const clock = new FakeClock();
  const http = new FakeHttp();
  const store = new MetricSeriesStore({ clock, services: (ns, name) => services?.[`${ns}/${name}`] });
  const statuses: { name: string; status: ExternalMetricSourceStatus }[] = [];
  const collector = new MetricCollector({
    clock,
    fetch: http.fetch,
    store,
    defaultIntervalMs: 15_000,
    writeSourceStatus: (_ns, name, status) => {
      statuses.push({ name, status });
      return Promise.resolve();
    },
    log: newLogger('test'),
  });
  const tick = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await collector.settled();
  };
  return { clock, http, store, statuses, collector, tick };
}

const text = (body: string): FetchResult => ({ body, contentType: 'text/plain; version=0.0.4' });
const podQuery = (metric: string) => ({ namespace: 'default', metric, podSelector: EVERYTHING_SELECTOR, metricSelector: EVERYTHING_SELECTOR });

void describe('MetricCollector', () => {
  void it('scrapes only pods that opt in and run with an IP, at the annotated or first declared port and path', async () => {
    const { collector, http, store, tick } = setup();
    collector.podChanged(pod('plain', { annotations: {} }));
    collector.podChanged(pod('pending', { phase: 'Pending' }));
    collector.podChanged(pod('no-ip', { ip: '' }));
    collector.podChanged(pod('web-0'));
    collector.podChanged(pod('web-1', { ip: '10.42.0.6', annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': 'stats' } }));
    assert.deepEqual([...collector.targets().values()].sort(), ['http://10.42.0.5:9100/metrics', 'http://10.42.0.6:8080/stats']);
    http.bodies.set('http://10.42.0.5:9100/metrics', text('in_flight{path="a"} 2\nin_flight{path="b"} 3\n'));
    http.bodies.set('http://10.42.0.6:8080/stats', text('in_flight 1\n'));
    await tick(0);
    assert.deepEqual(store.podMetrics(podQuery('in_flight'))?.map((p) => [p.podName, p.value]), [['web-0', 5], ['web-1', 1]]);
    const onlyA = store.podMetrics({ ...podQuery('in_flight'), metricSelector: parseLabelSelector('path=a') });
    assert.deepEqual(onlyA?.map((p) => [p.podName, p.value]), [['web-0', 2]]);
    assert.equal(store.podMetrics(podQuery('unknown')), undefined);
  });

  void it('scrapes every interval, restarts a pod whose IP changed and forgets a deleted one', async () => {
    const { collector, http, store, tick } = setup();
    const first = 'http://10.42.0.5:9100/metrics';
    const second = 'http://10.42.0.9:9100/metrics';
    http.bodies.set(first, text('x 1\n'));
    http.bodies.set(second, text('x 2\n'));
    collector.podChanged(pod('web-0'));
    await tick(0);
    assert.equal(http.count(first), 1);
    await tick(14_000);
    assert.equal(http.count(first), 1);
    await tick(1_000);
    assert.equal(http.count(first), 2);
    collector.podChanged(pod('web-0', { ip: '10.42.0.9' }));
    await tick(0);
    assert.equal(store.podMetrics(podQuery('x'))?.[0]?.value, 2);
    await tick(60_000);
    assert.equal(http.count(first), 2);
    collector.podDeleted(pod('web-0', { ip: '10.42.0.9' }));
    const calls = http.calls.length;
    await tick(60_000);
    assert.equal(http.calls.length, calls);
    assert.equal(store.podMetrics(podQuery('x')), undefined);
  });

  void it('derives per-second rates from counters, across a counter reset', async () => {
    const { collector, http, store, tick } = setup();
    const url = 'http://10.42.0.5:9100/metrics';
    collector.podChanged(pod('web-0'));
    http.bodies.set(url, text('# TYPE requests_total counter\nrequests_total 100\n'));
    await tick(0);
    assert.equal(store.podMetrics(podQuery('requests_per_second')), undefined);
    http.bodies.set(url, text('# TYPE requests_total counter\nrequests_total 250\n'));
    await tick(15_000);
    const [rate] = store.podMetrics(podQuery('requests_per_second')) ?? [];
    assert.equal(rate?.value, 10);
    assert.equal(rate?.windowSeconds, 15);
    http.bodies.set(url, text('# TYPE requests_total counter\nrequests_total 30\n'));
    await tick(15_000);
    assert.equal(store.podMetrics(podQuery('requests_per_second'))?.[0]?.value, 2);
  });

  void it('serves an ExternalMetricSource through its mappings and reports values in its status', async () => {
    const { collector, http, store, statuses, tick } = setup();
    const url = 'http://queue.example:8080/metrics';
    http.bodies.set(url, text('depth{queue="jobs"} 7\ndepth{queue="mail"} 2\nother 1\n'));
    collector.sourceChanged(source('q', { url, intervalSeconds: 5, metrics: [{ name: 'queue_length', series: 'depth', matchLabels: { queue: 'jobs' }, labels: { team: 'a' } }] }));
    await tick(0);
    const query = { namespace: 'default', metric: 'queue_length', selector: EVERYTHING_SELECTOR };
    assert.deepEqual(store.externalMetrics(query)?.map((p) => [p.labels, p.value]), [[{ queue: 'jobs', team: 'a' }, 7]]);
    assert.deepEqual(store.externalMetrics({ ...query, selector: parseLabelSelector('team=b') }), []);
    assert.equal(store.externalMetrics({ ...query, metric: 'depth' }), undefined);
    assert.equal(store.externalMetrics({ ...query, namespace: 'other' }), undefined);
    assert.deepEqual(store.listExternalMetrics(), ['queue_length']);
    assert.equal(statuses.length, 1);
    assert.deepEqual(statuses[0]?.status.values, [{ name: 'queue_length', labels: { queue: 'jobs', team: 'a' }, value: '7' }]);
    assert.equal(statuses[0]?.status.lastError, null);

    // Unchanged values are not rewritten at every scrape; a change is.
    await tick(5_000);
    assert.equal(statuses.length, 1);
    http.bodies.set(url, text('depth{queue="jobs"} 0\n'));
    await tick(5_000);
    assert.equal(statuses.length, 2);
    assert.equal(store.externalMetrics(query)?.[0]?.value, 0);

    // A failing endpoint: reported at once; its last values are served until they are stale (3 intervals and
    // a timeout after the last good scrape).
    http.bodies.delete(url);
    await tick(5_000);
    assert.match(statuses.at(-1)?.status.lastError ?? '', /connection refused/);
    assert.equal(store.externalMetrics(query)?.[0]?.value, 0);
    await tick(16_000);
    assert.equal(store.externalMetrics(query), undefined);
  });

  void it('serves every series of a source without mappings, and maps JSON bodies with jsonPath', async () => {
    const { collector, http, store, tick } = setup();
    http.bodies.set('http://a/metrics', text('a 1\nb{x="y"} 2\n'));
    http.bodies.set('http://b/stats', { body: JSON.stringify({ stats: { backlog: '12' } }), contentType: 'application/json' });
    collector.sourceChanged(source('all', { url: 'http://a/metrics' }));
    collector.sourceChanged(source('json', { url: 'http://b/stats', metrics: [{ name: 'backlog', jsonPath: '$.stats.backlog' }] }));
    await tick(0);
    assert.deepEqual(store.listExternalMetrics(), ['a', 'b', 'backlog']);
    assert.equal(store.externalMetrics({ namespace: 'default', metric: 'backlog', selector: EVERYTHING_SELECTOR })?.[0]?.value, 12);
  });

  void it('reports an invalid spec once and scrapes nothing', async () => {
    const { collector, http, statuses, tick } = setup();
    const bad = source('bad', { url: 'ftp://x', metrics: [{ name: '9bad' }] });
    collector.sourceChanged(bad);
    await tick(0);
    // Our own status write comes back as an update: it must not be written again.
    collector.sourceChanged(bad);
    await tick(0);
    assert.equal(http.calls.length, 0);
    assert.equal(statuses.length, 1);
    assert.match(statuses[0]?.status.lastError ?? '', /spec\.url.*ftp.*spec\.metrics\[0\]\.name/s);
  });

  void it('answers object metrics from object labels, from the pods a Service selects, and for a pod', async () => {
    const { collector, http, store, tick } = setup({ 'default/web': { app: 'web' } });
    http.bodies.set('http://10.42.0.5:9100/metrics', text('rps 4\nlatency{service="api"} 9\n'));
    http.bodies.set('http://10.42.0.6:9100/metrics', text('rps 6\n'));
    collector.podChanged(pod('web-0'));
    collector.podChanged(pod('web-1', { ip: '10.42.0.6' }));
    collector.podChanged(pod('db-0', { ip: '10.42.0.7', labels: { app: 'db' } }));
    http.bodies.set('http://10.42.0.7:9100/metrics', text('rps 100\n'));
    await tick(0);
    const q = { namespace: 'default', metricSelector: EVERYTHING_SELECTOR };
    assert.equal(store.objectMetric({ ...q, resource: 'services', name: 'web', metric: 'rps' })?.value, 10);
    assert.equal(store.objectMetric({ ...q, resource: 'services', name: 'api', metric: 'latency' })?.value, 9);
    assert.equal(store.objectMetric({ ...q, resource: 'pods', name: 'web-1', metric: 'rps' })?.value, 6);
    assert.equal(store.objectMetric({ ...q, resource: 'services', name: 'missing', metric: 'rps' }), undefined);
    assert.equal(store.objectMetric({ ...q, resource: 'deployments', name: 'web', metric: 'rps' }), undefined);
    assert.deepEqual(
      store.podMetrics({ ...podQuery('rps'), podSelector: parseLabelSelector('app=web') })?.map((p) => p.podName),
      ['web-0', 'web-1'],
    );
    const names = store.listCustomMetrics().map((m) => `${m.resource}/${m.metric}`);
    assert.ok(names.includes('pods/rps') && names.includes('services/latency'), names.join(','));
  });

  void it('stops scraping when stopped', async () => {
    const { collector, http, tick } = setup();
    http.bodies.set('http://10.42.0.5:9100/metrics', text('x 1\n'));
    collector.podChanged(pod('web-0'));
    await tick(0);
    collector.stop();
    await tick(60_000);
    assert.equal(http.calls.length, 1);
    collector.podChanged(pod('web-1'));
    assert.equal(collector.targets().size, 0);
  });
});
