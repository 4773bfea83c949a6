/**
 * CronJobs through real kubectl on a server with simulated nodes: an every-minute CronJob whose last run was two
 * minutes ago starts the run now due (named after its scheduled time, with the scheduled-timestamp annotation), the
 * Job completes and the CronJob records lastScheduleTime and lastSuccessfulTime; `kubectl create job
 * --from=cronjob/…` works; a suspended CronJob starts nothing though a run is due. The run is made due by writing
 * lastScheduleTime through the status subresource (as after a controller restart) rather than by waiting for the
 * next minute boundary, which cost ~30 s on average; waking up at that boundary is covered on a fake clock in
 * src/controllers/cronjob/cronjob-controller.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

function cronJob(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      concurrencyPolicy: 'Forbid',
      ...extra,
      jobTemplate: {
        spec: {
          template: {
            metadata: { annotations: { 'sim.tkube.io/exit-after': '1s' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'tick', image: 'busybox:1.36', command: ['date'] }] },
          },
        },
      },
    },
  });
}

describe('CronJob controller', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '1'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('starts a Job when the schedule falls due and records the run', async () => {
    // Both are created suspended, given a last run two minutes ago, and then only `tick` is resumed.
    await c.kubectlOk(['create', '-f', '-'], { input: cronJob('tick', { suspend: true }) });
    await c.kubectlOk(['create', '-f', '-'], { input: cronJob('idle', { suspend: true }) });
    const twoMinutesAgo = new Date(Date.now() - 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const name of ['tick', 'idle']) {
      await c.kubectlOk(['patch', 'cronjob', name, '-n', 'default', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { lastScheduleTime: twoMinutesAgo } })]);
    }
    await c.kubectlOk(['patch', 'cronjob', 'tick', '-n', 'default', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    const job = await eventually(async () => {
      const list = JSON.parse(await c.kubectlOk(['get', 'jobs', '-n', 'default', '-o', 'json'])) as { items: { metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: { name: string }[] } }[] };
      return list.items.find((j) => j.metadata.ownerReferences?.[0]?.name === 'tick');
    }, 30_000, 200);
    assert.match(job.metadata.name, /^tick-\d+$/);
    const scheduled = job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'] ?? '';
    assert.equal(Math.floor(Date.parse(scheduled) / 60_000), Number(job.metadata.name.slice('tick-'.length)));
    assert.ok(Date.parse(scheduled) > Date.parse(twoMinutesAgo) && Date.parse(scheduled) <= Date.now(), `scheduled ${scheduled}`);
    // The CronJob runs every minute from now on: when a minute boundary passes before this check, the next run has
    // started and lastScheduleTime is that run's, a minute after this Job's (CI once waited 60 s for the first one).
    await eventually(async () => {
      const cj = JSON.parse(await c.kubectlOk(['get', 'cronjob', 'tick', '-n', 'default', '-o', 'json'])) as { status?: { lastScheduleTime?: string; lastSuccessfulTime?: string } };
      const last = Date.parse(cj.status?.lastScheduleTime ?? '');
      return last >= Date.parse(scheduled) && (last - Date.parse(scheduled)) % 60_000 === 0 && cj.status?.lastSuccessfulTime !== undefined;
    }, 60_000);
    const table = await c.kubectlOk(['get', 'cronjob', 'tick', '-n', 'default']);
    assert.match(table, /tick\s+\* \* \* \* \*\s+<none>\s+False/);
    // The suspended one, with a run due as well, started nothing.
    assert.doesNotMatch(await c.kubectlOk(['get', 'jobs', '-n', 'default', '-o', 'name']), /idle-/);
  });

  it('kubectl create job --from=cronjob runs its template now', async () => {
    await c.kubectlOk(['create', 'job', 'manual', '--from=cronjob/tick', '-n', 'default']);
    const wait = await c.kubectl(['wait', '--for=condition=complete', 'job/manual', '-n', 'default', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(wait.code, 0, wait.stderr);
  });
});
