import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../base/clock/clock.js';
import { BacklogPacer } from './backlog-pacer.js';

/** pacerWith returns a pacer whose busy fraction is whatever `busy.value` says at each sample. */
function pacerWith(busy: { value: number }, clock = new FakeClock()): BacklogPacer {
  return new BacklogPacer({ clock, busyFraction: () => busy.value, targetUtilization: 0.5, minGapMs: 1, maxGapMs: 8 });
}

test('the gap doubles while the loop is busier than the target, up to the largest, and shrinks back once it is not', () => {
  const busy = { value: 0.9 };
  const pacer = pacerWith(busy);
  assert.equal(pacer.gapMs, 0);
  const gaps: number[] = [];
  for (let i = 0; i < 5; i++) {
    pacer.sample();
    gaps.push(pacer.gapMs);
  }
  assert.deepEqual(gaps, [1, 2, 4, 8, 8]);
  // Below the target but above half of it: the gap shrinks, not below the smallest (a paced flood stays paced).
  busy.value = 0.4;
  const after: number[] = [];
  for (let i = 0; i < 8; i++) {
    pacer.sample();
    after.push(pacer.gapMs);
  }
  assert.deepEqual(after, [6, 4.5, 3.375, 2.53125, 1.8984375, 1.423828125, 1.06787109375, 1]);
  // Clear headroom (under half the target): no pacing.
  busy.value = 0.2;
  pacer.sample();
  assert.equal(pacer.gapMs, 0);
  pacer.sample();
  assert.equal(pacer.gapMs, 0);
});

test('start samples on the clock until stop, which also drops the gap; a target of 0 or 1 never paces', () => {
  const clock = new FakeClock();
  const busy = { value: 1 };
  const pacer = new BacklogPacer({ clock, busyFraction: () => busy.value, sampleIntervalMs: 50 });
  pacer.start();
  pacer.start();
  clock.advance(49);
  assert.equal(pacer.gapMs, 0);
  clock.advance(1);
  assert.equal(pacer.gapMs, 1);
  clock.advance(100);
  assert.equal(pacer.gapMs, 4, 'one sample per interval, even after a second start()');
  pacer.stop();
  assert.equal(pacer.gapMs, 0);
  clock.advance(500);
  assert.equal(pacer.gapMs, 0);
  for (const targetUtilization of [0, 1]) {
    const off = new BacklogPacer({ clock, busyFraction: () => 1, targetUtilization });
    assert.equal(off.enabled, false);
    off.start();
    clock.advance(500);
    assert.equal(off.gapMs, 0);
  }
});
