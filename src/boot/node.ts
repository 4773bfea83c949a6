/**
 * startNode: a real node in this process — the image store (built-in images added, the air-gap dir imported), a
 * container runtime, and the kubelet — for `tkube server --container-runtime runc`. The kubelet is an API client
 * like the other components.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Kubelet } from '../agent/kubelet/kubelet.js';
import { BridgeNetwork } from '../agent/network/bridge-network.js';
import { PendingPodNetwork } from '../agent/network/pending-pod-network.js';
import { RuncRuntime } from '../agent/runtime/runc/runc-runtime.js';
import { KubeletServer } from '../agent/server/kubelet-server.js';
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from '../client/rest-client.js';
import { openImageStore } from './images.js';

/** NodeBootConfig describes the node to run. */
export interface NodeBootConfig {
  readonly client: RestClient;
  readonly dataDir: string;
  readonly runtime: 'runc';
  readonly nodeName?: string;
  readonly nodeIP: string;
  /** The node's serving certificate (signed by the cluster CA) and the CA that signs API server client certs. */
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly clientCaPem: string };
  /** @default 10250; 0 picks a free port */
  readonly kubeletPort?: number;
  /** The registries config file for image pulls. @default <data-dir>/registries.yaml when present */
  readonly privateRegistry?: string;
  readonly disableDefaultRegistryEndpoint?: boolean;
  /** `--pod-network`: "bridge" connects pods to a bridge with the Node's podCIDR; "none" leaves them loopback only. @default "bridge" */
  readonly podNetwork?: 'bridge' | 'none';
  /** `--pod-bridge-name`. @default "tkube0" */
  readonly podBridgeName?: string;
  /** `--cluster-cidr`: pod traffic leaving it is masqueraded. @default "10.42.0.0/16" */
  readonly clusterCidr?: string;
  /** How long to wait for node IPAM to give the Node a podCIDR. @default 30000 */
  readonly podCidrTimeoutMs?: number;
  readonly log: Logger;
}

/** RunningNode is a started node. */
export interface RunningNode {
  readonly nodeName: string;
  stop(): Promise<void>;
}

/** startNode registers the node and starts running its pods. */
export async function startNode(config: NodeBootConfig): Promise<RunningNode> {
  if (process.getuid?.() !== 0) throw new Error('Cannot run a node with the runc runtime: it needs root');
  const agentDir = join(config.dataDir, 'agent');
  const images = await openImageStore(config.dataDir, { prepare: true, ...(config.privateRegistry ? { privateRegistry: config.privateRegistry } : {}), disableDefaultRegistryEndpoint: config.disableDefaultRegistryEndpoint === true });
  const nodeName = (config.nodeName ?? hostname()).toLowerCase();
  // The runtime exists before the Node does; the bridge needs the Node's podCIDR, so sandboxes wait for it.
  const network = config.podNetwork === 'none' ? undefined : new PendingPodNetwork();
  const runtime = new RuncRuntime({ root: join(agentDir, 'runc'), images, log: config.log.child('runc'), ...(network ? { network } : {}) });
  // The server must listen before the kubelet registers (the Node advertises its port); it asks the kubelet once set.
  const holder: { kubelet?: Kubelet } = {};
  const server = new KubeletServer({
    logs: { logFile: (ns, pod, container, previous) => holder.kubelet?.logFile(ns, pod, container, previous) ?? Promise.resolve(undefined) },
    tls: config.tls,
    port: config.kubeletPort ?? 10250,
    bindAddress: config.nodeIP,
    log: config.log.child('server'),
  });
  const port = await server.start();
  const kubelet = new Kubelet({ client: config.client, nodeName, nodeIP: config.nodeIP, runtime, images, rootDir: agentDir, clock: new RealClock(), log: config.log, kubeletPort: port, clusterCAPem: config.tls.clientCaPem });
  holder.kubelet = kubelet;
  try {
    await kubelet.start();
  } catch (err) {
    network?.fail(err as Error);
    await server.stop();
    throw err;
  }
  if (network) {
    try {
      const podCidr = await waitForPodCidr(config.client, nodeName, config.podCidrTimeoutMs ?? 30_000);
      const bridge = new BridgeNetwork({
        dir: join(agentDir, 'network'),
        podCidr,
        clusterCidr: config.clusterCidr ?? '10.42.0.0/16',
        ...(config.podBridgeName ? { bridgeName: config.podBridgeName } : {}),
        table: `tkube-${nodeName.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64),
        log: config.log.child('network'),
      });
      await bridge.start();
      network.resolve(bridge);
    } catch (err) {
      const failure = new Error(`Cannot start the pod network: ${(err as Error).message}`);
      network.fail(failure);
      await kubelet.stop();
      await server.stop();
      throw failure;
    }
  }
  return {
    nodeName,
    stop: async () => {
      network?.fail(new Error('the node is stopping'));
      await kubelet.stop();
      await server.stop();
    },
  };
}

/** waitForPodCidr polls the Node until node IPAM has written `spec.podCIDR`, or fails with why after `timeoutMs`. */
async function waitForPodCidr(client: RestClient, nodeName: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'the Node has no spec.podCIDR';
  for (;;) {
    try {
      const node = await client.get({ version: 'v1', resource: 'nodes', name: nodeName });
      const cidr = (node['spec'] as { podCIDR?: unknown } | undefined)?.podCIDR;
      if (typeof cidr === 'string' && cidr !== '') return cidr;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`node ${nodeName} got no pod CIDR within ${Math.round(timeoutMs / 1000)} s (${last}; is the nodeipam controller running?)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
