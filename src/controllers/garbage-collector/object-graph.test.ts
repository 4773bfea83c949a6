import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeOf, ObjectGraph } from './object-graph.js';
import { RestMapper } from './rest-mapper.js';

const CM = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const obj = (uid: string, owners: string[] = [], extra: Record<string, unknown> = {}) => ({
  metadata: { uid, name: `n-${uid}`, namespace: 'ns', resourceVersion: '1', ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `n-${o}`, uid: o })), ...extra },
});

describe('ObjectGraph', () => {
  it('indexes dependents by owner uid, including owners it has never seen', () => {
    const g = new ObjectGraph();
    g.upsert(nodeOf(obj('d1', ['o1']), CM)!);
    g.upsert(nodeOf(obj('d2', ['o1', 'o2']), CM)!);
    assert.deepEqual(g.dependentsOf('o1').map((n) => n.uid).sort(), ['d1', 'd2']);
    assert.deepEqual(g.dependentsOf('o2').map((n) => n.uid), ['d2']);
    assert.equal(g.get('o1'), undefined);
  });
  it('follows owner changes and removals', () => {
    const g = new ObjectGraph();
    g.upsert(nodeOf(obj('d1', ['o1']), CM)!);
    g.upsert(nodeOf(obj('d1', ['o2']), CM)!);
    assert.deepEqual(g.dependentsOf('o1'), []);
    assert.deepEqual(g.dependentsOf('o2').map((n) => n.uid), ['d1']);
    g.remove('d1');
    assert.deepEqual(g.dependentsOf('o2'), []);
    assert.equal(g.size, 0);
  });
  it('reads deletion state and finalizers', () => {
    const n = nodeOf(obj('x', [], { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['orphan'] }), CM)!;
    assert.equal(n.beingDeleted, true);
    assert.deepEqual(n.finalizers, ['orphan']);
    assert.equal(nodeOf({ metadata: { name: 'no-uid' } }, CM), undefined);
  });
  it('gives objects without owners or finalizers one shared, frozen empty list', () => {
    const a = nodeOf(obj('a'), CM)!;
    const b = nodeOf({ metadata: { uid: 'b', name: 'b', finalizers: [] } }, CM)!;
    assert.deepEqual([a.owners, a.finalizers, b.owners, b.finalizers], [[], [], [], []]);
    assert.equal(a.owners, b.finalizers);
    assert.ok(Object.isFrozen(a.owners));
  });
});

describe('RestMapper', () => {
  it('maps apiVersion and kind to the preferred version of the serving resource', () => {
    const m = new RestMapper();
    m.reset([
      { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, verbs: [] },
      { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, verbs: [] },
    ]);
    assert.deepEqual(m.resourceFor('apps/v1beta2', 'Deployment'), { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true });
    assert.equal(m.resourceFor('v1', 'Node')?.namespaced, false);
    assert.equal(m.resourceFor('example.com/v1', 'Widget'), undefined);
  });
});
