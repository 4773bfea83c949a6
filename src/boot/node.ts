/**
 * startNode: a real node in this process — the image store (built-in images added, the air-gap dir imported), a
 * container runtime, and the kubelet — for `tkube server --container-runtime runc|process|auto|containerd` or
 * `--container-runtime-endpoint unix:///…/containerd.sock`. The kubelet is an API client like the other components.
 *
 * Runtimes: `runc` (root, runc and a C compiler for its shim) isolates pods in namespaces and cgroups; `process`
 * runs containers as plain host processes (no root needed, no isolation); `auto` picks runc when the machine has
 * what it needs, else process; `cri` (from `--container-runtime-endpoint`) talks CRI to a containerd that gets its
 * images from the same store; `containerd` starts a private containerd under `<data-dir>/agent/containerd`.
 */
import { cidrOfFamily } from '../base/net/cidr.js';
import { ipv4RangeOf } from './cidr.js';
import { accessSync, constants, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import type { RuntimeService } from '../agent/cri/runtime-service.js';
import { EvictionManager } from '../agent/kubelet/eviction-manager.js';
import { DEFAULT_EVICTION_HARD, parseEvictionHard } from '../agent/kubelet/eviction-thresholds.js';
import { Kubelet } from '../agent/kubelet/kubelet.js';
import { hostNodeStats } from '../agent/kubelet/node-stats.js';
import { StatsProvider } from '../agent/kubelet/stats-provider.js';
import { ProcessRuntime } from '../agent/runtime/process/process-runtime.js';
import { NodeRouteController } from '../agent/network/node-routes.js';
import { BridgeNetwork } from '../agent/network/bridge-network.js';
import { PendingPodNetwork } from '../agent/network/pending-pod-network.js';
import { CriPodNetworkGate, startCriPodNetwork } from '../agent/network/cri-pod-network.js';
import { NetworkPolicyController } from '../agent/network/policy/network-policy-controller.js';
import { deleteNftTable } from '../agent/network/policy/nft.js';
import { readPolicyTableRecord, writePolicyTableRecord } from '../agent/network/policy/policy-table-record.js';
import { LocalPathReclaimer } from '../agent/volumes/local-path-reclaimer.js';
import { DEFAULT_LOCAL_PATH_BASE } from '../api/core/local-path.js';
import { TKUBE_VERSION } from '../api/version.js';
import type { ImageService } from '../agent/cri/image-service.js';
import { exportOciArchive } from '../agent/images/oci-archive-export.js';
import { startContainerd, writeContainerdConfig, type RunningContainerd } from '../agent/runtime/cri/containerd-daemon.js';
import { CriClient } from '../agent/runtime/cri/cri-client.js';
import { CriImageService } from '../agent/runtime/cri/cri-image-service.js';
import { CriRuntimeService } from '../agent/runtime/cri/cri-runtime-service.js';
import { RuncRuntime } from '../agent/runtime/runc/runc-runtime.js';
import { mountStateTmpfs } from '../agent/runtime/runc/state-tmpfs.js';
import { hostCommands, useCompiledHelper } from '../agent/host/command-runner.js';
import { podStartTraceFromEnv } from '../agent/pod-start-trace.js';
import { KubeletServer } from '../agent/server/kubelet-server.js';
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from '../client/rest-client.js';
import { rotationDelayMs } from '../agent/certificate/serving-certificate.js';
import { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import { NftablesProxier, proxyTableName } from '../proxy/nftables/nftables-proxier.js';
import { IptablesProxier } from '../proxy/iptables/iptables-proxier.js';
import type { Proxier } from '../proxy/proxier.js';
import { ServiceProxy } from '../proxy/service-proxy.js';
import { UserspaceProxier } from '../proxy/userspace/userspace-proxier.js';
import { ServiceHealthServer } from '../proxy/healthcheck/service-health-server.js';
import { importAirGapImages, imageStoreRoot, openImageStore } from './images.js';
import { MirrorPodPublisher } from './mirror-pod.js';
import { readProxyRecord, writeProxyRecord } from './proxy-record.js';

/** The sandbox image containerd is configured with (writeContainerdConfig's default); imported before the first pod. */
const CRI_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';
/**
 * The bound of the node's volatile tmpfs (`<data-dir>/agent/run`): it holds the pods' secret, token and downwardAPI
 * volumes, which upstream gives a tmpfs each (sized by the pod's memory); only what is written takes memory.
 */
const VOLATILE_TMPFS_SIZE = '25%';

/** NodeBootConfig describes the node to run. */
export interface NodeBootConfig {
  readonly client: RestClient;
  readonly dataDir: string;
  /**
   * runc/process/auto: our own runtimes. `cri` talks to `runtimeEndpoint` (a containerd started by the user or a
   * test, see containerd-daemon.ts); `containerd` starts a private containerd under `<data-dir>/agent/containerd`.
   */
  readonly runtime: NodeRuntimeName | 'cri' | 'containerd';
  /** `unix:///path/containerd.sock`, for the `cri` runtime. */
  readonly runtimeEndpoint?: string;
  readonly nodeName?: string;
  readonly nodeIP: string;
  /**
   * The kubelet's serving certificate (signed by the cluster CA) — issued already, or got once the node name is
   * known (a node in another process asks the certificates API) — and the CA that signs API server client certs.
   */
  readonly tls: { readonly serving: ServingCertificateSource; readonly clientCaPem: string };
  /** @default 10250; 0 picks a free port */
  readonly kubeletPort?: number;
  /** The registries config file for image pulls. @default <data-dir>/registries.yaml when present */
  readonly privateRegistry?: string;
  readonly disableDefaultRegistryEndpoint?: boolean;
  /** `--container-log-max-size` / `--container-log-max-files`. @default 10Mi and 5 */
  readonly containerLogs?: { readonly maxSizeBytes?: number; readonly maxFiles?: number; readonly monitorIntervalMs?: number };
  /** `--eviction-hard`. @default DEFAULT_EVICTION_HARD */
  readonly evictionHard?: string;
  /** `--pod-network`: "bridge" connects pods to a bridge with the Node's podCIDR; "none" leaves them loopback only. @default "bridge" */
  readonly podNetwork?: 'bridge' | 'none';
  /** `--pod-bridge-name`. @default "tkube0" */
  readonly podBridgeName?: string;
  /** `--cluster-cidr` (one range, or an IPv4 and an IPv6 one comma-separated): pod traffic leaving it is masqueraded. @default "10.42.0.0/16" */
  readonly clusterCidr?: string;
  /**
   * Enforce NetworkPolicies on the bridge network (an nftables table `tkube-np-<node>`); false is k3s's
   * `--disable-network-policy` and removes a table an earlier run left. The node's identity must be allowed to
   * list and watch networkpolicies, pods and namespaces. @default false
   */
  readonly networkPolicy?: boolean;
  /** The cluster DNS Service IP written into pods' resolv.conf. @default 10.43.0.10 */
  readonly clusterDNS?: string;
  /** @default "cluster.local" */
  readonly clusterDomain?: string;
  /** `--node-label`: set on the Node at every registration. */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** `--node-taint`: set when the Node is first created. */
  readonly nodeTaints?: readonly { key: string; value?: string; effect: string }[];
  /** How long to wait for node IPAM to give the Node a podCIDR. @default 30000 */
  readonly podCidrTimeoutMs?: number;
  /**
   * `--proxy-mode`: the node's service proxy: "nftables" (one table `tkube-proxy-<node>`), "iptables" (chains of a
   * per-node prefix), "userspace" (listeners in this process; the process runtime's pods get its addresses in their
   * Service variables) or "none". @default see resolveProxyMode
   */
  readonly proxyMode?: ProxyModeName;
  /** `--proxy-min-sync-period` in ms: the least time between two proxy syncs. @default 100 */
  readonly proxyMinSyncPeriodMs?: number;
  /** The local-path storage directory, whose deleted volumes this node removes. @default /var/lib/tkube/storage */
  readonly localPathBase?: string;
  readonly log: Logger;
}

/** A PEM certificate and its key. */
export interface ServingCertificatePems {
  readonly certPem: string;
  readonly keyPem: string;
}

/** ServingCertificateSource is an issued serving certificate, or a function that gets one for the node's name. */
export type ServingCertificateSource = ServingCertificatePems | ((nodeName: string) => Promise<ServingCertificatePems>);

/** ProxyModeName is what `--proxy-mode` may say. */
export type ProxyModeName = 'nftables' | 'iptables' | 'userspace' | 'none';

/**
 * resolveProxyMode picks the node's proxy mode: as asked, else nftables for a runc node with the bridge network
 * and for a CRI node run as root (kernel data path: the DNAT happens in the node's prerouting and output hooks,
 * whichever bridge containerd's CNI gives its pods), userspace for the process runtime (no root needed; its pods
 * share the host's network), none otherwise (a CRI node without root cannot program the kernel, and userspace
 * listeners on the host's loopback are out of reach of pods in their own network namespaces). The kernel modes
 * need root.
 */
export function resolveProxyMode(asked: ProxyModeName | undefined, runtime: string, bridged: boolean): ProxyModeName {
  const root = process.getuid?.() === 0;
  const cri = runtime === 'cri' || runtime === 'containerd';
  const mode = asked ?? (bridged || (cri && root) ? 'nftables' : runtime === 'process' ? 'userspace' : 'none');
  if ((mode === 'nftables' || mode === 'iptables') && process.getuid?.() !== 0) throw new Error(`Cannot run the ${mode} service proxy: it needs root (--proxy-mode userspace needs none)`);
  return mode;
}

/** NodeRuntimeName is what `--container-runtime` may say. */
export type NodeRuntimeName = 'runc' | 'process' | 'auto';

function onPath(program: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** resolveNodeRuntime turns `auto` into runc (root, runc and cc present) or process. */
export function resolveNodeRuntime(name: NodeRuntimeName): 'runc' | 'process' {
  if (name !== 'auto') return name;
  return process.getuid?.() === 0 && onPath('runc') && onPath('cc') ? 'runc' : 'process';
}

/** RunningNode is a started node. */
export interface RunningNode {
  readonly nodeName: string;
  stop(): Promise<void>;
}

/**
 * warnIfOomPreferred: the agent should keep oom_score_adj 0 so the kernel prefers any pod (2..1000) to it; it
 * cannot lower an inherited positive value here (that needs CAP_SYS_RESOURCE), so it says so.
 */
function warnIfOomPreferred(log: Logger): void {
  try {
    const adj = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
    if (adj > 0) log.warn('The node agent runs with a positive oom_score_adj: the kernel may kill it before pods under memory pressure', { oomScoreAdj: adj });
  } catch {
    // Not Linux: nothing to check.
  }
}

/** Node timers hold at most ~24.8 days; longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_000_000;
const ROTATION_RETRY_MS = 60_000;

/**
 * rotateServingCertificate asks `source` again when the served certificate is due for renewal (see
 * `rotationDelayMs`) and swaps it into the kubelet server; a failed attempt is retried a minute later while the
 * old certificate keeps serving.
 */
function rotateServingCertificate(source: (nodeName: string) => Promise<ServingCertificatePems>, nodeName: string, certPem: string, server: KubeletServer, log: Logger): { stop(): void } {
  const clock = new RealClock();
  let timer: { cancel(): void } | undefined;
  let stopped = false;
  const arm = (ms: number, fn: () => void): void => {
    timer = clock.setTimer(Math.min(ms, MAX_TIMER_MS), () => (ms > MAX_TIMER_MS ? arm(ms - MAX_TIMER_MS, fn) : fn()));
  };
  const schedule = (pem: string): void => {
    arm(rotationDelayMs(pem, clock.now()), () => {
      source(nodeName).then(
        (next) => {
          if (stopped) return;
          server.setServingCertificate(next.certPem, next.keyPem);
          log.info('Rotated kubelet serving certificate');
          schedule(next.certPem);
        },
        (err: unknown) => {
          if (stopped) return;
          log.warn('Cannot rotate kubelet serving certificate; retrying', { err: err instanceof Error ? err.message : String(err) });
          arm(ROTATION_RETRY_MS, () => schedule(pem));
        },
      );
    });
  };
  schedule(certPem);
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}

/** startNode registers the node and starts running its pods. */
export async function startNode(config: NodeBootConfig): Promise<RunningNode> {
  const runtimeName = config.runtime === 'cri' || config.runtime === 'containerd' ? config.runtime : resolveNodeRuntime(config.runtime);
  if ((runtimeName === 'runc' || runtimeName === 'containerd') && process.getuid?.() !== 0) throw new Error(`Cannot run a node with the ${runtimeName} runtime: it needs root (--container-runtime process needs none)`);
  const thresholds = parseEvictionHard(config.evictionHard ?? DEFAULT_EVICTION_HARD);
  if ('error' in thresholds) throw new Error(`Cannot start the node: --eviction-hard: ${thresholds.error}`);
  const nodeName = (config.nodeName ?? hostname()).toLowerCase();
  // Before anything starts: a node that cannot serve its kubelet API with a trusted certificate does not join.
  const serving = typeof config.tls.serving === 'function' ? await config.tls.serving(nodeName) : config.tls.serving;
  const agentDir = join(config.dataDir, 'agent');
  const storeOptions = { ...(config.privateRegistry ? { privateRegistry: config.privateRegistry } : {}), disableDefaultRegistryEndpoint: config.disableDefaultRegistryEndpoint === true };
  // A machine without busybox-static (typical where the process runtime is used) has no built-in images; the node
  // still starts and runs what was imported or can be pulled.
  const store = await openImageStore(config.dataDir, { prepare: true, ...storeOptions }).catch(async (err: unknown) => {
    config.log.warn('No built-in images: only imported or pulled images can run', { err: err instanceof Error ? err.message : String(err) });
    const opened = await openImageStore(config.dataDir, storeOptions);
    await importAirGapImages(opened, join(imageStoreRoot(config.dataDir), 'import'));
    return opened;
  });
  // The runtime exists before the Node does; the bridge needs the Node's podCIDR, so sandboxes wait for it. The
  // process runtime has no network namespaces (its pods use the node's network).
  const network = runtimeName === 'runc' && config.podNetwork !== 'none' ? new PendingPodNetwork() : undefined;
  // A CRI node gets the same bridge, routes and masquerade; containerd's CNI connects the pods to that bridge once
  // it has the Node's pod CIDRs (startCriPodNetwork). Until then its sandboxes wait, as runc's wait for `network`.
  // Without root (a CRI node on a user's containerd) the host cannot be changed: the runtime's own CNI config rules.
  const criNetwork = (runtimeName === 'cri' || runtimeName === 'containerd') && config.podNetwork !== 'none' && process.getuid?.() === 0 ? new CriPodNetworkGate() : undefined;
  const podBridge = config.podBridgeName ?? 'tkube0';
  // TKUBE_POD_START_TRACE=<file>: the steps of every pod start, for finding where a burst waits (pod-start-trace.ts).
  const startTrace = podStartTraceFromEnv();
  hostCommands.trace = startTrace;
  // The host commands' compiled co-process (one spawn per command, mounts as system calls: command-runner.ts); without
  // a C compiler they run through bash, as before.
  await useCompiledHelper(join(agentDir, 'bin')).catch((err: unknown) => config.log.info('Host commands run through bash', { reason: err instanceof Error ? err.message : String(err) }));
  let cri: CriRuntimeService | undefined;
  let runtime: RuntimeService;
  let images: ImageService & Partial<Pick<typeof store, 'lastUsed' | 'pruneBlobs'>>;
  let daemon: RunningContainerd | undefined;
  if (runtimeName === 'containerd') {
    const dir = join(agentDir, 'containerd');
    // The CNI network is containerd's conf_template on the node's pod bridge, filled in by UpdateRuntimeConfig.
    await writeContainerdConfig(dir, { sandboxImage: CRI_SANDBOX_IMAGE, bridgeName: podBridge });
    daemon = await startContainerd(dir);
    config.log.info('Started containerd', { pid: daemon.pid, endpoint: daemon.paths.endpoint });
  }
  if (runtimeName === 'cri' || daemon) {
    const endpoint = daemon?.paths.endpoint ?? config.runtimeEndpoint ?? '';
    const client = await CriClient.connect({ endpoint });
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
    cri = new CriRuntimeService({ client, images: criImages, ...(criNetwork ? { podNetworkReady: criNetwork.ready, hostPorts: criNetwork } : {}) });
    runtime = cri;
    images = criImages;
  } else if (runtimeName === 'runc') {
    const dirs = runcRuntimeDirs(agentDir);
    const tmpfs = mountStateTmpfs(dirs.root);
    if (!tmpfs.mounted) config.log.warn('The runc runtime keeps its state on disk', { dir: dirs.root, reason: tmpfs.reason });
    runtime = new RuncRuntime({ ...dirs, images: store, log: config.log.child('runc'), startTrace, ...(network ? { network } : {}) });
    images = store;
  } else {
    runtime = new ProcessRuntime({ root: join(agentDir, 'process'), images: store, log: config.log.child('process') });
    images = store;
  }
  config.log.info('Container runtime chosen', { runtime: runtimeName, asked: config.runtime });
  warnIfOomPreferred(config.log);
  const clock = new RealClock();
  const stats = new StatsProvider({ nodeName, runtime, node: hostNodeStats(agentDir), startedAt: clock.now() });
  const eviction = new EvictionManager({ client: config.client, nodeName, runtime, usage: stats, thresholds, clock, log: config.log.child('eviction') });
  // The server must listen before the kubelet registers (the Node advertises its port); it asks the kubelet once set.
  const holder: { kubelet?: Kubelet; proxy?: { metrics(): Promise<string> } } = {};
  const server = new KubeletServer({
    logs: { logFile: (ns, pod, container, previous) => holder.kubelet?.logFile(ns, pod, container, previous) ?? Promise.resolve(undefined) },
    stats,
    // The service proxy starts later; its kube-proxy figures join the kubelet's once it runs.
    extraMetrics: () => holder.proxy?.metrics() ?? Promise.resolve(''),
    streams: { containers: { containerId: (ns, pod, container) => holder.kubelet?.containerId(ns, pod, container) ?? Promise.resolve(undefined) }, runtime },
    portForward: {
      resolvePod: (ns, pod) => holder.kubelet?.resolvePod(ns, pod) ?? Promise.resolve(undefined),
      portForward: (pod, port, stream) => holder.kubelet?.portForward(pod, port, stream) ?? Promise.reject(new Error('the kubelet is not running yet')),
    },
    remoteCommand: (request, streams) => holder.kubelet?.runRemoteCommand(request, streams) ?? streams.writeStatus({ error: 'the kubelet is not running yet' }),
    tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: config.tls.clientCaPem },
    port: config.kubeletPort ?? 10250,
    bindAddress: config.nodeIP,
    log: config.log.child('server'),
  });
  const port = await server.start();
  const proxyMode = resolveProxyMode(config.proxyMode, runtimeName, network !== undefined);
  // Made before the kubelet: in process mode pods share the host's network, so their Service variables name where
  // the userspace proxy listens rather than cluster IPs nothing owns.
  const userspace = proxyMode === 'userspace' ? new UserspaceProxier({ nodePortAddresses: [config.nodeIP], log: config.log.child('proxy') }) : undefined;
  // What dies with the pods (the kubelet's memory-backed volumes, etc-hosts and termination-message files; the pod
  // network's records and address leases) goes to a tmpfs of the node's, beside the runtime's state: no inode
  // allocation on the data dir's file system per file.
  const volatileDir = join(agentDir, 'run');
  const volatile = runtimeName === 'runc' ? mountStateTmpfs(volatileDir, { holds: ['pods', 'network/pods'], source: 'tkube-node-state', size: VOLATILE_TMPFS_SIZE }) : undefined;
  if (volatile && !volatile.mounted) config.log.warn('The node keeps its volatile pod files on disk', { dir: agentDir, reason: volatile.reason });
  const kubelet = new Kubelet({ ...(userspace && runtimeName === 'process' ? { serviceAddresses: userspace } : {}), ...(volatile?.mounted ? { volatileDir } : {}), client: config.client, nodeName, nodeIP: config.nodeIP, runtime, images, rootDir: agentDir, clock, log: config.log, kubeletPort: port, startTrace, evictions: eviction, ...(config.clusterDNS ? { clusterDNS: config.clusterDNS } : {}), ...(config.clusterDomain ? { clusterDomain: config.clusterDomain } : {}), ...(config.containerLogs ? { containerLogs: config.containerLogs } : {}), ...(config.nodeLabels ? { nodeLabels: config.nodeLabels } : {}), ...(config.nodeTaints ? { nodeTaints: config.nodeTaints } : {}) });
  holder.kubelet = kubelet;
  // The node removes the directories of its deleted local-path volumes (the one node of this process also takes
  // volumes pinned to no node: they were made here).
  const reclaimer = new LocalPathReclaimer({ client: config.client, nodeNames: [nodeName], unpinnedVolumes: true, basePath: config.localPathBase ?? DEFAULT_LOCAL_PATH_BASE, clock, log: config.log.child('local-path') });
  const reclaimerStop = new AbortController();
  try {
    await kubelet.start();
    // After registration: the manager patches the Node's pressure conditions.
    eviction.start();
  } catch (err) {
    network?.fail(err as Error);
    criNetwork?.fail(err as Error);
    await server.stop();
    await runtime.close();
    await daemon?.stop({ keepPods: true });
    throw err;
  }
  let policies: { stop(): Promise<void> } | undefined;
  let routes: NodeRouteController | undefined;
  let proxy: { stop(): Promise<void>; metrics(): Promise<string> } | undefined;
  let bridge: BridgeNetwork | undefined;
  if (network) {
    try {
      const { podCidr, podCidrV6 } = await waitForPodCidr(config.client, nodeName, config.podCidrTimeoutMs ?? 30_000);
      const clusterCidrV6 = cidrOfFamily(config.clusterCidr ?? '', 'IPv6');
      bridge = new BridgeNetwork({
        dir: join(agentDir, 'network'),
        ...(volatile?.mounted ? { recordsDir: join(volatileDir, 'network') } : {}),
        podCidr,
        ...(podCidrV6 ? { podCidrV6 } : {}),
        ...(podCidrV6 && clusterCidrV6 ? { clusterCidrV6 } : {}),
        clusterCidr: ipv4RangeOf(config.clusterCidr ?? '10.42.0.0/16'),
        ...(config.podBridgeName ? { bridgeName: config.podBridgeName } : {}),
        table: `tkube-${nodeName.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64),
        log: config.log.child('network'),
      });
      await bridge.start();
      network.resolve(bridge);
      policies = await startNetworkPolicy(config, agentDir, nodeName, clock);
      // Pods on other nodes are reached through routes to their pod CIDRs (host-gw or VXLAN).
      routes = new NodeRouteController({
        client: config.client,
        nodeName,
        nodeIP: config.nodeIP,
        podCidr,
        clusterCidr: ipv4RangeOf(config.clusterCidr ?? '10.42.0.0/16'),
        ...(podCidrV6 && clusterCidrV6 ? { podCidrV6, clusterCidrV6 } : {}),
        clock,
        log: config.log.child('routes'),
      });
      await routes.start();
    } catch (err) {
      const failure = new Error(`Cannot start the pod network: ${(err as Error).message}`);
      network.fail(failure);
      await bridge?.stop();
      await routes?.stop();
      await kubelet.stop();
      await server.stop();
      throw failure;
    }
  }
  if (cri && criNetwork) {
    try {
      const { podCidr, podCidrV6 } = await waitForPodCidr(config.client, nodeName, config.podCidrTimeoutMs ?? 30_000);
      const clusterCidrV6 = cidrOfFamily(config.clusterCidr ?? '', 'IPv6');
      routes = await startCriPodNetwork({
        client: config.client,
        nodeName,
        nodeIP: config.nodeIP,
        dir: join(agentDir, 'network'),
        bridge: podBridge,
        podCidr,
        ...(podCidrV6 ? { podCidrV6 } : {}),
        clusterCidr: ipv4RangeOf(config.clusterCidr ?? '10.42.0.0/16'),
        ...(clusterCidrV6 ? { clusterCidrV6 } : {}),
        runtime: cri,
        gate: criNetwork,
        clock,
        log: config.log,
      });
    } catch (err) {
      const failure = new Error(`Cannot start the pod network: ${(err as Error).message}`);
      criNetwork.fail(failure);
      await kubelet.stop();
      await server.stop();
      await runtime.close();
      await daemon?.stop({ keepPods: true });
      throw failure;
    }
  }
  if ((runtimeName === 'cri' || runtimeName === 'containerd') && process.getuid?.() === 0) {
    // containerd's pods (on the node's bridge, or on a CNI network of the runtime's own with --pod-network none)
    // cross this host's forward and input hooks as runc pods do: the same table enforces NetworkPolicies for them.
    try {
      policies = await startNetworkPolicy(config, agentDir, nodeName, clock);
    } catch (err) {
      await kubelet.stop();
      await server.stop();
      await runtime.close();
      await daemon?.stop({ keepPods: true });
      throw new Error(`Cannot start NetworkPolicy enforcement: ${(err as Error).message}`);
    }
  }
  const proxier = userspace ?? (proxyMode === 'nftables' || proxyMode === 'iptables' ? kernelProxier(proxyMode, nodeName, agentDir, config.log.child('proxy')) : undefined);
  if (proxier) {
    proxy = startServiceProxy(config, nodeName, proxier);
    holder.proxy = proxy;
  }
  reclaimer.start(reclaimerStop.signal, { client: config.client });
  const rotation = typeof config.tls.serving === 'function' ? rotateServingCertificate(config.tls.serving, nodeName, serving.certPem, server, config.log) : undefined;
  return {
    nodeName,
    stop: async () => {
      rotation?.stop();
      reclaimerStop.abort();
      await reclaimer.stopped();
      eviction.stop();
      network?.fail(new Error('the node is stopping'));
      criNetwork?.fail(new Error('the node is stopping'));
      // The policy table stays: the pods keep running, and so does their isolation.
      await policies?.stop();
      await routes?.stop();
      await proxy?.stop();
      await kubelet.stop();
      // The warm network namespaces go (no sandbox took them); the pods' network stays with the pods.
      await bridge?.stop();
      await server.stop();
      await runtime.close();
      // Pods outlive the agent with every runtime: containerd goes, its shims keep the containers running.
      await daemon?.stop({ keepPods: true });
      startTrace.close();
    },
  };
}

/**
 * runcRuntimeDirs are the runc runtime's directories under `<data-dir>/agent` (also read by node-cleanup.ts): its state
 * (records, bundles, runc's own), which the node keeps on a tmpfs (state-tmpfs.ts), and what stays on disk (the
 * containers' writable layers, the shim), as containerd keeps `/run/containerd` and `/var/lib/containerd`.
 */
export function runcRuntimeDirs(agentDir: string): { readonly root: string; readonly diskRoot: string } {
  return { root: join(agentDir, 'runc'), diskRoot: join(agentDir, 'runc-disk') };
}

/** POLICY_DIR is where the node records its NetworkPolicy table (read by node-cleanup.ts). */
export const POLICY_DIR = 'network-policy';

/**
 * startNetworkPolicy runs the NetworkPolicy controller of the node's bridge network, or — when turned off —
 * removes the table an earlier run with it on left behind (so turning it off really opens the pods).
 */
async function startNetworkPolicy(config: NodeBootConfig, agentDir: string, nodeName: string, clock: RealClock): Promise<{ stop(): Promise<void> } | undefined> {
  const dir = join(agentDir, POLICY_DIR);
  if (!config.networkPolicy) {
    const left = readPolicyTableRecord(dir);
    if (left) {
      await deleteNftTable(left.table);
      rmSync(dir, { recursive: true, force: true });
    }
    config.log.info('NetworkPolicy enforcement off', left ? { removedTable: left.table } : {});
    return undefined;
  }
  const table = `tkube-np-${nodeName.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64);
  writePolicyTableRecord(dir, { table });
  const controller = new NetworkPolicyController({ nodeName, table, clock, log: config.log.child('network-policy') });
  const stop = new AbortController();
  controller.start(stop.signal, { client: config.client });
  config.log.info('NetworkPolicy enforcement on', { table });
  return {
    stop: async () => {
      stop.abort();
      await controller.stopped();
    },
  };
}

/**
 * kernelProxier makes the nftables or iptables proxier, after recording what it makes on the host for `tkube
 * down/delete`. The rules stay when the node stops: pods keep running and so must their Services; the clean-up
 * removes them.
 */
function kernelProxier(mode: 'nftables' | 'iptables', nodeName: string, agentDir: string, log: Logger): Proxier {
  if (mode === 'nftables') {
    const table = proxyTableName(nodeName);
    writeProxyRecord(join(agentDir, 'proxy'), { mode, table });
    return new NftablesProxier({ table, log });
  }
  const dir = join(agentDir, 'proxy');
  // A previous run may have turned route_localnet on: keep that in the record until a clean-up undoes it.
  const previous = readProxyRecord(dir);
  const routeLocalnetSet = previous?.mode === 'iptables' && previous.routeLocalnetSet === true;
  writeProxyRecord(dir, { mode, nodeName, ...(routeLocalnetSet ? { routeLocalnetSet } : {}) });
  return new IptablesProxier({ nodeName, log, onRouteLocalnetSet: () => writeProxyRecord(dir, { mode, nodeName, routeLocalnetSet: true }) });
}

/**
 * ipv6Proxier: on a dual-stack cluster (an IPv6 range in `--cluster-cidr`), a second proxier for the IPv6
 * Services: in nftables mode an `ip6` table of the same name (its clean-up removes both), in iptables mode the same
 * chains in ip6tables (node clean-up removes both families). The userspace mode stays IPv4-only
 * (docs/network.md, "Dual-stack").
 */
function ipv6Proxier(config: NodeBootConfig, nodeName: string, proxier: Proxier, log: Logger): { ipv6?: { proxier: Proxier; clusterCidr: string } } {
  const clusterCidrV6 = cidrOfFamily(config.clusterCidr ?? '', 'IPv6');
  if (!clusterCidrV6) return {};
  if (proxier instanceof NftablesProxier) return { ipv6: { proxier: new NftablesProxier({ table: proxier.table, log }), clusterCidr: clusterCidrV6 } };
  if (proxier instanceof IptablesProxier) return { ipv6: { proxier: new IptablesProxier({ nodeName, family: 'IPv6', log: log.child('ip6tables') }), clusterCidr: clusterCidrV6 } };
  return {};
}

/**
 * startServiceProxy runs the node's service proxy over informers of its own (the node's client). On stop, the
 * userspace proxy's listeners close (they go with the process anyway); kernel rules stay (see kernelProxier).
 */
function startServiceProxy(config: NodeBootConfig, nodeName: string, proxier: Proxier): { stop(): Promise<void>; metrics(): Promise<string> } {
  const log = config.log.child('proxy');
  const informers = new SharedInformerFactory({ client: config.client, log: config.log.child('proxy-informers'), stripManagedFields: true });
  // Health check node ports answer on the node's address, where its NodePorts are served.
  const healthChecks = new ServiceHealthServer({ addresses: [config.nodeIP], log: log.child('healthcheck') });
  const v6 = ipv6Proxier(config, nodeName, proxier, log);
  const proxy = new ServiceProxy({
    informers,
    proxier,
    healthChecks,
    nodeName,
    nodeIPs: [config.nodeIP],
    clusterCidr: ipv4RangeOf(config.clusterCidr ?? '10.42.0.0/16'),
    ...v6,
    ...(config.proxyMinSyncPeriodMs !== undefined ? { minSyncPeriodMs: config.proxyMinSyncPeriodMs } : {}),
    log,
  });
  const stop = new AbortController();
  informers.start(stop.signal);
  proxy.start();
  config.log.info('Service proxy started', { mode: proxier.mode });
  // Users look for the proxy among kube-system's pods (kube-proxy-<node>, as kubeadm clusters show it).
  const mirror = new MirrorPodPublisher({
    client: config.client,
    namespace: 'kube-system',
    name: `kube-proxy-${nodeName}`,
    nodeName,
    nodeIP: config.nodeIP,
    labels: { 'k8s-app': 'kube-proxy' },
    priorityClassName: 'system-node-critical',
    containers: [{ name: 'kube-proxy', image: `tkube/kube-proxy:${TKUBE_VERSION}` }],
    clock: new RealClock(),
    log,
  });
  mirror.start().catch((err: unknown) => log.warn('Cannot publish the kube-proxy mirror pod', { err: err instanceof Error ? err.message : String(err) }));
  return {
    metrics: () => proxy.metrics.render(),
    stop: async () => {
      mirror.stop();
      proxy.stop();
      stop.abort();
      await informers.stopped();
      await healthChecks.stop();
      // Listeners in this process close with it; kernel rules stay for the running pods. The nftables proxiers'
      // long-lived `nft -i` processes end here (they would also end with this process).
      if (proxier.mode === 'userspace') await proxier.cleanup();
      for (const p of [proxier, v6.ipv6?.proxier]) if (p instanceof NftablesProxier) await p.close();
    },
  };
}

/** waitForPodCidr polls the Node until node IPAM has written `spec.podCIDR`, or fails with why after `timeoutMs`. */
async function waitForPodCidr(client: RestClient, nodeName: string, timeoutMs: number): Promise<{ podCidr: string; podCidrV6?: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'the Node has no spec.podCIDR';
  for (;;) {
    try {
      const node = await client.get({ version: 'v1', resource: 'nodes', name: nodeName });
      const spec = node['spec'] as { podCIDR?: unknown; podCIDRs?: unknown } | undefined;
      const cidr = spec?.podCIDR;
      // A dual-stack node holds one range per family in podCIDRs; the pod network's IPv4 side is podCIDR.
      const v6 = Array.isArray(spec?.podCIDRs) ? spec.podCIDRs.find((c): c is string => typeof c === 'string' && c.includes(':')) : undefined;
      if (typeof cidr === 'string' && cidr !== '' && !cidr.includes(':')) return { podCidr: cidr, ...(v6 ? { podCidrV6: v6 } : {}) };
      if (typeof cidr === 'string' && cidr !== '') last = `its pod CIDR ${cidr} is IPv6: an IPv4 one is needed`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`node ${nodeName} got no pod CIDR within ${Math.round(timeoutMs / 1000)} s (${last}; is the nodeipam controller running?)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
