/**
 * RestMetricsClient against a stub RestClient: the request paths upstream's HPA uses, the parsing of PodMetrics,
 * MetricValueList and ExternalMetricValueList, and failures as values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabelSelector } from '../../../api/meta/labels.js';
import { FakeClock } from '../../../base/clock/clock.js';
import type { RestClient } from '../../../client/rest-client.js';
import { ResourceResolver } from '../resource-resolver.js';
import { RestMetricsClient } from './rest-metrics-client.js';

function stub(answers: Record<string, unknown>): { client: RestClient; paths: string[] } {
  const paths: string[] = [];
  const client = {
    getPath: (p: string): Promise<unknown> => {
      paths.push(p);
      const a = answers[p];
      return a === undefined ? Promise.reject(new Error('the server could not find the requested resource')) : Promise.resolve(a);
    },
  } as unknown as RestClient;
  return { client, paths };
}

const SEL = parseLabelSelector('app=web');
const NONE = parseLabelSelector('');

describe('RestMetricsClient', () => {
  it('sums container usage per pod and leaves out pods missing the resource', async () => {
    const { client, paths } = stub({
      '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb': {
        items: [
          { metadata: { name: 'a' }, timestamp: '2026-01-01T00:00:00Z', window: '30s', containers: [{ name: 'c', usage: { cpu: '150m', memory: '10Mi' } }, { name: 's', usage: { cpu: '50m' } }] },
          { metadata: { name: 'b' }, timestamp: '2026-01-01T00:00:00Z', window: '30s', containers: [{ name: 'c', usage: { memory: '10Mi' } }] },
        ],
      },
    });
    const m = new RestMetricsClient({ client, resolver: new ResourceResolver({ client, clock: new FakeClock() }) });
    const all = await m.getResourceMetric('cpu', 'default', SEL);
    assert.ok(all.ok);
    assert.deepEqual([...all.value.metrics], [['a', { value: 200, timestamp: Date.parse('2026-01-01T00:00:00Z'), windowMs: 30_000 }]]);
    const one = await m.getResourceMetric('cpu', 'default', SEL, 's');
    assert.ok(one.ok);
    assert.equal(one.value.metrics.get('a')?.value, 50);
    assert.equal(paths.length, 2);
    const missing = await m.getResourceMetric('cpu', 'other', SEL);
    assert.deepEqual(missing, { ok: false, error: 'unable to fetch metrics from resource metrics API: the server could not find the requested resource' });
  });

  it('reads pods, object and external metrics from the custom and external APIs', async () => {
    const { client, paths } = stub({
      '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/rps?labelSelector=app%3Dweb': {
        items: [{ describedObject: { kind: 'Pod', name: 'a' }, metric: { name: 'rps' }, timestamp: '2026-01-01T00:00:00Z', windowSeconds: 60, value: '1500m' }],
      },
      '/apis/networking.k8s.io/v1': { resources: [{ name: 'ingresses', kind: 'Ingress', namespaced: true }] },
      '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/ingresses.networking.k8s.io/main/hits': { items: [{ value: '42', timestamp: '2026-01-01T00:00:00Z' }] },
      '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue%3Djobs': {
        items: [{ metricName: 'queue_depth', value: '3' }, { metricName: 'queue_depth', value: '4' }],
      },
    });
    const m = new RestMetricsClient({ client, resolver: new ResourceResolver({ client, clock: new FakeClock() }) });
    const pods = await m.getRawMetric('rps', 'default', SEL, NONE);
    assert.ok(pods.ok);
    assert.equal(pods.value.metrics.get('a')?.value, 1500);
    const obj = await m.getObjectMetric('hits', 'default', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main' }, NONE);
    assert.deepEqual(obj, { ok: true, value: { value: 42_000, timestamp: Date.parse('2026-01-01T00:00:00Z') } });
    const ext = await m.getExternalMetric('queue_depth', 'default', parseLabelSelector('queue=jobs'));
    assert.ok(ext.ok);
    assert.deepEqual(ext.value.values, [3000, 4000]);
    const none = await m.getExternalMetric('nothing', 'default', NONE);
    assert.equal(none.ok, false);
    assert.ok(paths.includes('/apis/networking.k8s.io/v1'));
  });
});
