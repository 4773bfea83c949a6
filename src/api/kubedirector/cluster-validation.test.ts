import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../meta/types.js';
import { validateCluster } from './cluster-validation.js';
import { appView, clusterView, parseCardinality } from './kubedirector-types.js';

const app: KubeObject = {
  apiVersion: 'kubedirector.hpe.com/v1beta1',
  kind: 'KubeDirectorApp',
  metadata: { name: 'kd-hello', namespace: 'default' },
  spec: {
    label: { name: 'Hello' },
    distroID: 'tkube/kd-hello',
    version: '1.0',
    defaultImageRepoTag: 'img:1',
    roles: [
      { id: 'controller', cardinality: '1' },
      { id: 'worker', cardinality: '0+', imageRepoTag: 'worker:2' },
      { id: 'spare', cardinality: '1' },
    ],
    config: { selectedRoles: ['controller', 'worker'], roleServices: [{ roleID: 'controller', serviceIDs: ['ui'] }] },
    services: [{ id: 'ui', endpoint: { port: 8080 } }],
  },
};

const cluster = (roles: Record<string, unknown>[], apiVersion = 'kubedirector.hpe.com/v1beta1'): KubeObject => ({
  apiVersion,
  kind: 'KubeDirectorCluster',
  metadata: { name: 'hello', namespace: 'default', uid: 'u1' },
  spec: { app: 'kd-hello', roles },
});

void describe('KubeDirector cluster validation', () => {
  void it('reads cardinalities as upstream writes them', () => {
    assert.deepEqual(parseCardinality('3'), { min: 3, max: 3, text: '3' });
    assert.deepEqual(parseCardinality('0+'), { min: 0, max: undefined, text: '0+' });
    assert.equal(parseCardinality('one'), undefined);
  });

  void it('reads members (v1beta1) and replicas (v1alpha1) alike, and the app roles with their images and services', () => {
    assert.equal(clusterView(cluster([{ id: 'worker', members: 4 }])).roles[0]?.members, 4);
    const alpha = clusterView(cluster([{ id: 'worker', replicas: 2 }], 'kubedirector.bluedata.io/v1alpha1'));
    assert.equal(alpha.roles[0]?.members, 2);
    assert.equal(alpha.group, 'kubedirector.bluedata.io');
    assert.equal(alpha.serviceType, 'NodePort');
    const view = appView(app);
    assert.deepEqual(
      view.roles.map((r) => [r.id, r.image, r.serviceIds]),
      [
        ['controller', 'img:1', ['ui']],
        ['worker', 'worker:2', []],
        ['spare', 'img:1', []],
      ],
    );
  });

  void it('accepts a cluster within the app', () => {
    assert.equal(validateCluster(clusterView(cluster([{ id: 'controller', members: 1 }, { id: 'worker', members: 5 }])), appView(app)), undefined);
    // Members left out: the role's minimum.
    assert.equal(validateCluster(clusterView(cluster([{ id: 'controller' }])), appView(app)), undefined);
  });

  void it('refuses with upstream messages: unknown app, unknown or unselected role, cardinality, missing required role', () => {
    const c = clusterView(cluster([{ id: 'controller', members: 1 }]));
    assert.equal(validateCluster({ ...c, app: 'nope' }, undefined), 'Invalid app(nope). This app resource ID has not been registered.');
    assert.equal(
      validateCluster(clusterView(cluster([{ id: 'controller', members: 1 }, { id: 'gpu', members: 1 }])), appView(app)),
      'Invalid role(gpu) in app(kd-hello) specified. Valid roles: "controller,worker,spare"',
    );
    assert.match(validateCluster(clusterView(cluster([{ id: 'controller' }, { id: 'spare' }])), appView(app)) ?? '', /^Invalid role\(spare\)/);
    assert.equal(
      validateCluster(clusterView(cluster([{ id: 'controller', members: 2 }])), appView(app)),
      'Invalid member count for role(controller). Specified member count:2 Role cardinality:1',
    );
    assert.equal(
      validateCluster(clusterView(cluster([{ id: 'worker', members: 1 }])), appView(app)),
      'Active role(controller) in app(kd-hello) must have its configuration included in the roles array.',
    );
  });
});
