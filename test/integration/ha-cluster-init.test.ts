/**
 * `tkube server --cluster-init` runs its own etcd member (Debian's etcd) as its datastore; a second
 * `tkube server --server URL --token T` adopts the cluster's CA and keys through the first, adds itself as an etcd
 * member through the member API and runs it. Both serve the same objects; one holds the controller manager Lease.
 * Loopback, free ports for the API servers and etcd members.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { freePort } from '../../src/base/net/free-port.js';
import { etcdMissing } from '../harness/etcd.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = etcdMissing();
const TOKEN = 'cluster-init-test-secret';
const ARGS = ['--token', TOKEN, '--disable', 'ingress', '--leader-elect-lease-duration', '4s', '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '500ms'];

/** etcdPidsUnder lists etcd processes whose data dir is under `dir` (a server killed hard leaves its member behind). */
function etcdPidsUnder(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('etcd') && cmd.some((a) => a.startsWith(dir))) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

void describe('tkube server --cluster-init and --server', { skip }, () => {
  const servers: TestCluster[] = [];
  let secondArgs: string[] = [];

  before(async () => {
    servers.push(await TestCluster.start({ args: ['--cluster-init', '--etcd-client-port', '0', '--etcd-peer-port', '0', ...ARGS] }));
    const first = servers[0];
    assert.ok(first);
    // Fixed ports for the second member: it is restarted below, and a member's peer URL must not change.
    secondArgs = ['--server', first.url, '--etcd-client-port', String(await freePort()), '--etcd-peer-port', String(await freePort()), ...ARGS];
    servers.push(await TestCluster.start({ args: secondArgs }));
  });

  after(async () => {
    for (const s of [...servers].reverse()) {
      await s.kill('SIGTERM');
      for (const pid of etcdPidsUnder(s.dataDir)) process.kill(pid, 'SIGKILL');
      await s.stop();
    }
  });

  void it('runs an etcd member per server, one CA, the same objects on both', async () => {
    const [s1, s2] = servers;
    assert.ok(s1 && s2);
    assert.equal(s2.credentials().ca, s1.credentials().ca);
    for (const s of servers) assert.ok(existsSync(join(s.dataDir, 'db', 'etcd', 'member')), `${s.dataDir} runs an etcd member`);
    assert.match(s2.log, /Added this server as an etcd member/);
    await s1.kubectlOk(['create', 'configmap', 'shared', '--from-literal=k=v']);
    await eventually(async () => (await s2.kubectl(['get', 'configmap', 'shared', '-o', 'jsonpath={.data.k}'])).stdout === 'v', 10_000, 200);
    await s2.kubectlOk(['create', 'deployment', 'web', '--image', 'nginx', '--replicas', '2']);
    // The controller manager (on the first server) reconciles what was written through the second.
    await eventually(async () => (await s1.kubectl(['get', 'replicasets', '-l', 'app=web', '-o', 'name'])).stdout.trim() !== '', 20_000, 300);
    const holder = (await s2.kubectlOk(['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
    assert.ok(holder.endsWith(readFileSync(join(s1.dataDir, 'server-id'), 'utf8').trim()));
  });

  void it('a joined server killed with SIGKILL starts again on its own member (the one left behind is replaced)', async () => {
    const [s1, s2] = servers;
    assert.ok(s1 && s2);
    await s2.kill('SIGKILL');
    assert.equal(etcdPidsUnder(s2.dataDir).length, 1, 'the member outlives its killed server');
    await s2.restart('SIGKILL', { args: secondArgs });
    assert.equal(etcdPidsUnder(s2.dataDir).length, 1);
    assert.match(s2.log, /Stopping the etcd member a previous run left behind/);
    assert.doesNotMatch(s2.log.split('Stopping the etcd member a previous run left behind')[1] ?? '', /Added this server as an etcd member/);
    await eventually(async () => (await s2.kubectl(['get', 'configmap', 'shared', '-o', 'jsonpath={.data.k}'])).stdout === 'v', 20_000, 300);
    await s2.kubectlOk(['create', 'configmap', 'after-restart']);
    await eventually(async () => (await s1.kubectl(['get', 'configmap', 'after-restart'])).code === 0, 10_000, 200);
  });
});
