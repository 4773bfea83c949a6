/**
 * startAgent: runs a node agent with N simulated nodes over an API client — `tkube agent --runtime simulated` and
 * the simulated nodes of `tkube server --simulated-nodes N`.
 *
 * startNodeAgent: one real node (runc or process runtime) joining a server from another process —
 * `tkube agent --runtime runc|process|auto`. Its kubelet serving certificate comes from the certificates API
 * (kept in `<data-dir>/tls/`), then the node starts exactly as the server's own node does (`startNode`).
 */
import { ipv4RangeOf } from './cidr.js';
import { join } from 'node:path';
import { requestServingCertificate } from '../agent/certificate/serving-certificate.js';
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { isAlreadyExists } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import { Agent } from '../agent/agent.js';
import type { NodeResources } from '../agent/node-object.js';
import { SimulatedRuntime } from '../agent/simulated-runtime.js';
import { simulatedNodeSpecs } from '../agent/simulated-nodes.js';
import { LocalPathReclaimer } from '../agent/volumes/local-path-reclaimer.js';
import { DEFAULT_LOCAL_PATH_BASE } from '../api/core/local-path.js';
import { startNode, type NodeRuntimeName, type ProxyModeName, type RunningNode } from './node.js';

/** AgentBootConfig describes the nodes to run. */
export interface AgentBootConfig {
  readonly client: RestClient;
  /** Only "simulated" so far. */
  readonly runtime: string;
  readonly nodes: number;
  /** Node name (one node) or name prefix (several). @default "sim-" */
  readonly namePrefix?: string;
  /** An exact name for a single node. */
  readonly nodeName?: string;
  /** @default "10.42.0.0/16" */
  readonly clusterCidr?: string;
  /** @default 0 */
  readonly firstIndex?: number;
  readonly resources?: NodeResources;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly { key: string; value?: string; effect: string }[];
  readonly log: Logger;
  /** Informers shared with the other components of the process (started and stopped by the caller). */
  readonly informers?: InformerFactory;
}

/** RunningAgent is a started agent. */
export interface RunningAgent {
  readonly nodeNames: readonly string[];
  stop(): Promise<void>;
}

/** startAgent registers the nodes and starts syncing their pods. */
export async function startAgent(config: AgentBootConfig): Promise<RunningAgent> {
  if (config.runtime !== 'simulated') throw new Error(`Cannot start agent with runtime "${config.runtime}": only "simulated" is available in this version`);
  const clock = new RealClock();
  const runtime = new SimulatedRuntime({ clock });
  let specs = simulatedNodeSpecs(config.nodes, {
    prefix: config.namePrefix,
    ...(config.clusterCidr ? { clusterCidr: ipv4RangeOf(config.clusterCidr) } : {}),
    firstIndex: config.firstIndex,
    resources: config.resources,
    labels: config.labels,
    taints: config.taints,
  });
  if (config.nodeName !== undefined) {
    if (config.nodes !== 1) throw new Error('Cannot start agent: --node-name names exactly one node (use --nodes 1, or a prefix)');
    specs = specs.map((s) => ({ ...s, name: config.nodeName ?? s.name }));
  }
  const agent = new Agent({ client: config.client, nodes: specs, runtimeFor: () => runtime, clock, log: config.log, ...(config.informers ? { informers: config.informers } : {}) });
  await agent.start();
  // Simulated nodes have no disks: their deleted local-path volumes only lose the finalizer the PV controller set.
  const reclaimer = new LocalPathReclaimer({
    client: config.client,
    nodeNames: agent.nodeNames(),
    unpinnedVolumes: false,
    basePath: DEFAULT_LOCAL_PATH_BASE,
    removeDirectory: async () => undefined,
    clock,
    log: config.log.child('local-path'),
  });
  const reclaimerStop = new AbortController();
  reclaimer.start(reclaimerStop.signal, { client: config.client, ...(config.informers ? { informers: config.informers } : {}) });
  return {
    nodeNames: agent.nodeNames(),
    stop: async () => {
      reclaimerStop.abort();
      await reclaimer.stopped();
      await agent.stop();
    },
  };
}

/** NodeAgentBootConfig describes the real node `tkube agent` runs. */
export interface NodeAgentBootConfig {
  readonly client: RestClient;
  readonly runtime: NodeRuntimeName;
  readonly dataDir: string;
  readonly nodeName: string;
  readonly nodeIP: string;
  /** The cluster CA (PEM): the API server's client certificate is checked against it when it dials the kubelet. */
  readonly clusterCaPem: string;
  /** @default 10250; 0 picks a free port */
  readonly kubeletPort?: number;
  readonly privateRegistry?: string;
  readonly disableDefaultRegistryEndpoint?: boolean;
  /** `--container-log-max-size` / `--container-log-max-files`. @default 10Mi and 5 */
  readonly containerLogs?: { readonly maxSizeBytes?: number; readonly maxFiles?: number };
  /** `--cluster-cidr`: pod traffic leaving it is masqueraded; routes to other nodes stay inside it. @default "10.42.0.0/16" */
  readonly clusterCidr?: string;
  /** `--proxy-mode`: the node's service proxy. @default as startNode: nftables for runc with the bridge network */
  readonly proxyMode?: ProxyModeName;
  /** Enforce NetworkPolicies (`--disable-network-policy` turns it off). @default false */
  readonly networkPolicy?: boolean;
  /** How long to wait for the serving certificate to be approved and signed. @default 120 s */
  readonly certificateTimeoutMs?: number;
  /** `--cluster-dns`: pods' nameserver. @default the cluster IP of `kube-system/kube-dns`, else 10.43.0.10 */
  readonly clusterDns?: string;
  /** `--cluster-domain`. @default "cluster.local" */
  readonly clusterDomain?: string;
  /** `--node-label`: set on the Node at every registration. */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** `--node-taint`: set when the Node is first created. */
  readonly nodeTaints?: readonly { key: string; value?: string; effect: string }[];
  readonly log: Logger;
}

/**
 * discoverClusterDns: the kube-dns Service's cluster IP, which the server publishes (k3s agents learn it from the
 * server too); undefined when there is none yet or it cannot be read (the kubelet's default applies).
 */
async function discoverClusterDns(client: RestClient, log: Logger): Promise<string | undefined> {
  try {
    const svc = (await client.get({ version: 'v1', resource: 'services', namespace: 'kube-system', name: 'kube-dns' })) as { spec?: { clusterIP?: string } };
    const ip = svc.spec?.clusterIP;
    return ip && ip !== 'None' ? ip : undefined;
  } catch (err) {
    log.info('No kube-dns Service to take the cluster DNS address from; using the default', { err: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}

/**
 * registerNodeAddresses creates the Node with just its name and addresses when it does not exist yet. The
 * csrapproving controller approves a node's serving certificate for itself only for IPs its Node reports, and a
 * node joined with its own identity (not an admin's) asks before the kubelet registers; the kubelet then fills in
 * the rest (an existing Node gets its labels and status patched). Not Ready until then: no conditions. Resolves
 * true when it created the Node (so a failed certificate request removes it again).
 */
async function registerNodeAddresses(client: RestClient, nodeName: string, nodeIP: string): Promise<boolean> {
  try {
    await client.create(
      { version: 'v1', resource: 'nodes' },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName } }, status: { addresses: [{ type: 'InternalIP', address: nodeIP }, { type: 'Hostname', address: nodeName }] } },
    );
    return true;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return false;
  }
}

/** startNodeAgent gets the node's serving certificate, then registers the node and starts running its pods. */
export async function startNodeAgent(config: NodeAgentBootConfig): Promise<RunningNode> {
  const clock = new RealClock();
  const clusterDNS = config.clusterDns ?? (await discoverClusterDns(config.client, config.log));
  return startNode({
    client: config.client,
    ...(clusterDNS ? { clusterDNS } : {}),
    ...(config.clusterDomain ? { clusterDomain: config.clusterDomain } : {}),
    ...(config.nodeLabels ? { nodeLabels: config.nodeLabels } : {}),
    ...(config.nodeTaints ? { nodeTaints: config.nodeTaints } : {}),
    dataDir: config.dataDir,
    runtime: config.runtime,
    nodeName: config.nodeName,
    nodeIP: config.nodeIP,
    tls: {
      serving: async (nodeName) => {
        const created = await registerNodeAddresses(config.client, nodeName, config.nodeIP);
        return requestServingCertificate({
          client: config.client,
          nodeName,
          nodeIP: config.nodeIP,
          dir: join(config.dataDir, 'tls'),
          clock,
          log: config.log.child('certificate'),
          ...(config.certificateTimeoutMs !== undefined ? { timeoutMs: config.certificateTimeoutMs } : {}),
        }).catch(async (err: unknown) => {
          // A node without a serving certificate does not join: the Node made for the approval goes again.
          if (created) await config.client.delete({ version: 'v1', resource: 'nodes', name: nodeName }).catch(() => undefined);
          throw err;
        });
      },
      clientCaPem: config.clusterCaPem,
    },
    ...(config.kubeletPort !== undefined ? { kubeletPort: config.kubeletPort } : {}),
    ...(config.clusterCidr ? { clusterCidr: config.clusterCidr } : {}),
    ...(config.privateRegistry ? { privateRegistry: config.privateRegistry } : {}),
    ...(config.disableDefaultRegistryEndpoint ? { disableDefaultRegistryEndpoint: true } : {}),
    ...(config.containerLogs ? { containerLogs: config.containerLogs } : {}),
    ...(config.proxyMode ? { proxyMode: config.proxyMode } : {}),
    ...(config.networkPolicy ? { networkPolicy: true } : {}),
    log: config.log,
  });
}
