import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { internalError, StatusError } from '../../api/meta/status-error.js';
import type { NodeMetrics, PodMetrics } from '../../api/metrics/resource-metrics.js';
import { writeJson, writeStatus } from '../negotiation/write.js';
import { resolveRequestInfo } from '../request/request-info-resolver.js';
import { MetricsApiHandler } from './metrics-api-handler.js';
import { ResourceMetricsApi } from './resource-metrics-api.js';

const node = (name: string, labels: Record<string, string>): NodeMetrics => ({
  kind: 'NodeMetrics',
  apiVersion: 'metrics.k8s.io/v1beta1',
  metadata: { name, labels },
  timestamp: '2026-01-01T00:00:01Z',
  window: '1s',
  usage: { cpu: '250m', memory: '1Gi' },
});
const pod = (namespace: string, name: string, labels: Record<string, string>): PodMetrics => ({
  kind: 'PodMetrics',
  apiVersion: 'metrics.k8s.io/v1beta1',
  metadata: { name, namespace, labels },
  timestamp: '2026-01-01T00:00:01Z',
  window: '1s',
  containers: [
    { name: 'a', usage: { cpu: '100m', memory: '10Mi' } },
    { name: 'b', usage: { cpu: '500000n', memory: '6Mi' } },
  ],
});

void describe('metrics.k8s.io handler', () => {
  const api = new ResourceMetricsApi({ now: () => new Date('2026-01-01T00:00:02Z') });
  let server: Server;
  let base = '';
  before(async () => {
    const handler = new MetricsApiHandler({
      providers: [api],
      next: { handle: async ({ res }) => writeJson(res, 200, { next: true }) },
    });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const abort = new AbortController();
      const info = resolveRequestInfo(req.method ?? 'GET', url);
      handler
        .handle({ info, user: { username: 'admin', groups: [] }, req, res, url, body: Buffer.alloc(0), signal: abort.signal })
        .catch((err: unknown) => writeStatus(res, err instanceof StatusError ? err : internalError(String(err))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; json: Record<string, unknown>; type: string }> => {
    const r = await fetch(base + path, init);
    return { status: r.status, json: (await r.json()) as Record<string, unknown>, type: r.headers.get('content-type') ?? '' };
  };
  const names = (json: Record<string, unknown>): string[] => (json['items'] as { metadata: { name: string } }[]).map((i) => i.metadata.name);

  void it('answers 503 until a source is attached, and passes other groups on', async () => {
    const r = await call('/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(r.status, 503);
    assert.equal(r.json['reason'], 'ServiceUnavailable');
    assert.deepEqual((await call('/api/v1/pods')).json, { next: true });
    assert.deepEqual((await call('/apis/apps/v1/deployments')).json, { next: true });
  });

  void it('lists and gets NodeMetrics and PodMetrics with selectors', async () => {
    api.attach({ nodes: () => [node('n1', { zone: 'a' }), node('n2', { zone: 'b' })], pods: () => [pod('default', 'web', { app: 'web' }), pod('default', 'db', { app: 'db' }), pod('other', 'web', { app: 'web' })] });
    const nodes = await call('/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(nodes.json['kind'], 'NodeMetricsList');
    assert.deepEqual(names(nodes.json), ['n1', 'n2']);
    assert.deepEqual(names((await call('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Db')).json), ['n2']);
    assert.deepEqual(names((await call('/apis/metrics.k8s.io/v1beta1/nodes?fieldSelector=metadata.name%3Dn1')).json), ['n1']);
    assert.equal((await call('/apis/metrics.k8s.io/v1beta1/nodes/n1')).json['kind'], 'NodeMetrics');
    const all = await call('/apis/metrics.k8s.io/v1beta1/pods');
    assert.equal(all.json['kind'], 'PodMetricsList');
    assert.equal(names(all.json).length, 3);
    assert.deepEqual(names((await call('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb')).json), ['web']);
    assert.deepEqual(names((await call('/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=metadata.namespace%3Dother')).json), ['web']);
    const one = await call('/apis/metrics.k8s.io/v1beta1/namespaces/other/pods/web');
    assert.equal((one.json['metadata'] as { namespace: string }).namespace, 'other');
  });

  void it('answers NotFound, MethodNotAllowed and BadRequest as upstream', async () => {
    const missingNode = await call('/apis/metrics.k8s.io/v1beta1/nodes/nope');
    assert.equal(missingNode.status, 404);
    assert.equal(missingNode.json['message'], 'nodemetrics.metrics.k8s.io "nope" not found');
    const missingPod = await call('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope');
    assert.equal(missingPod.json['message'], 'podmetrics.metrics.k8s.io "default/nope" not found');
    assert.equal((await call('/apis/metrics.k8s.io/v1beta1/services')).status, 404);
    assert.equal((await call('/apis/metrics.k8s.io/v1/nodes')).status, 404);
    assert.equal((await call('/apis/metrics.k8s.io/v1beta1/nodes', { method: 'POST', body: '{}' })).status, 405);
    assert.equal((await call('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web', { method: 'DELETE' })).status, 405);
    assert.equal((await call('/apis/metrics.k8s.io/v1beta1/pods?watch=true')).status, 405);
    const bad = await call('/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=spec.nodeName%3Dx');
    assert.equal(bad.status, 400);
    assert.match(String(bad.json['message']), /field label not supported: spec.nodeName/);
  });

  void it('prints Tables with the pod sums', async () => {
    const r = await call('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
    assert.equal(r.json['kind'], 'Table');
    assert.match(r.type, /as=Table/);
    assert.deepEqual((r.json['columnDefinitions'] as { name: string }[]).map((c) => c.name), ['Name', 'CPU', 'Memory', 'Window']);
    assert.deepEqual((r.json['rows'] as { cells: unknown[] }[]).map((row) => row.cells), [
      ['web', '100500000n', '16Mi', '1s'],
      ['db', '100500000n', '16Mi', '1s'],
    ]);
  });
});

