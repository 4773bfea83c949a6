/**
 * Custom and external metrics end to end: a real `tkube server` (control plane only, scraping every 300 ms), a tiny
 * HTTP server this test runs on loopback, and the real kubectl.
 * - An ExternalMetricSource pointing at `queue_length 7` → `kubectl get --raw /apis/external.metrics.k8s.io/…/
 *   queue_length` shows 7; the endpoint changes to 0 → it shows 0; labelSelector filters; the status reports the
 *   values; a JSON body is mapped with jsonPath; an unknown metric is a 404 naming it.
 * - A pod annotated prometheus.io/scrape (no node: its status is set by the test to Running at 127.0.0.1, where
 *   the test's server listens) → custom.metrics.k8s.io pods/*, the Service selecting it, and a counter's rate.
 * - After a restart the CRD is kept (updated in place) and the sources are served again.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface ExternalList {
  kind: string;
  apiVersion: string;
  items: { metricName: string; metricLabels: Record<string, string>; timestamp: string; value: string }[];
}
interface MetricValueList {
  kind: string;
  apiVersion: string;
  items: { describedObject: { kind: string; name: string; namespace: string; apiVersion: string }; metric: { name: string }; value: string; windowSeconds?: number }[];
}

void describe('custom and external metrics', () => {
  let c: TestCluster;
  let http: Server;
  let port = 0;
  const state = { queue: 7, backlog: 12, requests: 100 };

  before(async () => {
    http = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.setHeader('Content-Type', 'text/plain; version=0.0.4');
        res.end(`# HELP queue_length Jobs waiting.\n# TYPE queue_length gauge\nqueue_length{queue="jobs"} ${state.queue}\nqueue_length{queue="mail"} 2\n`);
      } else if (req.url === '/stats') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ stats: { backlog: state.backlog } }));
      } else if (req.url === '/pod-metrics') {
        state.requests += 10;
        res.end(`# TYPE http_requests_total counter\nhttp_requests_total ${state.requests}\nin_flight 3\n`);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
    c = await TestCluster.start({ args: ['--metrics-scrape-interval', '300ms'] });
  });

  after(async () => {
    await c?.stop();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  const raw = async <T>(path: string): Promise<T> => JSON.parse(await c.kubectlOk(['get', '--raw', path])) as T;

  void it('serves an ExternalMetricSource through external.metrics.k8s.io and follows its changes', async () => {
    await eventually(async () => (await c.kubectl(['get', 'crd', 'externalmetricsources.metrics.tkube.io'])).code === 0, 30_000);
    await c.kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: metrics.tkube.io/v1alpha1
kind: ExternalMetricSource
metadata: {name: jobs, namespace: default}
spec:
  url: http://127.0.0.1:${port}/metrics
  intervalSeconds: 0.3
  metrics:
  - name: queue_length
`,
    });
    const path = '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length';
    const seven = await eventually(async () => {
      const r = await c.kubectl(['get', '--raw', `${path}?labelSelector=queue%3Djobs`]);
      if (r.code !== 0) return undefined;
      const list = JSON.parse(r.stdout) as ExternalList;
      return list.items[0]?.value === '7' ? list : undefined;
    }, 30_000);
    assert.equal(seven.kind, 'ExternalMetricValueList');
    assert.equal(seven.apiVersion, 'external.metrics.k8s.io/v1beta1');
    assert.deepEqual(seven.items.map((i) => [i.metricName, i.metricLabels, i.value]), [['queue_length', { queue: 'jobs' }, '7']]);
    const all = await raw<ExternalList>(path);
    assert.deepEqual(all.items.map((i) => i.value).sort(), ['2', '7']);
    const none = await raw<ExternalList>(`${path}?labelSelector=queue%3Dother`);
    assert.deepEqual(none.items, []);

    state.queue = 0;
    await eventually(async () => (await raw<ExternalList>(`${path}?labelSelector=queue%3Djobs`)).items[0]?.value === '0', 20_000);

    const status = await eventually(async () => {
      const obj = JSON.parse(await c.kubectlOk(['get', 'externalmetricsource', 'jobs', '-o', 'json'])) as { status?: { lastScrapeTime?: string; values?: { name: string; labels?: Record<string, string>; value: string }[] } };
      return obj.status?.values?.some((v) => v.labels?.queue === 'jobs' && v.value === '0') ? obj.status : undefined;
    }, 20_000);
    assert.ok(status.lastScrapeTime);

    const discovery = await raw<{ resources: { name: string; kind: string; verbs: string[] }[] }>('/apis/external.metrics.k8s.io/v1beta1');
    assert.ok(discovery.resources.some((r) => r.name === 'queue_length' && r.kind === 'ExternalMetricValueList'));

    // The HPA's identity may read it (bootstrap RBAC); a user without a role may not.
    const asHpa = await c.kubectlOk(['get', '--raw', path, '--as', 'system:serviceaccount:kube-system:horizontal-pod-autoscaler']);
    assert.match(asHpa, /queue_length/);
    const asNobody = await c.kubectl(['get', '--raw', path, '--as', 'nobody']);
    assert.notEqual(asNobody.code, 0);
    assert.match(asNobody.stderr, /forbidden/i);
    // kubectl's discovery copes with the metrics entries.
    assert.match(await c.kubectlOk(['api-resources']), /externalmetricsources/);

    const missing = await c.kubectl(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/no_such_metric']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound|could not find/);
  });

  void it('maps a JSON body with jsonPath and reports a bad spec in the status', async () => {
    await c.kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: metrics.tkube.io/v1alpha1
kind: ExternalMetricSource
metadata: {name: stats, namespace: default}
spec:
  url: http://127.0.0.1:${port}/stats
  intervalSeconds: 0.3
  metrics:
  - {name: backlog, jsonPath: $.stats.backlog, labels: {system: billing}}
---
apiVersion: metrics.tkube.io/v1alpha1
kind: ExternalMetricSource
metadata: {name: broken, namespace: default}
spec:
  url: ftp://127.0.0.1/x
`,
    });
    const list = await eventually(async () => {
      const r = await c.kubectl(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/backlog']);
      return r.code === 0 ? (JSON.parse(r.stdout) as ExternalList) : undefined;
    }, 20_000);
    assert.deepEqual(list.items.map((i) => [i.metricLabels, i.value]), [[{ system: 'billing' }, '12']]);
    await eventually(async () => (await c.kubectlOk(['get', 'externalmetricsource', 'broken', '-o', 'jsonpath={.status.lastError}'])).includes('spec.url'), 20_000);
  });

  void it('scrapes an annotated pod and serves pods/*, a Service and a counter rate through custom.metrics.k8s.io', async () => {
    await c.kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: default
  labels: {app: web}
  annotations: {prometheus.io/scrape: "true", prometheus.io/port: "${port}", prometheus.io/path: /pod-metrics}
spec:
  containers: [{name: web, image: busybox}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`,
    });
    // No node runs this pod: the test plays the kubelet and reports it Running at the address its server listens on.
    await c.kubectlOk(['patch', 'pod', 'web-0', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] } })]);
    const base = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default';
    const pods = await eventually(async () => {
      const r = await c.kubectl(['get', '--raw', `${base}/pods/*/in_flight?labelSelector=app%3Dweb`]);
      return r.code === 0 ? (JSON.parse(r.stdout) as MetricValueList) : undefined;
    }, 20_000);
    assert.equal(pods.kind, 'MetricValueList');
    assert.deepEqual(pods.items.map((i) => [i.describedObject.kind, i.describedObject.name, i.metric.name, i.value]), [['Pod', 'web-0', 'in_flight', '3']]);
    assert.match(await c.kubectlOk(['get', '--raw', `${base}/pods/*/in_flight`, '--as', 'system:serviceaccount:kube-system:horizontal-pod-autoscaler']), /web-0/);
    const other = await raw<MetricValueList>(`${base}/pods/*/in_flight?labelSelector=app%3Dother`);
    assert.deepEqual(other.items, []);

    const svc = await raw<MetricValueList>(`${base}/services/web/in_flight`);
    assert.deepEqual(svc.items.map((i) => [i.describedObject.kind, i.describedObject.name, i.value]), [['Service', 'web', '3']]);

    // 10 requests per scrape every 300 ms: about 33 per second.
    const rate = await eventually(async () => {
      const r = await c.kubectl(['get', '--raw', `${base}/pods/web-0/http_requests_per_second`]);
      return r.code === 0 ? (JSON.parse(r.stdout) as MetricValueList) : undefined;
    }, 20_000);
    const value = rate.items[0]?.value ?? '';
    const perSecond = value.endsWith('m') ? Number(value.slice(0, -1)) / 1000 : Number(value);
    assert.ok(perSecond > 5 && perSecond < 200, `rate ${value}`);

    const missing = await c.kubectl(['get', '--raw', `${base}/pods/*/no_such_metric`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound|could not find/);
  });

  void it('comes back after a server restart: the CRD is kept and the sources are scraped again', async () => {
    state.queue = 5;
    await c.restart('SIGTERM', { args: ['--metrics-scrape-interval', '300ms'] });
    await eventually(async () => {
      const r = await c.kubectl(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length?labelSelector=queue%3Djobs']);
      return r.code === 0 && (JSON.parse(r.stdout) as ExternalList).items[0]?.value === '5';
    }, 30_000);
    assert.doesNotMatch(c.log, /Cannot install the ExternalMetricSource CRD/);
  });
});
