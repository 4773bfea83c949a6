import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { expectedScale, type ControllerLookup } from './disruption-controller.js';

const owned = (name: string, kind: string, owner: string, uid: string): KubeObject => ({
  metadata: { name, namespace: 'ns', ownerReferences: [{ apiVersion: 'apps/v1', kind, name: owner, uid, controller: true }] },
});
const objects: Record<string, KubeObject> = {
  'rs:ns/web-1': { metadata: { name: 'web-1', uid: 'rs1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] }, spec: { replicas: 2 } },
  'deploy:ns/web': { metadata: { name: 'web', uid: 'd1' }, spec: { replicas: 5 } },
  'sts:ns/db': { metadata: { name: 'db', uid: 's1' }, spec: { replicas: 3 } },
};
const lookup: ControllerLookup = {
  replicaSet: (k) => objects[`rs:${k}`],
  deployment: (k) => objects[`deploy:${k}`],
  replicationController: () => undefined,
  statefulSet: (k) => objects[`sts:${k}`],
};

void describe('expectedScale', () => {
  void it('sums each controller once, a Deployment standing for its ReplicaSets', () => {
    const pods = [owned('w1', 'ReplicaSet', 'web-1', 'rs1'), owned('w2', 'ReplicaSet', 'web-1', 'rs1'), owned('d1', 'StatefulSet', 'db', 's1')];
    assert.deepEqual(expectedScale(pods, lookup), { expected: 8 });
  });
  void it('names a pod without a controller', () => {
    assert.deepEqual(expectedScale([{ metadata: { name: 'bare', namespace: 'ns' } }], lookup), { error: 'found no controllers for pod "bare"' });
  });
});
