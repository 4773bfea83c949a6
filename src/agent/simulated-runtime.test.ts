/**
 * SimulatedRuntime: a pod's containers are the same each time they are asked for (idempotent per UID), unique to
 * the pod and to each start, and forgotten when the pod stops.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../base/clock/clock.js';
import { SimulatedRuntime } from './simulated-runtime.js';

const pod = (uid: string) => ({ metadata: { uid, name: `p-${uid}`, namespace: 'ns' }, spec: { containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'registry.k8s.io/pause:3.10' }] } });

void describe('SimulatedRuntime', () => {
  void it('starts a pod once: asked again, the same containers with the same IDs and start time', async () => {
    const clock = new FakeClock(1_000_000);
    const runtime = new SimulatedRuntime({ clock });
    const first = await runtime.startPod(pod('u1'));
    clock.advance(5_000);
    const again = await runtime.startPod(pod('u1'));
    assert.deepEqual(again, first);
    assert.equal(runtime.runningPods, 1);
    assert.equal(first.length, 2);
    assert.match(first[0]!.containerID, /^simulated:\/\/[0-9a-f]{64}$/);
    assert.notEqual(first[0]!.containerID, first[1]!.containerID);
    assert.equal(first[0]!.startedAt, 1_000_000);
    assert.equal(first[0]!.imageID, (await runtime.startPod(pod('u2')))[0]!.imageID);
    assert.match(first[0]!.imageID, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
  });

  void it('gives other pods, and a later start of the same pod, other container IDs', async () => {
    const clock = new FakeClock(1_000_000);
    const runtime = new SimulatedRuntime({ clock });
    const a = await runtime.startPod(pod('u1'));
    const b = await runtime.startPod(pod('u2'));
    assert.notEqual(a[0]!.containerID, b[0]!.containerID);
    await runtime.stopPod(pod('u1'));
    assert.equal(runtime.runningPods, 1);
    clock.advance(1_000);
    const restarted = await runtime.startPod(pod('u1'));
    assert.notEqual(restarted[0]!.containerID, a[0]!.containerID);
    assert.equal(restarted[0]!.startedAt, 1_001_000);
  });
});
