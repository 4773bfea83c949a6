import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import { ConnectionThrottle } from './connection-throttle.js';
import { PriorityAndFairness } from './priority-and-fairness.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';

/** FakeConnection records pause and resume, and closes on demand. */
class FakeConnection extends EventEmitter {
  destroyed = false;
  paused = false;
  pauses = 0;
  constructor(readonly name: string) {
    super();
  }
  pause(): this {
    this.paused = true;
    this.pauses++;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  close(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

void describe('ConnectionThrottle', () => {
  void it('holds a connection unread until its flow is woken, oldest first, or until the longest pause', () => {
    const clock = new FakeClock();
    const throttle = new ConnectionThrottle({ clock, maxPauseMs: 500, jitter: 0 });
    const [a, b, c] = [new FakeConnection('a'), new FakeConnection('b'), new FakeConnection('c')];
    throttle.hold(a, 'global-default', 'flood');
    clock.advance(10);
    throttle.hold(b, 'global-default', 'flood');
    throttle.hold(c, 'global-default', 'other');
    throttle.hold(a, 'global-default', 'flood'); // already held: no second entry
    assert.equal(throttle.heldCount(), 3);
    assert.ok(a.paused && b.paused && c.paused);
    assert.equal(a.pauses, 1);

    throttle.wakeFlow('global-default', 'flood');
    assert.equal(a.paused, false, 'the oldest of the flow first');
    assert.ok(b.paused && c.paused);
    throttle.wakeFlow('node-high', 'flood');
    assert.ok(b.paused, 'another level does not wake it');

    clock.advance(490);
    assert.ok(b.paused && c.paused, 'held 490 ms: still held');
    clock.advance(20);
    assert.ok(!b.paused && !c.paused, 'read again after the longest pause');
    assert.equal(throttle.heldCount(), 0);
  });

  void it('wakeLevel wakes the level’s flows in turn; a closed connection is forgotten; releaseAll reads all again', () => {
    const clock = new FakeClock();
    const throttle = new ConnectionThrottle({ clock });
    const conns = ['f1', 'f2', 'g1'].map((n) => new FakeConnection(n));
    const [f1, f2, g1] = conns as [FakeConnection, FakeConnection, FakeConnection];
    throttle.hold(f1, 'l', 'f');
    throttle.hold(f2, 'l', 'f');
    throttle.hold(g1, 'l', 'g');
    throttle.wakeLevel('l');
    assert.deepEqual(conns.map((x) => x.paused), [false, true, true]);
    throttle.wakeLevel('l');
    assert.deepEqual(conns.map((x) => x.paused), [false, true, false], 'flow f went to the back');
    f2.close();
    assert.equal(throttle.heldCount(), 0);
    const d = new FakeConnection('d');
    throttle.hold(d, 'l', 'f');
    throttle.releaseAll();
    assert.equal(d.paused, false);
    const gone = new FakeConnection('gone');
    gone.destroyed = true;
    throttle.hold(gone, 'l', 'f');
    assert.equal(throttle.heldCount(), 0, 'a destroyed connection is not held');
  });

  void it('a connection woken early and refused again is held the full pause until a request of it is admitted', () => {
    const clock = new FakeClock();
    const throttle = new ConnectionThrottle({ clock, maxPauseMs: 400, jitter: 0 });
    const [a, b] = [new FakeConnection('a'), new FakeConnection('b')];
    throttle.hold(a, 'l', 'f');
    throttle.wakeFlow('l', 'f');
    assert.equal(a.paused, false);
    // Refused again at once: the flow's busy connections took the room.
    throttle.hold(a, 'l', 'f');
    throttle.hold(b, 'l', 'f');
    throttle.wakeFlow('l', 'f');
    assert.ok(a.paused && !b.paused, 'b, not a, is woken early');
    throttle.wakeLevel('l');
    assert.ok(a.paused, 'nor by a free seat');
    clock.advance(400);
    assert.equal(a.paused, false, 'a is read again after the full pause');
    throttle.admitted(a);
    throttle.hold(a, 'l', 'f');
    throttle.wakeFlow('l', 'f');
    assert.equal(a.paused, false, 'admitted once, it may be woken early again');
  });

  void it('each hold is shorter than the longest pause by a random part of it, so a burst of refusals comes back spread out', () => {
    const clock = new FakeClock();
    const draws = [0, 0.999, 0.5];
    const throttle = new ConnectionThrottle({ clock, maxPauseMs: 800, jitter: 0.25, random: () => draws.shift() ?? 0 });
    const [a, b, c] = ['a', 'b', 'c'].map((n) => new FakeConnection(n)) as [FakeConnection, FakeConnection, FakeConnection];
    for (const x of [a, b, c]) throttle.hold(x, 'l', 'f');
    clock.advance(599);
    assert.deepEqual([a, b, c].map((x) => x.paused), [true, true, true]);
    clock.advance(2);
    assert.deepEqual([a, b, c].map((x) => x.paused), [true, false, true], 'the largest draw: 600 ms');
    clock.advance(99);
    assert.deepEqual([a, b, c].map((x) => x.paused), [true, false, false], 'half of it: 700 ms');
    clock.advance(100);
    assert.deepEqual([a, b, c].map((x) => x.paused), [false, false, false], 'none: the whole 800 ms');
  });

  void it('holds at most maxHeldPerFlow connections of one flow; other flows keep their own room', () => {
    const clock = new FakeClock();
    const throttle = new ConnectionThrottle({ clock, maxHeldPerFlow: 2 });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new FakeConnection(n)) as [FakeConnection, FakeConnection, FakeConnection, FakeConnection];
    assert.equal(throttle.canHold('l', 'f'), true);
    throttle.hold(a, 'l', 'f');
    throttle.hold(b, 'l', 'f');
    assert.equal(throttle.canHold('l', 'f'), false, 'the flow has its two');
    throttle.hold(c, 'l', 'f');
    assert.equal(c.paused, false, 'a third is not held (the server closes it with its 429)');
    assert.equal(throttle.canHold('l', 'g'), true, 'another user is not affected');
    assert.equal(throttle.canHold('other-level', 'f'), true, 'nor the same user in another level');
    throttle.hold(d, 'l', 'g');
    assert.equal(d.paused, true);
    a.close();
    assert.equal(throttle.canHold('l', 'f'), true, 'a closed connection frees its place');
  });

  void it('PriorityAndFairness tells when a flow left its queue and when a seat came free with nobody waiting', async () => {
    const clock = new FakeClock();
    const rooms: string[] = [];
    const pf = new PriorityAndFairness({ serverConcurrencyLimit: 5, clock, queueWaitMs: 500, onRoom: (level, flow) => rooms.push(`${level}/${flow ?? '*'}`) });
    const info = { isResourceRequest: true, verb: 'list', apiGroup: '', resource: 'configmaps', namespace: 'default' } as RequestInfo;
    const user: UserInfo = { username: 'flood', groups: ['system:authenticated'] };
    const first = await pf.acquire(info, user);
    assert.ok(first.admitted);
    assert.equal(pf.seats('global-default'), 1);
    rooms.length = 0;
    const queued = pf.acquire(info, user);
    const timedOut = pf.acquire(info, user);
    first.release();
    const second = await queued;
    assert.ok(second.admitted);
    assert.deepEqual(rooms, ['global-default/flood'], 'the queued request left the queue');
    clock.advance(500);
    assert.equal((await timedOut).admitted, false);
    assert.deepEqual(rooms, ['global-default/flood', 'global-default/flood'], 'the timed-out one left it too');
    second.release();
    assert.deepEqual(rooms.at(-1), 'global-default/*', 'a seat came free with nobody waiting');
  });

  void it('PriorityAndFairness tells of room for a flow only once its queue is at most half full', async () => {
    const clock = new FakeClock();
    const rooms: string[] = [];
    const pf = new PriorityAndFairness({ serverConcurrencyLimit: 5, clock, queueWaitMs: 60_000, queueLengthLimit: 4, onRoom: (level, flow) => flow && rooms.push(`${level}/${flow}`) });
    const info = { isResourceRequest: true, verb: 'list', apiGroup: '', resource: 'configmaps', namespace: 'default' } as RequestInfo;
    const user: UserInfo = { username: 'flood', groups: ['system:authenticated'] };
    let seat = await pf.acquire(info, user);
    const queued = Array.from({ length: 4 }, () => pf.acquire(info, user));
    assert.equal((await pf.acquire(info, user)).admitted, false, 'the fifth finds the queue full');
    const remaining = [3, 2, 1, 0];
    for (const [i, p] of queued.entries()) {
      assert.ok(seat.admitted);
      seat.release();
      seat = await p;
      assert.equal(pf.waiting('global-default'), remaining[i]);
      assert.equal(rooms.length, Math.max(0, i), `room told once the queue is down to 2 (after ${i + 1} grants)`);
    }
  });
});
