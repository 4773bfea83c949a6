import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { CustomMetricsProvider, ExternalMetricsQuery, ObjectMetricQuery, PodMetricsQuery } from '../../api/custommetrics/custom-metrics-provider.js';
import { StatusError } from '../../api/meta/status-error.js';
import { resolveRequestInfo } from '../request/request-info-resolver.js';
import type { RequestScope, ResourceHandler } from '../request/request-scope.js';
import { CustomMetricsHandler } from './custom-metrics-handler.js';
import { customMetricsResources } from './custom-metrics-discovery.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);

/** fakeProvider answers from fixed data and records the queries it got. */
function fakeProvider() {
  const queries: unknown[] = [];
  const provider: CustomMetricsProvider = {
    listCustomMetrics: () => [{ resource: 'pods', metric: 'in_flight' }],
    listExternalMetrics: () => ['queue_length'],
    podMetrics: (q: PodMetricsQuery) => {
      queries.push(q);
      if (q.metric !== 'in_flight') return undefined;
      return [
        { podName: 'web-0', labels: {}, value: 1.5, timestampMs: T },
        { podName: 'web-1', labels: {}, value: 3, timestampMs: T, windowSeconds: 15 },
      ].filter((p) => q.podSelector.matches({ app: 'web' }) && (q.podName === undefined || q.podName === p.podName));
    },
    objectMetric: (q: ObjectMetricQuery) => {
      queries.push(q);
      return q.resource === 'services' && q.name === 'web' && q.metric === 'rps' ? { labels: {}, value: 10, timestampMs: T } : undefined;
    },
    externalMetrics: (q: ExternalMetricsQuery) => {
      queries.push(q);
      if (q.metric !== 'queue_length') return undefined;
      return [{ labels: { queue: 'jobs' }, value: 7, timestampMs: T }].filter((p) => q.selector.matches(p.labels));
    },
    onMetricsChanged: () => undefined,
  };
  return { provider, queries };
}

interface Answer {
  code: number;
  body: Record<string, unknown>;
}

async function call(handler: ResourceHandler, path: string, method = 'GET'): Promise<Answer> {
  const url = new URL(`https://apiserver.invalid${path}`);
  let code = 0;
  let text = '';
  const res = {
    headersSent: false,
    set statusCode(c: number) {
      code = c;
    },
    setHeader: () => undefined,
    end: (b: string) => {
      text = b;
    },
  } as unknown as ServerResponse;
  const scope = { info: resolveRequestInfo(method, url), url, res, body: Buffer.alloc(0), signal: new AbortController().signal } as unknown as RequestScope;
  try {
    await handler.handle(scope);
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    return { code: err.status.code, body: err.status as unknown as Record<string, unknown> };
  }
  return { code, body: JSON.parse(text) as Record<string, unknown> };
}

const next: ResourceHandler = {
  handle: (scope) => {
    scope.res.statusCode = 299;
    scope.res.end('{"next":true}');
    return Promise.resolve();
  },
};

void describe('CustomMetricsHandler', () => {
  void it('answers pods/* with a MetricValueList in upstream shape, selectors passed through', async () => {
    const { provider, queries } = fakeProvider();
    const h = new CustomMetricsHandler({ next, provider });
    const r = await call(h, '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/in_flight?labelSelector=app%3Dweb&metricLabelSelector=path%3Da');
    assert.equal(r.code, 200);
    assert.deepEqual(r.body, {
      kind: 'MetricValueList',
      apiVersion: 'custom.metrics.k8s.io/v1beta2',
      metadata: {},
      items: [
        { describedObject: { kind: 'Pod', namespace: 'default', name: 'web-0', apiVersion: 'v1' }, metric: { name: 'in_flight', selector: { matchLabels: { path: 'a' } } }, timestamp: '2026-01-01T12:00:00Z', value: '1500m' },
        { describedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', apiVersion: 'v1' }, metric: { name: 'in_flight', selector: { matchLabels: { path: 'a' } } }, timestamp: '2026-01-01T12:00:00Z', windowSeconds: 15, value: '3' },
      ],
    });
    const q = queries[0] as PodMetricsQuery;
    assert.equal(q.podSelector.toString(), 'app=web');
    assert.equal(q.metricSelector.toString(), 'path=a');
  });

  void it('answers object metrics with the described object\'s kind', async () => {
    const h = new CustomMetricsHandler({ next, provider: fakeProvider().provider });
    const r = await call(h, '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/web/rps');
    assert.equal(r.code, 200);
    assert.deepEqual((r.body.items as unknown[])[0], { describedObject: { kind: 'Service', namespace: 'default', name: 'web', apiVersion: 'v1' }, metric: { name: 'rps' }, timestamp: '2026-01-01T12:00:00Z', value: '10' });
    const deploy = await call(h, '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/other/rps');
    assert.equal(deploy.code, 404);
    assert.match(String(deploy.body.message), /could not find the metric rps for services other/);
  });

  void it('answers external metrics with an ExternalMetricValueList filtered by labelSelector', async () => {
    const h = new CustomMetricsHandler({ next, provider: fakeProvider().provider });
    const r = await call(h, '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length?labelSelector=queue%3Djobs');
    assert.deepEqual(r.body, {
      kind: 'ExternalMetricValueList',
      apiVersion: 'external.metrics.k8s.io/v1beta1',
      metadata: {},
      items: [{ metricName: 'queue_length', metricLabels: { queue: 'jobs' }, timestamp: '2026-01-01T12:00:00Z', value: '7' }],
    });
    const none = await call(h, '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length?labelSelector=queue%3Dx');
    assert.deepEqual(none.body.items, []);
  });

  void it('answers 404 for unknown metrics, 400 for bad selectors, 405 for writes, 503 without a provider', async () => {
    const h = new CustomMetricsHandler({ next, provider: fakeProvider().provider });
    const unknown = await call(h, '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/nope');
    assert.equal(unknown.code, 404);
    assert.equal(unknown.body.reason, 'NotFound');
    assert.match(String(unknown.body.message), /external metric nope in namespace default/);
    assert.equal((await call(h, '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/nope')).code, 404);
    assert.equal((await call(h, '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/widgets/x/m')).code, 404);
    assert.equal((await call(h, '/apis/custom.metrics.k8s.io/v1beta2/nodes/*/m')).code, 404);
    assert.equal((await call(h, '/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/*/in_flight')).code, 404);
    assert.equal((await call(h, '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length?labelSelector=%3D%3D%3D')).code, 400);
    assert.equal((await call(h, '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length', 'POST')).code, 405);
    const idle = new CustomMetricsHandler({ next });
    assert.equal((await call(idle, '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length')).code, 503);
  });

  void it('passes other groups on', async () => {
    const h = new CustomMetricsHandler({ next, provider: fakeProvider().provider });
    assert.equal((await call(h, '/api/v1/namespaces/default/pods')).code, 299);
  });

  void it('publishes one discovery entry per metric', () => {
    const entries = customMetricsResources(fakeProvider().provider).map((r) => [r.group, r.version, r.resource, r.kind, r.verbs]);
    assert.deepEqual(entries, [
      ['custom.metrics.k8s.io', 'v1beta2', 'pods/in_flight', 'MetricValueList', ['get']],
      ['external.metrics.k8s.io', 'v1beta1', 'queue_length', 'ExternalMetricValueList', ['get']],
    ]);
    assert.deepEqual(customMetricsResources(undefined), []);
  });
});
