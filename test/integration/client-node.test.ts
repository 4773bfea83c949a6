/**
 * @kubernetes/client-node 1.4.0 against tkube server: typed CoreV1Api CRUD, an informer's add/update/delete, and
 * an informer that recovers from 410 Expired by relisting after the server compacted its history.
 *
 * `tkube server` has no flag to force compaction (its compactor runs every 5 minutes and keeps 1000 revisions), so
 * the 410 test stops the server, compacts the SQLite datastore offline through SqliteStorage, and starts the server
 * again on the same port and data dir.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

/** statusCode extracts the HTTP status of a client-node ApiException. */
function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
}

void describe('@kubernetes/client-node against tkube server', () => {
  let cluster: TestCluster;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  const informers: k8s.Informer<k8s.V1ConfigMap>[] = [];
  // Set before teardown so that no error handler restarts an informer against a server that is going away.
  let closing = false;

  before(async () => {
    cluster = await TestCluster.start();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    for (const name of ['cn', 'inf', 'relist', 'churn']) await core.createNamespace({ body: { metadata: { name } } });
  });

  after(async () => {
    closing = true;
    for (const i of informers) await i.stop();
    await cluster?.stop();
  });

  void it('CoreV1Api creates, lists, reads, patches and deletes configmaps', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'one', labels: { app: 'cn' } }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'one');
    assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'two', labels: { app: 'other' } }, data: { b: '2' } } });

    const list = await core.listNamespacedConfigMap({ namespace: 'cn' });
    // kube-root-ca.crt is published into every namespace once a controller does so; it is not ours to count.
    assert.deepEqual(list.items.map((i) => i.metadata?.name).filter((n) => n !== 'kube-root-ca.crt').sort(), ['one', 'two']);
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
    const selected = await core.listNamespacedConfigMap({ namespace: 'cn', labelSelector: 'app=cn' });
    assert.deepEqual(selected.items.map((i) => i.metadata?.name), ['one']);
    const byField = await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=two' });
    assert.deepEqual(byField.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`), ['cn/two']);

    const read = await core.readNamespacedConfigMap({ name: 'one', namespace: 'cn' });
    assert.deepEqual(read.data, { a: '1' });

    const merged = await core.patchNamespacedConfigMap(
      { name: 'one', namespace: 'cn', body: { data: { a: null, c: '3' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.data, { c: '3' });
    const jsonPatched = await core.patchNamespacedConfigMap(
      { name: 'one', namespace: 'cn', body: [{ op: 'add', path: '/data/d', value: '4' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    assert.deepEqual(jsonPatched.data, { c: '3', d: '4' });
    assert.ok(Number(jsonPatched.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion));

    const replaced = await core.replaceNamespacedConfigMap({ name: 'one', namespace: 'cn', body: { ...jsonPatched, data: { e: '5' } } });
    assert.deepEqual(replaced.data, { e: '5' });
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: 'one', namespace: 'cn', body: { ...jsonPatched, data: { f: '6' } } }),
      (err: unknown) => statusCode(err) === 409,
    );

    await core.deleteNamespacedConfigMap({ name: 'one', namespace: 'cn' });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'one', namespace: 'cn' }), (err: unknown) => statusCode(err) === 404);
    await assert.rejects(
      core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'two' } } }),
      (err: unknown) => statusCode(err) === 409,
    );
  });

  void it('an informer sees add, update and delete', async () => {
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/inf/configmaps', () => core.listNamespacedConfigMap({ namespace: 'inf' }));
    informers.push(informer);
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${JSON.stringify(o.data ?? {})}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'before' } } });
    await informer.start();
    await eventually(() => seen.includes('add before'), 20_000);

    await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'live' }, data: { v: '1' } } });
    await eventually(() => seen.includes('add live'), 20_000);
    await core.patchNamespacedConfigMap({ name: 'live', namespace: 'inf', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await eventually(() => seen.includes('update live {"v":"2"}'), 20_000);
    await core.deleteNamespacedConfigMap({ name: 'live', namespace: 'inf' });
    await eventually(() => seen.includes('delete live'), 20_000);
    assert.deepEqual(
      seen.filter((s) => s.includes('live')),
      ['add live', 'update live {"v":"2"}', 'delete live'],
    );
    assert.deepEqual(informer.list('inf').map((o) => o.metadata?.name).filter((n) => n !== 'kube-root-ca.crt'), ['before']);
  });

  void it('an informer relists after 410 Expired and catches up with changes it missed', async () => {
    let lists = 0;
    let reconnect = false;
    const errors: unknown[] = [];
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/relist/configmaps', () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: 'relist' });
    });
    informers.push(informer);
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    // client-node's informer stops on a connection error; restarting it is the caller's job.
    informer.on('error', (err: unknown) => {
      errors.push(err);
      if (reconnect && !closing) setTimeout(() => void (closing ? undefined : informer.start()), 200);
    });
    await core.createNamespacedConfigMap({ namespace: 'relist', body: { metadata: { name: 'kept' } } });
    await core.createNamespacedConfigMap({ namespace: 'relist', body: { metadata: { name: 'doomed' } } });
    await informer.start();
    await eventually(() => seen.includes('add kept') && seen.includes('add doomed'), 20_000);
    const staleRv = (informer as unknown as { latestResourceVersion(): string }).latestResourceVersion();
    assert.match(staleRv, /^\d+$/);
    assert.equal(lists, 1);

    // Writes the informer does not watch move the revision past its resourceVersion.
    for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: 'churn', body: { metadata: { name: `c${i}` } } });

    const port = cluster.port;
    await cluster.kill('SIGKILL');
    const storage = await SqliteStorage.open({ path: join(cluster.dataDir, 'db', 'state.db') });
    const compactedTo = await storage.currentRevision();
    assert.ok(compactedTo > Number(staleRv));
    await storage.compact(compactedTo);
    await storage.close();
    await cluster.restart('SIGKILL', { args: ['--https-listen-port', String(port)] });
    assert.equal(cluster.port, port, 'the server came back on the same port');

    // A raw watch from the informer's resourceVersion is now too old: 410, as a response or as an ERROR event.
    const raw = await cluster.request(`/api/v1/namespaces/relist/configmaps?watch=true&timeoutSeconds=1&resourceVersion=${staleRv}`);
    if (raw.status === 200) {
      const first = JSON.parse(raw.body.split('\n')[0] ?? '{}') as { type?: string; object?: { code?: number; reason?: string } };
      assert.equal(first.type, 'ERROR', raw.body);
      assert.equal(first.object?.code, 410, raw.body);
      assert.equal(first.object?.reason, 'Expired', raw.body);
    } else {
      assert.equal(raw.status, 410, raw.body);
      assert.equal((JSON.parse(raw.body) as { reason?: string }).reason, 'Expired');
    }

    // Changes while the informer is disconnected: it learns about them only by relisting.
    await core.deleteNamespacedConfigMap({ name: 'doomed', namespace: 'relist' });
    await core.createNamespacedConfigMap({ namespace: 'relist', body: { metadata: { name: 'missed' } } });
    reconnect = true;
    void informer.start();

    await eventually(() => seen.includes('add missed') && seen.includes('delete doomed'), 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; seen ${JSON.stringify(seen)}; lists ${lists}; errors ${errors.map(String).join(' | ')}`);
    });
    assert.ok(lists >= 2, `the informer relisted (lists: ${lists})`);
    await core.createNamespacedConfigMap({ namespace: 'relist', body: { metadata: { name: 'after' } } });
    await eventually(() => seen.includes('add after'), 20_000);
    assert.deepEqual(informer.list('relist').map((o) => o.metadata?.name).filter((n) => n !== 'kube-root-ca.crt').sort(), ['after', 'kept', 'missed']);
  });
});
