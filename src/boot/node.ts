/**
 * startNode: a real node in this process — the image store (built-in images added, the air-gap dir imported), a
 * container runtime, and the kubelet — for `tkube server --container-runtime runc`, or, with
 * `--container-runtime-endpoint unix:///…/containerd.sock`, a CRI runtime (containerd) that gets its images from
 * the same store, or with `--container-runtime containerd`, a private containerd this node starts and stops. The kubelet is an API client like the other components.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ImageService } from '../agent/cri/image-service.js';
import type { RuntimeService } from '../agent/cri/runtime-service.js';
import { exportOciArchive } from '../agent/images/oci-archive-export.js';
import { Kubelet } from '../agent/kubelet/kubelet.js';
import { startContainerd, writeContainerdConfig, type RunningContainerd } from '../agent/runtime/cri/containerd-daemon.js';
import { CriClient } from '../agent/runtime/cri/cri-client.js';
import { CriImageService } from '../agent/runtime/cri/cri-image-service.js';
import { CriRuntimeService } from '../agent/runtime/cri/cri-runtime-service.js';
import { RuncRuntime } from '../agent/runtime/runc/runc-runtime.js';
import { KubeletServer } from '../agent/server/kubelet-server.js';
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from '../client/rest-client.js';
import { imageStoreRoot, openImageStore } from './images.js';

/** The sandbox image containerd is configured with (writeContainerdConfig's default); imported before the first pod. */
const CRI_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';

/** NodeBootConfig describes the node to run. */
export interface NodeBootConfig {
  readonly client: RestClient;
  readonly dataDir: string;
  /**
   * `cri` talks to `runtimeEndpoint` (a containerd started by the user or a test, see containerd-daemon.ts);
   * `containerd` starts a private containerd under `<data-dir>/agent/containerd` and talks to it.
   */
  readonly runtime: 'runc' | 'cri' | 'containerd';
  /** `unix:///path/containerd.sock`, for the `cri` runtime. */
  readonly runtimeEndpoint?: string;
  readonly nodeName?: string;
  readonly nodeIP: string;
  /** The node's serving certificate (signed by the cluster CA) and the CA that signs API server client certs. */
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly clientCaPem: string };
  /** @default 10250; 0 picks a free port */
  readonly kubeletPort?: number;
  readonly log: Logger;
}

/** RunningNode is a started node. */
export interface RunningNode {
  readonly nodeName: string;
  stop(): Promise<void>;
}

/** startNode registers the node and starts running its pods. */
export async function startNode(config: NodeBootConfig): Promise<RunningNode> {
  const agentDir = join(config.dataDir, 'agent');
  const store = await openImageStore(config.dataDir, { prepare: true });
  let runtime: RuntimeService;
  let images: ImageService;
  let daemon: RunningContainerd | undefined;
  if (config.runtime === 'containerd') {
    if (process.getuid?.() !== 0) throw new Error('Cannot run a node with the containerd runtime: it needs root');
    const dir = join(agentDir, 'containerd');
    await writeContainerdConfig(dir, { sandboxImage: CRI_SANDBOX_IMAGE });
    daemon = await startContainerd(dir);
    config.log.info('Started containerd', { pid: daemon.pid, endpoint: daemon.paths.endpoint });
  }
  if (config.runtime === 'cri' || daemon) {
    const endpoint = daemon?.paths.endpoint ?? config.runtimeEndpoint ?? '';
    const client = new CriClient({ endpoint });
    const criImages = new CriImageService({ client, endpoint, local: { imageStatus: (ref) => store.imageStatus(ref), archive: (ref) => exportOciArchive(imageStoreRoot(config.dataDir), ref) } });
    try {
      const v = await new CriRuntimeService({ client }).version();
      config.log.info('Container runtime', { endpoint, runtime: `${v.runtimeName}://${v.runtimeVersion}` });
      await criImages.pullImage(CRI_SANDBOX_IMAGE);
    } catch (err) {
      client.close();
      await daemon?.stop({ keepPods: true });
      throw new Error(`Cannot use the container runtime at ${endpoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
    runtime = new CriRuntimeService({ client, images: criImages });
    images = criImages;
  } else {
    if (process.getuid?.() !== 0) throw new Error('Cannot run a node with the runc runtime: it needs root');
    runtime = new RuncRuntime({ root: join(agentDir, 'runc'), images: store, log: config.log.child('runc') });
    images = store;
  }
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
  const kubelet = new Kubelet({ client: config.client, nodeName, nodeIP: config.nodeIP, runtime, images, rootDir: agentDir, clock: new RealClock(), log: config.log, kubeletPort: port });
  holder.kubelet = kubelet;
  try {
    await kubelet.start();
  } catch (err) {
    await server.stop();
    await runtime.close();
    await daemon?.stop({ keepPods: true });
    throw err;
  }
  return {
    nodeName,
    stop: async () => {
      await kubelet.stop();
      await server.stop();
      await runtime.close();
      // Pods outlive the agent with every runtime: containerd goes, its shims keep the containers running.
      await daemon?.stop({ keepPods: true });
    },
  };
}
