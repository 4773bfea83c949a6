/**
 * `tkube server --datastore-endpoint http(s)://…` on Debian's etcd, driven by the real kubectl: create, get, watch
 * and delete work, objects are stored under /registry/ as upstream stores them, a killed-and-restarted server finds
 * its objects again; a three-member etcd with TLS client certificates keeps the server serving when one member dies;
 * an unreachable etcd makes the server exit at once with one line naming the endpoint.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { freePort } from '../../src/base/net/free-port.js';
import { EtcdCluster, etcdMissing } from '../harness/etcd.js';
import { commandExists } from '../harness/host-tools.js';
import { eventually, runCommand, TestCluster, tkubeArgv } from '../harness/test-cluster.js';

const skip = etcdMissing();

void describe('tkube server on a single etcd', { skip }, () => {
  let etcd: EtcdCluster;
  let c: TestCluster;
  before(async () => {
    etcd = await EtcdCluster.start();
    c = await TestCluster.start({ args: ['--datastore-endpoint', etcd.endpoints.join(',')] });
  });
  after(async () => {
    await c?.stop();
    await etcd?.stop();
  });

  void it('creates, gets, watches and deletes objects with kubectl, stored under /registry/', async () => {
    await c.kubectlOk(['create', 'configmap', 'first', '--from-literal=a=1']);
    assert.match(await c.kubectlOk(['get', 'configmap', 'first', '-o', 'jsonpath={.data.a}']), /^1$/);

    // kubectl get --watch sees a create and a delete made after it started.
    const watcher = spawn('kubectl', ['--kubeconfig', c.kubeconfig, 'get', 'configmaps', '--watch-only', '-o', 'name'], {
      env: { ...process.env, KUBECONFIG: c.kubeconfig, HOME: c.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = '';
    watcher.stdout.setEncoding('utf8').on('data', (d: string) => (seen += d));
    try {
      await eventually(async () => {
        // Creates until the watch (which may still be starting) reports one.
        await c.kubectl(['create', 'configmap', `watched-${Date.now()}`]);
        return seen.includes('configmap/watched-');
      }, 20_000, 300);
      await c.kubectlOk(['delete', 'configmap', 'first']);
      await eventually(() => seen.includes('configmap/first'), 20_000);
    } finally {
      watcher.kill('SIGTERM');
    }
    const get = await c.kubectl(['get', 'configmap', 'first']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /NotFound|not found/);

    if (commandExists('etcdctl')) {
      const keys = await runCommand('etcdctl', ['--endpoints', etcd.endpoints.join(','), 'get', '--prefix', '--keys-only', '/registry/configmaps/default/'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      assert.equal(keys.code, 0, keys.stderr);
      assert.match(keys.stdout, /^\/registry\/configmaps\/default\/watched-/m);
    }
  });

  void it('answers errors while etcd is down and recovers when it is back', async () => {
    await c.kubectlOk(['create', 'configmap', 'before-outage']);
    await etcd.kill(0);
    const down = await c.kubectl(['create', 'configmap', 'during-outage', '--request-timeout=10s']);
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /^Error from server|^error:|Unable to connect/m);
    await etcd.restart(0);
    await eventually(async () => (await c.kubectl(['create', 'configmap', 'after-outage'])).code === 0 || (await c.kubectl(['get', 'configmap', 'after-outage'])).code === 0, 30_000, 500);
    // Reads from the watch cache see the write made after the outage: the cache followed etcd again.
    await eventually(async () => /configmap\/after-outage\b/.test((await c.kubectl(['get', 'configmaps', '-o', 'name'])).stdout), 30_000, 300);
    assert.match(await c.kubectlOk(['get', 'configmap', 'before-outage', '-o', 'name']), /configmap\/before-outage/);
  });

  void it('finds its objects after a SIGKILL restart, with resourceVersions that keep increasing', async () => {
    await c.kubectlOk(['create', 'configmap', 'durable', '--from-literal=k=v']);
    const rv = Number(await c.kubectlOk(['get', 'configmap', 'durable', '-o', 'jsonpath={.metadata.resourceVersion}']));
    await c.restart('SIGKILL', { args: ['--datastore-endpoint', etcd.endpoints.join(',')] });
    assert.match(await c.kubectlOk(['get', 'configmap', 'durable', '-o', 'jsonpath={.data.k}']), /^v$/);
    await c.kubectlOk(['create', 'configmap', 'after-restart']);
    const rv2 = Number(await c.kubectlOk(['get', 'configmap', 'after-restart', '-o', 'jsonpath={.metadata.resourceVersion}']));
    assert.ok(rv2 > rv, `${rv2} > ${rv}`);
  });
});

void describe('tkube server on a three-member etcd with TLS client certificates', { skip }, () => {
  let etcd: EtcdCluster;
  let c: TestCluster;
  before(async () => {
    etcd = await EtcdCluster.start({ members: 3, tls: true });
    const tls = etcd.tls;
    assert.ok(tls);
    c = await TestCluster.start({
      args: ['--datastore-endpoint', etcd.endpoints.join(','), '--datastore-cafile', tls.caFile, '--datastore-certfile', tls.certFile, '--datastore-keyfile', tls.keyFile],
    });
  });
  after(async () => {
    await c?.stop();
    await etcd?.stop();
  });

  void it('keeps serving reads and writes with one member killed', async () => {
    await c.kubectlOk(['create', 'configmap', 'before-kill']);
    await etcd.kill(1);
    // A request that meets the dead member may fail once; the client retries it on the others.
    await eventually(async () => (await c.kubectl(['create', 'configmap', 'after-kill'])).code === 0 || (await c.kubectl(['get', 'configmap', 'after-kill'])).code === 0, 30_000, 500);
    for (let i = 0; i < 5; i++) await eventually(async () => (await c.kubectl(['create', 'configmap', `more-${i}`])).code === 0 || (await c.kubectl(['get', 'configmap', `more-${i}`])).code === 0, 20_000, 300);
    const names = await c.kubectlOk(['get', 'configmaps', '-o', 'name']);
    for (const n of ['before-kill', 'after-kill', 'more-0', 'more-4']) assert.match(names, new RegExp(`configmap/${n}\\b`));
  });
});

void describe('tkube server with an unreachable etcd', { skip }, () => {
  void it('exits within seconds with one line naming the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const dir = await mkdtemp(join(tmpdir(), 'tkube-it-etcd-'));
    const started = Date.now();
    const r = await runCommand(process.execPath, [
      ...tkubeArgv(), 'server', '--data-dir', dir,
      '--https-listen-port', '0', '--bind-address', '127.0.0.1', '--disable-agent',
      '--write-kubeconfig', join(dir, 'admin.test.kubeconfig'), '--datastore-endpoint', endpoint,
    ], { timeoutMs: 30_000 }).finally(() => rm(dir, { recursive: true, force: true }));
    assert.notEqual(r.code, 0);
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('tkube:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', new RegExp(`Cannot reach etcd at ${endpoint}.*check that etcd runs there`));
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});
