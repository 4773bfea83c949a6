/**
 * NodeHostsCluster: a real multi-node cluster on this machine for tests — a `tkube server` without a node of its
 * own (TestCluster) listening on the hosts bridge's gateway, plus one `tkube agent --runtime runc` per node host
 * (src/boot/node-hosts.ts), each in its own network namespace with its own address, joined with a token.
 *
 * `stop` deletes the pods (so each kubelet tears its sandboxes down), stops every agent by its pid, removes what
 * they left (containers, mounts, pod namespaces, cgroups), then the hosts and the bridge, then the server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeHosts, destroyNodeHosts, nodeHostEnter, planNodeHosts, type NodeHost, type NodeHostsPlan } from '../../src/boot/node-hosts.js';
import { AgentProcess } from './agent-process.js';
import { cleanUpRuncNode, sandboxNetns } from './runc-node.js';
import { eventually, TestCluster, writeAirGappedRegistries } from './test-cluster.js';

/** NodeHostsClusterOptions shape the cluster. */
export interface NodeHostsClusterOptions {
  /** @default 2 */
  readonly nodes?: number;
  /** Put the hosts on this many different subnets (routed through the root namespace: VXLAN between them). @default 1 */
  readonly subnets?: number;
  /** Dual-stack: `--cluster-cidr` gets an IPv6 range (fd42:<hex>::/56) after the IPv4 one. @default false */
  readonly dualStack?: boolean;
}

/** HostAgent is one `tkube agent` process in a node host (nsenter execs it: the pid is the agent's). */
export class HostAgent extends AgentProcess {
  readonly nodeName: string;
  readonly host: NodeHost;
  readonly dataDir: string;

  constructor(nodeName: string, host: NodeHost, dataDir: string, args: readonly string[]) {
    super(args, nodeHostEnter(host));
    this.nodeName = nodeName;
    this.host = host;
    this.dataDir = dataDir;
  }
}

/** NodeHostsCluster is a server plus agents in node hosts. */
export class NodeHostsCluster {
  readonly server: TestCluster;
  readonly plan: NodeHostsPlan;
  readonly agents: readonly HostAgent[];
  readonly clusterCidr: string;

  private constructor(server: TestCluster, plan: NodeHostsPlan, agents: HostAgent[], clusterCidr: string) {
    this.server = server;
    this.plan = plan;
    this.agents = agents;
    this.clusterCidr = clusterCidr;
  }

  /** start makes the hosts, the server and the agents, and waits until every node is Ready (cleans up on failure). */
  static async start(opts: NodeHostsClusterOptions = {}): Promise<NodeHostsCluster> {
    const name = `it${process.pid}${randomBytes(2).toString('hex')}`;
    // Ranges derived from the name, so tests running side by side on this machine do not share them.
    const h = createHash('sha256').update(name).digest();
    const subnets = Array.from({ length: opts.subnets ?? 1 }, (_, i) => `172.${20 + i}.${(h[0] ?? 0) % 250}.0/24`);
    const clusterCidr = `10.${128 + ((h[1] ?? 0) % 120)}.0.0/16${opts.dualStack ? `,fd42:${h.toString('hex').slice(4, 8)}::/56` : ''}`;
    const plan = planNodeHosts({ name, subnets, count: opts.nodes ?? 2 });
    const gateway = plan.hosts[0]?.gateway ?? '';
    const token = randomBytes(16).toString('hex');
    const agents: HostAgent[] = [];
    let server: TestCluster | undefined;
    // Ours, not TestCluster's: removed even when the server never came up.
    const serverDir = mkdtempSync(join(tmpdir(), 'tkube-it-'));
    try {
      await createNodeHosts(plan);
      server = await TestCluster.start({ dataDir: serverDir, args: ['--token', token, '--bind-address', gateway, '--cluster-cidr', clusterCidr] });
      for (const host of plan.hosts) {
        const dataDir = mkdtempSync(join(tmpdir(), 'tkube-host-it-'));
        writeAirGappedRegistries(dataDir);
        const nodeName = `${name}-n${host.index}`;
        agents.push(
          new HostAgent(nodeName, host, dataDir, [
            '--runtime', 'runc', '--server', `https://${gateway}:${server.port}`, '--token', token, '--ca-file', join(server.dataDir, 'tls', 'ca.crt'),
            '--node-name', nodeName, '--node-ip', host.address, '--data-dir', dataDir, '--kubelet-port', '10250', '--cluster-cidr', clusterCidr,
            '--disable-default-registry-endpoint', '--certificate-timeout', '60',
          ]),
        );
      }
      const s = server;
      for (const a of agents) {
        await eventually(async () => {
          if (a.exited) throw new Error(`agent ${a.nodeName} exited with ${a.exited}:\n${a.log.slice(-3000)}`);
          return /\sReady\s/.test((await s.kubectl(['get', 'node', a.nodeName])).stdout);
        }, 90_000);
      }
      return new NodeHostsCluster(server, plan, agents, clusterCidr);
    } catch (err) {
      await tearDown(server, plan, agents);
      rmSync(serverDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** agent returns the agent of node host `i`. */
  agent(i: number): HostAgent {
    const a = this.agents[i];
    if (!a) throw new Error(`no node host ${i}`);
    return a;
  }

  /** stop removes everything start made. */
  async stop(): Promise<void> {
    await this.server.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']).catch(() => undefined);
    await tearDown(this.server, this.plan, this.agents);
    rmSync(this.server.dataDir, { recursive: true, force: true });
  }
}

async function tearDown(server: TestCluster | undefined, plan: NodeHostsPlan, agents: readonly HostAgent[]): Promise<void> {
  const netns = agents.map((a) => sandboxNetns(a.dataDir));
  await Promise.all(agents.map((a) => a.stop()));
  for (const [i, a] of agents.entries()) {
    cleanUpRuncNode(a.dataDir, netns[i] ?? []);
    rmSync(a.dataDir, { recursive: true, force: true });
  }
  // The pods' bridges, nftables tables and routes live in the hosts' namespaces and go with them.
  await destroyNodeHosts(plan);
  await server?.stop();
}

/** webPod serves "hello-from-<name>" (and /big, 256 KiB of zeros) on 8080 and logs each client's address (httpd -v). */
export function webPod(name: string, nodeName: string, hostPort?: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'httpd', image: 'busybox', command: ['sh', '-c', `mkdir -p /www && echo hello-from-${name} > /www/index.html && dd if=/dev/zero of=/www/big bs=1024 count=256 2>/dev/null && exec httpd -f -v -p 8080 -h /www`], ports: [{ containerPort: 8080, ...(hostPort ? { hostPort } : {}) }] }],
    },
  });
}

/** clientPod fetches http://<ip>:8080/ of each target once a second and prints "<ip>: <last line>". */
export function clientPod(name: string, nodeName: string, targets: readonly string[]): string {
  // (busybox-static's wget crashes on this machine; nc speaks HTTP/1.0 well enough.)
  const loop = targets.map((ip) => `echo "${ip}: $(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 8080 | tail -n 1)"`).join('; ');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `while true; do ${loop}; sleep 1; done`] }] },
  });
}
