import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceInfo } from '../../api/scheme.js';
import { groupResources } from './resource-groups.js';
import { compareVersionPriority } from './version-priority.js';

function res(group: string, version: string, resource: string): ResourceInfo {
  return { group, version, kind: resource, resource, singular: resource, namespaced: true, verbs: ['get'] };
}

void describe('compareVersionPriority()', () => {
  void it('orders GA before beta before alpha, higher numbers first, then other strings', () => {
    const versions = ['v1alpha1', 'foo', 'v1', 'v2beta1', 'v1beta2', 'v2', 'v1beta1', 'bar', 'v10'];
    assert.deepEqual(versions.sort(compareVersionPriority), ['v10', 'v2', 'v1', 'v2beta1', 'v1beta2', 'v1beta1', 'v1alpha1', 'bar', 'foo']);
  });
});

void describe('groupResources()', () => {
  void it('puts the core group first, keeps group order and sorts resources by name', () => {
    const groups = groupResources([res('apps', 'v1', 'statefulsets'), res('', 'v1', 'pods'), res('apps', 'v1', 'deployments'), res('batch', 'v1', 'jobs')]);
    assert.deepEqual(groups.map((g) => g.name), ['', 'apps', 'batch']);
    assert.deepEqual(groups[1]?.versions[0]?.resources.map((r) => r.resource), ['deployments', 'statefulsets']);
  });

  void it('prefers the configured version, else the highest-priority one', () => {
    const input = [res('x', 'v1', 'a'), res('x', 'v2beta1', 'a'), res('y', 'v1', 'b'), res('y', 'v2', 'b')];
    const groups = groupResources(input, { y: 'v1', x: 'v9' });
    assert.equal(groups.find((g) => g.name === 'x')?.preferredVersion, 'v1');
    assert.deepEqual(groups.find((g) => g.name === 'y')?.versions.map((v) => v.version), ['v1', 'v2']);
  });
});
