import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RealClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import { Controller } from './controller.js';
import { ControllerMetrics } from './controller-metrics.js';

void describe('ControllerMetrics', () => {
  void it('records adds, retries, reconcile durations and queue depth per controller', async () => {
    const metrics = new ControllerMetrics();
    let failures = 1;
    let reconciled = 0;
    const controller = new Controller({
      name: 'demo',
      reconciler: {
        reconcile: async () => {
          reconciled++;
          if (failures-- > 0) throw new Error('conflict');
          return undefined;
        },
      },
      clock: new RealClock(),
      log: newLogger('controller-metrics-test'),
      metrics,
    });
    const abort = new AbortController();
    const run = controller.run(abort.signal);
    controller.enqueue('a');
    controller.enqueue('b');
    const deadline = Date.now() + 5_000;
    while (reconciled < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const text = await metrics.render();
    abort.abort();
    await run;
    assert.match(text, /^workqueue_adds_total\{name="demo"\} 2$/m);
    assert.match(text, /^workqueue_retries_total\{name="demo"\} 1$/m);
    assert.match(text, /^workqueue_work_duration_seconds_count\{name="demo"\} 3$/m);
    assert.match(text, /^workqueue_depth\{name="demo"\} 0$/m);
    assert.doesNotMatch(await metrics.render(), /workqueue_depth\{name="demo"\}/, 'a stopped controller reports no depth');
  });
});
