import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../clock/clock.js';
import { newLogger } from '../log/logger.js';
import { HeapCompactor, MIN_GROWTH_BYTES } from './heap-compactor.js';

const MB = 2 ** 20;

/** world is a compactor on a fake clock with a heap and a loop utilization the test sets. */
function world(options: { heapMb: number; minIntervalMs?: number }): { compactor: HeapCompactor; clock: FakeClock; state: { heapMb: number; busy: number; afterCollectMb: number; held: boolean[] } } {
  const clock = new FakeClock();
  const state = { heapMb: options.heapMb, busy: 0.05, afterCollectMb: options.heapMb, held: [] as boolean[] };
  const compactor = new HeapCompactor({
    clock,
    log: newLogger('test'),
    intervalMs: 10_000,
    quietChecks: 3,
    minIntervalMs: options.minIntervalMs ?? 300_000,
    totalHeapBytes: () => state.heapMb * MB,
    utilization: () => state.busy,
    collect: () => {
      state.heapMb = state.afterCollectMb;
      return Promise.resolve();
    },
    holdSizing: (hold) => state.held.push(hold),
  });
  return { compactor, clock, state };
}

/** advance moves the fake clock a check at a time, letting each check's promise settle. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10_000) {
    clock.advance(10_000);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

describe('HeapCompactor', () => {
  it('compacts once the heap has grown and the loop has been quiet for three checks, then not again until it grows', async () => {
    const { compactor, clock, state } = world({ heapMb: 100 });
    compactor.start();
    // A burst: the heap grows while the loop is busy: no compaction.
    state.heapMb = 400;
    state.busy = 0.9;
    await advance(clock, 60_000);
    assert.equal(compactor.compactions, 0);
    // Quiet again: after three quiet checks, one compaction.
    state.busy = 0.05;
    state.afterCollectMb = 150;
    await advance(clock, 20_000);
    assert.equal(compactor.compactions, 0);
    await advance(clock, 10_000);
    assert.equal(compactor.compactions, 1);
    assert.equal(state.heapMb, 150);
    // Quiet, but no growth over the new baseline: nothing more, however long.
    await advance(clock, 3_600_000);
    assert.equal(compactor.compactions, 1);
    compactor.stop();
  });

  it('needs both growth factors: 1.5 times the baseline and at least MIN_GROWTH_BYTES', async () => {
    const small = world({ heapMb: 20 });
    small.compactor.start();
    small.state.heapMb = 20 + MIN_GROWTH_BYTES / MB - 1; // over 1.5x, under the absolute minimum
    await advance(small.clock, 120_000);
    assert.equal(small.compactor.compactions, 0);
    small.compactor.stop();

    const large = world({ heapMb: 1000 });
    large.compactor.start();
    large.state.heapMb = 1400; // 400 MB more, under 1.5x
    await advance(large.clock, 120_000);
    assert.equal(large.compactor.compactions, 0);
    large.state.heapMb = 1500;
    await advance(large.clock, 30_000);
    assert.equal(large.compactor.compactions, 1);
    large.compactor.stop();
  });

  it('waits minIntervalMs between compactions, and stops checking after stop()', async () => {
    const { compactor, clock, state } = world({ heapMb: 100, minIntervalMs: 600_000 });
    compactor.start();
    state.heapMb = 400;
    state.afterCollectMb = 100;
    await advance(clock, 30_000);
    assert.equal(compactor.compactions, 1);
    state.heapMb = 400;
    await advance(clock, 300_000);
    assert.equal(compactor.compactions, 1);
    await advance(clock, 300_000);
    assert.equal(compactor.compactions, 2);
    compactor.stop();
    state.heapMb = 400;
    await advance(clock, 3_600_000);
    assert.equal(compactor.compactions, 2);
  });

  it('holds the heap sizing small from a compaction until the heap grows by RELEASE_GROWTH_FACTOR, and lets go on stop()', async () => {
    const { compactor, clock, state } = world({ heapMb: 100 });
    compactor.start();
    state.heapMb = 400;
    state.afterCollectMb = 300;
    await advance(clock, 60_000);
    assert.equal(compactor.compactions, 1);
    assert.deepEqual(state.held, [true]);
    assert.equal(compactor.holding, true);
    // A busy loop (a loaded machine) and the held headroom's growth: still held, not set again.
    state.busy = 0.9;
    state.heapMb = 380;
    await advance(clock, 60_000);
    assert.deepEqual(state.held, [true]);
    // A burst: the heap grows 1.3 times and 64 MB over the baseline: V8's own sizing back, once.
    state.heapMb = 400;
    await advance(clock, 30_000);
    assert.deepEqual(state.held, [true, false]);
    assert.equal(compactor.holding, false);
    // Quiet again without more growth: no compaction, so nothing held.
    state.busy = 0.05;
    await advance(clock, 60_000);
    assert.deepEqual(state.held, [true, false]);
    state.heapMb = 450;
    state.afterCollectMb = 300;
    await advance(clock, 400_000);
    assert.equal(compactor.compactions, 2);
    assert.deepEqual(state.held, [true, false, true]);
    compactor.stop();
    assert.deepEqual(state.held, [true, false, true, false]);
  });

  it("collects through the process's own inspector session, without --expose-gc", async () => {
    let heapMb = 100;
    const clock = new FakeClock();
    const compactor = new HeapCompactor({ clock, log: newLogger('test'), intervalMs: 10_000, quietChecks: 1, minIntervalMs: 0, totalHeapBytes: () => heapMb * MB, utilization: () => 0 });
    compactor.start();
    heapMb = 400;
    clock.advance(10_000);
    const deadline = Date.now() + 20_000;
    while (compactor.compactions === 0) {
      assert.ok(Date.now() < deadline, 'no collection within 20 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    // V8's sizing flags, set at run time, held and given back.
    assert.equal(compactor.holding, true);
    compactor.stop();
    assert.equal(compactor.holding, false);
  });
});
