import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import { Controller } from './controller.js';
import type { ReconcileResult } from './reconciler.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Controller', () => {
  it('retries a failing key with backoff, forgets it on success, and honours requeueAfterMs', async () => {
    const clock = new FakeClock();
    const calls: { key: string; at: number }[] = [];
    let failures = 2;
    const start = clock.now();
    const controller = new Controller({
      name: 'test',
      clock,
      log: newLogger('test'),
      reconciler: {
        reconcile: async (key): Promise<ReconcileResult | void> => {
          calls.push({ key, at: clock.now() - start });
          if (key === 'flaky' && failures-- > 0) throw new Error('boom');
          if (key === 'again' && calls.filter((c) => c.key === 'again').length === 1) return { requeueAfterMs: 1000 };
        },
      },
    });
    const ac = new AbortController();
    const running = controller.run(ac.signal);
    controller.enqueue('flaky');
    controller.enqueue('again');
    await flush();
    for (let i = 0; i < 1100; i++) {
      clock.advance(1);
      await flush();
    }
    assert.deepEqual(calls.filter((c) => c.key === 'flaky').map((c) => c.at), [0, 5, 15]);
    assert.deepEqual(calls.filter((c) => c.key === 'again').map((c) => c.at), [0, 1000]);
    ac.abort();
    await running;
  });

  it('never reconciles one key on two workers at once', async () => {
    const clock = new FakeClock();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const controller = new Controller({
      name: 'test',
      clock,
      log: newLogger('test'),
      workers: 4,
      reconciler: {
        reconcile: async () => {
          active++;
          runs++;
          maxActive = Math.max(maxActive, active);
          await new Promise<void>((r) => (release = r));
          active--;
        },
      },
    });
    const ac = new AbortController();
    const running = controller.run(ac.signal);
    controller.enqueue('k');
    await flush();
    controller.enqueue('k');
    controller.enqueue('k');
    await flush();
    assert.equal(maxActive, 1);
    release();
    await flush();
    assert.equal(runs, 2, 'a key added while processing is processed once more afterwards');
    release();
    await flush();
    assert.equal(maxActive, 1);
    ac.abort();
    await running;
  });
});
