import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import { ProbeManager, type ProbedContainer, type ProbeRunner } from './probe-manager.js';
import type { ProbeHandler, ProbeOutcome } from './probe-spec.js';

/** flush lets the workers' promise chains run after the clock moved. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A prober whose answers per handler kind the test sets; it counts calls. */
class ScriptedProber implements ProbeRunner {
  answers = new Map<string, boolean>();
  calls: { kind: string; at: number }[] = [];
  constructor(readonly clock: FakeClock) {}
  check(handler: ProbeHandler): Promise<ProbeOutcome> {
    const kind = handler.exec?.command?.[0] ?? 'none';
    this.calls.push({ kind, at: this.clock.now() });
    const ok = this.answers.get(kind) ?? true;
    return Promise.resolve(ok ? { result: 'success', message: '' } : { result: 'failure', message: `${kind} said no` });
  }
}

function setup() {
  const clock = new FakeClock();
  const prober = new ScriptedProber(clock);
  const changes: string[] = [];
  const unhealthy: string[] = [];
  const kills: string[] = [];
  const manager = new ProbeManager({
    prober,
    clock,
    onChange: (k) => changes.push(k),
    onUnhealthy: (c, type, message) => unhealthy.push(`${c.name} ${type}: ${message}`),
    onKill: (c, type, message) => kills.push(`${c.containerId} ${type}: ${message}`),
  });
  const container = (over: Partial<ProbedContainer>): ProbedContainer => ({
    podKey: 'ns/p',
    podUID: 'u1',
    name: 'web',
    containerId: 'c1',
    startedAt: clock.now(),
    endpoint: { sandboxId: 's', podIP: '127.0.0.1' },
    ...over,
  });
  return { clock, prober, manager, changes, unhealthy, kills, container };
}

const exec = (name: string, extra: object = {}) => ({ exec: { command: [name] }, ...extra });

void describe('ProbeManager', () => {
  void it('treats a container without probes as started and ready at once', () => {
    const t = setup();
    t.manager.update(t.container({}));
    assert.equal(t.manager.isStarted('u1', 'web', 'c1'), true);
    assert.equal(t.manager.isReady('u1', 'web', 'c1'), true);
    // Another instance (or an unknown one) is neither.
    assert.equal(t.manager.isReady('u1', 'web', 'c0'), false);
  });

  void it('honours initialDelaySeconds, periodSeconds and successThreshold for readiness', async () => {
    const t = setup();
    t.manager.update(t.container({ readinessProbe: exec('ready', { initialDelaySeconds: 5, periodSeconds: 2, successThreshold: 2 }) }));
    assert.equal(t.manager.isReady('u1', 'web', 'c1'), false);
    t.clock.advance(4_999);
    await flush();
    assert.equal(t.prober.calls.length, 0);
    t.clock.advance(1);
    await flush();
    assert.equal(t.prober.calls.length, 1);
    assert.equal(t.manager.isReady('u1', 'web', 'c1'), false, 'one success is below successThreshold 2');
    t.clock.advance(2_000);
    await flush();
    assert.equal(t.prober.calls.length, 2);
    assert.equal(t.manager.isReady('u1', 'web', 'c1'), true);
    assert.deepEqual(t.changes, ['ns/p']);
    // Failing flips it back after failureThreshold (3) failures, each reported.
    t.prober.answers.set('ready', false);
    for (let i = 0; i < 2; i++) {
      t.clock.advance(2_000);
      await flush();
    }
    assert.equal(t.manager.isReady('u1', 'web', 'c1'), true);
    t.clock.advance(2_000);
    await flush();
    assert.equal(t.manager.isReady('u1', 'web', 'c1'), false);
    assert.equal(t.unhealthy.length, 3);
    assert.equal(t.unhealthy[0], 'web Readiness: ready said no');
    assert.deepEqual(t.kills, [], 'readiness never kills');
  });

  void it('asks for a kill after failureThreshold liveness failures, then holds until a new instance', async () => {
    const t = setup();
    t.prober.answers.set('live', false);
    t.manager.update(t.container({ livenessProbe: exec('live', { periodSeconds: 1, failureThreshold: 2 }) }));
    await flush();
    t.clock.advance(0);
    await flush();
    assert.deepEqual(t.kills, []);
    t.clock.advance(1_000);
    await flush();
    assert.deepEqual(t.kills, ['c1 Liveness: live said no']);
    const before = t.prober.calls.length;
    t.clock.advance(5_000);
    await flush();
    assert.equal(t.prober.calls.length, before, 'no probing of a condemned instance');
    // The restarted instance gets fresh workers.
    t.prober.answers.set('live', true);
    t.manager.update(t.container({ containerId: 'c2', livenessProbe: exec('live', { periodSeconds: 1, failureThreshold: 2 }) }));
    t.clock.advance(3_000);
    await flush();
    assert.ok(t.prober.calls.length > before);
    assert.equal(t.kills.length, 1);
  });

  void it('gates liveness and readiness on the startup probe, which stops once it succeeded', async () => {
    const t = setup();
    t.prober.answers.set('startup', false);
    t.manager.update(t.container({ startupProbe: exec('startup', { periodSeconds: 1, failureThreshold: 30 }), livenessProbe: exec('live', { periodSeconds: 1 }), readinessProbe: exec('ready', { periodSeconds: 1 }) }));
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1_000);
      await flush();
    }
    assert.equal(t.manager.isStarted('u1', 'web', 'c1'), false);
    assert.deepEqual(new Set(t.prober.calls.map((c) => c.kind)), new Set(['startup']));
    t.prober.answers.set('startup', true);
    t.clock.advance(1_000);
    await flush();
    assert.equal(t.manager.isStarted('u1', 'web', 'c1'), true);
    const startupCalls = t.prober.calls.filter((c) => c.kind === 'startup').length;
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1_000);
      await flush();
    }
    assert.equal(t.prober.calls.filter((c) => c.kind === 'startup').length, startupCalls, 'startup stops after success');
    assert.ok(t.prober.calls.some((c) => c.kind === 'live'));
    assert.equal(t.manager.isReady('u1', 'web', 'c1'), true);
  });

  void it('kills on startup failure and stops workers on removePod', async () => {
    const t = setup();
    t.prober.answers.set('startup', false);
    t.manager.update(t.container({ startupProbe: exec('startup', { periodSeconds: 1, failureThreshold: 2 }) }));
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1_000);
      await flush();
    }
    assert.deepEqual(t.kills, ['c1 Startup: startup said no']);
    t.manager.removePod('u1');
    const n = t.prober.calls.length;
    t.clock.advance(10_000);
    await flush();
    assert.equal(t.prober.calls.length, n);
    assert.equal(t.manager.isStarted('u1', 'web', 'c1'), false);
  });
});
