/**
 * SchedulingQueue on a fake clock: priority order, backoff, unschedulable pods moved by cluster events, the
 * move-request cycle rule, updates and deletes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../base/clock/clock.js';
import type { Pod } from './framework/objects.js';
import { SchedulingQueue, type QueuedPodInfo } from './scheduling-queue.js';

function pod(name: string, priority = 0, labels: Record<string, string> = {}): Pod {
  return { metadata: { name, namespace: 'ns', labels }, spec: { priority, containers: [{ name: 'c' }] } };
}

async function popName(q: SchedulingQueue): Promise<string | undefined> {
  return (await q.pop())?.pod.metadata?.name;
}

function newQueue(clock: FakeClock): SchedulingQueue {
  return new SchedulingQueue({ clock, initialBackoffMs: 1000, maxBackoffMs: 10_000 });
}

void describe('SchedulingQueue', () => {
  void it('pops higher priority first, then oldest first', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.add(pod('low-old', 0));
    clock.advance(1);
    q.add(pod('high', 100));
    clock.advance(1);
    q.add(pod('low-new', 0));
    clock.advance(1);
    q.add(pod('mid', 50));
    const order = [await popName(q), await popName(q), await popName(q), await popName(q)];
    assert.deepEqual(order, ['high', 'mid', 'low-old', 'low-new']);
    q.close();
  });

  void it('a pending pop is woken by add, and by close with undefined', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    const waiting = q.pop();
    q.add(pod('a'));
    assert.equal((await waiting)?.key, 'ns/a');
    const idle = q.pop();
    q.close();
    assert.equal(await idle, undefined);
  });

  void it('unschedulable pods wait for a cluster event, then serve their backoff', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.add(pod('a'));
    const info = (await q.pop()) as QueuedPodInfo;
    const cycle = q.schedulingCycle;
    q.addUnschedulable(info, cycle);
    assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 1 });
    clock.advance(5000);
    assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 1 }, 'no event, no move (before the 5 minute flush)');
    q.moveAllToActiveOrBackoff();
    // Backoff (1 s after one attempt) has passed: straight to activeQ.
    assert.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0 });
    assert.equal((await q.pop())?.attempts, 2);
    q.close();
  });

  void it('a pod moved before its backoff expired waits in backoffQ; backoff doubles per attempt', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.add(pod('a'));
    let info = (await q.pop()) as QueuedPodInfo;
    q.addUnschedulable(info, q.schedulingCycle);
    q.moveAllToActiveOrBackoff();
    assert.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0 });
    clock.advance(999);
    assert.equal(q.counts().backoff, 1);
    clock.advance(1);
    assert.equal(q.counts().active, 1);
    info = (await q.pop()) as QueuedPodInfo;
    assert.equal(q.backoffMs(info), 2000);
    info.attempts = 10;
    assert.equal(q.backoffMs(info), 10_000, 'capped');
    q.close();
  });

  void it('a failure during a cycle that saw a move request goes to backoffQ, not unschedulable', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.add(pod('a'));
    const info = (await q.pop()) as QueuedPodInfo;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff(); // e.g. a node was added while the pod was being scheduled
    q.addUnschedulable(info, cycle);
    assert.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0 });
    clock.advance(1000);
    assert.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0 });
    q.close();
  });

  void it('errors always back off', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.add(pod('a'));
    const info = (await q.pop()) as QueuedPodInfo;
    q.addUnschedulable(info, q.schedulingCycle, true);
    assert.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0 });
    q.close();
  });

  void it('an unschedulable pod moves when its labels or spec change, not for annotations', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.add(pod('a'));
    const info = (await q.pop()) as QueuedPodInfo;
    q.addUnschedulable(info, q.schedulingCycle);
    clock.advance(2000);
    q.update({ ...pod('a'), metadata: { ...pod('a').metadata, annotations: { x: 'y' } } });
    assert.equal(q.counts().unschedulable, 1);
    q.update(pod('a', 0, { tier: 'db' }));
    assert.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0 });
    q.close();
  });

  void it('pods stuck in unschedulable are flushed after the maximum stay', async () => {
    const clock = new FakeClock();
    const q = new SchedulingQueue({ clock, maxUnschedulableMs: 60_000 });
    q.add(pod('a'));
    const info = (await q.pop()) as QueuedPodInfo;
    q.addUnschedulable(info, q.schedulingCycle);
    clock.advance(30_000);
    assert.equal(q.counts().unschedulable, 1);
    clock.advance(60_000);
    assert.equal(q.counts().active, 1);
    q.close();
  });

  void it('delete forgets a pod in any part; a deleted active pod is never popped', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.add(pod('a'));
    q.add(pod('b'));
    q.delete('ns/a');
    assert.equal(await popName(q), 'b');
    const info = (await (q.add(pod('c')), q.pop())) as QueuedPodInfo;
    q.addUnschedulable(info, q.schedulingCycle);
    q.delete('ns/c');
    assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0 });
    q.close();
  });
});
