import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import type { ProbeRunner } from '../prober/probe-manager.js';
import type { ProbeHandler, ProbeOutcome } from '../prober/probe-spec.js';
import { LifecycleHandlerRunner } from './lifecycle-handler.js';

void describe('LifecycleHandlerRunner', () => {
  const seen: { handler: ProbeHandler; timeoutMs: number }[] = [];
  const prober: ProbeRunner = {
    check: (handler, _t, timeoutMs): Promise<ProbeOutcome> => {
      seen.push({ handler, timeoutMs });
      const ok = handler.exec?.command?.[0] === 'true' || handler.httpGet?.path === '/ok';
      return Promise.resolve(ok ? { result: 'success', message: '' } : { result: 'failure', message: handler.httpGet ? 'HTTP probe failed with statuscode: 500' : 'nope' });
    },
  };
  const clock = new FakeClock();
  const runner = new LifecycleHandlerRunner({ prober, clock });
  const target = { containerId: 'c', endpoint: { sandboxId: 's', podIP: '10.0.0.1' } };
  const ctx = { container: 'web', pod: 'p_ns(u)' };

  void it('runs exec and httpGet hooks and words failures as upstream does', async () => {
    assert.equal(await runner.run({ exec: { command: ['true'] } }, target, ctx, 5000), undefined);
    assert.equal(seen.at(-1)?.timeoutMs, 5000);
    assert.equal(await runner.run({ exec: { command: ['false', 'x'] } }, target, ctx, 0), 'Exec lifecycle hook ([false x]) for Container "web" in Pod "p_ns(u)" failed - error: command \'false x\' failed, message: "nope"');
    assert.equal(await runner.run({ httpGet: { path: '/ok', port: 80 } }, target, ctx, 0), undefined);
    assert.equal(await runner.run({ httpGet: { path: '/bad', port: 80 } }, target, ctx, 0), 'HTTP lifecycle hook (/bad) for Container "web" in Pod "p_ns(u)" failed - error: HTTP probe failed with statuscode: 500, message: ""');
    assert.equal(await runner.run({ tcpSocket: { port: 80 } }, target, ctx, 0), undefined);
  });

  void it('sleeps on the clock, cut short by the timeout', async () => {
    let done = false;
    const p = runner.run({ sleep: { seconds: 10 } }, target, ctx, 3000).then(() => (done = true));
    clock.advance(2999);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    clock.advance(1);
    await p;
    assert.equal(done, true);
  });
});
