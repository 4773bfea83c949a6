/**
 * The SDK's object helpers: finalizers, status conditions (meta.SetStatusCondition's lastTransitionTime rules),
 * owner references, and the CRD document installCRD writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import type { Client } from './client.js';
import { findStatusCondition, isStatusConditionTrue, removeStatusCondition, setStatusCondition, type Condition } from './conditions.js';
import { crdObject } from './crd.js';
import { addFinalizer, ensureFinalizer, hasFinalizer, releaseFinalizer, removeFinalizer } from './finalizers.js';
import { AlreadyOwnedError, controllerOf, setControllerReference, setOwnerReference } from './owner-references.js';
import { isTerminalError } from './reconcile.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const owner = (name: string, kind = 'Foo', namespace = 'ns'): KubeObject => ({ apiVersion: 'example.dev/v1', kind, metadata: { name, namespace, uid: `uid-${name}` } });

describe('finalizers', () => {
  it('add, has and remove say whether they changed the object', () => {
    const obj: KubeObject = { metadata: { name: 'x' } };
    assert.equal(hasFinalizer(obj, 'a/b'), false);
    assert.equal(addFinalizer(obj, 'a/b'), true);
    assert.equal(addFinalizer(obj, 'a/b'), false);
    assert.deepEqual(obj.metadata?.finalizers, ['a/b']);
    assert.equal(removeFinalizer(obj, 'c/d'), false);
    assert.equal(removeFinalizer(obj, 'a/b'), true);
    assert.deepEqual(obj.metadata?.finalizers, []);
  });

  it('ensureFinalizer and releaseFinalizer write only when needed, and never mutate their input', async () => {
    const updates: KubeObject[] = [];
    const client = { update: async (o: KubeObject) => (updates.push(o), { ...o, metadata: { ...o.metadata, resourceVersion: String(updates.length + 1) } }) } as unknown as Client;
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', resourceVersion: '1' } };
    const withF = await ensureFinalizer(client, obj, 'a/b');
    assert.equal(updates.length, 1);
    assert.equal(obj.metadata?.finalizers, undefined);
    assert.deepEqual(withF.metadata?.finalizers, ['a/b']);
    assert.equal(await ensureFinalizer(client, withF, 'a/b'), withF);
    assert.equal(updates.length, 1);
    const released = await releaseFinalizer(client, withF, 'a/b');
    assert.deepEqual(released.metadata?.finalizers, []);
    assert.equal(await releaseFinalizer(client, released, 'a/b'), released);
    assert.equal(updates.length, 2);
  });
});

describe('status conditions', () => {
  it('a new condition gets now as lastTransitionTime; a status change moves it; other changes do not', () => {
    const conds: Condition[] = [];
    assert.equal(setStatusCondition(conds, { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting' }, T0), true);
    assert.equal(conds[0]?.lastTransitionTime, '2026-01-01T00:00:00Z');
    // Same status, new reason/message/observedGeneration: updated, transition time kept.
    assert.equal(setStatusCondition(conds, { type: 'Ready', status: 'False', reason: 'Still', message: 'still waiting', observedGeneration: 2 }, T0 + 60_000), true);
    assert.deepEqual(conds[0], { type: 'Ready', status: 'False', reason: 'Still', message: 'still waiting', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' });
    // Nothing new: no change.
    assert.equal(setStatusCondition(conds, { type: 'Ready', status: 'False', reason: 'Still', message: 'still waiting', observedGeneration: 2 }, T0 + 120_000), false);
    // Status flips: transition time moves.
    assert.equal(setStatusCondition(conds, { type: 'Ready', status: 'True', reason: 'Done', message: '' }, T0 + 180_000), true);
    assert.equal(conds[0]?.lastTransitionTime, '2026-01-01T00:03:00Z');
    assert.equal(isStatusConditionTrue(conds, 'Ready'), true);
    // An explicit lastTransitionTime is kept as given.
    setStatusCondition(conds, { type: 'Synced', status: 'True', lastTransitionTime: '2025-05-05T05:05:05Z' }, T0);
    assert.equal(findStatusCondition(conds, 'Synced')?.lastTransitionTime, '2025-05-05T05:05:05Z');
    assert.equal(removeStatusCondition(conds, 'Synced'), true);
    assert.equal(removeStatusCondition(conds, 'Synced'), false);
    assert.equal(findStatusCondition(conds, 'Synced'), undefined);
  });
});

describe('owner references', () => {
  it('setControllerReference sets controller and blockOwnerDeletion, and is idempotent', () => {
    const obj: KubeObject = { metadata: { name: 'cm', namespace: 'ns' } };
    setControllerReference(owner('a'), obj);
    setControllerReference(owner('a'), obj);
    assert.deepEqual(obj.metadata?.ownerReferences, [{ apiVersion: 'example.dev/v1', kind: 'Foo', name: 'a', uid: 'uid-a', controller: true, blockOwnerDeletion: true }]);
    assert.equal(controllerOf(obj)?.name, 'a');
  });

  it('another controller is a terminal AlreadyOwnedError; cross-namespace owners are refused', () => {
    const obj: KubeObject = { metadata: { name: 'cm', namespace: 'ns' } };
    setControllerReference(owner('a'), obj);
    assert.throws(() => setControllerReference(owner('b'), obj), (err: unknown) => err instanceof AlreadyOwnedError && isTerminalError(err) && /controlled by Foo "a"/.test(err.message));
    assert.throws(() => setControllerReference(owner('c', 'Foo', 'elsewhere'), { metadata: { name: 'cm', namespace: 'ns' } }), /another namespace/);
    // A cluster-scoped owner may own a namespaced object.
    const clusterOwner: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', uid: 'u' } };
    setOwnerReference(clusterOwner, obj);
    assert.equal(obj.metadata?.ownerReferences?.length, 2);
  });

  it('setOwnerReference adds a plain reference and keeps an existing controller flag', () => {
    const obj: KubeObject = { metadata: { name: 'cm', namespace: 'ns' } };
    setOwnerReference(owner('a'), obj);
    assert.equal(obj.metadata?.ownerReferences?.[0]?.controller, undefined);
    setControllerReference(owner('a'), obj);
    setOwnerReference(owner('a'), obj);
    assert.equal(obj.metadata?.ownerReferences?.length, 1);
    assert.equal(obj.metadata?.ownerReferences?.[0]?.controller, true);
  });

  it('an owner not read from the API (no uid) is refused', () => {
    assert.throws(() => setControllerReference({ apiVersion: 'v1', kind: 'Foo', metadata: { name: 'x' } }, { metadata: {} }), /metadata.uid/);
  });
});

describe('crdObject', () => {
  it('builds an apiextensions.k8s.io/v1 CRD with names, storage version, columns and subresources', () => {
    const crd = crdObject({
      group: 'example.dev',
      kind: 'Foo',
      plural: 'foos',
      shortNames: ['fo'],
      versions: [
        { name: 'v1', schema: { type: 'object' }, subresources: { status: true }, printerColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }] },
        { name: 'v2', schema: { type: 'object' } },
      ],
    });
    assert.equal(crd.metadata?.name, 'foos.example.dev');
    const spec = crd['spec'] as { scope: string; names: Record<string, unknown>; versions: Array<Record<string, unknown>> };
    assert.equal(spec.scope, 'Namespaced');
    assert.deepEqual(spec.names, { kind: 'Foo', listKind: 'FooList', plural: 'foos', singular: 'foo', shortNames: ['fo'] });
    assert.deepEqual(spec.versions.map((v) => [v['name'], v['storage']]), [['v1', true], ['v2', false]]);
    assert.deepEqual(spec.versions[0]?.['subresources'], { status: {} });
    assert.deepEqual(spec.versions[0]?.['additionalPrinterColumns'], [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }]);
    assert.throws(() => crdObject({ group: 'g', kind: 'K', plural: 'ks', versions: [] }), /no versions/);
  });
});
