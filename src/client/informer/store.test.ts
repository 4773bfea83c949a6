import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey, Store } from './store.js';

const obj = (namespace: string, name: string, app = ''): KubeObject => ({ metadata: { namespace: namespace || undefined, name, labels: app ? { app } : {} } });

describe('Store', () => {
  it('keys objects by namespace/name and indexes them by namespace and custom indexers', () => {
    const s = new Store({ app: (o) => (o.metadata?.labels?.['app'] ? [o.metadata.labels['app']] : []) });
    s.add(obj('a', 'x', 'web'));
    s.add(obj('a', 'y', 'db'));
    s.add(obj('b', 'x', 'web'));
    s.add(obj('', 'cluster'));
    assert.equal(s.size, 4);
    assert.equal(s.get('a/x')?.metadata?.name, 'x');
    assert.equal(s.get('cluster')?.metadata?.name, 'cluster');
    assert.deepEqual(s.byIndex(NAMESPACE_INDEX, 'a').map(metaNamespaceKey).sort(), ['a/x', 'a/y']);
    assert.deepEqual(s.byIndex('app', 'web').map(metaNamespaceKey).sort(), ['a/x', 'b/x']);
    s.update(obj('a', 'x', 'db'));
    assert.deepEqual(s.byIndex('app', 'web').map(metaNamespaceKey), ['b/x']);
    s.delete(obj('b', 'x'));
    assert.deepEqual(s.byIndex('app', 'web'), []);
    s.replace([obj('c', 'z')]);
    assert.deepEqual(s.listKeys(), ['c/z']);
    assert.deepEqual(s.byIndex(NAMESPACE_INDEX, 'a'), []);
    assert.throws(() => s.byIndex('nope', 'x'), /Cannot read index "nope"/);
    assert.throws(() => s.addIndexers({ app: () => [] }), /already exists/);
  });

  it('splitMetaNamespaceKey reverses metaNamespaceKey', () => {
    assert.deepEqual(splitMetaNamespaceKey('ns/name'), { namespace: 'ns', name: 'name' });
    assert.deepEqual(splitMetaNamespaceKey('name'), { namespace: '', name: 'name' });
  });
});
