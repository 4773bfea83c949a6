import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRequestInfo } from '../request/request-info-resolver.js';
import { ApiServerMetrics, metricsScope, metricsVerb } from './api-server-metrics.js';

const info = (method: string, path: string) => resolveRequestInfo(method, new URL(`https://h${path}`));

test('metricsVerb() and metricsScope() follow upstream labels', () => {
  const cases: [string, string, string | undefined, string, string][] = [
    ['GET', '/api/v1/pods', undefined, 'LIST', 'cluster'],
    ['GET', '/api/v1/namespaces/n/pods', undefined, 'LIST', 'namespace'],
    ['GET', '/api/v1/namespaces/n/pods?watch=1', undefined, 'WATCH', 'namespace'],
    ['GET', '/api/v1/namespaces/n/pods/p', undefined, 'GET', 'resource'],
    ['POST', '/api/v1/namespaces/n/pods', undefined, 'POST', 'resource'],
    ['PATCH', '/api/v1/namespaces/n/pods/p', 'application/apply-patch+yaml', 'APPLY', 'resource'],
    ['PATCH', '/api/v1/namespaces/n/pods/p', 'application/merge-patch+json', 'PATCH', 'resource'],
    ['DELETE', '/api/v1/namespaces/n/pods', undefined, 'DELETECOLLECTION', 'namespace'],
    ['POST', '/api/v1/namespaces/n/pods/p/exec', undefined, 'CONNECT', 'resource'],
    ['GET', '/healthz', undefined, 'GET', ''],
  ];
  for (const [method, path, ct, verb, scope] of cases) {
    const i = info(method, path);
    assert.equal(metricsVerb(i, method, ct), verb, `${method} ${path}`);
    assert.equal(metricsScope(i), scope, `${method} ${path}`);
  }
});

test('ApiServerMetrics renders request counts and survives failing storage callbacks', async () => {
  const errors: unknown[] = [];
  const m = new ApiServerMetrics({
    storageObjectCounts: () => Promise.reject(new Error('db gone')),
    storageStats: () => Promise.reject(new Error('db gone')),
    onError: (e) => errors.push(e),
  });
  m.observeRequest({ info: info('GET', '/apis/apps/v1/namespaces/n/deployments/d'), method: 'GET', contentType: undefined, dryRun: false, code: 404, durationSeconds: 0.01 }, false);
  const text = await m.render();
  assert.match(text, /apiserver_request_total\{verb="GET",dry_run="",group="apps",version="v1",resource="deployments",subresource="",scope="resource",component="apiserver",code="404"\} 1/);
  assert.match(text, /apiserver_request_duration_seconds_count\{verb="GET".*\} 1/);
  assert.ok(errors.length >= 2);
});

test('ApiServerMetrics reports the backlog pacer\'s gap in seconds', async () => {
  let gapMs = 0;
  const m = new ApiServerMetrics({ flowControlBacklogGapMs: () => gapMs });
  assert.match(await m.render(), /^tkube_flowcontrol_backlog_gap_seconds 0$/m);
  gapMs = 16;
  assert.match(await m.render(), /^tkube_flowcontrol_backlog_gap_seconds 0\.016$/m);
});
