/**
 * Jobs through real kubectl on a server with simulated nodes (pods finish on the `sim.tkube.io/exit-after` and
 * `exit-code` annotations): completions with parallelism 2, an Indexed Job, backoffLimit exhausted, a FailJob pod
 * failure policy, activeDeadlineSeconds, suspend/resume, and ttlSecondsAfterFinished.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  completedIndexes?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

function job(name: string, spec: Record<string, unknown>, exit: { after: string; code?: number }): string {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      ...spec,
      template: {
        metadata: { annotations: { 'sim.tkube.io/exit-after': exit.after, 'sim.tkube.io/exit-code': String(exit.code ?? 0) } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox:1.36', command: ['sh', '-c', 'true'] }] },
      },
    },
  });
}

describe('Job controller', () => {
  let c: TestCluster;
  const status = async (name: string): Promise<JobStatus> =>
    (JSON.parse(await c.kubectlOk(['get', 'job', name, '-n', 'default', '-o', 'json'])) as { status?: JobStatus }).status ?? {};
  const condition = async (name: string, type: string): Promise<{ reason?: string; message?: string } | undefined> =>
    (await status(name)).conditions?.find((x) => x.type === type && x.status === 'True');

  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('runs 4 completions 2 at a time and completes (kubectl wait)', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: job('pi', { completions: 4, parallelism: 2 }, { after: '1s' }) });
    await eventually(async () => (await status('pi')).active === 2);
    const wait = await c.kubectl(['wait', '--for=condition=complete', 'job/pi', '-n', 'default', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(wait.code, 0, wait.stderr);
    const s = await status('pi');
    assert.equal(s.succeeded, 4);
    assert.equal(s.active, 0);
    const pods = await c.kubectlOk(['get', 'pods', '-n', 'default', '-l', 'job-name=pi', '-o', 'name']);
    assert.equal(pods.trim().split('\n').length, 4);
    const table = await c.kubectlOk(['get', 'job', 'pi', '-n', 'default']);
    assert.match(table, /pi\s+Complete\s+4\/4/);
  });

  it('runs an Indexed Job with one pod per index', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }, { after: '1s' }) });
    await eventually(async () => (await condition('idx', 'Complete')) !== undefined, 60_000);
    assert.equal((await status('idx')).completedIndexes, '0-2');
    const hostnames = await c.kubectlOk(['get', 'pods', '-n', 'default', '-l', 'job-name=idx', '-o', 'jsonpath={.items[*].spec.hostname}']);
    assert.deepEqual(hostnames.split(' ').sort(), ['idx-0', 'idx-1', 'idx-2']);
  });

  it('fails once failures exceed backoffLimit', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: job('flaky', { backoffLimit: 0 }, { after: '500ms', code: 3 }) });
    const failed = await eventually(async () => condition('flaky', 'Failed'), 60_000);
    assert.equal(failed.reason, 'BackoffLimitExceeded');
    assert.equal((await status('flaky')).failed, 1);
  });

  it('fails at once on a FailJob pod failure policy rule', async () => {
    await c.kubectlOk(['create', '-f', '-'], {
      input: job('policy', { backoffLimit: 5, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }, { after: '500ms', code: 42 }),
    });
    const failed = await eventually(async () => condition('policy', 'Failed'), 60_000);
    assert.equal(failed.reason, 'PodFailurePolicy');
    assert.match(failed.message ?? '', /failed with exit code 42 matching FailJob rule at index 0/);
  });

  it('fails past activeDeadlineSeconds and stops its pods', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: job('slow', { activeDeadlineSeconds: 2 }, { after: '1h' }) });
    const failed = await eventually(async () => condition('slow', 'Failed'), 60_000);
    assert.equal(failed.reason, 'DeadlineExceeded');
    await eventually(async () => (await c.kubectlOk(['get', 'pods', '-n', 'default', '-l', 'job-name=slow', '-o', 'name'])).trim() === '', 60_000);
  });

  it('suspends and resumes', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: job('later', { suspend: true, completions: 1 }, { after: '500ms' }) });
    await eventually(async () => (await condition('later', 'Suspended')) !== undefined);
    assert.equal((await c.kubectlOk(['get', 'pods', '-n', 'default', '-l', 'job-name=later', '-o', 'name'])).trim(), '');
    await c.kubectlOk(['patch', 'job', 'later', '-n', 'default', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await eventually(async () => (await condition('later', 'Complete')) !== undefined, 60_000);
  });

  it('deletes a finished Job after ttlSecondsAfterFinished', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: job('brief', { ttlSecondsAfterFinished: 1 }, { after: '500ms' }) });
    await eventually(async () => (await c.kubectl(['get', 'job', 'brief', '-n', 'default'])).code !== 0, 60_000);
  });
});
