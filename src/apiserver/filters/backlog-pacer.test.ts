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

test('samples on the clock only while a paced level has queued requests, until stop, which also drops the gap', () => {
  const clock = new FakeClock();
  const busy = { value: 0 };
  const queued = { value: false };
  const pacer = new BacklogPacer({ clock, busyFraction: () => busy.value, sampleIntervalMs: 50 });
  pacer.observe(() => queued.value);
  pacer.start();
  pacer.start();
  assert.equal(pacer.sampling, false, 'an idle server has no sample timer');
  clock.advance(500);
  assert.equal(pacer.gapMs, 0);
  queued.value = true;
  pacer.wake();
  pacer.wake();
  assert.equal(pacer.sampling, true);
  assert.equal(pacer.gapMs, 0, 'the idle time before, caught up on, left no gap');
  busy.value = 1;
  clock.advance(49);
  assert.equal(pacer.gapMs, 0);
  clock.advance(1);
  assert.equal(pacer.gapMs, 1);
  clock.advance(100);
  assert.equal(pacer.gapMs, 4, 'one sample per interval, even after a second start() and wake()');
  // The queues drain: the next sample is the last one.
  queued.value = false;
  clock.advance(50);
  assert.equal(pacer.gapMs, 8);
  assert.equal(pacer.sampling, false);
  clock.advance(500);
  assert.equal(pacer.gapMs, 8);
  pacer.stop();
  assert.equal(pacer.gapMs, 0);
  queued.value = true;
  pacer.wake();
  assert.equal(pacer.sampling, false, 'a stopped pacer does not wake');
});

test('waking catches up on the samples slept through: a moment without queues keeps the gap, a quiet second drops it', () => {
  const clock = new FakeClock();
  const busy = { value: 1 };
  const queued = { value: true };
  const pacer = new BacklogPacer({ clock, busyFraction: () => busy.value, sampleIntervalMs: 50, maxGapMs: 32 });
  pacer.observe(() => queued.value);
  pacer.start();
  clock.advance(300);
  assert.equal(pacer.gapMs, 32);
  // A flood's queues empty for a moment at a sample: the timer stops, the gap stays, and the next request queued
  // within the interval resumes sampling with it.
  queued.value = false;
  clock.advance(50);
  assert.equal(pacer.sampling, false);
  clock.advance(20);
  queued.value = true;
  pacer.wake();
  assert.equal(pacer.gapMs, 32);
  // A busy loop while nothing queued: the gap stays at its largest, as sampling all along would have left it.
  queued.value = false;
  clock.advance(50);
  clock.advance(400);
  queued.value = true;
  pacer.wake();
  assert.equal(pacer.gapMs, 32);
  // A quiet second (the loop idle): the samples slept through shrink the gap to nothing before any dispatch reads it.
  queued.value = false;
  clock.advance(50);
  busy.value = 0.1;
  clock.advance(1000);
  queued.value = true;
  pacer.wake();
  assert.equal(pacer.gapMs, 0);
});

test('a target of 0 or 1 never paces', () => {
  const clock = new FakeClock();
  for (const targetUtilization of [0, 1]) {
    const off = new BacklogPacer({ clock, busyFraction: () => 1, targetUtilization });
    off.observe(() => true);
    assert.equal(off.enabled, false);
    off.start();
    off.wake();
    clock.advance(500);
    assert.equal(off.gapMs, 0);
    assert.equal(off.sampling, false);
  }
});
