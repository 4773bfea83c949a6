/** SyncEvents: a sync's events reach the recorder only when flushed, in the order recorded, and only once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { RestClient } from '../../client/rest-client.js';
import { SyncEvents } from './sync-events.js';

void describe('SyncEvents', () => {
  void it('holds events until flush, then writes them oldest first, each once', async () => {
    const created: KubeObject[] = [];
    const client = {
      create: (_path: unknown, obj: KubeObject) => {
        created.push(obj);
        return Promise.resolve(obj);
      },
    } as unknown as RestClient;
    const recorder = new EventRecorder({ client, component: 'kubelet', clock: new FakeClock(0), log: newLogger('test'), maxInflight: 1 });
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u' } };
    const events = new SyncEvents(recorder, pod);
    events.record('Normal', 'Pulled', 'Container image "busybox" already present on machine');
    events.record('Normal', 'Created', 'Created container c');
    events.record('Normal', 'Started', 'Started container c');
    await new Promise((r) => setImmediate(r));
    assert.equal(created.length, 0, 'nothing is written before the flush');
    events.flush();
    events.flush();
    for (let i = 0; i < 20 && created.length < 3; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      created.map((e) => e['reason']),
      ['Pulled', 'Created', 'Started'],
    );
    assert.deepEqual((created[0]?.['involvedObject'] as { uid?: string }).uid, 'u');
  });
});
