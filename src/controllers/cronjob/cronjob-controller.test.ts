/**
 * The CronJob reconciler on a fake clock: what it does when a run falls due at a minute boundary, and when it asks
 * to be woken, without waiting for a real minute (the integration test in test/integration/cronjob.test.ts covers
 * the same controller through kubectl on a server, starting a run that is already due).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTimestamp } from '../../api/meta/timestamp.js';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { Store } from '../../client/informer/store.js';
import type { ResourcePath } from '../../client/resource-path.js';
import type { JobShape } from '../job/job-controller.js';
import { CronJobReconciler, SCHEDULED_TIMESTAMP_ANNOTATION, type CronJobShape } from './cronjob-controller.js';

/** RecordingClient keeps the Jobs and status writes the reconciler makes (events are accepted and dropped). */
class RecordingClient {
  readonly jobs: JobShape[] = [];
  readonly statuses: NonNullable<CronJobShape['status']>[] = [];
  async create(path: ResourcePath, body: KubeObject): Promise<KubeObject> {
    if (path.resource === 'jobs') this.jobs.push(body as JobShape);
    return { ...body, metadata: { ...body.metadata, uid: `uid-${body.metadata?.name ?? ''}` } };
  }
  async update(path: ResourcePath, body: KubeObject): Promise<KubeObject> {
    if (path.resource === 'cronjobs' && path.subresource === 'status') this.statuses.push((body as CronJobShape).status ?? {});
    return body;
  }
  async patch(): Promise<KubeObject> {
    return {};
  }
  async delete(): Promise<KubeObject> {
    return {};
  }
}

const START = Date.parse('2026-01-01T10:00:20Z');

function setup(spec: CronJobShape['spec'] = {}): { clock: FakeClock; client: RecordingClient; cronJobs: Store<CronJobShape>; reconciler: CronJobReconciler } {
  const clock = new FakeClock(START);
  const client = new RecordingClient();
  const cronJobs = new Store<CronJobShape>();
  cronJobs.add({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default', uid: 'cj-uid', creationTimestamp: formatTimestamp(START - 5_000) },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: {} } }, ...spec },
  });
  const jobs = new Store<JobShape>();
  const events = new EventRecorder({ client: client as never, component: 'cronjob-controller', clock, log: newLogger('test') });
  return { clock, client, cronJobs, reconciler: new CronJobReconciler(client as never, { store: cronJobs } as never, { store: jobs } as never, clock, events) };
}

void describe('CronJobReconciler', () => {
  void it('starts nothing before the schedule falls due, and asks to be woken just after the next minute', async () => {
    const { client, reconciler } = setup();
    assert.deepEqual(await reconciler.reconcile('default/tick'), { requeueAfterMs: 40_000 + 100 });
    assert.equal(client.jobs.length, 0);
  });

  void it('at the minute, creates the Job named after its scheduled time and records lastScheduleTime', async () => {
    const { clock, client, cronJobs, reconciler } = setup();
    await reconciler.reconcile('default/tick');
    clock.advance(40_100);
    const result = await reconciler.reconcile('default/tick');
    const scheduled = Date.parse('2026-01-01T10:01:00Z');
    assert.equal(client.jobs.length, 1);
    const job = client.jobs[0];
    assert.equal(job?.metadata?.name, `tick-${scheduled / 60_000}`);
    assert.equal(job?.metadata?.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION], formatTimestamp(scheduled));
    assert.deepEqual(job?.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['CronJob', 'tick', 'cj-uid', true]]);
    assert.equal(client.statuses.at(-1)?.lastScheduleTime, formatTimestamp(scheduled));
    assert.deepEqual(client.statuses.at(-1)?.active?.map((r) => r.name), [job?.metadata?.name]);
    // The next wake-up is just after the following minute (59.9 s away, plus the 100 ms margin).
    assert.deepEqual(result, { requeueAfterMs: 60_000 });

    // With that status stored, the same minute is not started twice.
    const stored = cronJobs.get('default/tick');
    assert.ok(stored);
    cronJobs.add({ ...stored, status: { lastScheduleTime: formatTimestamp(scheduled) } });
    await reconciler.reconcile('default/tick');
    assert.equal(client.jobs.length, 1);
  });

  void it('a suspended CronJob starts nothing when its schedule falls due, and asks for no wake-up', async () => {
    const { clock, client, reconciler } = setup({ suspend: true });
    assert.equal(await reconciler.reconcile('default/tick'), undefined);
    clock.advance(120_000);
    assert.equal(await reconciler.reconcile('default/tick'), undefined);
    assert.equal(client.jobs.length, 0);
  });
});
