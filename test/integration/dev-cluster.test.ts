/**
 * `tkube dev cluster create --nodes 2` starts a server and two runc nodes in network namespaces of their own (with
 * their own addresses), all Ready, routed to each other (pods crossing nodes: multi-node.test.ts); a third host's
 * runc node joins through `tkube join SERVER --token T --discovery-token-ca-cert-hash sha256:…` and runs a pod;
 * `tkube dev cluster delete` removes every process, namespace, link and file it made.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deleteDevCluster, readDevClusterState, type DevClusterState } from '../../src/boot/dev-cluster.js';
import { createNodeHosts, nodeHostEnter, planNodeHosts } from '../../src/boot/node-hosts.js';
import { publicKeyHashOf } from '../../src/pki/certificate-authority.js';
import { newLogger } from '../../src/base/log/logger.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanUpRuncNode, sandboxNetns } from '../harness/runc-node.js';
import { eventually, runCommand, tkubeArgv, writeAirGappedRegistries } from '../harness/test-cluster.js';

const skip = containerHostMissing();

void describe('tkube dev cluster', { skip }, () => {
  const home = mkdtempSync(join(tmpdir(), 'tkube-dev-it-'));
  const dir = join(home, 'cluster');
  const kubeconfig = join(home, 'kubeconfig');
  const name = `it${randomBytes(3).toString('hex')}`;
  // Apart from multi-node tests' hosts (172.20/172.21) and dev clusters' defaults (172.20–27).
  const hostsSubnet = `172.28.${randomBytes(1)[0] ?? 0}.0/24`;
  const env = { ...process.env, HOME: home, KUBECONFIG: join(home, '.kube', 'config') };
  const tkube = (args: readonly string[]): ReturnType<typeof runCommand> => runCommand(process.execPath, [...tkubeArgv(), ...args], { env, timeoutMs: 150_000 });
  const kubectl = async (args: readonly string[], input?: string): Promise<string> => {
    const r = await runCommand('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...env, KUBECACHEDIR: join(home, 'kubecache') }, ...(input !== undefined ? { input } : {}) });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  let state: DevClusterState | undefined;

  after(async () => {
    // Whatever a failed step left.
    if (existsSync(dir)) await deleteDevCluster(dir, newLogger('test'));
    rmSync(home, { recursive: true, force: true });
  });

  void it('creates two Ready nodes on their own addresses, routed to each other', async () => {
    const r = await tkube(['dev', 'cluster', 'create', '--nodes', '2', '--name', name, '--data-dir', dir, '--write-kubeconfig', kubeconfig, '--cluster-cidr', '10.249.0.0/16', '--hosts-subnet', hostsSubnet, '--disable-default-registry-endpoint', '--stand-in-images']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`nodes ${name}-node-0, ${name}-node-1 Ready`));
    assert.match(r.stdout, /Importing the examples' stand-in images into 2 nodes/);
    state = readDevClusterState(dir);
    assert.ok(state);
    const addresses = await kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.addresses[0].address} {end}']);
    assert.deepEqual(addresses.trim().split(' ').sort(), state.plan.hosts.map((h) => h.address).sort());

    // Each node routes to the other's pod CIDR through the other's host address (host-gw).
    for (const [i, h] of state.plan.hosts.entries()) {
      const other = state.plan.hosts[1 - i];
      await eventually(() => execFileSync('ip', ['-n', h.netns, 'route', 'show', 'proto', '116']).toString().includes(`via ${other?.address ?? '-'}`), 20_000);
    }
    // The machine itself (where the server runs) routes each node's pod CIDR via that node's host.
    const cidrs = (await kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.addresses[0].address}={.spec.podCIDR} {end}'])).trim().split(' ');
    const rootRoutes = execFileSync('ip', ['-4', 'route', 'show']).toString();
    for (const pair of cidrs) {
      const [address, cidr] = pair.split('=');
      assert.ok(rootRoutes.includes(`${cidr ?? '-'} via ${address ?? '-'} dev ${state.plan.bridge}`), `${pair} routed:\n${rootRoutes}`);
    }
  });

  void it('joins a runc node with `tkube join` (token, CA hash) from a host of its own, and runs a pod on it', async () => {
    assert.ok(state?.url);
    // A third host on the cluster's bridge (same name and subnet: the same bridge, the next address), made here
    // because `dev cluster create` starts its agents with the cluster secret, not through kubeadm's front door.
    const host = planNodeHosts({ name, subnets: [hostsSubnet], count: 3 }).hosts[2];
    assert.ok(host);
    await createNodeHosts({ ...state.plan, hosts: [host] });
    const joinDir = join(home, 'joined');
    mkdirSync(joinDir, { mode: 0o700 });
    writeAirGappedRegistries(joinDir);
    const node = `${name}-joined`;
    // The token as `tkube token create` makes it (join.test.ts runs that command; a CLI start here would cost seconds).
    const id = randomBytes(3).toString('hex');
    const token = `${id}.${randomBytes(8).toString('hex')}`;
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
      stringData: { 'token-id': id, 'token-secret': token.slice(7), 'usage-bootstrap-authentication': 'true', 'usage-bootstrap-signing': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' },
    }));
    const caHash = publicKeyHashOf(readFileSync(join(dir, 'server', 'tls', 'ca.crt'), 'utf8'));
    const agentPid = (): number => (existsSync(join(joinDir, 'agent.pid')) ? Number(readFileSync(join(joinDir, 'agent.pid'), 'utf8').trim()) : NaN);
    try {
      const joined = await runCommand('nsenter', [...nodeHostEnter(host).slice(1), process.execPath, ...tkubeArgv(),
        'join', state.url, '--token', token, '--discovery-token-ca-cert-hash', caHash, '--runtime', 'runc', '--node-name', node, '--node-ip', host.address,
        '--data-dir', joinDir, '--kubelet-port', '10250', '--pod-network-cidr', '10.249.0.0/16', '--wait-timeout', '60'], { env, timeoutMs: 120_000 });
      const agentLog = join(joinDir, 'logs', 'agent.log');
      assert.equal(joined.code, 0, `${joined.stdout}\n${joined.stderr}\n${existsSync(agentLog) ? readFileSync(agentLog, 'utf8').slice(-3000) : ''}`);
      assert.match(joined.stdout, /^This node has joined the cluster:$/m);
      await kubectl(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'on-joined' },
        spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo hello-from-joined; exec sleep 3600'] }] },
      }));
      const pod = await eventually(async () => {
        const p = JSON.parse(await kubectl(['get', 'pod', 'on-joined', '-o', 'json'])) as { status?: { phase?: string; hostIP?: string; containerStatuses?: { containerID?: string }[] } };
        return p.status?.phase === 'Running' ? p : undefined;
      }, 60_000);
      assert.equal(pod.status?.hostIP, host.address);
      assert.match(pod.status?.containerStatuses?.[0]?.containerID ?? '', /^runc:\/\//);
      // The API server reaches the joined kubelet with the serving certificate the node got through its CSR.
      await eventually(async () => (await kubectl(['logs', 'on-joined'])).includes('hello-from-joined'), 20_000);
    } finally {
      // As the multi-node harness does: the agent by its pid, what its runc node left (containers, mounts,
      // sandboxes), then its host, whose namespace takes the pod bridge and nftables tables with it.
      const sandboxes = sandboxNetns(joinDir);
      const pid = agentPid();
      if (Number.isInteger(pid) && existsSync(`/proc/${pid}`)) {
        process.kill(pid, 'SIGTERM');
        const gone = (): boolean => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
        await eventually(gone, 20_000).catch(() => process.kill(pid, 'SIGKILL'));
      }
      cleanUpRuncNode(joinDir, sandboxes);
      execFileSync('sh', ['-c', `ip netns delete ${host.netns} 2>/dev/null; ip link del ${host.veth} 2>/dev/null; true`]);
      await kubectl(['delete', 'pod', 'on-joined', '--force', '--grace-period=0', '--wait=false', '--ignore-not-found']).catch(() => undefined);
      await kubectl(['delete', 'node', node, '--wait=false', '--ignore-not-found']).catch(() => undefined);
    }
  });

  void it('deletes every process, namespace, link and file', async () => {
    assert.ok(state);
    const r = await tkube(['dev', 'cluster', 'delete', '--name', name, '--data-dir', dir]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(existsSync(dir), false);
    const netns = execFileSync('ip', ['netns', 'list']).toString();
    for (const h of state.plan.hosts) assert.ok(!netns.includes(h.netns), `${h.netns} removed`);
    assert.ok(!execFileSync('ip', ['-o', 'link', 'show']).toString().includes(state.plan.bridge), `${state.plan.bridge} removed`);
    assert.ok(!execFileSync('ip', ['-4', 'route', 'show']).toString().includes('10.249.'), 'pod CIDR routes removed');
    for (const pid of [state.serverPid, ...state.agents.map((a) => a.pid)]) {
      assert.ok(pid !== undefined, 'pid recorded');
      // Gone, or a zombie waiting for its reaper (it was started detached by the create command, which exited).
      assert.ok(!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '), `process ${pid} ended`);
    }
  });
});
