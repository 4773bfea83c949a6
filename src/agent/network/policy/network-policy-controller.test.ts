import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../api/meta/types.js';
import { FakeClock } from '../../../base/clock/clock.js';
import { newLogger } from '../../../base/log/logger.js';
import type { ResourceEventHandler } from '../../../client/informer/shared-informer.js';
import { NetworkPolicyController, type PolicyInformer } from './network-policy-controller.js';

/** FakeInformer: a map of objects, handlers told synchronously, sync on demand. */
class FakeInformer implements PolicyInformer {
  readonly objects = new Map<string, KubeObject>();
  readonly handlers: ResourceEventHandler[] = [];
  #synced!: (ok: boolean) => void;
  readonly #sync = new Promise<boolean>((resolve) => (this.#synced = resolve));
  readonly store: { list(): KubeObject[] } = { list: (): KubeObject[] => [...this.objects.values()] };
  addEventHandler(h: ResourceEventHandler): void {
    this.handlers.push(h);
  }
  waitForSync(): Promise<boolean> {
    return this.#sync;
  }
  sync(): void {
    this.#synced(true);
  }
  upsert(obj: KubeObject): void {
    const k = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    const old = this.objects.get(k);
    this.objects.set(k, obj);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }
  remove(obj: KubeObject): void {
    this.objects.delete(`${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`);
    for (const h of this.handlers) h.onDelete?.(obj);
  }
}

/** settle lets queued promise callbacks (the worker's) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function pod(name: string, ip: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return { kind: 'Pod', metadata: { namespace: 'default', name, labels }, spec: { nodeName: 'n1', containers: [{}] }, status: { phase: 'Running', podIP: ip, ...extra } };
}

const denyAll: KubeObject = { kind: 'NetworkPolicy', metadata: { namespace: 'default', name: 'deny' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } };

function setup(apply: (script: string) => Promise<void>): { c: NetworkPolicyController; clock: FakeClock; np: FakeInformer; pods: FakeInformer; ns: FakeInformer; stop: AbortController; removed: string[] } {
  const clock = new FakeClock();
  const removed: string[] = [];
  const c = new NetworkPolicyController({ nodeName: 'n1', table: 'tkube-np-n1', clock, log: newLogger('test'), apply, remove: (t) => Promise.resolve(void removed.push(t)), bridgeNetfilterSysctl: false, minSyncIntervalMs: 100 });
  const [np, pods, ns] = [new FakeInformer(), new FakeInformer(), new FakeInformer()];
  const stop = new AbortController();
  c.start(stop.signal, { informers: { networkPolicies: np, pods, namespaces: ns } });
  return { c, clock, np, pods, ns, stop, removed };
}

void describe('NetworkPolicyController', () => {
  void it('writes nothing until every cache is complete, then the whole table; follows changes; coalesces bursts', async () => {
    const writes: string[] = [];
    const { c, clock, np, pods, ns, stop, removed } = setup((s) => Promise.resolve(void writes.push(s)));
    ns.upsert({ kind: 'Namespace', metadata: { name: 'default' } });
    pods.upsert(pod('web', '10.42.0.10', { app: 'web' }));
    np.upsert(denyAll);
    np.sync();
    pods.sync();
    await settle();
    clock.advance(1000);
    await settle();
    assert.equal(writes.length, 0, 'namespaces not listed yet: the old table stays');
    ns.sync();
    await settle();
    clock.advance(0);
    await settle();
    assert.equal(writes.length, 1);
    assert.match(writes[0] ?? '', /ingress_default_web/);

    // A burst within the interval: one more write, after the interval.
    for (let i = 0; i < 5; i++) pods.upsert(pod(`p${i}`, `10.42.0.${20 + i}`, { app: 'x' }));
    await settle();
    assert.equal(writes.length, 1);
    clock.advance(100);
    await settle();
    assert.equal(writes.length, 2);
    assert.match(writes[1] ?? '', /ingress_default_p4/);

    // Status churn that the rules do not read writes nothing.
    pods.upsert(pod('web', '10.42.0.10', { app: 'web' }, { conditions: [{ type: 'Ready', status: 'True' }] }));
    clock.advance(1000);
    await settle();
    assert.equal(writes.length, 2);

    np.remove(denyAll);
    clock.advance(100);
    await settle();
    assert.equal(writes.length, 3);
    assert.doesNotMatch(writes[2] ?? '', /ingress_/);
    assert.equal(c.syncCount, 3);

    // The periodic resync writes the same table again (someone may have flushed it).
    clock.advance(300_000);
    await settle();
    assert.equal(writes.length, 4);
    assert.equal(writes[3], writes[2]);

    await c.cleanup();
    assert.deepEqual(removed, ['tkube-np-n1']);
    stop.abort();
    await c.stopped();
  });

  void it('rebuilds nothing on pod churn while no NetworkPolicy exists; the first policy reads every pod', async () => {
    const writes: string[] = [];
    const { clock, np, pods, ns, stop, c } = setup((s) => Promise.resolve(void writes.push(s)));
    np.sync();
    pods.sync();
    ns.sync();
    await settle();
    clock.advance(0);
    await settle();
    assert.equal(writes.length, 1, 'the first complete view writes the (empty) table');
    let podLists = 0;
    const list = pods.store.list;
    pods.store.list = () => (podLists++, list());
    for (let i = 0; i < 20; i++) {
      pods.upsert(pod(`p${i}`, `10.42.0.${20 + i}`, { app: 'x' }));
      pods.upsert(pod(`p${i}`, `10.42.0.${20 + i}`, { app: 'x' }, { conditions: [{ type: 'Ready', status: 'True' }] }));
      clock.advance(100);
      await settle();
    }
    assert.equal(writes.length, 1);
    assert.equal(podLists, 0, 'no policy: pod adds and updates start no rebuild');
    np.upsert(denyAll);
    clock.advance(100);
    await settle();
    assert.equal(writes.length, 2);
    assert.match(writes[1] ?? '', /ingress_default_p19/);
    stop.abort();
    await c.stopped();
  });

  void it('retries a failed write with back-off', async () => {
    let fail = 2;
    const writes: string[] = [];
    const { clock, np, pods, ns, stop, c } = setup((s) => {
      if (fail-- > 0) return Promise.reject(new Error('nft: boom'));
      writes.push(s);
      return Promise.resolve();
    });
    np.sync();
    pods.sync();
    ns.sync();
    for (let i = 0; i < 20 && writes.length === 0; i++) {
      await settle();
      clock.advance(50);
    }
    assert.equal(writes.length, 1);
    assert.equal(fail, -1, 'two failures, then success');
    stop.abort();
    await c.stopped();
  });
});
