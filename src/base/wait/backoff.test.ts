import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, jittered } from './backoff.js';

describe('Backoff', () => {
  it('next() grows by the factor up to the cap; reset() starts over', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 500, factor: 2, jitter: 0 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 500, 500]);
    b.reset();
    assert.equal(b.next(), 100);
  });

  it('jitter stretches each delay by up to the factor', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 100, jitter: 1, random: () => 0.5 });
    assert.equal(b.next(), 150);
    assert.equal(jittered(1000, 0.5, () => 0.999), 1499.5);
    assert.equal(jittered(1000, 0), 1000);
  });

  it('rejects an inverted range', () => {
    assert.throws(() => new Backoff({ initialMs: 10, maxMs: 1 }), /Cannot create backoff/);
  });
});
