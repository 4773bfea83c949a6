import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { eventually } from '../../../test/harness/test-cluster.js';
import type { RestClient, WatchEvent } from '../rest-client.js';
import type { ListerWatcher } from './reflector.js';
import { SharedInformer } from './shared-informer.js';
import { withoutManagedFields } from './strip-managed-fields.js';

const managed = [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }];

function cm(name: string, rv: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: rv, managedFields: managed }, data: { k: rv } } as KubeObject;
}

void describe('withoutManagedFields', () => {
  void it('copies the object without metadata.managedFields and leaves the original alone', () => {
    const obj = cm('a', '1');
    const out = withoutManagedFields(obj);
    assert.equal(out.metadata?.managedFields, undefined);
    assert.deepEqual({ ...out, metadata: { ...out.metadata, managedFields: managed } }, obj);
    assert.equal(obj.metadata?.managedFields, managed);
    const bare = { metadata: { name: 'b' } };
    assert.equal(withoutManagedFields(bare), bare, 'nothing to drop: the same object');
  });

  void it('an informer told to strip caches and hands out objects without managedFields', async () => {
    const lw: ListerWatcher = {
      list: () => Promise.resolve({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '1' }, items: [cm('listed', '1')] }),
      watch: (o) =>
        (async function* (): AsyncGenerator<WatchEvent> {
          if (o.resourceVersion !== '1') return new Promise<void>((r) => o.signal?.addEventListener('abort', () => r()));
          yield { type: 'ADDED', object: cm('watched', '2') };
          yield { type: 'MODIFIED', object: cm('listed', '3') };
        })(),
    };
    const informer = new SharedInformer({ client: {} as RestClient, path: { version: 'v1', resource: 'configmaps' }, listerWatcher: lw, stripManagedFields: true });
    const seen: KubeObject[] = [];
    informer.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (old, o) => seen.push(old, o) });
    const ac = new AbortController();
    const running = informer.run(ac.signal);
    await eventually(() => informer.store.get('default/listed')?.metadata?.resourceVersion === '3');
    assert.equal(informer.store.size, 2);
    for (const o of [...informer.store.list(), ...seen]) assert.equal(o.metadata?.managedFields, undefined, o.metadata?.name);
    assert.deepEqual(informer.store.get('default/watched')?.['data'], { k: '2' });
    ac.abort();
    await running;
  });
});
