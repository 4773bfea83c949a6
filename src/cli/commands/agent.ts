/**
 * `tkube agent`: run node(s) against an API server until SIGTERM/SIGINT. The agent authenticates with a
 * kubeconfig or a bearer token (`--server` + `--token`, with `--ca-file`).
 *  - `--runtime simulated` (the default) registers `--nodes N` nodes, renews their Leases and moves their pods to
 *    Running without running anything.
 *  - `--runtime runc|process|auto` runs one real node: it asks the certificates API for its kubelet serving
 *    certificate (kept in `<data-dir>/tls/`), then registers and runs pods like the server's own node.
 */
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { startAgent, startNodeAgent } from '../../boot/agent.js';
import { rotateNodeKubeconfig } from '../../boot/node-join.js';
import type { NodeRuntimeName } from '../../boot/node.js';
import { defaultDataDir } from '../../boot/server-config.js';
import { newLogger } from '../../base/log/logger.js';
import { RestClient } from '../../client/rest-client.js';
import { ServerLoadBalancer } from '../../client/loadbalancer/server-load-balancer.js';
import { CliError } from '../cli-error.js';
import { collectRepeatable } from './repeatable-flag.js';
import { parseNodeLabels, parseNodeTaint } from './node-flags.js';
import { cidrListParser, parseDomain, parseIPv4, parseLogMaxFiles, parseLogMaxSize, parseProxyMode } from './server.js';
import { runUntilSignalled } from '../run-until-signalled.js';

/** AgentFlags are the parsed flags of `tkube agent`. */
export interface AgentFlags {
  server?: string;
  token?: string;
  caFile?: string;
  kubeconfig?: string;
  runtime: string;
  nodes: number;
  nodeName?: string;
  namePrefix: string;
  firstIndex: number;
  clusterCidr: string;
  nodeCpu: string;
  nodeMemory: string;
  nodePods: string;
  nodeLabel: string[];
  nodeTaint: string[];
  nodeIp?: string;
  dataDir?: string;
  kubeletPort: number;
  privateRegistry?: string;
  disableDefaultRegistryEndpoint?: boolean;
  certificateTimeout: number;
  containerLogMaxSize?: number;
  containerLogMaxFiles?: number;
  proxyMode?: string;
  disableNetworkPolicy: boolean;
  clusterDns?: string;
  clusterDomain?: string;
  rotateCertificates?: boolean;
  disableApiserverLb: boolean;
  apiserverEndpointsInterval: number;
}

const REAL_RUNTIMES: readonly string[] = ['runc', 'process', 'auto'];

/** defaultNodeIP: the first non-loopback IPv4 address of this host (as the kubelet picks one), else 127.0.0.1. */
function defaultNodeIP(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

async function runRealNode(f: AgentFlags, client: RestClient): Promise<{ names: readonly string[]; stop: () => Promise<void> }> {
  const caPem = f.caFile ? readFileSync(f.caFile, 'utf8') : client.caPem;
  if (!caPem) throw new CliError('a real node needs the cluster CA: give --ca-file, or a kubeconfig with certificate-authority data');
  const running = await startNodeAgent({
    client,
    runtime: f.runtime as NodeRuntimeName,
    dataDir: resolve(f.dataDir ?? join(defaultDataDir(), 'agent')),
    nodeName: f.nodeName ?? hostname(),
    nodeIP: f.nodeIp ?? defaultNodeIP(),
    nodeLabels: parseNodeLabels(f.nodeLabel),
    nodeTaints: f.nodeTaint.map(parseNodeTaint),
    clusterCaPem: caPem,
    kubeletPort: f.kubeletPort,
    clusterCidr: f.clusterCidr,
    ...(f.privateRegistry ? { privateRegistry: resolve(f.privateRegistry) } : {}),
    ...(f.disableDefaultRegistryEndpoint ? { disableDefaultRegistryEndpoint: true } : {}),
    certificateTimeoutMs: f.certificateTimeout * 1000,
    // The node's identity may read Services, EndpointSlices and NetworkPolicies (ClusterRole
    // system:tkube-node-networking), so the proxy and policy enforcement run as on the server's node.
    ...(f.proxyMode ? { proxyMode: parseProxyMode(f.proxyMode) } : {}),
    networkPolicy: !f.disableNetworkPolicy,
    ...(f.clusterDns ? { clusterDns: f.clusterDns } : {}),
    ...(f.clusterDomain ? { clusterDomain: f.clusterDomain } : {}),
    ...(f.containerLogMaxSize !== undefined || f.containerLogMaxFiles !== undefined
      ? {
          containerLogs: {
            ...(f.containerLogMaxSize !== undefined ? { maxSizeBytes: f.containerLogMaxSize } : {}),
            ...(f.containerLogMaxFiles !== undefined ? { maxFiles: f.containerLogMaxFiles } : {}),
          },
        }
      : {}),
    log: newLogger('agent'),
  });
  const rotation = f.rotateCertificates && f.kubeconfig ? rotateNodeKubeconfig(client, resolve(f.kubeconfig), running.nodeName, newLogger('agent')) : undefined;
  return {
    names: [running.nodeName],
    stop: async () => {
      rotation?.stop();
      await running.stop();
    },
  };
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`invalid count "${value}": want a whole number`);
  return n;
}

/**
 * serversOf lists the API server URLs the agent was given: the kubeconfig's, or `--server`, which may name several
 * (comma-separated; the first is dialled first, the others are the load balancer's fallbacks from the start).
 */
function serversOf(f: AgentFlags): string[] {
  if (f.kubeconfig) return [RestClient.fromKubeconfig(f.kubeconfig).server];
  const urls = (f.server ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls.length === 0 || !f.token) throw new CliError('cannot reach the API server: give --kubeconfig, or --server and --token');
  for (const u of urls) if (!URL.canParse(u)) throw new CliError(`invalid --server URL "${u}": want https://host:port`);
  return urls;
}

/** clientFrom builds the agent's client; `via` is the load balancer URL it dials instead of the server. */
function clientFrom(f: AgentFlags, via?: string): RestClient {
  if (f.kubeconfig) return RestClient.fromKubeconfig(f.kubeconfig, { userAgent: 'tkube-agent', ...(via ? { server: via } : {}) });
  const [first] = serversOf(f);
  return new RestClient({ server: via ?? first ?? '', token: f.token, caPem: f.caFile ? readFileSync(f.caFile, 'utf8') : undefined, userAgent: 'tkube-agent' });
}

/**
 * startLoadBalancer: unless `--disable-apiserver-lb`, the agent's clients dial a local proxy that fails over
 * between the servers listed in the `kubernetes` Endpoints (client/loadbalancer/server-load-balancer.ts).
 */
async function startLoadBalancer(f: AgentFlags): Promise<ServerLoadBalancer | undefined> {
  if (f.disableApiserverLb) return undefined;
  const [first, ...others] = serversOf(f);
  const lb = new ServerLoadBalancer({ defaultServer: first ?? '', servers: others, log: newLogger('agent').child('load-balancer') });
  await lb.start();
  return lb;
}

async function startSimulated(f: AgentFlags, client: RestClient): Promise<{ names: readonly string[]; stop: () => Promise<void> }> {
  const running = await startAgent({
    client,
    runtime: f.runtime,
    nodes: f.nodes,
    nodeName: f.nodeName,
    namePrefix: f.namePrefix,
    firstIndex: f.firstIndex,
    clusterCidr: f.clusterCidr,
    resources: { cpu: f.nodeCpu, memory: f.nodeMemory, pods: f.nodePods },
    labels: parseNodeLabels(f.nodeLabel),
    taints: f.nodeTaint.map(parseNodeTaint),
    log: newLogger('agent'),
  });
  return { names: running.nodeNames, stop: () => running.stop() };
}

/** registerAgentCommand adds `tkube agent`. */
export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('Run node(s) that join a cluster: simulated ones (nothing runs), or one real node (runc|process|auto)')
    .option('--server <url>', 'API server URL, e.g. https://10.0.0.1:6443; several, comma-separated, are all fallbacks of the local load balancer from the start')
    .option('--token <token>', 'bearer token to authenticate with')
    .option('--ca-file <path>', "the cluster CA certificate (PEM) that signed the server's certificate")
    .option('--kubeconfig <path>', 'authenticate with this kubeconfig instead of --server/--token')
    .option('--runtime <name>', 'container runtime: simulated (nothing runs), or runc|process|auto for one real node', 'simulated')
    .option('--nodes <n>', 'how many nodes to run', count, 1)
    .option('--node-name <name>', 'the node name (with --nodes 1)')
    .option('--name-prefix <prefix>', 'node names are <prefix>0, <prefix>1, …', 'agent-')
    .option('--first-index <n>', 'index of the first node (picks its pod CIDR and address; keep ranges of agents apart)', count, 128)
    .option('--cluster-cidr <cidr>', 'IP range pod CIDRs are cut from (simulated nodes); the cluster\'s pod range (a real node: masquerade and routes); dual-stack: IPv4 and IPv6 ranges, comma-separated', cidrListParser('--cluster-cidr'), '10.42.0.0/16')
    .option('--node-cpu <quantity>', 'CPU capacity of each node', '4')
    .option('--node-memory <quantity>', 'memory capacity of each node', '16Gi')
    .option('--node-pods <n>', 'pod capacity of each node', '110')
    .option('--node-label <key=value>', 'extra node label (repeatable, comma-separated)', collectRepeatable, [])
    .option('--node-taint <key=value:Effect>', 'node taint (repeatable, comma-separated)', collectRepeatable, [])
    .option('--cluster-dns <ip>', "a real node's nameserver for pods (default: the kube-dns Service's cluster IP)", parseIPv4)
    .option('--cluster-domain <domain>', "a real node's cluster DNS domain (default cluster.local)", parseDomain)
    .option('--node-ip <ip>', "a real node's address (the kubelet listens there; default: this host's first IPv4 address)")
    .option('--data-dir <dir>', "a real node's folder for images, containers and its certificate (default: <server data dir>/agent)")
    .option('--kubelet-port <port>', "a real node's kubelet API port (0 picks a free one)", count, 10250)
    .option('--private-registry <path>', 'registries config file for image pulls (default: <data-dir>/registries.yaml when present)')
    .option('--disable-default-registry-endpoint', 'pull only from configured mirrors, never the upstream registry')
    .option('--container-log-max-size <quantity>', "size a real node's container log file grows to before it is rotated, e.g. 10Mi (default 10Mi)", parseLogMaxSize)
    .option('--container-log-max-files <n>', "log files a real node keeps per container, the live one included (default 5)", parseLogMaxFiles)
    .option('--proxy-mode <mode>', 'service proxy of a real node: nftables (default for runc with the bridge network and for containerd as root), iptables, userspace (default for the process runtime; no root needed) or none')
    .option('--disable-network-policy', "do not enforce NetworkPolicies on a real node (and remove its policy table)", false)
    .option('--rotate-certificates', "a real node: renew the client certificate of --kubeconfig before it expires and write it back (as `tkube join` starts it)")
    .option('--disable-apiserver-lb', 'dial --server (or the kubeconfig\'s server) directly instead of through the local load balancer that fails over between the servers of the `kubernetes` Endpoints', false)
    .option('--apiserver-endpoints-interval <seconds>', 'how often the load balancer rereads the servers from the `kubernetes` Endpoints', count, 10)
    .option('--certificate-timeout <seconds>', 'how long a real node waits for its serving certificate to be approved and signed', count, 120)
    .action(async (f: AgentFlags) => {
      if (f.runtime !== 'simulated' && !REAL_RUNTIMES.includes(f.runtime)) throw new CliError(`unknown runtime "${f.runtime}": want simulated, runc, process or auto`);
      const lb = await startLoadBalancer(f);
      const client = clientFrom(f, lb?.url);
      const lbStop = new AbortController();
      lb?.followEndpoints(client, lbStop.signal, f.apiserverEndpointsInterval * 1000);
      const real = f.runtime !== 'simulated';
      if (real && f.nodes !== 1) throw new CliError('a real node agent runs exactly one node: drop --nodes');
      const running = real
        ? await runRealNode(f, client).catch((err: unknown) => {
            client.close();
            lbStop.abort();
            void lb?.stop();
            throw err instanceof CliError ? err : new CliError(err instanceof Error ? err.message : String(err));
          })
        : await startSimulated(f, client);
      process.stderr.write(`tkube agent: running ${running.names.length} node(s): ${running.names.slice(0, 5).join(', ')}${running.names.length > 5 ? ', …' : ''}\n`);
      await runUntilSignalled(running);
      client.close();
      lbStop.abort();
      await lb?.stop();
    });
}
