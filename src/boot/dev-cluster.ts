/**
 * A development cluster of several real nodes on this machine (kind's role, `tkube dev cluster create|delete`):
 * node hosts (node-hosts.ts) joined by a bridge, a `tkube server` without a node of its own listening on the
 * bridge's gateway, and one `tkube agent --runtime runc` per host, each entered with nsenter into its host's
 * network namespace and joined with a token. Every process runs detached; pids, the hosts plan and the token are in
 * `<data-dir>/cluster.json` (mode 0600), logs in `<data-dir>/logs/`.
 *
 * Layout: `<data-dir>/server` (the server's data dir), `<data-dir>/nodes/<i>` (agent i's data dir).
 * Contract: `deleteDevCluster` removes everything `createDevCluster` made, also after a half-finished create.
 */
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '../base/wait/poll-until.js';
import type { Logger } from '../base/log/logger.js';
import { readKubeconfig, type KubeconfigEntry } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import { addExampleStandIns } from './images.js';
import { createNodeHosts, destroyNodeHosts, nodeHostEnter, planNodeHosts, routePodCidrs, type NodeHostsPlan } from './node-hosts.js';
import { stopNodeWorkloads } from './node-cleanup.js';
import { processAlive, readServerState } from './server-state.js';

/** DevClusterConfig describes the cluster to create. */
export interface DevClusterConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly nodes: number;
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
}

/** A running dev cluster: its URL, node names and the admin kubeconfig entry for merging. */
export interface DevCluster {
  readonly url: string;
  readonly nodeNames: readonly string[];
  readonly kubeconfig: KubeconfigEntry;
}

const statePath = (dataDir: string): string => join(dataDir, 'cluster.json');

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

/** createDevCluster starts the hosts, the server and the agents and waits until every node is Ready. */
export async function createDevCluster(c: DevClusterConfig): Promise<DevCluster> {
  if (readDevClusterState(c.dataDir)) throw new Error(`A dev cluster already exists in ${c.dataDir}: delete it first`);
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
  return { url: state.url, nodeNames: want, kubeconfig: kubeconfigEntry(adminKubeconfig, `tkube-${c.name}`) };
}

/** nodeNames lists the cluster's nodes (only Ready ones when `ready`); undefined when the API cannot be asked. */
async function nodeNames(kubeconfig: string, ready: boolean): Promise<string[] | undefined> {
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: 'tkube-dev-cluster' });
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
async function podCidrs(kubeconfig: string): Promise<Map<string, string>> {
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: 'tkube-dev-cluster' });
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

async function stopPid(pid: number | undefined): Promise<void> {
  if (pid === undefined || !processAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  if (!(await pollUntil(() => !processAlive(pid), { timeoutMs: 30_000 }))) {
    process.kill(pid, 'SIGKILL');
    await pollUntil(() => !processAlive(pid), { timeoutMs: 5_000 });
  }
}

/**
 * deleteDevCluster stops the agents (by pid) and their pods, removes the hosts and the bridge, stops the server and
 * removes the data dir. Resolves false when there is no cluster in `dataDir`.
 */
export async function deleteDevCluster(dataDir: string, log: Logger): Promise<boolean> {
  const state = readDevClusterState(dataDir);
  if (!state) return false;
  // All at once: each agent takes seconds to shut down.
  await Promise.all(state.agents.map((a) => stopPid(a.pid)));
  for (const a of state.agents) {
    // The pod bridge and nftables table live in the host's namespace and go with it; the clean-up below runs in the
    // root namespace, where a bridge of that name (tkube0) would be someone else's.
    rmSync(join(a.dataDir, 'agent', 'network', 'network.json'), { force: true });
    await stopNodeWorkloads(a.dataDir, log).catch((err: unknown) => log.warn('Cannot stop the pods of a node', { node: a.nodeName, err: err instanceof Error ? err.message : String(err) }));
  }
  await destroyNodeHosts(state.plan);
  await stopPid(state.serverPid);
  rmSync(dataDir, { recursive: true, force: true });
  return true;
}
