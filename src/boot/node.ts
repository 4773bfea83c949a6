/**
 * startNode: a real node in this process — the image store (built-in images added, the air-gap dir imported), a
 * container runtime, and the kubelet — for `tkube server --container-runtime runc`. The kubelet is an API client
 * like the other components.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Kubelet } from '../agent/kubelet/kubelet.js';
import { LocalPathReclaimer } from '../agent/volumes/local-path-reclaimer.js';
import { DEFAULT_LOCAL_PATH_BASE } from '../api/core/local-path.js';
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
  /** The local-path storage directory, whose deleted volumes this node removes. @default /var/lib/tkube/storage */
  readonly localPathBase?: string;
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
  const runtime = new RuncRuntime({ root: join(agentDir, 'runc'), images, log: config.log.child('runc') });
  const nodeName = (config.nodeName ?? hostname()).toLowerCase();
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
  const clock = new RealClock();
  const kubelet = new Kubelet({ client: config.client, nodeName, nodeIP: config.nodeIP, runtime, images, rootDir: agentDir, clock, log: config.log, kubeletPort: port });
  holder.kubelet = kubelet;
  // The node removes the directories of its deleted local-path volumes (the one node of this process also takes
  // volumes pinned to no node: they were made here).
  const reclaimer = new LocalPathReclaimer({ client: config.client, nodeNames: [nodeName], unpinnedVolumes: true, basePath: config.localPathBase ?? DEFAULT_LOCAL_PATH_BASE, clock, log: config.log.child('local-path') });
  const reclaimerStop = new AbortController();
  try {
    await kubelet.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  reclaimer.start(reclaimerStop.signal, { client: config.client });
  return {
    nodeName,
    stop: async () => {
      reclaimerStop.abort();
      await reclaimer.stopped();
      await kubelet.stop();
      await server.stop();
    },
  };
}
