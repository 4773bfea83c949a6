/**
 * EventRecorder: events carry annotations (kept fresh on a repeat), and with `maxInflight` writes are bounded and
 * the excess beyond the queue is dropped instead of waited for — Normal events first: a Warning is written before
 * queued Normal events and takes the place of the oldest one when the queue is full.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import type { KubeObject } from '../api/meta/types.js';
import { EventRecorder } from './event-recorder.js';

/** HeldClient answers writes only when released, counting how many are open at once. */
class HeldClient {
  readonly created: KubeObject[] = [];
  readonly patches: unknown[] = [];
  open = 0;
  maxOpen = 0;
  #waiting: (() => void)[] = [];

  create(_path: unknown, obj: KubeObject): Promise<KubeObject> {
    this.created.push(obj);
    return this.#hold(obj);
  }

  patch(_path: unknown, _type: string, body: unknown): Promise<KubeObject> {
    this.patches.push(body);
    return this.#hold({});
  }

  /** releaseAll answers every open write. */
  releaseAll(): void {
    const w = this.#waiting;
    this.#waiting = [];
    for (const done of w) done();
  }

  #hold<T>(v: T): Promise<T> {
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    return new Promise((resolve) =>
      this.#waiting.push(() => {
        this.open--;
        resolve(v);
      }),
    );
  }
}

function pod(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` } };
}

async function settle(client: HeldClient, recorder: EventRecorder): Promise<void> {
  for (let i = 0; i < 100 && (client.open > 0 || recorder.queued > 0); i++) {
    client.releaseAll();
    await new Promise((r) => setImmediate(r));
  }
}

void describe('EventRecorder', () => {
  void it('puts annotations on the event and refreshes them when it counts a repeat', async () => {
    const client = new HeldClient();
    const recorder = new EventRecorder({ client: client as never, component: 'test', clock: new FakeClock(0), log: newLogger('test') });
    const first = recorder.record(pod('a'), 'Warning', 'FailedScheduling', 'no', { 'x/why': '1' });
    client.releaseAll();
    await first;
    assert.deepEqual(client.created[0]?.metadata?.annotations, { 'x/why': '1' });
    const again = recorder.record(pod('a'), 'Warning', 'FailedScheduling', 'no', { 'x/why': '2' });
    client.releaseAll();
    await again;
    assert.deepEqual(client.patches[0], { metadata: { annotations: { 'x/why': '2' } }, count: 2, lastTimestamp: '1970-01-01T00:00:00Z' });
  });

  void it('with maxInflight, bounds the writes in flight and drops what does not fit in the queue', async () => {
    const client = new HeldClient();
    const recorder = new EventRecorder({ client: client as never, component: 'test', clock: new FakeClock(0), log: newLogger('test'), maxInflight: 2, maxQueued: 3 });
    const recorded = Array.from({ length: 10 }, (_, i) => recorder.record(pod(`p${i}`), 'Normal', 'Scheduled', `p${i}`));
    assert.equal(client.open, 2);
    assert.equal(recorder.queued, 3);
    assert.equal(recorder.dropped, 5);
    await settle(client, recorder);
    await Promise.all(recorded);
    assert.equal(client.maxOpen, 2);
    // The first five in order: two written at once, three from the queue; the rest dropped.
    assert.deepEqual(client.created.map((e) => e.metadata?.name?.split('.')[0]), ['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  void it('writes queued Warnings before queued Normal events', async () => {
    const client = new HeldClient();
    const recorder = new EventRecorder({ client: client as never, component: 'test', clock: new FakeClock(0), log: newLogger('test'), maxInflight: 1, maxQueued: 10 });
    const recorded = [
      recorder.record(pod('n0'), 'Normal', 'Scheduled', 'n0'),
      recorder.record(pod('n1'), 'Normal', 'Scheduled', 'n1'),
      recorder.record(pod('w1'), 'Warning', 'FailedScheduling', 'w1'),
      recorder.record(pod('n2'), 'Normal', 'Scheduled', 'n2'),
      recorder.record(pod('w2'), 'Warning', 'FailedScheduling', 'w2'),
    ];
    await settle(client, recorder);
    await Promise.all(recorded);
    assert.equal(recorder.dropped, 0);
    // n0 was written at once; of the queued, the Warnings first, each kind in its order.
    assert.deepEqual(client.created.map((e) => e.metadata?.name?.split('.')[0]), ['n0', 'w1', 'w2', 'n1', 'n2']);
  });

  void it('a Warning that finds the queue full evicts the oldest queued Normal event instead of being dropped', async () => {
    const client = new HeldClient();
    const recorder = new EventRecorder({ client: client as never, component: 'test', clock: new FakeClock(0), log: newLogger('test'), maxInflight: 1, maxQueued: 3 });
    const normals = Array.from({ length: 4 }, (_, i) => recorder.record(pod(`n${i}`), 'Normal', 'Scheduled', `n${i}`));
    // n0 in flight, n1..n3 queued: the queue is full.
    assert.equal(recorder.queued, 3);
    const warnings = [recorder.record(pod('w0'), 'Warning', 'FailedScheduling', 'w0'), recorder.record(pod('w1'), 'Warning', 'FailedScheduling', 'w1')];
    assert.equal(recorder.queued, 3);
    assert.equal(recorder.dropped, 2);
    assert.equal(recorder.droppedWarnings, 0);
    // The evicted events' callers are answered at once (their events are gone), not left waiting.
    await Promise.all([normals[1], normals[2]]);
    // A Normal event recorded now is dropped: the queue is full and it evicts nothing.
    await recorder.record(pod('n4'), 'Normal', 'Scheduled', 'n4');
    assert.equal(recorder.dropped, 3);
    await settle(client, recorder);
    await Promise.all([...normals, ...warnings]);
    assert.deepEqual(client.created.map((e) => e.metadata?.name?.split('.')[0]), ['n0', 'w0', 'w1', 'n3']);
  });

  void it('drops a Warning only when the queue holds nothing but Warnings', async () => {
    const client = new HeldClient();
    const recorder = new EventRecorder({ client: client as never, component: 'test', clock: new FakeClock(0), log: newLogger('test'), maxInflight: 1, maxQueued: 2 });
    const recorded = Array.from({ length: 4 }, (_, i) => recorder.record(pod(`w${i}`), 'Warning', 'FailedScheduling', `w${i}`));
    assert.equal(recorder.queued, 2);
    assert.equal(recorder.dropped, 1);
    assert.equal(recorder.droppedWarnings, 1);
    await settle(client, recorder);
    await Promise.all(recorded);
    assert.deepEqual(client.created.map((e) => e.metadata?.name?.split('.')[0]), ['w0', 'w1', 'w2']);
  });

  void it('counts writes that failed', async () => {
    const client = { create: () => Promise.reject(new Error('429')), patch: () => Promise.reject(new Error('429')) };
    const recorder = new EventRecorder({ client: client as never, component: 'test', clock: new FakeClock(0), log: newLogger('test'), maxInflight: 1 });
    await Promise.all([recorder.record(pod('a'), 'Normal', 'Scheduled', 'a'), recorder.record(pod('b'), 'Warning', 'FailedScheduling', 'b')]);
    assert.equal(recorder.failed, 2);
    assert.equal(recorder.dropped, 0);
  });
});
