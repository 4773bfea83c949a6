import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { newLogger } from '../../base/log/logger.js';
import { ApiError } from '../../client/api-error.js';
import { Store } from '../../client/informer/store.js';
import type { ResourcePath } from '../../client/resource-path.js';
import { DESCRIPTION, DESCRIPTION_ANNOTATION, ROOT_CA_CONFIGMAP, RootCACertPublisher } from './root-ca-cert-publisher.js';

const CA = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';

/** A client that records writes and answers with what it is told. */
class RecordingClient {
  readonly calls: { verb: 'create' | 'update'; path: ResourcePath; body: KubeObject }[] = [];
  fail: ApiError | undefined;
  async create(path: ResourcePath, body: KubeObject): Promise<KubeObject> {
    this.calls.push({ verb: 'create', path, body });
    if (this.fail) throw this.fail;
    return body;
  }
  async update(path: ResourcePath, body: KubeObject): Promise<KubeObject> {
    this.calls.push({ verb: 'update', path, body });
    if (this.fail) throw this.fail;
    return body;
  }
}

function setup(): { client: RecordingClient; namespaces: Store; configMaps: Store; publisher: RootCACertPublisher } {
  const client = new RecordingClient();
  const namespaces = new Store();
  const configMaps = new Store();
  const publisher = new RootCACertPublisher({ client: client as never, namespaces: { store: namespaces }, configMaps: { store: configMaps }, rootCAPem: CA, log: newLogger('test') });
  return { client, namespaces, configMaps, publisher };
}

const status = (code: number, reason: string, message: string): ApiError => new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message } as never);

void describe('root-ca-cert-publisher', () => {
  void it('creates kube-root-ca.crt with the CA and upstream\'s description in an Active namespace', async () => {
    const { client, namespaces, publisher } = setup();
    namespaces.add({ metadata: { name: 'team' }, status: { phase: 'Active' } } as KubeObject);
    await publisher.reconcile('team');
    assert.equal(client.calls.length, 1);
    const call = client.calls[0];
    assert.equal(call?.verb, 'create');
    assert.deepEqual(call?.path, { version: 'v1', resource: 'configmaps', namespace: 'team' });
    assert.deepEqual(call?.body, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ROOT_CA_CONFIGMAP, namespace: 'team', annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
      data: { 'ca.crt': CA },
    });
    assert.match(DESCRIPTION, /^Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints/);
  });

  void it('leaves a correct ConfigMap alone', async () => {
    const { client, namespaces, configMaps, publisher } = setup();
    namespaces.add({ metadata: { name: 'team' } });
    configMaps.add({ metadata: { name: ROOT_CA_CONFIGMAP, namespace: 'team', annotations: { [DESCRIPTION_ANNOTATION]: 'anything' } }, data: { 'ca.crt': CA } } as KubeObject);
    await publisher.reconcile('team');
    assert.deepEqual(client.calls, []);
  });

  void it('restores edited data and a removed annotation, keeping the user\'s labels and annotations and the resourceVersion', async () => {
    const { client, namespaces, configMaps, publisher } = setup();
    namespaces.add({ metadata: { name: 'team' } });
    configMaps.add({ metadata: { name: ROOT_CA_CONFIGMAP, namespace: 'team', resourceVersion: '42', labels: { a: 'b' }, annotations: { mine: 'x' } }, data: { 'ca.crt': 'tampered', extra: 'y' } } as KubeObject);
    await publisher.reconcile('team');
    assert.equal(client.calls.length, 1);
    const call = client.calls[0];
    assert.equal(call?.verb, 'update');
    assert.deepEqual(call?.path, { version: 'v1', resource: 'configmaps', namespace: 'team', name: ROOT_CA_CONFIGMAP });
    assert.deepEqual(call?.body.metadata, { name: ROOT_CA_CONFIGMAP, namespace: 'team', resourceVersion: '42', labels: { a: 'b' }, annotations: { mine: 'x', [DESCRIPTION_ANNOTATION]: DESCRIPTION } });
    assert.deepEqual(call?.body['data'], { 'ca.crt': CA });
  });

  void it('does nothing for a missing, deleted or terminating namespace', async () => {
    const { client, namespaces, publisher } = setup();
    namespaces.add({ metadata: { name: 'going', deletionTimestamp: '2026-01-01T00:00:00Z' } });
    namespaces.add({ metadata: { name: 'ending' }, status: { phase: 'Terminating' } } as KubeObject);
    for (const ns of ['absent', 'going', 'ending']) await publisher.reconcile(ns);
    assert.deepEqual(client.calls, []);
  });

  void it('swallows a create that raced with the cache or with namespace deletion, and retries other failures', async () => {
    const { client, namespaces, publisher } = setup();
    namespaces.add({ metadata: { name: 'team' } });
    for (const err of [status(409, 'AlreadyExists', 'exists'), status(404, 'NotFound', 'namespaces "team" not found'), status(403, 'Forbidden', 'unable to create new content in namespace team because it is being terminated')]) {
      client.fail = err;
      await publisher.reconcile('team');
    }
    client.fail = status(500, 'InternalError', 'boom');
    await assert.rejects(publisher.reconcile('team'), /boom/);
    client.fail = status(409, 'Conflict', 'the object has been modified');
    await assert.rejects(publisher.reconcile('team'), /modified/);
  });
});
