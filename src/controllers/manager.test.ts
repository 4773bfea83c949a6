import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import { RestClient } from '../client/rest-client.js';
import { Controller } from './controller.js';
import type { ControllerDescriptor } from './controller-descriptor.js';
import { ControllerManager } from './manager.js';
import { CONTROLLERS } from './registry.js';

// Nothing here reaches the server: the test controllers register no informers.
const client = new RestClient({ server: 'https://127.0.0.1:1' });

function row(name: string, built: string[], enabledByDefault = true): ControllerDescriptor {
  return {
    name,
    enabledByDefault,
    create: (ctx) => {
      built.push(name);
      return new Controller({ name, clock: ctx.clock, log: ctx.log, reconciler: { reconcile: async () => undefined } });
    },
  };
}

describe('ControllerManager', () => {
  it('builds and runs only the selected controllers, and stops them', async () => {
    const built: string[] = [];
    const m = new ControllerManager({ client, clock: new FakeClock(), log: newLogger('test'), table: [row('a', built), row('b', built), row('c', built, false)], controllers: '*,-b' });
    assert.deepEqual(m.enabledControllers(), ['a']);
    await m.start();
    assert.deepEqual(built, ['a']);
    await assert.rejects(m.start(), /Cannot start controller manager: already started/);
    await m.stop();
  });

  it('refuses duplicate names and unknown selections before starting anything', () => {
    const built: string[] = [];
    assert.throws(() => new ControllerManager({ client, table: [row('a', built), row('a', built)] }), /already registered/);
    assert.throws(() => new ControllerManager({ client, table: [row('a', built)], controllers: 'z' }), /Cannot select controller "z"/);
    assert.deepEqual(built, []);
  });

  it('defaults to the built-in table', () => {
    const enabled = new ControllerManager({ client }).enabledControllers();
    assert.deepEqual(enabled, CONTROLLERS.filter((d) => d.enabledByDefault).map((d) => d.name));
    assert.ok(enabled.includes('deployment') && enabled.includes('garbagecollector'));
  });
});
