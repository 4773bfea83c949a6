import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planInitContainers, type InstanceState } from './init-containers.js';

const states = (m: Record<string, InstanceState>) => (name: string): InstanceState | undefined => m[name];
const exited = (exitCode: number): InstanceState => ({ state: 'exited', exitCode, started: false });
const running = (started = true): InstanceState => ({ state: 'running', exitCode: 0, started });

void describe('planInitContainers', () => {
  const two = [{ name: 'a' }, { name: 'b' }];

  void it('runs regular init containers one at a time, in order, each to success', () => {
    assert.deepEqual(planInitContainers(two, states({}), 'Always', false), { start: ['a'], initialized: false });
    assert.deepEqual(planInitContainers(two, states({ a: running() }), 'Always', false), { start: [], initialized: false });
    assert.deepEqual(planInitContainers(two, states({ a: exited(0) }), 'Always', false), { start: ['b'], initialized: false });
    assert.deepEqual(planInitContainers(two, states({ a: exited(0), b: exited(0) }), 'Always', false), { start: [], initialized: true });
  });

  void it('retries a failed init container, or fails the pod under restartPolicy Never', () => {
    assert.deepEqual(planInitContainers(two, states({ a: exited(1) }), 'OnFailure', false), { start: ['a'], initialized: false });
    assert.deepEqual(planInitContainers(two, states({ a: exited(0), b: exited(2) }), 'Never', false), { start: [], initialized: false, failed: 'b' });
  });

  void it('waits for a sidecar to start, not to finish, and restarts it when it exits', () => {
    const specs = [{ name: 'side', restartPolicy: 'Always' }, { name: 'a' }];
    assert.deepEqual(planInitContainers(specs, states({}), 'Never', false), { start: ['side'], initialized: false });
    assert.deepEqual(planInitContainers(specs, states({ side: running(false) }), 'Never', false), { start: [], initialized: false });
    assert.deepEqual(planInitContainers(specs, states({ side: running() }), 'Never', false), { start: ['a'], initialized: false });
    assert.deepEqual(planInitContainers(specs, states({ side: running(), a: exited(0) }), 'Never', false), { start: [], initialized: true });
    // Restarted even under Never, before and after initialization.
    assert.deepEqual(planInitContainers(specs, states({ side: exited(0) }), 'Never', false), { start: ['side'], initialized: false });
    assert.deepEqual(planInitContainers(specs, states({ side: exited(137), a: exited(0) }), 'Never', true), { start: ['side'], initialized: true });
  });

  void it('does not run regular init containers again once app containers exist', () => {
    assert.deepEqual(planInitContainers(two, states({}), 'Always', true), { start: [], initialized: true });
  });
});
