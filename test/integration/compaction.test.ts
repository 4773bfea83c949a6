/**
 * Compaction through the real server: with `--compaction-interval` short, history behind the kept revisions goes,
 * a watch or list from a compacted resourceVersion gets 410 Expired (never a silent gap), and the storage metrics
 * report the compactions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, TestCluster } from '../harness/test-cluster.js';

describe('compaction', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start({ args: ['--compaction-interval', '200ms', '--compaction-keep-revisions', '5'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('answers 410 Expired for a compacted resourceVersion and reports compactions in /metrics', async () => {
    const first = JSON.parse((await c.request('/api/v1/namespaces/default/configmaps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'c0' } }) })).body) as { metadata: { resourceVersion: string } };
    for (let i = 1; i <= 30; i++) {
      const r = await c.request('/api/v1/namespaces/default/configmaps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: `c${i}` }, data: { i: String(i) } }) });
      assert.equal(r.status, 201, r.body);
    }
    const old = first.metadata.resourceVersion;
    const watch = await eventually(async () => {
      const r = await c.request(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${old}&timeoutSeconds=1`);
      // A compacted start is either an HTTP 410 or an ERROR event carrying a 410 Status.
      return r.status === 410 || /"code":410/.test(r.body) ? r : undefined;
    }, 20_000, 200);
    assert.match(watch.body, /Expired|too old resource version/);
    const list = await c.request(`/api/v1/namespaces/default/configmaps?resourceVersion=${old}&resourceVersionMatch=Exact`);
    assert.equal(list.status, 410, list.body);
    const metrics = await c.request('/metrics');
    const compactions = Number(/^tkube_storage_compactions (\d+)/m.exec(metrics.body)?.[1] ?? '0');
    assert.ok(compactions >= 1, 'compactions counted');
    assert.match(metrics.body, /^apiserver_storage_size_bytes \d+/m);
    assert.match(metrics.body, /^tkube_storage_commit_seconds_sum [\d.e-]+/m);
  });
});
