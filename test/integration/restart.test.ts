/**
 * Durability across a crash: a server killed with SIGKILL and started again on the same data dir serves the same
 * objects at the same resourceVersions, keeps counting revisions upward, and resumes watches from a
 * resourceVersion handed out before the crash.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

/** WatchEvent is one line of a watch stream. */
interface WatchEvent {
  readonly type: string;
  readonly object: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string };
}

/** WatchRecorder collects the events of one raw watch stream. */
interface WatchRecorder {
  readonly events: WatchEvent[];
  readonly status: number;
  /** ended says whether the server closed the stream. */
  ended(): boolean;
  close(): void;
}

/** recordWatch opens a raw watch and parses its newline-delimited JSON events as they arrive. */
async function recordWatch(cluster: TestCluster, path: string): Promise<WatchRecorder> {
  const res: IncomingMessage = await cluster.stream(path);
  const events: WatchEvent[] = [];
  let pending = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) events.push(JSON.parse(line) as WatchEvent);
    }
  });
  let ended = false;
  res.on('error', () => (ended = true));
  res.on('close', () => (ended = true));
  return { events, status: res.statusCode ?? 0, ended: () => ended, close: () => res.destroy() };
}

/** names lists "TYPE name" for the events of a recorder. */
function names(events: readonly WatchEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);
}

void describe('tkube server restart on the same data dir', () => {
  let cluster: TestCluster;
  const watches: WatchRecorder[] = [];

  before(async () => {
    cluster = await TestCluster.start();
  });

  after(async () => {
    for (const w of watches) w.close();
    await cluster?.stop();
  });

  /** rvOf reads an object's resourceVersion with kubectl. */
  async function rvOf(kindAndName: string[]): Promise<string> {
    return cluster.kubectlOk(['get', ...kindAndName, '-o', 'jsonpath={.metadata.resourceVersion}']);
  }

  void it('keeps objects and resourceVersions across SIGKILL, counts upward, and resumes watches', async () => {
    await cluster.kubectlOk(['create', 'namespace', 'durable']);
    await cluster.kubectlOk(['create', '-n', 'durable', 'configmap', 'r1', '--from-literal=v=1']);
    await cluster.kubectlOk(['create', '-n', 'durable', 'configmap', 'r2', '--from-literal=v=2']);
    await cluster.kubectlOk(['create', '-n', 'durable', 'deployment', 'd1', '--image=nginx:1']);
    await cluster.kubectlOk(['label', '-n', 'durable', 'configmap', 'r2', 'touched=yes']);
    const before = {
      r1: await rvOf(['-n', 'durable', 'configmap', 'r1']),
      r2: await rvOf(['-n', 'durable', 'configmap', 'r2']),
      d1: await rvOf(['-n', 'durable', 'deployment', 'd1']),
      ns: await rvOf(['namespace', 'durable']),
      uid: await cluster.kubectlOk(['get', '-n', 'durable', 'configmap', 'r1', '-o', 'jsonpath={.metadata.uid}']),
    };
    const list = JSON.parse((await cluster.request('/api/v1/namespaces/durable/configmaps')).body) as { metadata: { resourceVersion: string } };
    const lastRv = list.metadata.resourceVersion;
    assert.match(lastRv, /^\d+$/);
    assert.ok(Number(lastRv) >= Number(before.r2), `list RV ${lastRv} is not below the newest object RV ${before.r2}`);
    const oldPid = cluster.pid;

    await cluster.restart('SIGKILL');
    assert.notEqual(cluster.pid, oldPid);

    assert.equal(await rvOf(['-n', 'durable', 'configmap', 'r1']), before.r1);
    assert.equal(await rvOf(['-n', 'durable', 'configmap', 'r2']), before.r2);
    assert.equal(await rvOf(['-n', 'durable', 'deployment', 'd1']), before.d1);
    assert.equal(await rvOf(['namespace', 'durable']), before.ns);
    assert.equal(await cluster.kubectlOk(['get', '-n', 'durable', 'configmap', 'r1', '-o', 'jsonpath={.metadata.uid}']), before.uid);
    assert.equal(await cluster.kubectlOk(['get', '-n', 'durable', 'configmap', 'r2', '-o', 'jsonpath={.metadata.labels.touched}']), 'yes');
    assert.equal(await cluster.kubectlOk(['get', '-n', 'durable', 'deployment', 'd1', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1');
    // The built-in objects are not recreated (their resourceVersions predate the restart).
    assert.ok(Number(await rvOf(['namespace', 'default'])) <= Number(lastRv));

    const resumed = await recordWatch(cluster, `/api/v1/namespaces/durable/configmaps?watch=true&resourceVersion=${lastRv}`);
    watches.push(resumed);
    assert.equal(resumed.status, 200);

    await cluster.kubectlOk(['create', '-n', 'durable', 'configmap', 'r3', '--from-literal=v=3']);
    const r3 = await rvOf(['-n', 'durable', 'configmap', 'r3']);
    assert.ok(Number(r3) > Number(lastRv), `new write got resourceVersion ${r3}, not above ${lastRv}`);
    await cluster.kubectlOk(['patch', '-n', 'durable', 'configmap', 'r1', '--type=merge', '-p', '{"data":{"v":"10"}}']);
    await cluster.kubectlOk(['delete', '-n', 'durable', 'configmap', 'r2']);

    await eventually(() => resumed.events.length >= 3, 20_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; events so far: ${JSON.stringify(names(resumed.events))}`);
    });
    assert.deepEqual(names(resumed.events), ['ADDED r3', 'MODIFIED r1', 'DELETED r2']);
    const rvs = resumed.events.map((e) => Number(e.object.metadata?.resourceVersion));
    assert.deepEqual([...rvs].sort((a, b) => a - b), rvs, 'events arrive in resourceVersion order');
    assert.ok(rvs.every((rv) => rv > Number(lastRv)));
  });

  void it('a watch open across a graceful restart ends, and resuming it loses no events', async () => {
    const list = JSON.parse((await cluster.request('/api/v1/namespaces/durable/configmaps')).body) as { metadata: { resourceVersion: string } };
    const w = await recordWatch(cluster, `/api/v1/namespaces/durable/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    watches.push(w);
    await cluster.kubectlOk(['create', '-n', 'durable', 'configmap', 'g1']);
    await eventually(() => w.events.some((e) => e.object.metadata?.name === 'g1'), 20_000);
    const lastSeen = w.events.at(-1)?.object.metadata?.resourceVersion ?? '';

    await cluster.restart('SIGTERM');
    await eventually(() => w.ended(), 20_000);
    await cluster.kubectlOk(['create', '-n', 'durable', 'configmap', 'g2']);

    const resumed = await recordWatch(cluster, `/api/v1/namespaces/durable/configmaps?watch=true&resourceVersion=${lastSeen}`);
    watches.push(resumed);
    await eventually(() => resumed.events.some((e) => e.object.metadata?.name === 'g2'), 20_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; events so far: ${JSON.stringify(names(resumed.events))}`);
    });
    assert.deepEqual(names(resumed.events), ['ADDED g2']);
  });
});
