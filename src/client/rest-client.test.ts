import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../../test/harness/test-cluster.js';
import { ApiError, isAlreadyExists, isConflict, isNotFound } from './api-error.js';
import { resourceUrlPath } from './resource-path.js';
import { RestClient, type WatchEvent } from './rest-client.js';
import { legacyServerResources, serverResources } from './server-resources.js';

const CM = { version: 'v1', resource: 'configmaps', namespace: 'default' } as const;

describe('resourceUrlPath', () => {
  it('builds core, group, namespaced and subresource paths', () => {
    assert.equal(resourceUrlPath({ version: 'v1', resource: 'namespaces', name: 'x', subresource: 'finalize' }), '/api/v1/namespaces/x/finalize');
    assert.equal(resourceUrlPath({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'ns' }), '/apis/apps/v1/namespaces/ns/deployments');
    assert.throws(() => resourceUrlPath({ version: 'v1', resource: 'pods', subresource: 'status' }), /needs a name/);
    assert.throws(() => resourceUrlPath({ version: 'v1', resource: 'pods', name: 'a/b' }), /invalid name/);
  });
});

describe('RestClient against a real server', () => {
  let c: TestCluster;
  let client: RestClient;
  before(async () => {
    c = await TestCluster.start();
    client = RestClient.fromKubeconfig(c.kubeconfig);
  });
  after(async () => {
    client?.close();
    await c?.stop();
  });

  it('create/get/list/update/patch/delete a ConfigMap', async () => {
    const created = await client.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rc1' }, data: { a: '1' } });
    assert.ok(created.metadata?.resourceVersion);
    const got = await client.get({ ...CM, name: 'rc1' });
    assert.deepEqual(got['data'], { a: '1' });
    const updated = await client.update({ ...CM, name: 'rc1' }, { ...got, data: { a: '2' } });
    assert.deepEqual(updated['data'], { a: '2' });
    const patched = await client.patch({ ...CM, name: 'rc1' }, 'merge', { data: { b: '3' } });
    assert.deepEqual(patched['data'], { a: '2', b: '3' });
    const list = await client.list(CM);
    assert.ok(list.items.some((i) => i.metadata?.name === 'rc1'));
    assert.ok(list.metadata.resourceVersion);
    await client.delete({ ...CM, name: 'rc1' });
    await assert.rejects(client.get({ ...CM, name: 'rc1' }), (err: unknown) => isNotFound(err) && err instanceof ApiError && err.reason === 'NotFound' && /configmaps "rc1" not found/.test(err.message));
  });

  it('turns failures into ApiError with the Status (AlreadyExists, Conflict, transport)', async () => {
    await client.create(CM, { metadata: { name: 'dup' } });
    await assert.rejects(client.create(CM, { metadata: { name: 'dup' } }), isAlreadyExists);
    await assert.rejects(client.update({ ...CM, name: 'dup' }, { metadata: { name: 'dup', resourceVersion: '1' } }), isConflict);
    const nowhere = new RestClient({ server: 'https://127.0.0.1:1', requestTimeoutMs: 2000 });
    await assert.rejects(nowhere.get({ ...CM, name: 'x' }), (err: unknown) => err instanceof ApiError && err.code === 0 && /^Cannot get \/api\/v1/.test(err.message));
    nowhere.close();
  });

  it('deleteCollection deletes the selected objects', async () => {
    await client.create(CM, { metadata: { name: 'sel1', labels: { batch: 'x' } } });
    await client.create(CM, { metadata: { name: 'sel2', labels: { batch: 'x' } } });
    await client.create(CM, { metadata: { name: 'keep' } });
    await client.deleteCollection(CM, { labelSelector: 'batch=x' });
    const names = (await client.list(CM)).items.map((i) => i.metadata?.name);
    assert.ok(names.includes('keep'));
    assert.ok(!names.includes('sel1') && !names.includes('sel2'));
  });

  it('watch yields parsed events from the list resourceVersion and ends quietly on abort', async () => {
    const rv = (await client.list(CM)).metadata.resourceVersion ?? '';
    const ac = new AbortController();
    const seen: WatchEvent[] = [];
    const done = (async () => {
      for await (const ev of client.watch(CM, { resourceVersion: rv, allowWatchBookmarks: true, signal: ac.signal })) seen.push(ev);
    })();
    await client.create(CM, { metadata: { name: 'watched' } });
    await client.delete({ ...CM, name: 'watched' });
    await eventually(() => seen.some((e) => e.type === 'DELETED' && e.object.metadata?.name === 'watched'));
    assert.equal(seen.find((e) => e.object.metadata?.name === 'watched')?.type, 'ADDED');
    ac.abort();
    await done;
  });

  it('watch from a bad resourceVersion throws an ApiError', async () => {
    await assert.rejects(
      (async () => {
        for await (const _ of client.watch(CM, { resourceVersion: 'abc' })) break;
      })(),
      (err: unknown) => err instanceof ApiError && err.code === 400,
    );
  });

  it('serverResources lists namespaced resources with their verbs, from aggregated discovery as from the legacy documents', async () => {
    const { resources, failed } = await serverResources(client);
    assert.deepEqual(failed, []);
    const cm = resources.find((r) => r.group === '' && r.resource === 'configmaps');
    assert.ok(cm?.namespaced);
    assert.ok(cm.verbs.includes('deletecollection'));
    const deploy = resources.find((r) => r.group === 'apps' && r.resource === 'deployments');
    assert.equal(deploy?.kind, 'Deployment');
    assert.equal(resources.find((r) => r.resource === 'namespaces')?.namespaced, false);
    assert.ok(!resources.some((r) => r.resource.includes('/')));
    // Read from the two aggregated documents (the server serves them); the legacy documents (one per group) say the same.
    assert.equal(((await client.getPath('/apis', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')) as { kind?: string }).kind, 'APIGroupDiscoveryList');
    const legacy = await legacyServerResources(client);
    assert.deepEqual(legacy.failed, []);
    const key = (r: (typeof resources)[number]): string => `${r.group}/${r.version}/${r.resource}`;
    assert.deepEqual([...resources].sort((a, b) => key(a).localeCompare(key(b))), [...legacy.resources].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('a Unix-socket client reaches the server\'s loopback socket: same answers, same authentication, watches', async () => {
    const socketPath = join(c.dataDir, 'loopback.sock');
    // The server's own components already use it (the loopback token is in its memory only); here a service
    // account's token shows the chain: it authenticates and is authorized over the socket as it would be over HTTPS.
    await client.create({ version: 'v1', resource: 'serviceaccounts', namespace: 'default' }, { metadata: { name: 'unix-sa' } });
    await client.create(
      { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings' },
      { metadata: { name: 'unix-sa' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'unix-sa', namespace: 'default' }] },
    );
    const issued = await client.create({ version: 'v1', resource: 'serviceaccounts', namespace: 'default', name: 'unix-sa', subresource: 'token' }, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    const token = (issued['status'] as { token: string }).token;
    const unix = new RestClient({ server: client.server, token, unixSocket: socketPath, userAgent: 'unix-test' });
    const anonymous = new RestClient({ server: client.server, unixSocket: socketPath });
    try {
      const review = await unix.create({ group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews' }, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
      assert.equal((review['status'] as { userInfo: { username: string } }).userInfo.username, 'system:serviceaccount:default:unix-sa');
      const list = await eventually(() => unix.list(CM).catch(() => undefined)); // the binding reaching the authorizer
      const abort = new AbortController();
      const seen: WatchEvent[] = [];
      const watching = (async () => {
        for await (const ev of unix.watch(CM, { resourceVersion: list.metadata.resourceVersion, signal: abort.signal })) {
          seen.push(ev);
          if (ev.object.metadata?.name === 'via-unix') abort.abort();
        }
      })();
      await unix.create(CM, { metadata: { name: 'via-unix' } });
      await watching;
      assert.ok(seen.some((e) => e.type === 'ADDED' && e.object.metadata?.name === 'via-unix'));
      assert.deepEqual((await client.get({ ...CM, name: 'via-unix' })).metadata?.name, 'via-unix');
      await assert.rejects(anonymous.get({ ...CM, name: 'via-unix' }), (err: unknown) => err instanceof ApiError && err.code === 401);
      assert.throws(() => unix.setClientCertificate('cert', 'key'), /Unix-socket client/);
    } finally {
      unix.close();
      anonymous.close();
    }
  });
});
