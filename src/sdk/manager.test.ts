/**
 * Manager, Client and installCRD against the in-process test API server: the leader gate decides when
 * controllers run (and a new term reconciles everything), installCRD is idempotent, the typed client's expected
 * outcomes are values.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import { createOrUpdate } from './client.js';
import { installCRD } from './crd.js';
import { Kinds } from './kind.js';
import type { LeaderCallbacks, LeaderGate } from './leader-gate.js';
import { eventually } from './testing/eventually.js';
import { startTestEnvironment, type TestEnvironment } from './testing/test-environment.js';

/** ManualGate leads when the test says so. */
class ManualGate implements LeaderGate {
  #callbacks: LeaderCallbacks | undefined;
  #term: AbortController | undefined;
  isLeader(): boolean {
    return this.#term !== undefined;
  }
  async run(callbacks: LeaderCallbacks, stop: AbortSignal): Promise<void> {
    this.#callbacks = callbacks;
    await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    this.lose();
  }
  lead(): void {
    this.#term = new AbortController();
    void this.#callbacks?.onStartedLeading(this.#term.signal);
  }
  lose(): void {
    if (!this.#term) return;
    this.#term.abort();
    this.#term = undefined;
    void this.#callbacks?.onStoppedLeading?.();
  }
  get ready(): boolean {
    return this.#callbacks !== undefined;
  }
}

describe('Manager against the test API server', () => {
  let env: TestEnvironment;
  before(async () => {
    env = await startTestEnvironment();
  });
  after(async () => {
    await env.stop();
  });

  it('runs controllers only while leading; a new term reconciles every object again', async () => {
    const gate = new ManualGate();
    const manager = env.newManager({ name: 'gated', leaderGate: gate });
    const seen: string[] = [];
    manager.controller('cms').for(Kinds.ConfigMap).complete(async (req) => {
      if (req.namespace === 'gate-test') seen.push(req.name);
    });
    await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gate-test' } });
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: 'gate-test' } });
    await manager.start();
    await eventually(() => gate.ready);
    assert.deepEqual(manager.health(), { started: true, synced: true, leading: false, controllers: ['cms'] });
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two', namespace: 'gate-test' } });
    await eventually(() => manager.cached(Kinds.ConfigMap, { namespace: 'gate-test', name: 'two' }));
    assert.equal(seen.length, 0, 'nothing reconciled before leading');
    gate.lead();
    await eventually(() => seen.includes('one') && seen.includes('two'));
    assert.equal(manager.health().leading, true);
    gate.lose();
    seen.length = 0;
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'three', namespace: 'gate-test' } });
    await eventually(() => manager.cached(Kinds.ConfigMap, { namespace: 'gate-test', name: 'three' }));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(seen.length, 0, 'nothing reconciled after losing leadership');
    gate.lead();
    await eventually(() => ['one', 'two', 'three'].every((n) => seen.includes(n)));
    await manager.stop();
    assert.equal(manager.health().started, false);
  });

  it('installCRD is idempotent and registers the kind with the client', async () => {
    const manager = env.newManager({ name: 'crd-test' });
    const spec = {
      group: 'sdk.tkube.dev',
      kind: 'Widget',
      plural: 'widgets',
      versions: [{ name: 'v1', subresources: { status: true }, schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } }, status: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }],
    };
    const kind = await installCRD(manager, spec);
    assert.deepEqual(kind, { group: 'sdk.tkube.dev', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true });
    await installCRD(manager, { ...spec, versions: [{ ...spec.versions[0]!, printerColumns: [{ name: 'Size', type: 'integer' as const, jsonPath: '.spec.size' }] }] });
    const crd = await env.client.get(Kinds.CustomResourceDefinition, { name: 'widgets.sdk.tkube.dev' });
    const versions = (crd?.['spec'] as { versions: Array<{ additionalPrinterColumns?: unknown[] }> }).versions;
    assert.equal(versions[0]?.additionalPrinterColumns?.length, 1);
    const created = await manager.client.create<KubeObject>({ apiVersion: 'sdk.tkube.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' }, spec: { size: 3 } });
    const withStatus = await manager.client.updateStatus<KubeObject>({ ...created, status: { ok: true } });
    assert.deepEqual(withStatus['status'], { ok: true });
    const listed = await manager.client.list(kind, { namespace: 'default' });
    assert.equal(listed[0]?.kind, 'Widget');
    assert.equal(listed[0]?.apiVersion, 'sdk.tkube.dev/v1');
  });

  it('the client: missing objects are values, apply and merge patch work, unknown kinds are a clear error', async () => {
    const c = env.client;
    assert.equal(await c.get(Kinds.ConfigMap, { namespace: 'default', name: 'nope' }), undefined);
    assert.equal(await c.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name: 'nope' } }), false);
    const applied = await c.apply<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name: 'applied' }, data: { a: '1' } });
    assert.deepEqual(applied['data'], { a: '1' });
    const patched = await c.patch<KubeObject>(applied, { data: { b: '2' } });
    assert.deepEqual(patched['data'], { a: '1', b: '2' });
    assert.equal(await c.delete(patched), true);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name: 'cou' } } as KubeObject;
    const set = (v: string) => (o: KubeObject): void => void (o['data'] = { v });
    assert.equal((await createOrUpdate(c, Kinds.ConfigMap, cm, set('1'))).result, 'created');
    assert.equal((await createOrUpdate(c, Kinds.ConfigMap, cm, set('1'))).result, 'unchanged');
    const updated = await createOrUpdate(c, Kinds.ConfigMap, cm, set('2'));
    assert.equal(updated.result, 'updated');
    assert.deepEqual(updated.object['data'], { v: '2' });
    await assert.rejects(c.create({ apiVersion: 'nope.dev/v1', kind: 'Thing', metadata: { name: 'x' } }), /unknown kind nope.dev\/v1\/Thing/);
  });
});
