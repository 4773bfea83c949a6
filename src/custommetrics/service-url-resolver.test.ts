import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import type { MetricsFetcher } from './metrics-fetcher.js';
import { resolveServiceUrl, serviceResolvingFetcher, type ServiceDirectory } from './service-url-resolver.js';

const service = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'demo' }, spec });

const slice = (svc: string, ports: { name?: string; port: number }[], endpoints: { ip: string; ready?: boolean }[]): KubeObject =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-x`, namespace: 'demo', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }) })),
  }) as KubeObject;

function directory(services: KubeObject[], slices: KubeObject[]): ServiceDirectory {
  return {
    service: (ns, name) => services.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name),
    endpointSlices: (ns, name) => slices.filter((s) => s.metadata?.namespace === ns && s.metadata?.labels?.['kubernetes.io/service-name'] === name),
  };
}

void describe('resolveServiceUrl()', () => {
  const dir = directory(
    [
      service('queue', { ports: [{ name: 'metrics', port: 8080, targetPort: 9090 }, { name: 'web', port: 80, targetPort: 8000 }] }),
      service('ext', { type: 'ExternalName', externalName: 'queue.example' }),
      service('empty', { ports: [{ port: 80 }] }),
    ],
    [slice('queue', [{ name: 'metrics', port: 9090 }, { name: 'web', port: 8000 }], [{ ip: '10.42.1.7' }, { ip: '10.42.0.5', ready: false }, { ip: '10.42.2.3', ready: true }])],
  );

  void it('leaves URLs that do not name a Service alone', () => {
    assert.equal(resolveServiceUrl('http://127.0.0.1:30090/metrics', dir, 'cluster.local'), undefined);
    assert.equal(resolveServiceUrl('http://queue.example.com/metrics', dir, 'cluster.local'), undefined);
    assert.equal(resolveServiceUrl('http://queue.demo.svc.other.domain/metrics', dir, 'cluster.local'), undefined);
  });

  void it('maps a service port to a ready endpoint and its target port, with or without the cluster domain', () => {
    assert.deepEqual(resolveServiceUrl('http://queue.demo.svc:8080/metrics?x=1', dir, 'cluster.local'), { url: 'http://10.42.1.7:9090/metrics?x=1' });
    assert.deepEqual(resolveServiceUrl('http://queue.demo.svc.cluster.local./metrics', dir, 'cluster.local'), { url: 'http://10.42.1.7:8000/metrics' });
    // The pick rotates over the ready endpoints only (10.42.0.5 is not ready), in address order.
    assert.deepEqual(resolveServiceUrl('http://queue.demo.svc:8080/m', dir, 'cluster.local', () => 1), { url: 'http://10.42.2.3:9090/m' });
  });

  void it('names what is missing', () => {
    assert.deepEqual(resolveServiceUrl('http://nope.demo.svc/metrics', dir, 'cluster.local'), { error: 'service demo/nope not found' });
    assert.deepEqual(resolveServiceUrl('http://queue.demo.svc:81/metrics', dir, 'cluster.local'), { error: 'service demo/queue has no TCP port 81' });
    assert.deepEqual(resolveServiceUrl('http://empty.demo.svc/metrics', dir, 'cluster.local'), { error: 'service demo/empty has no ready endpoint for port 80' });
  });

  void it('follows an ExternalName', () => {
    assert.deepEqual(resolveServiceUrl('https://ext.demo.svc:8443/m', dir, 'cluster.local'), { url: 'https://queue.example:8443/m' });
  });

  void it('fetches the resolved URL and reports an unresolvable one as a fetch error', async () => {
    const asked: string[] = [];
    const inner: MetricsFetcher = (url) => {
      asked.push(url);
      return Promise.resolve({ body: 'x 1\n', contentType: 'text/plain' });
    };
    const fetch = serviceResolvingFetcher(inner, dir, 'cluster.local');
    await fetch('http://queue.demo.svc:8080/metrics', { timeoutMs: 1000 });
    await fetch('http://queue.demo.svc:8080/metrics', { timeoutMs: 1000 });
    await fetch('http://127.0.0.1:1/metrics', { timeoutMs: 1000 });
    assert.deepEqual(asked, ['http://10.42.1.7:9090/metrics', 'http://10.42.2.3:9090/metrics', 'http://127.0.0.1:1/metrics']);
    assert.deepEqual(await fetch('http://nope.demo.svc/metrics', { timeoutMs: 1000 }), { error: 'GET http://nope.demo.svc/metrics: service demo/nope not found' });
  });
});
