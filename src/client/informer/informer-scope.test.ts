import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { RestClient, type WatchEvent } from '../rest-client.js';
import type { ListerWatcher } from './reflector.js';
import { ObjectInterner } from './object-interner.js';
import { SharedInformer } from './shared-informer.js';
import { SharedInformerFactory } from './shared-informer-factory.js';

// Factory-made informers are never started here: the client is never called.
const client = new RestClient({ server: 'https://127.0.0.1:9' });
const PODS = { version: 'v1', resource: 'pods' } as const;
const NODES = { version: 'v1', resource: 'nodes' } as const;

/** scripted is a ListerWatcher listing `items` and then delivering what `push` is given, in order. */
function scripted(items: KubeObject[]): { lw: ListerWatcher; push(e: WatchEvent): void } {
  const queued: WatchEvent[] = [];
  let wake: () => void = () => undefined;
  return {
    push: (e) => {
      queued.push(e);
      wake();
    },
    lw: {
      list: () => Promise.resolve({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items }),
      watch: (o) =>
        (async function* (): AsyncGenerator<WatchEvent> {
          while (!o.signal?.aborted) {
            const e = queued.shift();
            if (e !== undefined) yield e;
            else await new Promise<void>((r) => (wake = r));
          }
        })(),
    },
  };
}

const pod = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', resourceVersion: rv } });

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('SharedInformer handler removal', () => {
  it('stops calling a removed handler while the others go on hearing every event', async () => {
    const { lw, push } = scripted([pod('a', '1')]);
    const informer = new SharedInformer({ client, path: PODS, listerWatcher: lw });
    const kept: string[] = [];
    const removed: string[] = [];
    informer.addEventHandler({ onAdd: (o) => kept.push(o.metadata?.name ?? '') });
    const remove = informer.addEventHandler({ onAdd: (o) => removed.push(o.metadata?.name ?? '') });
    const ac = new AbortController();
    const running = informer.run(ac.signal);
    await informer.waitForSync();
    push({ type: 'ADDED', object: pod('b', '2') });
    await until(() => kept.includes('b'));
    remove();
    assert.equal(informer.handlerCount, 1);
    push({ type: 'ADDED', object: pod('c', '3') });
    await until(() => kept.includes('c'));
    assert.deepEqual(kept, ['a', 'b', 'c']);
    assert.deepEqual(removed, ['a', 'b']);
    ac.abort();
    push({ type: 'ADDED', object: pod('d', '4') });
    await running;
  });

  it('does not deliver the rest of an event to a handler an earlier handler removed', async () => {
    const { lw, push } = scripted([]);
    const informer = new SharedInformer({ client, path: PODS, listerWatcher: lw });
    const heard: string[] = [];
    let removeSecond: () => void = () => undefined;
    informer.addEventHandler({ onAdd: () => removeSecond() });
    removeSecond = informer.addEventHandler({ onAdd: (o) => heard.push(o.metadata?.name ?? '') });
    const third: string[] = [];
    informer.addEventHandler({ onAdd: (o) => third.push(o.metadata?.name ?? '') });
    const ac = new AbortController();
    const running = informer.run(ac.signal);
    await informer.waitForSync();
    push({ type: 'ADDED', object: pod('x', '2') });
    await until(() => third.includes('x'));
    assert.deepEqual(heard, []);
    ac.abort();
    push({ type: 'ADDED', object: pod('y', '3') });
    await running;
  });

  it('removes one registration of a handler registered twice', () => {
    const informer = new SharedInformer({ client, path: PODS, listerWatcher: scripted([]).lw });
    const handler = { onAdd: () => undefined };
    const first = informer.addEventHandler(handler);
    informer.addEventHandler(handler);
    first();
    first();
    assert.equal(informer.handlerCount, 1);
  });
});

describe('SharedInformer with an interner', () => {
  it('caches objects whose equal parts are one value, without managedFields', async () => {
    const spec = { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] };
    const withSpec = (name: string, rv: string): KubeObject => ({ ...pod(name, rv), metadata: { ...pod(name, rv).metadata, managedFields: [{ manager: 'kubectl' }] }, spec: structuredClone(spec) });
    const { lw, push } = scripted([withSpec('a', '1')]);
    const informer = new SharedInformer({ client, path: PODS, listerWatcher: lw, stripManagedFields: true, interner: new ObjectInterner() });
    const ac = new AbortController();
    const running = informer.run(ac.signal);
    await informer.waitForSync();
    push({ type: 'ADDED', object: withSpec('b', '2') });
    await until(() => informer.store.get('ns/b') !== undefined);
    const a = informer.store.get('ns/a');
    const b = informer.store.get('ns/b');
    assert.deepEqual(b?.['spec'], spec);
    assert.equal(a?.['spec'], b?.['spec']);
    assert.equal(b?.metadata?.managedFields, undefined);
    ac.abort();
    push({ type: 'ADDED', object: withSpec('c', '3') });
    await running;
  });
});

describe('InformerScope', () => {
  it("hands out the factory's informers: the same store, one view per informer", () => {
    const factory = new SharedInformerFactory({ client });
    const scope = factory.scope();
    const pods = scope.informerFor(PODS);
    assert.equal(scope.informerFor({ ...PODS, name: 'p' }), pods);
    assert.equal(pods.store, factory.informerFor(PODS).store);
    assert.equal(pods.path, factory.informerFor(PODS).path);
    assert.equal(pods.hasSynced(), false);
    assert.ok(pods instanceof SharedInformer);
    // A metadata informer of a collection the factory watches in full is that informer, as from the factory.
    assert.equal(scope.metadataInformerFor(PODS), pods);
  });

  it('removes the handlers registered through it on release, and only those', () => {
    const factory = new SharedInformerFactory({ client });
    const pods = factory.informerFor(PODS);
    pods.addEventHandler({ onAdd: () => undefined });
    const term1 = factory.scope();
    const term2 = factory.scope();
    term1.informerFor(PODS).addEventHandler({ onAdd: () => undefined });
    term1.informerFor(NODES).addEventHandler({ onAdd: () => undefined });
    term2.informerFor(PODS).addEventHandler({ onAdd: () => undefined });
    assert.equal(pods.handlerCount, 3);
    term1.release();
    assert.equal(pods.handlerCount, 2);
    assert.equal(factory.informerFor(NODES).handlerCount, 0);
    assert.throws(() => term1.informerFor(PODS).addEventHandler({}), /released/);
    term2.release();
    assert.equal(pods.handlerCount, 1);
  });

  it("leaves starting to the factory's owner and waits only for its own informers", async () => {
    const factory = new SharedInformerFactory({ client });
    factory.informerFor(NODES);
    const scope = factory.scope();
    scope.start(new AbortController().signal);
    assert.deepEqual(scope.collections(), []);
    assert.equal(await scope.waitForCacheSync(), true);
    await scope.stopped();
    scope.informerFor(PODS);
    assert.deepEqual(scope.collections().map((c) => c.path.resource), ['pods']);
    const ac = new AbortController();
    ac.abort();
    assert.equal(await scope.waitForCacheSync(ac.signal), false);
  });
});
