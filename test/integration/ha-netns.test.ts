/**
 * `tkube dev cluster create --servers 3 --nodes 1`: three servers, each in a network-namespace host of its own on
 * the default ports, the first with `--cluster-init` and the others joined with `--server`, one etcd member each; a
 * node (process runtime, the cheapest) joined through its load balancer; kubectl through a kubeconfig that points at
 * the `tkube load-balancer` on loopback. kill -9 of the server the load balancer uses (and its etcd member: the host
 * is gone): kubectl keeps working, the etcd cluster keeps quorum, a Deployment is still reconciled (the leader moves
 * when the killed server held the Leases). `dev cluster delete` leaves no namespace, link, route or process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deleteDevCluster, readDevClusterState, restartDevClusterServer, type DevClusterState } from '../../src/boot/dev-cluster.js';
import { newLogger } from '../../src/base/log/logger.js';
import { etcdMissing } from '../harness/etcd.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { eventually, runCommand, tkubeArgv } from '../harness/test-cluster.js';

const skip = containerHostMissing() || etcdMissing();

/** gone: no such process, or a zombie waiting for its reaper (started detached by a command that exited). */
function gone(pid: number): boolean {
  return !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
}

void describe('tkube dev cluster --servers 3 (HA in network-namespace hosts)', { skip }, () => {
  const home = mkdtempSync(join(tmpdir(), 'tkube-ha-netns-'));
  const dir = join(home, 'cluster');
  const kubeconfig = join(home, 'kubeconfig');
  const name = `ha${randomBytes(3).toString('hex')}`;
  // Apart from dev-cluster.test.ts (172.28), multi-node tests (172.20/172.21) and dev clusters' defaults (172.20–27).
  const hostsSubnet = `172.29.${randomBytes(1)[0] ?? 0}.0/24`;
  const env = { ...process.env, HOME: home, KUBECONFIG: join(home, '.kube', 'config') };
  const tkube = (args: readonly string[]): ReturnType<typeof runCommand> => runCommand(process.execPath, [...tkubeArgv(), ...args], { env, timeoutMs: 150_000 });
  const kubectl = (args: readonly string[]): ReturnType<typeof runCommand> =>
    runCommand('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout', '5s', ...args], { env: { ...env, KUBECACHEDIR: join(home, 'kubecache') }, timeoutMs: 20_000 });
  const kubectlOk = async (args: readonly string[]): Promise<string> => {
    const r = await kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  let state: DevClusterState | undefined;
  let victimIndex = 0;
  const pids: number[] = [];

  after(async () => {
    // Whatever a failed step left.
    if (existsSync(dir)) await deleteDevCluster(dir, newLogger('test'));
    rmSync(home, { recursive: true, force: true });
  });

  /** etcdHealth runs `etcdctl endpoint health --cluster` inside server i's host with its member's certificates. */
  const etcdHealth = async (i: number): Promise<string> => {
    const s = state?.servers?.[i];
    const host = s ? state?.plan.hosts[s.host] : undefined;
    assert.ok(s && host);
    const tls = join(s.dataDir, 'tls', 'etcd');
    const args = ['--net=/run/netns/' + host.netns, '--', 'etcdctl', '--endpoints', 'https://127.0.0.1:2379', '--cacert', join(tls, 'ca.crt'), '--cert', join(tls, 'client.crt'), '--key', join(tls, 'client.key'), '--command-timeout', '5s', 'endpoint', 'health', '--cluster'];
    // etcdctl prints the health lines on stderr, and exits 1 when an endpoint is unhealthy.
    const r = await runCommand('nsenter', args, { timeoutMs: 20_000 });
    return `${r.stdout}${r.stderr}`;
  };

  void it('creates three servers in hosts of their own, one etcd cluster, a node, and a kubeconfig on the load balancer', async () => {
    const r = await tkube([
      'dev', 'cluster', 'create', '--servers', '3', '--nodes', '1', '--runtime', 'process', '--name', name, '--data-dir', dir, '--write-kubeconfig', kubeconfig,
      '--cluster-cidr', '10.246.0.0/16', '--hosts-subnet', hostsSubnet, '--server-arg=--disable=ingress',
      '--server-arg=--leader-elect-lease-duration=4s', '--server-arg=--leader-elect-renew-deadline=3s', '--server-arg=--leader-elect-retry-period=500ms',
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    state = readDevClusterState(dir);
    assert.ok(state?.servers && state.loadBalancer);
    for (const s of state.servers) if (s.pid) pids.push(s.pid);
    for (const a of state.agents) if (a.pid) pids.push(a.pid);
    if (state.loadBalancer.pid) pids.push(state.loadBalancer.pid);
    assert.equal(state.servers.length, 3);
    // Each server on its own host address, on the default port.
    assert.deepEqual(state.servers.map((s) => s.url), state.plan.hosts.slice(0, 3).map((h) => `https://${h.address}:6443`));
    assert.match(r.stdout, new RegExp(`nodes ${name}-node-0 Ready`));
    // The kubeconfig points at the load balancer; the servers' certificates cover it (kubectl verifies them).
    const server = (await kubectlOk(['config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}'])).trim();
    assert.equal(server, state.loadBalancer.url);
    assert.match(server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(await kubectlOk(['get', 'nodes', '-o', 'name']), new RegExp(`node/${name}-node-0`));
    // Three members, all healthy.
    const health = await etcdHealth(1);
    assert.equal((health.match(/is healthy/g) ?? []).length, 3, health);
  });

  void it('keeps kubectl, etcd and the controllers working after kill -9 of the server the load balancer uses', async () => {
    assert.ok(state?.servers && state.loadBalancer);
    const servers = state.servers;
    // The load balancer logs every switch; without one it still uses the first server.
    const lbLog = readFileSync(join(dir, 'logs', 'load-balancer.log'), 'utf8');
    const switched = [...lbLog.matchAll(/switching.* to="([^"]+)"/g)].pop()?.[1];
    const currentAddress = switched ?? new URL(servers[0]?.url ?? '').host;
    const victim = servers.findIndex((s) => new URL(s.url).host === currentAddress);
    const killed = servers[victim];
    assert.ok(killed?.pid, `the load balancer uses ${currentAddress}`);
    const identity = readFileSync(join(killed.dataDir, 'server-id'), 'utf8').trim();
    const etcdPid = Number(readFileSync(join(killed.dataDir, 'db', 'etcd.pid'), 'utf8').trim());
    pids.push(etcdPid);

    const started = Date.now();
    // The host is lost: its server and its etcd member.
    process.kill(killed.pid, 'SIGKILL');
    process.kill(etcdPid, 'SIGKILL');
    await eventually(async () => (await kubectl(['get', 'nodes', '-o', 'name'])).code === 0, 30_000, 100);
    const failoverMs = Date.now() - started;
    // A write may still meet the survivors electing a new etcd leader for a moment.
    await eventually(async () => (await kubectl(['create', 'deployment', 'web', '--image', 'busybox', '--replicas', '2', '--', 'sleep', '3600'])).code === 0, 20_000, 200);
    const writeMs = Date.now() - started;
    // Reconciled and scheduled: the controller manager and the scheduler run on a survivor.
    await eventually(async () => {
      const nodes = (await kubectlOk(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {end}'])).trim().split(' ').filter((n) => n !== '');
      return nodes.length === 2 && nodes.every((n) => n === `${name}-node-0`);
    }, 45_000, 300);
    const reconciledMs = Date.now() - started;
    const holder = (await kubectlOk(['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
    assert.ok(!holder.endsWith(identity), `the controller manager Lease (${holder}) is held by a survivor`);
    // Two of three members answer: quorum.
    const survivor = victim === 0 ? 1 : 0;
    const health = await etcdHealth(survivor);
    assert.equal((health.match(/is healthy/g) ?? []).length, 2, health);
    process.stdout.write(`# failover: kubectl answered ${failoverMs} ms after the kill, wrote at ${writeMs} ms, Deployment scheduled at ${reconciledMs} ms\n`);
    victimIndex = victim;
  });

  void it('restarts killed servers on their data dirs: a member left behind is replaced, none is added', async () => {
    assert.ok(state?.servers);
    const servers = state.servers;
    // Another server killed alone: its etcd member outlives it (and keeps the quorum with the third).
    const other = victimIndex === 1 ? 2 : 1;
    const otherServer = servers[other];
    assert.ok(otherServer?.pid);
    const otherEtcd = Number(readFileSync(join(otherServer.dataDir, 'db', 'etcd.pid'), 'utf8').trim());
    process.kill(otherServer.pid, 'SIGKILL');
    await eventually(() => gone(otherServer.pid ?? 0), 10_000);
    assert.ok(!gone(otherEtcd), 'the member outlives its killed server');
    await Promise.all([restartDevClusterServer(dir, victimIndex), restartDevClusterServer(dir, other)]);
    state = readDevClusterState(dir);
    for (const s of state?.servers ?? []) if (s.pid) pids.push(s.pid);
    const log = readFileSync(join(dir, 'logs', `server-${other}.log`), 'utf8');
    assert.match(log, /Stopping the etcd member a previous run left behind/);
    assert.doesNotMatch(log.split('Stopping the etcd member a previous run left behind')[1] ?? '', /Added this server as an etcd member/);
    assert.ok(gone(otherEtcd), 'the member left behind was stopped');
    // Back to three healthy members, no fourth.
    const health = await eventually(async () => {
      const h = await etcdHealth(victimIndex);
      return (h.match(/is healthy/g) ?? []).length === 3 ? h : undefined;
    }, 30_000, 500);
    assert.doesNotMatch(health, /unhealthy/);
    // The restarted first server serves what was written while it was down.
    const victimServer = state?.servers?.[victimIndex];
    assert.ok(victimServer);
    const direct = await runCommand('kubectl', ['--kubeconfig', join(victimServer.dataDir, 'admin.kubeconfig'), '--server', victimServer.url, 'get', 'deployment', 'web', '-o', 'name'], { env: { ...env, KUBECACHEDIR: join(home, 'kubecache') } });
    assert.equal(direct.stdout.trim(), 'deployment.apps/web', direct.stderr);
  });

  void it('deletes every process, namespace, link, route and file', async () => {
    assert.ok(state);
    const r = await tkube(['dev', 'cluster', 'delete', '--name', name, '--data-dir', dir]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(existsSync(dir), false);
    const netns = execFileSync('ip', ['netns', 'list']).toString();
    for (const h of state.plan.hosts) assert.ok(!netns.includes(h.netns), `${h.netns} removed`);
    assert.ok(!execFileSync('ip', ['-o', 'link', 'show']).toString().includes(state.plan.bridge), `${state.plan.bridge} removed`);
    assert.ok(!execFileSync('ip', ['-4', 'route', 'show']).toString().includes('10.246.'), 'pod CIDR routes removed');
    for (const pid of pids) assert.ok(gone(pid), `process ${pid} ended`);
  });
});
