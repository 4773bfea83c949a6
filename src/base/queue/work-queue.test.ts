import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../clock/clock.js';
import { ExponentialFailureRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

function newQueue(): { q: WorkQueue<string>; clock: FakeClock } {
  const clock = new FakeClock();
  return { q: new WorkQueue<string>({ clock }), clock };
}

describe('WorkQueue', () => {
  it('hands items out in order and de-duplicates queued items', async () => {
    const { q } = newQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('does not hand out an item being processed; re-added while processing → handed out after done', async () => {
    const { q } = newQueue();
    q.add('a');
    const first = await q.get();
    assert.equal(first, 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'the processing item must not be queued twice');
    let second: string | undefined;
    void q.get().then((v) => (second = v));
    await Promise.resolve();
    assert.equal(second, undefined);
    q.done('a');
    await Promise.resolve();
    assert.equal(second, 'a');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  it('a waiting get receives the next add', async () => {
    const { q } = newQueue();
    const pending = q.get();
    q.add('x');
    assert.equal(await pending, 'x');
  });

  it('addAfter adds once the delay passed, and the earliest pending time wins', async () => {
    const { q, clock } = newQueue();
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    clock.advance(49);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    clock.advance(1000);
    assert.equal(q.len(), 1, 'the superseded timers must not add again');
    assert.equal(await q.get(), 'a');
  });

  it('addRateLimited backs off exponentially per item from 5 ms; forget resets', async () => {
    const { q, clock } = newQueue();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('a');
      let waited = 0;
      while (q.len() === 0 && waited < 10_000) {
        clock.advance(1);
        waited++;
      }
      delays.push(waited);
      // Drain it so the next addRateLimited is not de-duplicated.
      const item = await q.get();
      if (item !== undefined) q.done(item);
    }
    assert.deepEqual(delays, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('a'), 4);
    assert.equal(q.numRequeues('b'), 0);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
  });

  it('shutDown resolves idle getters with undefined, drains queued items, ignores later adds', async () => {
    const { q, clock } = newQueue();
    const idle = new WorkQueue<string>({ clock });
    const waiting = idle.get();
    idle.shutDown();
    assert.equal(await waiting, undefined);

    q.add('a');
    q.addAfter('late', 10);
    q.shutDown();
    q.add('b');
    clock.advance(100);
    assert.equal(q.shuttingDown(), true);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), undefined);
  });
});

describe('ExponentialFailureRateLimiter', () => {
  it('caps the delay at max (1000 s by default) without overflowing', () => {
    const rl = new ExponentialFailureRateLimiter<string>();
    let last = 0;
    for (let i = 0; i < 2000; i++) last = rl.when('x');
    assert.equal(last, 1_000_000);
    assert.equal(new ExponentialFailureRateLimiter<string>({ baseDelayMs: 1, maxDelayMs: 3 }).when('y'), 1);
  });

  it('rejects a base above the cap', () => {
    assert.throws(() => new ExponentialFailureRateLimiter({ baseDelayMs: 10, maxDelayMs: 5 }), /Cannot create rate limiter/);
  });
});
