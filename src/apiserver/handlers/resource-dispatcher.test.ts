import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { openWatch, startServer } from './testing/test-server.js';

const NS = '/api/v1/namespaces';

void describe('ResourceDispatcher over HTTP (generic behaviour, no per-kind strategies)', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    srv = await startServer({ strategies: new Map() });
    assert.equal((await srv.call('POST', NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } })).status, 201);
  });
  after(async () => {
    await srv.stop();
  });

  void it('creates, gets, lists, updates and deletes a ConfigMap', async () => {
    const c = await srv.call('POST', `${NS}/default/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.metadata?.namespace, 'default');
    const g = await srv.call('GET', `${NS}/default/configmaps/a`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json['data'], { k: 'v' });
    const l = await srv.call('GET', `${NS}/default/configmaps`);
    assert.equal(l.json.kind, 'ConfigMapList');
    const u = await srv.call('PUT', `${NS}/default/configmaps/a`, { ...g.json, data: { k: 'w' } });
    assert.equal(u.status, 200, u.text);
    const stale = await srv.call('PUT', `${NS}/default/configmaps/a`, { ...g.json, data: { k: 'x' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json['reason'], 'Conflict');
    const d = await srv.call('DELETE', `${NS}/default/configmaps/a`);
    assert.equal(d.status, 200);
    assert.equal(d.json.kind, 'Status');
    assert.equal(d.json['status'], 'Success');
    const gone = await srv.call('GET', `${NS}/default/configmaps/a`);
    assert.equal(gone.status, 404);
    assert.equal(gone.json['message'], 'configmaps "a" not found');
  });

  void it('answers 404 for unknown resources and missing namespaces, 405 for unsupported verbs', async () => {
    const unknown = await srv.call('GET', `${NS}/default/widgets`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json['message'], 'the server could not find the requested resource');
    const nons = await srv.call('POST', `${NS}/nope/configmaps`, { metadata: { name: 'a' } });
    assert.equal(nons.status, 404);
    assert.equal(nons.json['message'], 'namespaces "nope" not found');
    const cs = await srv.call('DELETE', '/api/v1/componentstatuses/x');
    assert.equal(cs.status, 405);
    // A cluster-scoped resource under a namespaced URL is not found, the namespace itself included.
    assert.equal((await srv.call('GET', `${NS}/default`)).status, 200);
    for (const path of [`${NS}/default/namespaces/default`, `${NS}/default/namespaces`, '/api/v1/watch/namespaces/default/namespaces/default', `${NS}/default/componentstatuses`]) {
      assert.equal((await srv.call('GET', path)).status, 404, path);
    }
  });

  void it('serves Tables, PartialObjectMetadataList and YAML', async () => {
    await srv.call('POST', `${NS}/default/configmaps`, { metadata: { name: 't1' } });
    const table = await srv.call('GET', `${NS}/default/configmaps`, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    });
    assert.equal(table.headers['content-type'], 'application/json;as=Table;v=v1;g=meta.k8s.io');
    assert.equal(table.json.kind, 'Table');
    const cols = table.json['columnDefinitions'] as { name: string }[];
    assert.deepEqual(
      cols.map((c) => c.name),
      ['Name', 'Age'],
    );
    const rows = table.json['rows'] as { cells: unknown[]; object: KubeObject }[];
    const row = rows.find((x) => x.cells[0] === 't1');
    assert.ok(row);
    assert.equal(row.object.kind, 'PartialObjectMetadata');
    const full = await srv.call('GET', `${NS}/default/configmaps/t1?includeObject=Object`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal((full.json['rows'] as { object: KubeObject }[])[0]?.object.kind, 'ConfigMap');
    const partial = await srv.call('GET', `${NS}/default/configmaps`, undefined, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
    assert.equal(partial.json.kind, 'PartialObjectMetadataList');
    const yaml = await srv.call('GET', `${NS}/default/configmaps/t1`, undefined, { accept: 'application/yaml' });
    assert.equal(yaml.headers['content-type'], 'application/yaml');
    assert.match(yaml.text, /^apiVersion: v1\n/m);
  });

  void it('patches with merge, JSON, strategic merge and apply patches', async () => {
    await srv.call('POST', `${NS}/default/pods`, {
      metadata: { name: 'p', labels: { a: '1' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const merge = await srv.call('PATCH', `${NS}/default/pods/p`, { metadata: { labels: { b: '2' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(merge.status, 200, merge.text);
    assert.deepEqual(merge.json.metadata?.labels, { a: '1', b: '2' });
    const json = await srv.call('PATCH', `${NS}/default/pods/p`, [{ op: 'remove', path: '/metadata/labels/a' }], { 'content-type': 'application/json-patch+json' });
    assert.deepEqual(json.json.metadata?.labels, { b: '2' });
    const smp = await srv.call(
      'PATCH',
      `${NS}/default/pods/p`,
      { spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      { 'content-type': 'application/strategic-merge-patch+json' },
    );
    assert.equal(smp.status, 200, smp.text);
    assert.deepEqual(smp.json['spec'], { containers: [{ name: 'c', image: 'nginx' }] });
    const apply = await srv.call('PATCH', `${NS}/default/pods/p?fieldManager=x`, 'apiVersion: v1\nkind: Pod\nmetadata: {}', { 'content-type': 'application/apply-patch+yaml' });
    assert.equal(apply.status, 200, apply.text);
    const stale = await srv.call('PATCH', `${NS}/default/pods/p`, { metadata: { resourceVersion: '1' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(stale.status, 409);
  });

  void it('status and scale subresources, binding and eviction', async () => {
    await srv.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } } },
    });
    const st = await srv.call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/status', { status: { replicas: 1 } }, {
      'content-type': 'application/merge-patch+json',
    });
    assert.equal(st.status, 200, st.text);
    assert.deepEqual(st.json['status'], { replicas: 1 });
    const scale = await srv.call('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    assert.equal(scale.json.kind, 'Scale');
    assert.deepEqual(scale.json['status'], { replicas: 1, selector: 'app=web' });
    const scaled = await srv.call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 4 } }, {
      'content-type': 'application/merge-patch+json',
    });
    assert.equal(scaled.status, 200, scaled.text);
    assert.deepEqual(scaled.json['spec'], { replicas: 4 });

    await srv.call('POST', `${NS}/default/pods`, { metadata: { name: 'b' }, spec: { containers: [] } });
    const bind = await srv.call('POST', `${NS}/default/pods/b/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b' }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(bind.status, 201, bind.text);
    const again = await srv.call('POST', `${NS}/default/pods/b/binding`, { metadata: { name: 'b' }, target: { name: 'n2' } });
    assert.equal(again.status, 409);
    const pod = await srv.call('GET', `${NS}/default/pods/b`);
    assert.equal((pod.json['spec'] as { nodeName: string }).nodeName, 'n1');
    const conditions = (pod.json['status'] as { conditions: { type: string; status: string }[] }).conditions;
    assert.deepEqual(
      conditions.map((c) => `${c.type}=${c.status}`),
      ['PodScheduled=True'],
    );
    const evict = await srv.call('POST', `${NS}/default/pods/b/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'b' }, deleteOptions: { gracePeriodSeconds: 0 } });
    assert.equal(evict.status, 201, evict.text);
    assert.equal((await srv.call('GET', `${NS}/default/pods/b`)).status, 404);
  });

  void it('fieldValidation: Strict refuses unknown fields, Warn (the default) sends Warning headers', async () => {
    const body = { metadata: { name: 'fv' }, data: {}, bogus: 1, metadata2: { x: 1 } };
    const strict = await srv.call('POST', `${NS}/default/configmaps?fieldValidation=Strict`, body);
    assert.equal(strict.status, 400);
    assert.equal(strict.json['message'], 'strict decoding error: unknown field "bogus", unknown field "metadata2"');
    const warn = await srv.call('POST', `${NS}/default/configmaps`, body);
    assert.equal(warn.status, 201);
    assert.equal(warn.headers['warning'], '299 - "unknown field \\"bogus\\"", 299 - "unknown field \\"metadata2\\""');
    const dup = await srv.call('POST', `${NS}/default/configmaps?fieldValidation=Strict`, '{"metadata":{"name":"d"},"data":{},"data":{}}');
    assert.equal(dup.status, 400);
  });

  void it('dryRun=All creates nothing', async () => {
    const r = await srv.call('POST', `${NS}/default/configmaps?dryRun=All`, { metadata: { name: 'dry' } });
    assert.equal(r.status, 201);
    assert.equal((await srv.call('GET', `${NS}/default/configmaps/dry`)).status, 404);
  });

  void it('allocates cluster IPs and node ports, with upstream messages for bad requests', async () => {
    const a = await srv.call('POST', `${NS}/default/services`, { metadata: { name: 'a' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    assert.equal(a.status, 201, a.text);
    const spec = a.json['spec'] as { clusterIP: string; clusterIPs: string[]; ports: { nodePort: number }[] };
    assert.match(spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    const port = spec.ports[0]!.nodePort;
    assert.ok(port >= 30000 && port <= 32767);
    const outside = await srv.call('POST', `${NS}/default/services`, { metadata: { name: 'b' }, spec: { clusterIP: '10.0.0.1', ports: [{ port: 80 }] } });
    assert.equal(outside.status, 422);
    assert.match(String(outside.json['message']), /spec\.clusterIPs: Invalid value: \[\]string\{"10\.0\.0\.1"\}: failed to allocate IP 10\.0\.0\.1: provided IP is not in the valid range/);
    const taken = await srv.call('POST', `${NS}/default/services`, { metadata: { name: 'c' }, spec: { clusterIP: spec.clusterIP, ports: [{ port: 80 }] } });
    assert.equal(taken.status, 422);
    assert.match(String(taken.json['message']), /provided IP is already allocated/);
    const dupPort = await srv.call('POST', `${NS}/default/services`, { metadata: { name: 'd' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: port }] } });
    assert.equal(dupPort.status, 422);
    assert.match(String(dupPort.json['message']), new RegExp(`spec\\.ports\\[0\\]\\.nodePort: Invalid value: ${port}: provided port is already allocated`));
    const headless = await srv.call('POST', `${NS}/default/services`, { metadata: { name: 'h' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    assert.equal((headless.json['spec'] as { clusterIP: string }).clusterIP, 'None');
    // Delete releases: the IP can be requested again.
    assert.equal((await srv.call('DELETE', `${NS}/default/services/a`)).status, 200);
    const reuse = await srv.call('POST', `${NS}/default/services`, { metadata: { name: 'e' }, spec: { clusterIP: spec.clusterIP, type: 'NodePort', ports: [{ port: 80, nodePort: port }] } });
    assert.equal(reuse.status, 201, reuse.text);
  });

  void it('watches: initial ADDED, live events, resume from a resourceVersion, selector transitions, Table events', async () => {
    const created = await srv.call('POST', `${NS}/default/configmaps`, { metadata: { name: 'w1', labels: { app: 'x' } } });
    const rv = created.json.metadata?.resourceVersion ?? '';
    const w = await openWatch(srv.base, `${NS}/default/configmaps?watch=true&labelSelector=app%3Dx&resourceVersion=${rv}`);
    await srv.call('PATCH', `${NS}/default/configmaps/w1`, { data: { a: 'b' } }, { 'content-type': 'application/merge-patch+json' });
    const mod = await w.next();
    assert.equal(mod?.['type'], 'MODIFIED');
    await srv.call('PATCH', `${NS}/default/configmaps/w1`, { metadata: { labels: { app: 'y' } } }, { 'content-type': 'application/merge-patch+json' });
    const left = await w.next();
    assert.equal(left?.['type'], 'DELETED');
    await srv.call('POST', `${NS}/default/configmaps`, { metadata: { name: 'w2', labels: { app: 'x' } } });
    const added = await w.next();
    assert.equal(added?.['type'], 'ADDED');
    assert.equal((added?.['object'] as KubeObject).metadata?.name, 'w2');
    w.close();

    const t = await openWatch(srv.base, `${NS}/default/configmaps?watch=true&fieldSelector=metadata.name%3Dw2`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    const p = await openWatch(srv.base, `${NS}/default/configmaps?watch=true&fieldSelector=metadata.name%3Dw2`, {
      accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
    });
    const pe = await p.next();
    assert.equal((pe?.['object'] as KubeObject).kind, 'PartialObjectMetadata');
    p.close();
    const first = await t.next();
    assert.equal(first?.['type'], 'ADDED');
    const table = first?.['object'] as KubeObject;
    assert.equal(table.kind, 'Table');
    assert.equal((table['columnDefinitions'] as unknown[]).length, 2);
    assert.equal((table['rows'] as unknown[]).length, 1);
    t.close();
  });

  void it('watch from a too-old resourceVersion sends an ERROR event with 410 Expired; timeoutSeconds ends the stream', async () => {
    await srv.storage.compact(await srv.storage.currentRevision());
    const w = await openWatch(srv.base, `${NS}/default/configmaps?watch=true&resourceVersion=1`);
    const e = await w.next();
    assert.equal(e?.['type'], 'ERROR');
    const status = e?.['object'] as KubeObject;
    assert.equal(status['code'], 410);
    assert.equal(status['reason'], 'Expired');
    assert.match(String(status['message']), /^too old resource version: 1 \(\d+\)$/);
    assert.equal(await w.next(), undefined);

    const badList = await srv.call('GET', `${NS}/default/configmaps?watch=true&sendInitialEvents=true`);
    assert.equal(badList.status, 422);
    assert.match(String(badList.json['message']), /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
    const wl = await openWatch(srv.base, `${NS}/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    for (;;) {
      const ev = await wl.next();
      assert.ok(ev);
      if (ev['type'] === 'BOOKMARK') {
        assert.deepEqual((ev['object'] as KubeObject).metadata?.annotations, { 'k8s.io/initial-events-end': 'true' });
        break;
      }
      assert.equal(ev['type'], 'ADDED');
    }
    wl.close();

    const timed = await openWatch(srv.base, `${NS}/default/configmaps?watch=true&timeoutSeconds=1&allowWatchBookmarks=true&resourceVersion=${await srv.storage.currentRevision()}`);
    const bookmark = await timed.next();
    assert.equal(bookmark?.['type'], 'BOOKMARK');
    assert.equal(await timed.next(), undefined);
  });

  void it('a slow watcher is closed once it falls behind the buffer', async () => {
    const w = await openWatch(srv.base, `${NS}/default/configmaps?watch=true&resourceVersion=${await srv.storage.currentRevision()}`);
    const cache = srv.dispatcher.storeFor('', 'configmaps')?.watchCache;
    assert.ok(cache);
    assert.equal(cache.watcherCount, 1);
    const big = 'x'.repeat(16 * 1024);
    const store = srv.dispatcher.storeFor('', 'configmaps');
    assert.ok(store);
    // Never read: the socket buffers fill, the handler waits for drain, and the 50-event buffer overflows.
    for (let i = 0; i < 3000 && cache.watcherCount > 0; i++) {
      await store.create('default', { metadata: { name: `slow-${i}` }, data: { big } });
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(cache.watcherCount, 0);
    w.close();
  });
});
