import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { newLogger } from '../../base/log/logger.js';
import { Store } from '../../client/informer/store.js';
import type { ResourcePath } from '../../client/resource-path.js';
import { ClusterReconciler, type ClusterStores } from './cluster-reconciler.js';
import { statefulSetName } from './names.js';

interface Call {
  verb: string;
  path: ResourcePath;
  body?: KubeObject;
}

/** FakeClient records writes and mirrors creates and updates into the stores, as the informers would. */
class FakeClient {
  readonly calls: Call[] = [];
  constructor(readonly stores: ClusterStores) {}
  #store(p: ResourcePath): Store | undefined {
    if (p.subresource) return undefined;
    return { statefulsets: this.stores.statefulSets, services: this.stores.services, configmaps: this.stores.configMaps, kubedirectorclusters: this.stores.clusters }[p.resource];
  }
  async create(path: ResourcePath, body: KubeObject): Promise<KubeObject> {
    this.calls.push({ verb: 'create', path, body });
    this.#store(path)?.add(body);
    return body;
  }
  async update(path: ResourcePath, body: KubeObject): Promise<KubeObject> {
    this.calls.push({ verb: 'update', path, body });
    this.#store(path)?.update(body);
    if (path.subresource === 'status') this.stores.clusters.update(body);
    return body;
  }
  async patch(path: ResourcePath, _type: string, body: KubeObject): Promise<KubeObject> {
    this.calls.push({ verb: 'patch', path, body: { ...body, metadata: { name: path.name ?? '' } } });
    const current = this.stores.clusters.get(`${path.namespace ?? ''}/${path.name ?? ''}`);
    if (path.subresource === 'status' && current) this.stores.clusters.update({ ...current, status: body['status'] });
    return body;
  }
  async delete(path: ResourcePath): Promise<KubeObject> {
    this.calls.push({ verb: 'delete', path });
    this.#store(path)?.deleteKey(`${path.namespace ?? ''}/${path.name ?? ''}`);
    return {};
  }
  async deleteCollection(path: ResourcePath): Promise<KubeObject> {
    this.calls.push({ verb: 'deletecollection', path });
    return {};
  }
}

const GROUP = 'kubedirector.hpe.com';
const app: KubeObject = {
  metadata: { name: 'kd-hello', namespace: 'ns' },
  spec: {
    defaultImageRepoTag: 'hello:1',
    services: [{ id: 'api', endpoint: { port: 9090 } }],
    roles: [{ id: 'controller', cardinality: '1' }, { id: 'worker', cardinality: '0+' }],
    config: { selectedRoles: ['controller', 'worker'], roleServices: [{ roleID: 'worker', serviceIDs: ['api'] }] },
  },
};
const cluster = (workers: number, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: `${GROUP}/v1beta1`,
  kind: 'KubeDirectorCluster',
  metadata: { name: 'hello', namespace: 'ns', uid: 'u1', finalizers: [`${GROUP}/cleanup`], ...extra },
  spec: { app: 'kd-hello', roles: [{ id: 'controller', members: 1 }, { id: 'worker', members: workers }] },
});

function setup(c: KubeObject): { client: FakeClient; stores: ClusterStores; r: ClusterReconciler } {
  const stores: ClusterStores = { clusters: new Store(), apps: new Store(), statefulSets: new Store(), services: new Store(), configMaps: new Store(), pods: new Store() };
  stores.clusters.add(c);
  stores.apps.add(app);
  const client = new FakeClient(stores);
  return { client, stores, r: new ClusterReconciler({ group: GROUP, version: 'v1beta1', client: client as never, stores, log: newLogger('test') }) };
}

const summary = (calls: Call[]): string[] => calls.map((c) => `${c.verb} ${c.path.resource}${c.path.subresource ? `/${c.path.subresource}` : ''} ${c.body?.metadata?.name ?? c.path.name ?? ''}`);

void describe('KubeDirector cluster reconciler', () => {
  void it('adds its finalizer first', async () => {
    const { client, r } = setup(cluster(1, { finalizers: [] }));
    await r.reconcile('ns/hello');
    assert.deepEqual(summary(client.calls), ['update kubedirectorclusters hello']);
    assert.deepEqual(client.calls[0]?.body?.metadata?.finalizers, [`${GROUP}/cleanup`]);
  });

  void it('creates the objects and the status once, rewrites only what changed, removes a scaled-away member Service', async () => {
    const { client, stores, r } = setup(cluster(2));
    await r.reconcile('ns/hello');
    const w = statefulSetName('hello', 'u1', 'worker');
    const c = statefulSetName('hello', 'u1', 'controller');
    assert.deepEqual(summary(client.calls), [
      'create configmaps hello-configmeta',
      'create services hello',
      `create statefulsets ${c}`,
      `create statefulsets ${w}`,
      `create services s-${w}-0`,
      `create services s-${w}-1`,
      'patch kubedirectorclusters/status hello',
    ]);
    client.calls.length = 0;
    await r.reconcile('ns/hello');
    assert.deepEqual(client.calls, [], 'nothing changed, nothing written');
    stores.clusters.update({ ...cluster(1), status: stores.clusters.get('ns/hello')?.['status'] });
    await r.reconcile('ns/hello');
    assert.deepEqual(summary(client.calls), ['update configmaps hello-configmeta', `update statefulsets ${w}`, `delete services s-${w}-1`, 'patch kubedirectorclusters/status hello']);
    assert.equal((stores.statefulSets.get(`ns/${w}`)?.['spec'] as { replicas: number }).replicas, 1);
  });

  void it('deletes what it made and then its finalizer when the cluster is deleted', async () => {
    const { client, stores, r } = setup(cluster(1));
    await r.reconcile('ns/hello');
    client.calls.length = 0;
    stores.clusters.update({ ...cluster(1), metadata: { ...cluster(1).metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
    await r.reconcile('ns/hello');
    const verbs = summary(client.calls);
    assert.equal(verbs.filter((v) => v.startsWith('delete ')).length, 5);
    assert.equal(verbs.at(-2), 'deletecollection persistentvolumeclaims ');
    assert.equal(verbs.at(-1), 'update kubedirectorclusters hello');
    assert.deepEqual(client.calls.at(-1)?.body?.metadata?.finalizers, []);
  });
});
