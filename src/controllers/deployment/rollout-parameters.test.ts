import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { semanticJson } from '../../api/meta/semantic-json.js';
import { podTemplateHash } from './pod-template-hash.js';
import { newReplicaSetReplicas, resolveSurgeAndUnavailable } from './rollout-parameters.js';

describe('resolveSurgeAndUnavailable', () => {
  it('defaults to 25 % each, surge rounding up and unavailability down', () => {
    assert.deepEqual(resolveSurgeAndUnavailable(undefined, 4), [1, 1]);
    assert.deepEqual(resolveSurgeAndUnavailable(undefined, 10), [3, 2]);
    assert.deepEqual(resolveSurgeAndUnavailable(undefined, 1), [1, 0]);
  });
  it('takes absolute numbers and percentages, and never lets both be 0', () => {
    assert.deepEqual(resolveSurgeAndUnavailable({ maxSurge: 2, maxUnavailable: '50%' }, 5), [2, 2]);
    assert.deepEqual(resolveSurgeAndUnavailable({ maxSurge: 0, maxUnavailable: 0 }, 3), [0, 1]);
    assert.deepEqual(resolveSurgeAndUnavailable({ maxSurge: '0%', maxUnavailable: '10%' }, 3), [0, 1]);
  });
});

describe('newReplicaSetReplicas', () => {
  it('grows the new ReplicaSet within desired + maxSurge in total', () => {
    assert.equal(newReplicaSetReplicas(4, 1, 0, 4), 1);
    assert.equal(newReplicaSetReplicas(4, 1, 1, 5), 1);
    assert.equal(newReplicaSetReplicas(4, 1, 1, 4), 2);
    assert.equal(newReplicaSetReplicas(4, 1, 3, 3), 4);
    assert.equal(newReplicaSetReplicas(4, 1, 5, 5), 4);
  });
});

describe('podTemplateHash', () => {
  it('is stable across key order and nulls, and changes with the template and the collision count', () => {
    const a = { metadata: { labels: { app: 'w' }, creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    const b = { spec: { containers: [{ image: 'x', name: 'c' }] }, metadata: { labels: { app: 'w' } } };
    assert.equal(semanticJson(a), semanticJson(b));
    assert.equal(podTemplateHash(a), podTemplateHash(b));
    assert.notEqual(podTemplateHash(a), podTemplateHash(a, 1));
    assert.notEqual(podTemplateHash(a), podTemplateHash({ ...b, spec: { containers: [{ name: 'c', image: 'y' }] } }));
    assert.match(podTemplateHash(a), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
});
