import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../base/clock/clock.js';
import { SyncRunner } from './sync-runner.js';

/** settle lets resolved promises run (the runner's run is async). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

void describe('SyncRunner', () => {
  void it('runs at once, then batches requests into one run per min interval', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const r = new SyncRunner({ clock, minIntervalMs: 100, periodicIntervalMs: 0, run: () => (starts.push(clock.now()), Promise.resolve()) });
    const t0 = clock.now();
    r.request();
    clock.advance(0);
    await settle();
    assert.deepEqual(starts, [t0]);
    for (let i = 0; i < 50; i++) {
      r.request();
      clock.advance(1);
      await settle();
    }
    assert.equal(starts.length, 1, 'not before the min interval');
    clock.advance(60);
    await settle();
    assert.equal(starts.length, 2, 'fifty requests in 50 ms: one more run, at the min interval');
    assert.equal(starts[1], t0 + 100);
    clock.advance(200);
    await settle();
    assert.equal(starts.length, 2, 'nothing requested: nothing runs');
    r.stop();
  });

  void it('runs once more after a run during which a request came in', async () => {
    const clock = new FakeClock();
    let release: (() => void) | undefined;
    let runs = 0;
    const r = new SyncRunner({ clock, minIntervalMs: 10, periodicIntervalMs: 0, run: () => (runs++, new Promise<void>((resolve) => (release = resolve))) });
    r.request();
    clock.advance(0);
    await settle();
    assert.equal(runs, 1);
    r.request();
    r.request();
    clock.advance(50);
    await settle();
    assert.equal(runs, 1, 'never two at once');
    release?.();
    await settle();
    clock.advance(0);
    await settle();
    assert.equal(runs, 2);
    release?.();
    await r.idle();
    r.stop();
  });

  void it('retries a failed run with growing back-off, and runs periodically', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    let fail = 2;
    const errors: unknown[] = [];
    const r = new SyncRunner({
      clock,
      minIntervalMs: 10,
      periodicIntervalMs: 60_000,
      initialBackoffMs: 1000,
      onError: (e) => errors.push(e),
      run: () => {
        starts.push(clock.now());
        return fail-- > 0 ? Promise.reject(new Error('nft failed')) : Promise.resolve();
      },
    });
    const t0 = clock.now();
    r.request();
    for (let i = 0; i < 40; i++) {
      clock.advance(100);
      await settle();
    }
    assert.equal(starts.length, 3);
    assert.equal(errors.length, 2);
    const gap1 = (starts[1] ?? 0) - (starts[0] ?? 0);
    const gap2 = (starts[2] ?? 0) - (starts[1] ?? 0);
    assert.ok(gap1 >= 1000 && gap2 >= 2000 && gap2 > gap1, `back-off grows: ${gap1}, ${gap2}`);
    clock.advance(60_000 - (clock.now() - t0));
    await settle();
    clock.advance(0);
    await settle();
    assert.equal(starts.length, 4, 'the periodic resync ran');
    r.stop();
  });
});
