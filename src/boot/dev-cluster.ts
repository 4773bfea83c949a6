/**
 * A development cluster of several real nodes on this machine (kind's role, `tkube dev cluster create|delete`):
 * node hosts (node-hosts.ts) joined by a bridge, a `tkube server` without a node of its own listening on the
 * bridge's gateway, and one `tkube agent --runtime runc` per host, each entered with nsenter into its host's
 * network namespace and joined with a token. Every process runs detached; pids, the hosts plan and the token are in
 * `<data-dir>/cluster.json` (mode 0600), logs in `<data-dir>/logs/`.
 *
 * Layout: `<data-dir>/server` (the server's data dir), `<data-dir>/nodes/<i>` (agent i's data dir).
 *
 * With `servers` > 1 (HA, docs/ha.md) the servers run in node hosts too, as the agents do: host i < servers is
 * server i, with data in `<data-dir>/servers/<i>`, its own address and the default ports (6443, etcd 2379/2380).
 * Server 0 starts with `--cluster-init`, the others with `--server https://<server 0>:6443` one after the other
 * (an etcd member must be running before the next is added, or the cluster loses quorum). The agents get every
 * server's URL for their local load balancer. kubectl has no failover, so a `tkube load-balancer` on the machine's
 * loopback (pid in `<data-dir>/load-balancer.pid`) fronts the servers and the admin kubeconfig points at it; every
 * server's certificate covers 127.0.0.1.
 *
 * Contract: `deleteDevCluster` removes everything `createDevCluster` made, also after a half-finished create or
 * after a process was killed (etcd members a killed server left, any process still inside a host's namespace).
 */
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../base/net/free-port.js';
import { pollUntil } from '../base/wait/poll-until.js';
import type { Logger } from '../base/log/logger.js';
import { readKubeconfig, type KubeconfigEntry } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import { addExampleStandIns } from './images.js';
import { createNodeHosts, destroyNodeHosts, nodeHostEnter, planNodeHosts, routePodCidrs, type NodeHost, type NodeHostsPlan, type PodCidrRoute } from './node-hosts.js';
import { ipBatch, runWithInput } from '../agent/network/ip-command.js';
import { stopNodeWorkloads } from './node-cleanup.js';
import { processAlive, readServerState } from './server-state.js';

/** DevClusterConfig describes the cluster to create. */
export interface DevClusterConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly nodes: number;
  /** How many servers; more than one runs each in a node host on one embedded etcd cluster (HA). @default 1 */
  readonly servers?: number;
  /** The agents' container runtime. @default "runc" */
  readonly runtime?: 'runc' | 'process';
  /** Extra flags for every server (e.g. shorter leader-election timings). */
  readonly serverArgs?: readonly string[];
  /** Hosts subnets; several put the hosts on different subnets (VXLAN between them). @default one derived from the name */
  readonly hostsSubnets?: readonly string[];
  /** @default "10.42.0.0/16" */
  readonly clusterCidr?: string;
  /** How to run `tkube`: the node binary and its arguments before the command (the CLI passes its own). */
  readonly tkube: readonly string[];
  /** Extra flags for every agent (e.g. --disable-default-registry-endpoint). */
  readonly agentArgs?: readonly string[];
  /** Import the examples' stand-in images (`tkube images stand-ins`) into every node before it starts. */
  readonly standInImages?: boolean;
  /** @default 120000 */
  readonly readyTimeoutMs?: number;
  /** Told about each step. */
  readonly progress?: (text: string) => void;
}

/** DevClusterState is `<data-dir>/cluster.json`. */
export interface DevClusterState {
  readonly name: string;
  readonly plan: NodeHostsPlan;
  readonly token: string;
  readonly clusterCidr: string;
  serverPid?: number;
  url?: string;
  readonly agents: { nodeName: string; pid?: number; dataDir: string }[];
  /** HA: the servers, each in host `servers[i].host` of the plan. */
  readonly servers?: { host: number; url: string; dataDir: string; pid?: number; argv?: string[] }[];
  /** HA: the kubeconfig's load balancer on the machine's loopback. */
  loadBalancer?: { url: string; pid?: number };
}

/** A running dev cluster: its URL, node names and the admin kubeconfig entry for merging. */
export interface DevCluster {
  /** The API server's URL; with several servers, the load balancer's in front of them. */
  readonly url: string;
  /** Each server's own URL (one entry without HA). */
  readonly serverUrls: readonly string[];
  readonly nodeNames: readonly string[];
  readonly kubeconfig: KubeconfigEntry;
}

const statePath = (dataDir: string): string => join(dataDir, 'cluster.json');
const loadBalancerPidPath = (dataDir: string): string => join(dataDir, 'load-balancer.pid');
/** The API server port of a server in a node host: the default, as every host has its own ports. */
const HOST_SERVER_PORT = 6443;

/** readDevClusterState reads `<data-dir>/cluster.json`, if there is one. */
export function readDevClusterState(dataDir: string): DevClusterState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(dataDir), 'utf8')) as DevClusterState;
  } catch {
    return undefined;
  }
}

function saveState(dataDir: string, s: DevClusterState): void {
  writeFileSync(statePath(dataDir), JSON.stringify(s, null, 2), { mode: 0o600 });
}

/** defaultHostsSubnet derives a /24 from the cluster name, so clusters of different names do not share one. */
export function defaultHostsSubnet(name: string): string {
  const h = createHash('sha256').update(`hosts/${name}`).digest();
  return `172.${20 + ((h[0] ?? 0) % 8)}.${h[1] ?? 0}.0/24`;
}

function spawnDetached(argv: readonly string[], logFile: string): number {
  const log = openSync(logFile, 'a', 0o600);
  const [cmd, ...args] = argv;
  const child = spawn(cmd ?? '', args, { detached: true, stdio: ['ignore', log, log], env: process.env });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`Cannot start ${cmd ?? ''}`);
  return child.pid;
}

function tail(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-10).join('\n') : '';
}

/** createDevCluster starts the hosts, the server(s) and the agents and waits until every node is Ready. */
export async function createDevCluster(c: DevClusterConfig): Promise<DevCluster> {
  if (readDevClusterState(c.dataDir)) throw new Error(`A dev cluster already exists in ${c.dataDir}: delete it first`);
  if ((c.servers ?? 1) > 1) return createHaDevCluster(c);
  const plan = planNodeHosts({ name: c.name, subnets: c.hostsSubnets ?? [defaultHostsSubnet(c.name)], count: c.nodes });
  const gateway = plan.hosts[0]?.gateway ?? '';
  const clusterCidr = c.clusterCidr ?? '10.42.0.0/16';
  const logs = join(c.dataDir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const state: DevClusterState = {
    name: c.name,
    plan,
    token: randomBytes(16).toString('hex'),
    clusterCidr,
    agents: plan.hosts.map((h) => ({ nodeName: `${c.name}-node-${h.index}`, dataDir: join(c.dataDir, 'nodes', String(h.index)) })),
  };
  // Saved before anything is made: a failed create is cleaned up by delete.
  saveState(c.dataDir, state);
  c.progress?.(`Creating ${c.nodes} node hosts on ${plan.gateways.join(', ')} (bridge ${plan.bridge}) ...`);
  await createNodeHosts(plan);

  c.progress?.('Starting the control plane ...');
  const serverDir = join(c.dataDir, 'server');
  const serverLog = join(logs, 'server.log');
  const serverPid = spawnDetached(
    [...c.tkube, 'server', '--data-dir', serverDir, '--https-listen-port', '0', '--bind-address', gateway, '--cluster-cidr', clusterCidr, '--disable-agent', '--token', state.token, '--no-kubeconfig-merge'],
    serverLog,
  );
  state.serverPid = serverPid;
  saveState(c.dataDir, state);
  const adminKubeconfig = join(serverDir, 'admin.kubeconfig');
  const up = await pollUntil(async () => {
    if (!processAlive(serverPid)) return true;
    const s = readServerState(serverDir);
    if (s?.pid !== serverPid || !existsSync(adminKubeconfig)) return false;
    state.url = s.url;
    return (await nodeNames(adminKubeconfig, false)) !== undefined;
  }, { timeoutMs: 60_000 });
  if (!up || !processAlive(serverPid) || !state.url) throw new Error(`The server did not become ready; last log lines (${serverLog}):\n${tail(serverLog)}`);
  saveState(c.dataDir, state);

  if (c.standInImages) {
    c.progress?.(`Importing the examples' stand-in images into ${c.nodes} node${c.nodes === 1 ? '' : 's'} ...`);
    for (const agent of state.agents) {
      mkdirSync(agent.dataDir, { recursive: true, mode: 0o700 });
      await addExampleStandIns(agent.dataDir);
    }
  }
  c.progress?.(`Joining ${c.nodes} node${c.nodes === 1 ? '' : 's'} ...`);
  for (const [i, host] of plan.hosts.entries()) {
    const agent = state.agents[i];
    if (!agent) continue;
    mkdirSync(agent.dataDir, { recursive: true, mode: 0o700 });
    agent.pid = spawnDetached(
      [
        ...nodeHostEnter(host), ...c.tkube, 'agent', '--runtime', 'runc', '--server', state.url, '--token', state.token, '--ca-file', join(serverDir, 'tls', 'ca.crt'),
        '--node-name', agent.nodeName, '--node-ip', host.address, '--data-dir', agent.dataDir, '--kubelet-port', '10250', '--cluster-cidr', clusterCidr, ...(c.agentArgs ?? []),
      ],
      join(logs, `${agent.nodeName}.log`),
    );
  }
  saveState(c.dataDir, state);
  const want = state.agents.map((a) => a.nodeName);
  let ready: string[] = [];
  const allReady = await pollUntil(async () => {
    const dead = state.agents.find((a) => a.pid !== undefined && !processAlive(a.pid));
    if (dead) throw new Error(`The agent of ${dead.nodeName} exited; last log lines (${join(logs, `${dead.nodeName}.log`)}):\n${tail(join(logs, `${dead.nodeName}.log`))}`);
    ready = (await nodeNames(adminKubeconfig, true)) ?? [];
    return want.every((n) => ready.includes(n));
  }, { timeoutMs: c.readyTimeoutMs ?? 120_000 });
  if (!allReady) throw new Error(`Nodes not Ready in time: ${want.filter((n) => !ready.includes(n)).join(', ')} (logs in ${logs})`);
  // The server runs on the machine itself, outside every node host: routes to the pods let it reach them.
  const cidrs = await podCidrs(adminKubeconfig);
  const routes = plan.hosts.flatMap((h) => {
    const cidr = cidrs.get(state.agents[h.index]?.nodeName ?? '');
    return cidr ? [{ cidr, via: h.address }] : [];
  });
  for (const r of await routePodCidrs(plan, routes)) c.progress?.(`Not routing ${r.cidr} via ${r.via}: this machine already routes it elsewhere`);
  return { url: state.url, serverUrls: [state.url], nodeNames: want, kubeconfig: kubeconfigEntry(adminKubeconfig, `tkube-${c.name}`) };
}

/** agentArgv is the command line of the agent of `host` (entered into the host's namespace). */
function agentArgv(c: DevClusterConfig, host: NodeHost, agent: { nodeName: string; dataDir: string }, servers: string, token: string, caFile: string, clusterCidr: string): string[] {
  return [
    ...nodeHostEnter(host), ...c.tkube, 'agent', '--runtime', c.runtime ?? 'runc', '--server', servers, '--token', token, '--ca-file', caFile,
    '--node-name', agent.nodeName, '--node-ip', host.address, '--data-dir', agent.dataDir, '--kubelet-port', '10250', '--cluster-cidr', clusterCidr, ...(c.agentArgs ?? []),
  ];
}

/** waitNodesReady polls until every agent's node is Ready; an agent that exits fails at once with its log. */
async function waitNodesReady(c: DevClusterConfig, state: DevClusterState, kubeconfig: string, server: string | undefined): Promise<string[]> {
  const logs = join(c.dataDir, 'logs');
  const want = state.agents.map((a) => a.nodeName);
  let ready: string[] = [];
  const allReady = await pollUntil(async () => {
    const dead = state.agents.find((a) => a.pid !== undefined && !processAlive(a.pid));
    if (dead) throw new Error(`The agent of ${dead.nodeName} exited; last log lines (${join(logs, `${dead.nodeName}.log`)}):\n${tail(join(logs, `${dead.nodeName}.log`))}`);
    ready = (await nodeNames(kubeconfig, true, server)) ?? [];
    return want.every((n) => ready.includes(n));
  }, { timeoutMs: c.readyTimeoutMs ?? 120_000 });
  if (!allReady) throw new Error(`Nodes not Ready in time: ${want.filter((n) => !ready.includes(n)).join(', ')} (logs in ${logs})`);
  return want;
}

/**
 * createHaDevCluster: `servers` servers in node hosts on one embedded etcd cluster, a load balancer for kubectl on
 * the machine's loopback, and the agents (see the file comment).
 */
async function createHaDevCluster(c: DevClusterConfig): Promise<DevCluster> {
  const serverCount = c.servers ?? 1;
  const plan = planNodeHosts({ name: c.name, subnets: c.hostsSubnets ?? [defaultHostsSubnet(c.name)], count: serverCount + c.nodes });
  const clusterCidr = c.clusterCidr ?? '10.42.0.0/16';
  const logs = join(c.dataDir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const serverHosts = plan.hosts.slice(0, serverCount);
  const agentHosts = plan.hosts.slice(serverCount);
  const state: DevClusterState = {
    name: c.name,
    plan,
    token: randomBytes(16).toString('hex'),
    clusterCidr,
    servers: serverHosts.map((h, i) => ({ host: h.index, url: `https://${h.address}:${HOST_SERVER_PORT}`, dataDir: join(c.dataDir, 'servers', String(i)) })),
    agents: agentHosts.map((_, j) => ({ nodeName: `${c.name}-node-${j}`, dataDir: join(c.dataDir, 'nodes', String(j)) })),
  };
  const servers = state.servers ?? [];
  // Saved before anything is made: a failed create is cleaned up by delete.
  saveState(c.dataDir, state);
  c.progress?.(`Creating ${serverCount} server and ${c.nodes} node hosts on ${plan.gateways.join(', ')} (bridge ${plan.bridge}) ...`);
  await createNodeHosts(plan);

  const first = servers[0];
  if (!first) throw new Error('No servers planned');
  const adminKubeconfig = join(first.dataDir, 'admin.kubeconfig');
  // Every process takes seconds just to load: all servers start at once (the joining ones wait for server 0 and
  // take turns adding their etcd members, server-join.ts), the load balancer beside them, the agents once server 0
  // answers.
  c.progress?.('Starting the load balancer for kubectl on 127.0.0.1 ...');
  const loadBalancer = startLoadBalancer(c, servers.map((s) => s.url), (pid) => {
    state.loadBalancer = { url: '', pid };
    saveState(c.dataDir, state);
  });
  // Not left unhandled while the servers start; awaited below.
  loadBalancer.catch(() => undefined);
  c.progress?.(`Starting ${serverCount} servers: ${first.url} with --cluster-init, the others joining it ...`);
  for (const [i, server] of servers.entries()) {
    const host = plan.hosts[server.host];
    if (!host) continue;
    mkdirSync(server.dataDir, { recursive: true, mode: 0o700 });
    // Kept for restartDevClusterServer: a server restarted on its data dir skips the join and runs its member again.
    server.argv = [
      ...nodeHostEnter(host), ...c.tkube, 'server', '--data-dir', server.dataDir, '--advertise-address', host.address, '--cluster-cidr', clusterCidr, '--disable-agent', '--token', state.token,
      '--no-kubeconfig-merge', ...(i === 0 ? ['--cluster-init'] : ['--server', first.url]), ...(c.serverArgs ?? []),
    ];
    server.pid = spawnDetached(server.argv, join(logs, `server-${i}.log`));
  }
  saveState(c.dataDir, state);
  /** serverReady waits for server i; server 0's admin credentials work on every server (they share the CA). */
  const serverReady = async (i: number): Promise<void> => {
    const server = servers[i];
    const pid = server?.pid;
    if (!server || pid === undefined) return;
    const log = join(logs, `server-${i}.log`);
    const up = await pollUntil(async () => {
      if (!processAlive(pid)) return true;
      if (readServerState(server.dataDir)?.pid !== pid || !existsSync(adminKubeconfig)) return false;
      return (await nodeNames(adminKubeconfig, false, server.url)) !== undefined;
    }, { timeoutMs: 180_000 });
    if (!up || !processAlive(pid)) throw new Error(`Server ${i} did not become ready; last log lines (${log}):\n${tail(log)}`);
  };
  await serverReady(0);
  state.loadBalancer = await loadBalancer;
  saveState(c.dataDir, state);
  const othersReady = Promise.all(servers.slice(1).map((_, i) => serverReady(i + 1)));
  // Not left unhandled while the agents start; awaited below.
  othersReady.catch(() => undefined);

  const allServers = servers.map((s) => s.url).join(',');
  for (const [j, host] of agentHosts.entries()) {
    const agent = state.agents[j];
    if (!agent) continue;
    mkdirSync(agent.dataDir, { recursive: true, mode: 0o700 });
    agent.pid = spawnDetached(agentArgv(c, host, agent, allServers, state.token, join(first.dataDir, 'tls', 'ca.crt'), clusterCidr), join(logs, `${agent.nodeName}.log`));
  }
  saveState(c.dataDir, state);
  const lbUrl = state.loadBalancer.url;
  await othersReady;
  c.progress?.(`Servers ${servers.map((s) => s.url).join(', ')} ready`);
  const want = await waitNodesReady(c, state, adminKubeconfig, lbUrl);
  // Servers reach pods (metrics scrapes, kubectl proxy) as control-plane hosts on the node network do: routes to
  // each node's pod CIDR via that node's host, in every server host that shares its subnet (others go through the
  // machine, which forwards between subnets), and on the machine itself for its own programs.
  const cidrs = await podCidrs(adminKubeconfig, lbUrl);
  const routes = agentHosts.flatMap((h, j): (PodCidrRoute & { gateway: string })[] => {
    const cidr = cidrs.get(state.agents[j]?.nodeName ?? '');
    return cidr ? [{ cidr, via: h.address, gateway: h.gateway }] : [];
  });
  for (const host of serverHosts) {
    const local = routes.filter((r) => r.gateway === host.gateway && /^[0-9./]+$/.test(r.cidr));
    if (local.length > 0) await ipBatch(host.netns, local.map((r) => `route replace ${r.cidr} via ${r.via} dev eth0`));
  }
  for (const r of await routePodCidrs(plan, routes)) c.progress?.(`Not routing ${r.cidr} via ${r.via}: this machine already routes it elsewhere`);
  return { url: lbUrl, serverUrls: servers.map((s) => s.url), nodeNames: want, kubeconfig: { ...kubeconfigEntry(adminKubeconfig, `tkube-${c.name}`), server: lbUrl } };
}

/**
 * restartDevClusterServer starts server `i` of an HA dev cluster again, as it was started, after it stopped or was
 * killed, and waits until it answers. It runs its etcd member again (replacing one a killed server left running)
 * without joining anew. Rejects when the server still runs or the cluster has no such server.
 */
export async function restartDevClusterServer(dataDir: string, i: number, timeoutMs = 120_000): Promise<void> {
  const state = readDevClusterState(dataDir);
  const server = state?.servers?.[i];
  const first = state?.servers?.[0];
  if (!state || !server?.argv || !first) throw new Error(`There is no server ${i} in the dev cluster in ${dataDir}`);
  if (server.pid !== undefined && running(server.pid)) throw new Error(`Server ${i} still runs (pid ${server.pid})`);
  const log = join(dataDir, 'logs', `server-${i}.log`);
  const pid = spawnDetached(server.argv, log);
  // Re-read: several servers may be restarted at once, each saving its own pid.
  const latest = readDevClusterState(dataDir) ?? state;
  const entry = latest.servers?.[i];
  if (entry) entry.pid = pid;
  saveState(dataDir, latest);
  const adminKubeconfig = join(first.dataDir, 'admin.kubeconfig');
  const up = await pollUntil(async () => !running(pid) || (readServerState(server.dataDir)?.pid === pid && (await nodeNames(adminKubeconfig, false, server.url)) !== undefined), { timeoutMs });
  if (!up || !running(pid)) throw new Error(`Server ${i} did not become ready again; last log lines (${log}):\n${tail(log)}`);
}

/**
 * startLoadBalancer runs `tkube load-balancer` detached on a free loopback port in front of `servers` and waits
 * until it listens. The port is picked here and bound by the child: if another process takes it in between, the
 * child exits and another port is tried.
 */
async function startLoadBalancer(c: DevClusterConfig, servers: readonly string[], spawned: (pid: number) => void): Promise<{ url: string; pid: number }> {
  const log = join(c.dataDir, 'logs', 'load-balancer.log');
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const pid = spawnDetached([...c.tkube, 'load-balancer', '--listen', `127.0.0.1:${port}`, '--server', servers.join(','), '--health-check-interval', '1s'], log);
    writeFileSync(loadBalancerPidPath(c.dataDir), `${pid}\n`, { mode: 0o600 });
    spawned(pid);
    // Its log line says it listens (another process holding the port would also accept a connection).
    const up = await pollUntil(() => !processAlive(pid) || tail(log).includes(`127.0.0.1:${port}"`), { timeoutMs: 60_000 });
    if (up && processAlive(pid)) return { url: `https://127.0.0.1:${port}`, pid };
    await stopPid(pid);
  }
  throw new Error(`The load balancer did not start; last log lines (${log}):\n${tail(log)}`);
}

/**
 * nodeNames lists the cluster's nodes (only Ready ones when `ready`) through the kubeconfig's server or `server`;
 * undefined when the API cannot be asked.
 */
async function nodeNames(kubeconfig: string, ready: boolean, server?: string): Promise<string[] | undefined> {
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: 'tkube-dev-cluster', ...(server ? { server } : {}) });
  try {
    const list = (await client.list({ version: 'v1', resource: 'nodes' })) as { items?: { metadata?: { name?: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
    return (list.items ?? []).filter((n) => !ready || n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).map((n) => n.metadata?.name ?? '');
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

/** podCidrs maps node names to their spec.podCIDR (empty when the API cannot be asked). */
async function podCidrs(kubeconfig: string, server?: string): Promise<Map<string, string>> {
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: 'tkube-dev-cluster', ...(server ? { server } : {}) });
  try {
    const list = (await client.list({ version: 'v1', resource: 'nodes' })) as { items?: { metadata?: { name?: string }; spec?: { podCIDR?: string } }[] };
    return new Map((list.items ?? []).flatMap((n) => (n.metadata?.name && n.spec?.podCIDR ? [[n.metadata.name, n.spec.podCIDR] as const] : [])));
  } catch {
    return new Map();
  } finally {
    client.close();
  }
}

/** kubeconfigEntry reads the admin kubeconfig's credentials under a new name. */
function kubeconfigEntry(path: string, name: string): KubeconfigEntry {
  const k = readKubeconfig(path);
  const cluster = (k.clusters[0]?.['cluster'] ?? {}) as Record<string, string>;
  const user = (k.users[0]?.['user'] ?? {}) as Record<string, string>;
  const pem = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');
  return { name, server: cluster['server'] ?? '', caPem: pem(cluster['certificate-authority-data']), clientCertPem: pem(user['client-certificate-data']), clientKeyPem: pem(user['client-key-data']) };
}

/**
 * running tells whether `pid` is a live process. A zombie is not: the detached processes outlive the create
 * command that started them, and their new parent may be slow to reap them (or, in a container, never reap).
 */
function running(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** stopPid sends SIGTERM, and SIGKILL after `graceMs`. */
async function stopPid(pid: number | undefined, graceMs = 30_000): Promise<void> {
  if (pid === undefined || !running(pid)) return;
  process.kill(pid, 'SIGTERM');
  if (!(await pollUntil(() => !running(pid), { timeoutMs: graceMs }))) {
    process.kill(pid, 'SIGKILL');
    await pollUntil(() => !running(pid), { timeoutMs: 5_000 });
  }
}

/** isLoadBalancer tells whether `pid` is a `tkube load-balancer` (a recorded pid may since belong to another program). */
function isLoadBalancer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('load-balancer');
  } catch {
    return false;
  }
}

/** pidIn reads a pid file (undefined when missing or not a pid). */
function pidIn(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * killLeftoversIn SIGKILLs whatever still runs in a host's network namespace once its processes were stopped (an
 * etcd member of a server killed hard, a child a killed agent left): a namespace with a process in it outlives
 * `ip netns delete`, and so would its addresses. Only processes in namespaces this cluster made are touched.
 */
async function killLeftoversIn(host: NodeHost): Promise<void> {
  const out = await runWithInput('ip', ['netns', 'pids', host.netns]).catch(() => '');
  const pids = out.split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  if (pids.length > 0) await pollUntil(() => pids.every((p) => !running(p)), { timeoutMs: 5_000 });
}

/**
 * deleteDevCluster stops the load balancer, the agents (by pid) and their pods, the servers and the etcd members
 * they ran, removes the hosts and the bridge and the data dir. Resolves false when there is no cluster in `dataDir`.
 */
export async function deleteDevCluster(dataDir: string, log: Logger): Promise<boolean> {
  const state = readDevClusterState(dataDir);
  if (!state) return false;
  // The pid file also names a load balancer started before create recorded it (or one a failed attempt left).
  for (const pid of new Set([state.loadBalancer?.pid, pidIn(loadBalancerPidPath(dataDir))])) if (pid !== undefined && isLoadBalancer(pid)) await stopPid(pid);
  // All at once: each agent takes seconds to shut down.
  await Promise.all(state.agents.map((a) => stopPid(a.pid)));
  for (const a of state.agents) {
    // The pod bridge and nftables table live in the host's namespace and go with it; the clean-up below runs in the
    // root namespace, where a bridge of that name (tkube0) would be someone else's.
    rmSync(join(a.dataDir, 'agent', 'network', 'network.json'), { force: true });
    await stopNodeWorkloads(a.dataDir, log).catch((err: unknown) => log.warn('Cannot stop the pods of a node', { node: a.nodeName, err: err instanceof Error ? err.message : String(err) }));
  }
  // Servers all at once too; each stops its etcd member after itself. A member whose server was killed is found by
  // its pid file.
  const servers = state.servers ?? [];
  // A short grace: the members stop one after the other with their servers, and once two are gone the last server's
  // goodbye writes (releasing its Leases) wait for a quorum that will not come back. Its data is removed anyway.
  await Promise.all(servers.map((s) => stopPid(s.pid, 5_000)));
  await Promise.all(servers.map((s) => stopPid(pidIn(join(s.dataDir, 'db', 'etcd.pid')), 10_000)));
  for (const h of state.plan.hosts) await killLeftoversIn(h);
  await destroyNodeHosts(state.plan);
  await stopPid(state.serverPid);
  rmSync(dataDir, { recursive: true, force: true });
  return true;
}
