/**
 * The SDK controller's reconcile loop on a FakeClock, with informers fed by in-memory collections: retries with
 * exponential backoff, requeueAfterMs, requeue, terminal errors, owns → owner enqueued, watches → mapped keys.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeList, KubeObject } from '../api/meta/types.js';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import { SharedInformer } from '../client/informer/shared-informer.js';
import type { ListerWatcher } from '../client/informer/reflector.js';
import type { WatchEvent } from '../client/rest-client.js';
import { eventually } from './testing/eventually.js';
import { ControllerBuilder, generationChanged, type ControllerHost, type SdkController } from './controller-builder.js';
import { Kinds, type Kind } from './kind.js';
import { TerminalError, type ReconcileRequest, type ReconcileResult } from './reconcile.js';

const Foo: Kind = { group: 'example.dev', version: 'v1', kind: 'Foo', resource: 'foos', namespaced: true };

/** Collection is a fake API collection: list answers its objects, watch streams what the test writes. */
class Collection implements ListerWatcher {
  readonly #objects = new Map<string, KubeObject>();
  readonly #watchers = new Set<(e: WatchEvent) => void>();
  /** Every event, so a watch from a resourceVersion replays what it missed (as the API's watch cache does). */
  readonly #history: WatchEvent[] = [];
  #rv = 1;

  constructor(readonly kind: Kind) {}

  put(obj: KubeObject): KubeObject {
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    const type = this.#objects.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = { apiVersion: `${this.kind.group}/${this.kind.version}`, kind: this.kind.kind, ...obj, metadata: { ...obj.metadata, uid: `uid-${key}`, resourceVersion: String(++this.#rv) } };
    this.#objects.set(key, stored);
    this.#history.push({ type, object: stored });
    for (const w of this.#watchers) w({ type, object: stored });
    return stored;
  }

  async list(): Promise<KubeList> {
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.#rv) }, items: [...this.#objects.values()] };
  }

  async *watch(options: { signal?: AbortSignal; resourceVersion?: string }): AsyncIterable<WatchEvent> {
    const from = Number(options.resourceVersion ?? '0');
    const pending: WatchEvent[] = this.#history.filter((e) => Number(e.object.metadata?.resourceVersion) > from);
    let wake: (() => void) | undefined;
    const push = (e: WatchEvent): void => {
      pending.push(e);
      wake?.();
    };
    this.#watchers.add(push);
    try {
      while (!options.signal?.aborted) {
        const next = pending.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          options.signal?.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = undefined;
      }
    } finally {
      this.#watchers.delete(push);
    }
  }
}

/** FakeHost is a ControllerHost over fake collections and a FakeClock. */
class FakeHost implements ControllerHost {
  readonly clock = new FakeClock();
  readonly log = newLogger('sdk-test');
  readonly recorded: string[] = [];
  readonly events = {
    record: async (obj: KubeObject, type: string, reason: string, message: string): Promise<void> => {
      this.recorded.push(`${type} ${reason} ${obj.kind ?? ''}/${obj.metadata?.name ?? ''}: ${message}`);
    },
  };
  readonly collections = new Map<string, Collection>();
  readonly #informers = new Map<string, SharedInformer>();
  readonly controllers: SdkController[] = [];
  readonly #stop = new AbortController();
  #runs: Promise<void>[] = [];

  collection(kind: Kind): Collection {
    let c = this.collections.get(kind.resource);
    if (!c) {
      c = new Collection(kind);
      this.collections.set(kind.resource, c);
    }
    return c;
  }

  informerFor<T extends KubeObject>(kind: Kind): SharedInformer<T> {
    let i = this.#informers.get(kind.resource);
    if (!i) {
      i = new SharedInformer({ client: undefined as never, path: { group: kind.group, version: kind.version, resource: kind.resource }, listerWatcher: this.collection(kind), log: this.log });
      this.#informers.set(kind.resource, i);
      this.#runs.push(i.run(this.#stop.signal));
    }
    return i as unknown as SharedInformer<T>;
  }

  addController(controller: SdkController): void {
    this.controllers.push(controller);
  }

  /** run starts every controller (one leadership term). */
  run(): void {
    for (const c of this.controllers) this.#runs.push(c.run(this.#stop.signal));
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#runs);
  }
}

/** Calls records every reconcile and answers with the scripted outcomes, then with nothing. */
class Calls {
  readonly keys: string[] = [];
  constructor(readonly outcomes: Array<ReconcileResult | Error> = []) {}
  readonly reconcile = async (req: ReconcileRequest): Promise<ReconcileResult | void> => {
    this.keys.push(req.key);
    const next = this.outcomes.shift();
    if (next instanceof Error) throw next;
    return next;
  };
  count(key: string): number {
    return this.keys.filter((k) => k === key).length;
  }
}

function foo(name: string, namespace = 'default'): KubeObject {
  return { metadata: { name, namespace } };
}

/** settle lets the informer deliver and the worker run before the next assertion about "nothing happened". */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('SDK controller reconcile loop', () => {
  let host: FakeHost;
  afterEach(async () => {
    await host.stop();
  });

  it('retries a failing key with exponential backoff, then forgets it after a success', async () => {
    host = new FakeHost();
    const calls = new Calls([new Error('boom 1'), new Error('boom 2'), new Error('boom 3')]);
    new ControllerBuilder(host, 'foo').for(Foo).withOptions({ baseRetryDelayMs: 1000 }).complete(calls.reconcile);
    host.collection(Foo).put(foo('a'));
    host.run();
    await eventually(() => calls.count('default/a') === 1);
    // Backoff doubles: 1 s, 2 s, 4 s.
    for (const [delay, n] of [[1000, 2], [2000, 3], [4000, 4]] as const) {
      host.clock.advance(delay - 1);
      await settle();
      assert.equal(calls.count('default/a'), n - 1, `no retry before ${delay} ms`);
      host.clock.advance(1);
      await eventually(() => calls.count('default/a') === n);
    }
    // The fourth attempt succeeded: nothing is scheduled any more.
    host.clock.advance(1_000_000);
    await settle();
    assert.equal(calls.count('default/a'), 4);
  });

  it('requeueAfterMs reconciles again after exactly that long; requeue: true after the backoff', async () => {
    host = new FakeHost();
    const calls = new Calls([{ requeueAfterMs: 5000 }, { requeue: true }, { requeue: true }]);
    new ControllerBuilder(host, 'foo').for(Foo).withOptions({ baseRetryDelayMs: 100 }).complete(calls.reconcile);
    host.collection(Foo).put(foo('a'));
    host.run();
    await eventually(() => calls.count('default/a') === 1);
    host.clock.advance(4999);
    await settle();
    assert.equal(calls.count('default/a'), 1);
    host.clock.advance(1);
    await eventually(() => calls.count('default/a') === 2);
    // requeue: true backs off like a failure: 100 ms, then 200 ms.
    host.clock.advance(100);
    await eventually(() => calls.count('default/a') === 3);
    host.clock.advance(199);
    await settle();
    assert.equal(calls.count('default/a'), 3);
    host.clock.advance(1);
    await eventually(() => calls.count('default/a') === 4);
  });

  it('a TerminalError is not retried and is recorded as a Warning event on the object', async () => {
    host = new FakeHost();
    const calls = new Calls([new TerminalError('spec.size must be positive')]);
    new ControllerBuilder(host, 'foo').for(Foo).complete(calls.reconcile);
    host.collection(Foo).put(foo('bad'));
    host.run();
    await eventually(() => calls.count('default/bad') === 1);
    host.clock.advance(10_000_000);
    await settle();
    assert.equal(calls.count('default/bad'), 1);
    await eventually(() => host.recorded.includes('Warning ReconcileError Foo/bad: spec.size must be positive'));
    // A new event about the object reconciles it again.
    host.collection(Foo).put({ ...foo('bad'), spec: { size: 1 } });
    await eventually(() => calls.count('default/bad') === 2);
  });

  it('owns: a change of an owned object enqueues its controlling owner of the for kind only', async () => {
    host = new FakeHost();
    const calls = new Calls();
    new ControllerBuilder(host, 'foo').for(Foo).owns(Kinds.ConfigMap).complete(calls.reconcile);
    host.run();
    await eventually(() => host.controllers.every((c) => c.hasSynced()));
    const ref = (kind: string, apiVersion: string, name: string, controller: boolean) => ({ apiVersion, kind, name, uid: `u-${name}`, controller });
    const cms = host.collection(Kinds.ConfigMap);
    cms.put({ metadata: { name: 'cm1', namespace: 'ns1', ownerReferences: [ref('Foo', 'example.dev/v1', 'owner1', true)] } });
    cms.put({ metadata: { name: 'cm2', namespace: 'ns1', ownerReferences: [ref('Foo', 'example.dev/v1', 'notcontroller', false)] } });
    cms.put({ metadata: { name: 'cm3', namespace: 'ns1', ownerReferences: [ref('Bar', 'example.dev/v1', 'otherkind', true)] } });
    cms.put({ metadata: { name: 'cm4', namespace: 'ns1', ownerReferences: [ref('Foo', 'other.dev/v1', 'othergroup', true)] } });
    cms.put({ metadata: { name: 'cm5', namespace: 'ns1', ownerReferences: [ref('Foo', 'example.dev/v2', 'owner5', true)] } });
    await eventually(() => calls.count('ns1/owner1') === 1 && calls.count('ns1/owner5') === 1);
    await settle();
    assert.deepEqual([...new Set(calls.keys)].sort(), ['ns1/owner1', 'ns1/owner5']);
  });

  it('watches: the map function decides which keys an event wakes', async () => {
    host = new FakeHost();
    const calls = new Calls();
    new ControllerBuilder(host, 'foo')
      .for(Foo)
      .watches(Kinds.Secret, (s) => {
        const target = s.metadata?.labels?.['foo'];
        return target ? [{ namespace: s.metadata?.namespace, name: target }, `other/${target}`] : [];
      })
      .complete(calls.reconcile);
    host.run();
    await eventually(() => host.controllers.every((c) => c.hasSynced()));
    host.collection(Kinds.Secret).put({ metadata: { name: 's1', namespace: 'ns', labels: { foo: 'x' } } });
    host.collection(Kinds.Secret).put({ metadata: { name: 's2', namespace: 'ns' } });
    await eventually(() => calls.count('ns/x') === 1 && calls.count('other/x') === 1);
    await settle();
    assert.equal(calls.keys.length, 2);
  });

  it('withEventFilter(generationChanged): status-only updates do not enqueue, spec changes do', async () => {
    host = new FakeHost();
    const calls = new Calls();
    new ControllerBuilder(host, 'foo').for(Foo).withEventFilter(generationChanged).complete(calls.reconcile);
    host.collection(Foo).put({ metadata: { name: 'g', namespace: 'default', generation: 1 } });
    host.run();
    await eventually(() => calls.count('default/g') === 1);
    host.collection(Foo).put({ metadata: { name: 'g', namespace: 'default', generation: 1 }, status: { ready: true } });
    await settle();
    host.collection(Foo).put({ metadata: { name: 'g', namespace: 'default', generation: 2 }, spec: { size: 2 } });
    await eventually(() => calls.count('default/g') === 2);
    await settle();
    assert.equal(calls.count('default/g'), 2);
  });

  it('builder misuse fails at build time with a clear error', () => {
    host = new FakeHost();
    assert.throws(() => new ControllerBuilder(host, 'x').complete(async () => undefined), /call for\(kind\) first/);
    assert.throws(() => new ControllerBuilder(host, 'x').for(Foo).for(Foo), /already called/);
  });
});
