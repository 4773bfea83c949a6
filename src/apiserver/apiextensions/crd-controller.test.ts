import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { BUILTIN_RESOURCES } from '../../api/scheme.js';
import type { ResourceInfo } from '../../api/scheme.js';
import { RealClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { ResourceDispatcher } from '../handlers/resource-dispatcher.js';
import { BUILTIN_STRATEGIES } from '../registry/resources/index.js';
import { CrdController } from './crd-controller.js';
import { withCrdStrategy } from './crd-strategy.js';
import { CRD_FINALIZER } from './custom-resource-definition.js';

function crd(plural: string, kind: string, shortNames: string[] = [], singular?: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural, kind, shortNames, singular },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', default: 1 } } } } } } }],
    },
  };
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Cannot observe ${what}: timed out`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function conditionsOf(obj: KubeObject): Record<string, string> {
  const list = ((obj['status'] as { conditions?: { type: string; status: string; reason: string }[] } | undefined)?.conditions) ?? [];
  return Object.fromEntries(list.map((c) => [c.type, `${c.status}/${c.reason}`]));
}

test('the CRD controller accepts names, serves, refuses conflicts and finalizes deletion', async () => {
  const storage = new MemoryStorage();
  const clock = new RealClock();
  const dispatcher = new ResourceDispatcher({ storage, clock, resources: BUILTIN_RESOURCES, strategies: withCrdStrategy(BUILTIN_STRATEGIES) });
  const crds = dispatcher.storeFor('apiextensions.k8s.io', 'customresourcedefinitions');
  assert.ok(crds);
  let published: readonly ResourceInfo[] = [];
  const controller = new CrdController({
    crds,
    served: dispatcher,
    published: { setDiscovery: (r) => (published = r), setOpenApi: () => undefined },
    builtins: BUILTIN_RESOURCES,
    clock,
    log: newLogger('test'),
  });
  await controller.start();
  try {
    await dispatcher.storeFor('', 'namespaces')?.create('', { metadata: { name: 'default' } });
    await crds.create('', crd('widgets', 'Widget', ['wd']));
    const accepted = await until(async () => {
      const obj = await crds.get('', 'widgets.example.com');
      return conditionsOf(obj)['Established'] === 'True/InitialNamesAccepted' ? obj : undefined;
    }, 'Established');
    assert.deepEqual(conditionsOf(accepted), { NamesAccepted: 'True/NoConflicts', Established: 'True/InitialNamesAccepted' });
    assert.ok(published.some((r) => r.resource === 'widgets' && r.kind === 'Widget'));

    const widgets = await until(() => dispatcher.storeFor('example.com', 'widgets'), 'the widgets store');
    const created = await widgets.create('default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} });
    assert.deepEqual(created['spec'], { size: 1 });
    assert.deepEqual(controller.structuralSchema({ group: 'example.com', version: 'v1', kind: 'Widget' })?.type, 'object');

    // Same short name as widgets: NameConflict; same kind: KindConflict.
    await crds.create('', crd('gadgets', 'Gadget', ['wd']));
    await crds.create('', crd('others', 'Widget', [], 'other'));
    const gadget = await until(async () => {
      const obj = await crds.get('', 'gadgets.example.com');
      return conditionsOf(obj)['NamesAccepted'] ? obj : undefined;
    }, 'gadgets NamesAccepted');
    assert.deepEqual(conditionsOf(gadget), { NamesAccepted: 'False/NameConflict', Established: 'False/NotAccepted' });
    const other = await until(async () => {
      const obj = await crds.get('', 'others.example.com');
      return conditionsOf(obj)['NamesAccepted'] ? obj : undefined;
    }, 'others NamesAccepted');
    assert.equal(conditionsOf(other)['NamesAccepted'], 'False/KindConflict');
    assert.equal(dispatcher.storeFor('example.com', 'gadgets'), undefined);

    // Deletion: the finalizer holds the CRD until its objects are gone, then the CRD and its resource go.
    await crds.guaranteedUpdate('', 'widgets.example.com', (c) => ({ ...c, metadata: { ...c.metadata, finalizers: [CRD_FINALIZER] } }));
    await crds.delete('', 'widgets.example.com');
    await until(async () => {
      try {
        await crds.get('', 'widgets.example.com');
        return undefined;
      } catch {
        return true;
      }
    }, 'the CRD gone');
    await until(() => (dispatcher.storeFor('example.com', 'widgets') === undefined ? true : undefined), 'widgets unserved');
    assert.ok(!published.some((r) => r.resource === 'widgets'));
    assert.equal(await storage.count('/registry/example.com/widgets/'), 0);
  } finally {
    controller.stop();
    dispatcher.stop();
  }
});
