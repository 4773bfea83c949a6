import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';

import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { LeaderElector } from './leader-elector.js';
import type { LeaderElectionRecord, ObservedRecord, ResourceLock, WriteResult } from './lease-lock.js';

/** LockObject is one in-memory lock object with a resourceVersion, shared by the candidates' FakeLocks. */
class LockObject {
  record: LeaderElectionRecord | undefined;
  version = 0;
}

/** FakeLock is one candidate's view of the lock; `down` makes every call fail as an unreachable API would. */
class FakeLock implements ResourceLock {
  readonly description = 'kube-system/test';
  down = false;
  gets = 0;
  updates = 0;
  constructor(readonly object: LockObject) {}
  get(): Promise<ObservedRecord | undefined> {
    if (this.down) return Promise.reject(new Error('connection refused'));
    this.gets++;
    const r = this.object.record;
    return Promise.resolve(r ? { record: { ...r }, resourceVersion: String(this.object.version) } : undefined);
  }
  create(record: LeaderElectionRecord): Promise<WriteResult> {
    if (this.down) return Promise.reject(new Error('connection refused'));
    if (this.object.record) return Promise.resolve('conflict');
    this.object.record = { ...record };
    this.object.version++;
    return Promise.resolve({ resourceVersion: String(this.object.version) });
  }
  update(record: LeaderElectionRecord, resourceVersion: string): Promise<WriteResult> {
    if (this.down) return Promise.reject(new Error('connection refused'));
    this.updates++;
    if (String(this.object.version) !== resourceVersion) return Promise.resolve('conflict');
    this.object.record = { ...record };
    this.object.version++;
    return Promise.resolve({ resourceVersion: String(this.object.version) });
  }
}

interface Candidate {
  readonly elector: LeaderElector;
  readonly lock: FakeLock;
  readonly stop: AbortController;
  readonly events: string[];
  readonly done: Promise<void>;
}

function candidate(object: LockObject, clock: FakeClock, identity: string): Candidate {
  const lock = new FakeLock(object);
  const elector = new LeaderElector({ lock, identity, clock, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, log: newLogger('test') });
  const stop = new AbortController();
  const events: string[] = [];
  const done = elector.run(
    {
      onStartedLeading: (signal) => {
        events.push('started');
        signal.addEventListener('abort', () => events.push('signal'));
      },
      onStoppedLeading: () => void events.push('stopped'),
    },
    stop.signal,
  );
  return { elector, lock, stop, events, done };
}

/** advance moves the fake clock in small steps, letting the electors' promises settle between them. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.advance(Math.min(100, ms - t));
    for (let i = 0; i < 5; i++) await tick();
  }
}

/** leaders names the candidates leading now. */
function leaders(...cs: Candidate[]): string[] {
  return cs.filter((c) => c.elector.isLeader()).map((c) => c.elector.identity);
}

void describe('LeaderElector', () => {
  void it('acquires a free lock on the first try, and a second candidate waits', async () => {
    const clock = new FakeClock();
    const object = new LockObject();
    const a = candidate(object, clock, 'a');
    assert.equal(await a.elector.firstTry(), true);
    const b = candidate(object, clock, 'b');
    assert.equal(await b.elector.firstTry(), false);
    await advance(clock, 60_000);
    assert.deepEqual(leaders(a, b), ['a']);
    assert.equal(object.record?.holderIdentity, 'a');
    assert.equal(b.elector.leader(), 'a');
    a.stop.abort();
    b.stop.abort();
    await Promise.all([a.done, b.done]);
  });

  void it('releases on graceful stop after the work stopped, so the peer takes over at its next retry', async () => {
    const clock = new FakeClock();
    const object = new LockObject();
    const a = candidate(object, clock, 'a');
    await a.elector.firstTry();
    const b = candidate(object, clock, 'b');
    await b.elector.firstTry();
    a.stop.abort();
    await a.done;
    assert.deepEqual(a.events, ['started', 'signal', 'stopped']);
    assert.equal(object.record?.holderIdentity, '');
    await advance(clock, 2_100);
    assert.deepEqual(leaders(a, b), ['b']);
    assert.equal(object.record?.leaseTransitions, 1);
    b.stop.abort();
    await b.done;
  });

  void it('a leader cut off steps down after renewDeadline; the peer takes over only after leaseDuration', async () => {
    const clock = new FakeClock();
    const object = new LockObject();
    const a = candidate(object, clock, 'a');
    await a.elector.firstTry();
    const b = candidate(object, clock, 'b');
    await b.elector.firstTry();
    await advance(clock, 4_000);
    const lastRenew = object.record?.renewTimeMs ?? 0;
    a.lock.down = true;
    const cutAt = clock.now();
    let steppedDownAt = 0;
    let takenAt = 0;
    for (let t = 0; t < 30_000 && (!steppedDownAt || !takenAt); t += 100) {
      await advance(clock, 100);
      if (!steppedDownAt && !a.elector.isLeader()) steppedDownAt = clock.now();
      if (!takenAt && b.elector.isLeader()) takenAt = clock.now();
    }
    assert.ok(steppedDownAt > 0 && takenAt > 0, 'a stepped down and b took over');
    assert.ok(steppedDownAt - lastRenew <= 10_000 + 2_000, `a stepped down ${steppedDownAt - lastRenew} ms after its last renewal`);
    // b sees the last renewal at its next retry at the latest, and notices the expiry at the retry after it.
    assert.ok(steppedDownAt < takenAt, 'never two leaders at once');
    assert.ok(takenAt - cutAt >= 15_000 - 2_000 && takenAt - cutAt <= 15_000 + 2 * 2_000 + 200, `b took over ${takenAt - cutAt} ms after the cut`);
    assert.deepEqual(a.events, ['started', 'signal', 'stopped']);
    assert.equal(object.record?.holderIdentity, 'b');
    // a comes back: it campaigns again but b holds the lock.
    a.lock.down = false;
    await advance(clock, 10_000);
    assert.deepEqual(leaders(a, b), ['b']);
    a.stop.abort();
    b.stop.abort();
    await Promise.all([a.done, b.done]);
  });

  void it('a leader renews with one optimistic update per retry period, and reads the lock again after a conflict', async () => {
    const clock = new FakeClock();
    const object = new LockObject();
    const a = candidate(object, clock, 'a');
    await a.elector.firstTry();
    const [gets, updates] = [a.lock.gets, a.lock.updates];
    await advance(clock, 20_000);
    assert.equal(a.lock.gets - gets, 0, 'no get while renewing');
    assert.ok(a.lock.updates - updates >= 9 && a.lock.updates - updates <= 11, `${a.lock.updates - updates} updates in 20 s`);
    // Someone else wrote the lock (a stale version now): the next renewal conflicts, reads it and still holds it.
    object.version += 5;
    await advance(clock, 2_100);
    assert.ok(a.lock.gets > gets, 'read after the conflict');
    assert.deepEqual(leaders(a), ['a']);
    assert.equal(object.record?.holderIdentity, 'a');
    a.stop.abort();
    await a.done;
  });

  void it('a restarted holder with the same identity resumes at once', async () => {
    const clock = new FakeClock();
    const object = new LockObject();
    object.record = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTimeMs: clock.now(), renewTimeMs: clock.now(), leaseTransitions: 3 };
    object.version = 7;
    const a = candidate(object, clock, 'a');
    assert.equal(await a.elector.firstTry(), true);
    assert.equal(object.record.leaseTransitions, 3);
    a.stop.abort();
    await a.done;
  });

  void it('two candidates starting together: exactly one wins', async () => {
    const clock = new FakeClock();
    const object = new LockObject();
    const a = candidate(object, clock, 'a');
    const b = candidate(object, clock, 'b');
    const got = await Promise.all([a.elector.firstTry(), b.elector.firstTry()]);
    assert.equal(got.filter(Boolean).length, 1);
    await advance(clock, 20_000);
    assert.equal(leaders(a, b).length, 1);
    a.stop.abort();
    b.stop.abort();
    await Promise.all([a.done, b.done]);
  });

  void it('refuses durations that would let two leaders overlap', () => {
    assert.throws(() => new LeaderElector({ lock: new FakeLock(new LockObject()), identity: 'x', leaseDurationMs: 5_000, renewDeadlineMs: 5_000 }), /leaseDuration must be greater/);
  });
});
