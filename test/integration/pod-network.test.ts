/**
 * The bridge pod network on a real runc node, driven with real kubectl: two pods get distinct addresses in the
 * Node's podCIDR, one reaches the other's port and the node (the bridge address), a hostPort answers on
 * 127.0.0.1 from the host, addresses and hostPorts survive a kill -9 of the agent, deleting pods releases their addresses and veths, and clean-up removes the bridge and
 * the nftables table. No `kubectl exec`: the client pod prints what it fetched to its log.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readNetworkRecord, type NetworkRecord } from '../../src/agent/network/bridge-network.js';
import { parseIPv4Cidr } from '../../src/agent/pod-ip-allocator.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { getPod, waitForPodPhase } from '../harness/pods.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PodJson {
  status?: { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function inCidr(ip: string, cidr: string): boolean {
  const { base, size } = parseIPv4Cidr(cidr);
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n >= base && n < base + size;
}

function bridgePorts(bridge: string): string[] {
  return execFileSync('ip', ['-o', 'link', 'show', 'master', bridge]).toString().split('\n').filter(Boolean);
}

/** podPorts lists the bridge's ports that are pods': the warm namespaces' veths (made ahead of need) are not. */
function podPorts(bridge: string, networkDir: string): string[] {
  const warmDir = join(networkDir, 'warm');
  const warm = new Set<string>();
  for (const f of existsSync(warmDir) ? readdirSync(warmDir) : []) {
    try {
      if (f.endsWith('.json')) warm.add((JSON.parse(readFileSync(join(warmDir, f), 'utf8')) as { hostVeth: string }).hostVeth);
    } catch {
      // Taken meanwhile: a pod's now.
    }
  }
  return bridgePorts(bridge).filter((line) => !warm.has(/^\d+:\s*([^@:]+)/.exec(line)?.[1] ?? ''));
}

void describe('bridge pod network on a runc node', { skip }, () => {
  let c: TestCluster;
  let nodeServer: Server | undefined;
  let network: NetworkRecord | undefined;
  const node = `tkube-net-${process.pid}`;
  const args = ['--container-runtime', 'runc', '--node-name', node];
  let hostPort = 0;
  before(async () => {
    c = await TestCluster.start({ agent: true, args });
  });
  after(async () => {
    nodeServer?.close();
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    network ??= readNetworkRecord(join(c.dataDir, 'agent', 'network'));
    await cleanupRuncNode(c);
    if (network) {
      assert.equal(existsSync(`/sys/class/net/${network.bridge}`), false, 'the bridge is gone');
      assert.equal(execFileSync('nft', ['list', 'tables']).toString().includes(` ${network.table}\n`), false, 'the table is gone');
    }
  });

  const pod = (name: string): Promise<PodJson> => getPod<PodJson>(c, name);
  const running = (name: string): Promise<PodJson> => waitForPodPhase<PodJson>(c, name, ['Running']);

  void it('connects pods to each other, to the node and to a hostPort', async () => {
    const podCidr = await eventually(async () => {
      const n = JSON.parse(await c.kubectlOk(['get', 'node', node, '-o', 'json'])) as { spec?: { podCIDR?: string } };
      return n.spec?.podCIDR;
    }, 30_000);
    network = await eventually(() => readNetworkRecord(join(c.dataDir, 'agent', 'network')), 30_000);
    assert.equal(network.podCidr, podCidr);
    const gateway = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', network.bridge]).toString().match(/inet ([\d.]+)\//)?.[1] ?? '';
    assert.ok(inCidr(gateway, podCidr), `bridge address ${gateway} in ${podCidr}`);
    // "The node" as a pod sees it: a server of this test on the bridge address.
    const server = createServer((_req, res) => res.end('hello-from-node\n'));
    nodeServer = server;
    await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
    const nodePort = (server.address() as { port: number }).port;
    hostPort = await freePort();

    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'httpd', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ containerPort: 8080, hostPort }] }],
        },
      }),
    });
    const web = await running('web');
    const webIP = web.status?.podIP ?? '';
    assert.ok(inCidr(webIP, podCidr), `${webIP} in ${podCidr}`);
    assert.deepEqual(web.status?.podIPs, [{ ip: webIP }]);

    // (busybox-static's wget crashes on this machine; nc speaks HTTP/1.0 well enough.)
    const get = (host: string, port: number): string => `$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} ${port} | tail -n 1)`;
    const script = `while true; do echo "pod: ${get(webIP, 8080)}"; echo "node: ${get(gateway, nodePort)}"; sleep 1; done`;
    await c.kubectlOk(['run', 'client', '--image=busybox', '--', 'sh', '-c', script]);
    const clientIP = (await running('client')).status?.podIP ?? '';
    assert.ok(inCidr(clientIP, podCidr), `${clientIP} in ${podCidr}`);
    assert.notEqual(clientIP, webIP);
    let log = '';
    await eventually(async () => {
      log = await c.kubectlOk(['logs', 'client']);
      return log.includes('pod: hello-from-web') && log.includes('node: hello-from-node');
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; the client pod printed:\n${log.slice(-1000)}`));

    // hostPort from the host, on loopback: nftables DNAT to the pod.
    const body = await eventually(async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2000) });
        return r.ok ? await r.text() : undefined;
      } catch {
        return undefined;
      }
    }, 15_000);
    assert.equal(body, 'hello-from-web\n');
    assert.equal(podPorts(network.bridge, join(c.dataDir, 'agent', 'network')).length, 2);
  });

  void it('keeps addresses and hostPorts across a kill -9 of the agent, and hands out no address twice', async () => {
    const before = new Map<string, string>();
    for (const name of ['web', 'client']) before.set(name, (await pod(name)).status?.podIP ?? '');
    await c.restart('SIGKILL', { agent: true, args });
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    for (const [name, ip] of before) assert.equal((await pod(name)).status?.podIP, ip, `${name} keeps its address`);
    await c.kubectlOk(['run', 'third', '--image=busybox', '--', 'sleep', '3600']);
    const third = (await running('third')).status?.podIP ?? '';
    assert.ok(third && ![...before.values()].includes(third), `${third} is new`);
    const r = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(5000) });
    assert.equal(await r.text(), 'hello-from-web\n');
    assert.match(execFileSync('nft', ['list', 'table', 'ip', network?.table ?? '']).toString(), new RegExp(`tcp dport ${hostPort} dnat to ${before.get('web') ?? ''}:8080`));
  });

  void it('releases addresses and veths when pods are deleted, and leaves hostNetwork pods alone', async () => {
    assert.ok(network);
    await c.kubectlOk(['delete', 'pod', 'web', 'client', 'third', '--grace-period=1', '--timeout=60s']);
    // The leases are on the node's volatile tmpfs (they live as long as the pods' namespaces).
    const ipamDir = join(c.dataDir, 'agent', 'run', 'network', 'ipam', network.podCidr.replace('/', '_'));
    await eventually(() => readdirSync(ipamDir).length === 0 && podPorts(network?.bridge ?? '', join(c.dataDir, 'agent', 'network')).length === 0, 30_000);
    assert.equal(execFileSync('nft', ['list', 'table', 'ip', network.table]).toString().includes('dnat to'), false, 'hostPort rule removed');

    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hostnet' }, spec: { hostNetwork: true, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } }),
    });
    assert.equal((await running('hostnet')).status?.podIP, '127.0.0.1');
    assert.equal(readdirSync(ipamDir).length, 0);
    assert.equal(podPorts(network.bridge, join(c.dataDir, 'agent', 'network')).length, 0);
  });
});

void describe('runc node with --pod-network none', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-nonet-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--pod-network', 'none'] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  void it('leaves pods on loopback with the node IP, and makes no bridge', async () => {
    await c.kubectlOk(['run', 'lonely', '--image=busybox', '--', 'sleep', '3600']);
    const p = await eventually(async () => {
      const got = JSON.parse(await c.kubectlOk(['get', 'pod', 'lonely', '-o', 'json'])) as PodJson;
      return got.status?.phase === 'Running' ? got : undefined;
    }, 60_000);
    assert.equal(p.status?.podIP, '127.0.0.1');
    assert.equal(readNetworkRecord(join(c.dataDir, 'agent', 'network')), undefined);
  });
});
