import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControllerDescriptor } from './controller-descriptor.js';
import { parseControllerSelection, selectControllers } from './controller-selection.js';
import { CONTROLLERS } from './registry.js';

const row = (name: string, enabledByDefault = true): ControllerDescriptor => ({
  name,
  enabledByDefault,
  create: () => {
    throw new Error('not built in this test');
  },
});
const TABLE = [row('namespace'), row('serviceaccount'), row('ttl', false)];
const names = (sel: string): string[] => selectControllers(TABLE, parseControllerSelection(sel)).map((d) => d.name);

describe('selectControllers', () => {
  it('reads --controllers like upstream', () => {
    assert.deepEqual(names('*'), ['namespace', 'serviceaccount']);
    assert.deepEqual(names('*,-serviceaccount'), ['namespace']);
    assert.deepEqual(names('namespace'), ['namespace']);
    assert.deepEqual(names('*,ttl'), ['namespace', 'serviceaccount', 'ttl']);
    assert.deepEqual(names(''), []);
    assert.deepEqual(parseControllerSelection(['*', 'a,-b']), ['*', 'a', '-b']);
  });

  it('fails on unknown names and on duplicate table rows', () => {
    assert.throws(() => names('*,nosuch'), /Cannot select controller "nosuch": unknown \(known controllers: namespace, serviceaccount, ttl\)/);
    assert.throws(() => names('-nosuch'), /unknown/);
    assert.throws(() => selectControllers([row('a'), row('a')], ['*']), /Cannot register controller "a": the name is already registered/);
  });

  it('the built-in table has unique names and runs all by default', () => {
    const all = selectControllers(CONTROLLERS, ['*']).map((d) => d.name);
    assert.deepEqual(all, CONTROLLERS.filter((d) => d.enabledByDefault).map((d) => d.name));
    for (const n of ['namespace', 'serviceaccount', 'replicaset', 'deployment', 'job', 'garbagecollector', 'nodelifecycle']) assert.ok(all.includes(n), n);
  });
});
