/**
 * CronJobs through real kubectl on a server with simulated nodes: an every-minute CronJob starts a Job at the next
 * minute (named after its scheduled time, with the scheduled-timestamp annotation), the Job completes and the
 * CronJob records lastScheduleTime and lastSuccessfulTime; `kubectl create job --from=cronjob/…` works; a
 * suspended CronJob starts nothing.
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
    await c.kubectlOk(['create', '-f', '-'], { input: cronJob('tick') });
    await c.kubectlOk(['create', '-f', '-'], { input: cronJob('idle', { suspend: true }) });
    const job = await eventually(async () => {
      const list = JSON.parse(await c.kubectlOk(['get', 'jobs', '-n', 'default', '-o', 'json'])) as { items: { metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: { name: string }[] } }[] };
      return list.items.find((j) => j.metadata.ownerReferences?.[0]?.name === 'tick');
    }, 90_000, 500);
    assert.match(job.metadata.name, /^tick-\d+$/);
    const scheduled = job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'] ?? '';
    assert.equal(Math.floor(Date.parse(scheduled) / 60_000), Number(job.metadata.name.slice('tick-'.length)));
    await eventually(async () => {
      const cj = JSON.parse(await c.kubectlOk(['get', 'cronjob', 'tick', '-n', 'default', '-o', 'json'])) as { status?: { lastScheduleTime?: string; lastSuccessfulTime?: string } };
      return cj.status?.lastScheduleTime === scheduled && cj.status.lastSuccessfulTime !== undefined;
    }, 60_000);
    const table = await c.kubectlOk(['get', 'cronjob', 'tick', '-n', 'default']);
    assert.match(table, /tick\s+\* \* \* \* \*\s+<none>\s+False/);
    // The suspended one started nothing in that minute.
    assert.doesNotMatch(await c.kubectlOk(['get', 'jobs', '-n', 'default', '-o', 'name']), /idle-/);
  });

  it('kubectl create job --from=cronjob runs its template now', async () => {
    await c.kubectlOk(['create', 'job', 'manual', '--from=cronjob/tick', '-n', 'default']);
    const wait = await c.kubectl(['wait', '--for=condition=complete', 'job/manual', '-n', 'default', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(wait.code, 0, wait.stderr);
  });
});
