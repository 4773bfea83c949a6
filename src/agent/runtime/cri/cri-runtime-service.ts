/**
 * CriRuntimeService: the RuntimeService as calls to a CRI v1 runtime over gRPC (containerd 1.6 from Debian).
 * Mostly a translation; where our contract (../../cri/runtime-service.ts) differs from CRI it is bridged here:
 *
 *  - Times: CRI nanoseconds (int64, as decimal strings) become milliseconds.
 *  - `ContainerStatus.image` is the reference as asked for: containerd reports its first repo tag instead, so the
 *    reference rides along in an annotation (`io.tkube.image`) that is stripped again on the way out.
 *    `imageRef` is the image ID (`sha256:<config digest>`): containerd reports a repo digest, resolved here
 *    through ImageStatus (cached; an image ID never changes its meaning).
 *  - CRI's ContainerStatus has no sandbox ID, and ListPodSandbox/ListContainers carry no IPs, exit codes or log
 *    paths: lists fetch each object's (verbose) status, which is what the kubelet's sync needs anyway.
 *  - Errors: NOT_FOUND becomes RuntimeNotFoundError; stopping or removing what is gone is a no-op, as the
 *    contract says; everything else is an Error naming the operation and the runtime's reason.
 *  - createContainer makes sure the image is in containerd first (through the CriImageService, which imports
 *    from the node's store), so callers that skip pullImage still get their image.
 *  - exec, attach and portForward: CRI hands out a URL of containerd's streaming server, which
 *    streaming-client.ts speaks to over WebSocket (v4 channels; no stdin half-close, see there).
 *  - hostAliases are not part of CRI (upstream's kubelet writes /etc/hosts as a mount): ignored here.
 */
import type { Duplex } from 'node:stream';
import type {
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ExecSyncResult,
  NamespaceOptions,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  PortMapping,
  RuntimeService,
  RuntimeVersion,
  StreamOptions,
} from '../../cri/runtime-service.js';
import { RuntimeNotFoundError } from '../../cri/runtime-service.js';
import type { CriClient, CriMessage } from './cri-client.js';
import { CriCallError, isCriNotFound } from './cri-client.js';
import type { CriImageService } from './cri-image-service.js';
import { streamExec, streamPortForward } from './streaming-client.js';

/** IMAGE_ANNOTATION carries the image reference as the caller gave it (see the file comment). */
const IMAGE_ANNOTATION = 'io.tkube.image';
/** exec/probe calls without a timeout still get a gRPC deadline, so a wedged runtime cannot hang the agent. */
const NO_TIMEOUT_DEADLINE_MS = 24 * 3600_000;

/** CriRuntimeServiceConfig constructs a CriRuntimeService. */
export interface CriRuntimeServiceConfig {
  readonly client: CriClient;
  /** Used to bring images into the runtime before createContainer; absent: the image must be there already. */
  readonly images?: CriImageService;
  /**
   * Settles once the node has handed the runtime its pod CIDRs (`updatePodCidrs`, see boot/node.ts): sandboxes with
   * a network of their own wait for it, as the runc backend's wait for the node's bridge, instead of failing on a
   * runtime whose CNI network is not rendered yet. A rejection lets them go ahead (the runtime's own CNI config
   * decides). Host-network sandboxes never wait.
   */
  readonly podNetworkReady?: Promise<void>;
  /**
   * Publishes sandboxes' hostPorts on the node (the node's NAT table; CNI portmap's job, which the network we give
   * containerd leaves out): called after a sandbox with hostPorts runs, with its IPv4 address, and when it stops.
   */
  readonly hostPorts?: HostPortPublisher;
}

/** HostPortPublisher maps node ports to sandboxes' ports (BridgeNetwork implements it). */
export interface HostPortPublisher {
  publishHostPorts(sandboxId: string, ip: string, portMappings: readonly PortMapping[]): Promise<void>;
  unpublishHostPorts(sandboxId: string): Promise<void>;
}

/** RuntimeNetworkStatus is the runtime's `NetworkReady` condition (CRI Status). */
export interface RuntimeNetworkStatus {
  readonly ready: boolean;
  /** Why not, as the runtime says it (e.g. containerd's "cni plugin not initialized"). */
  readonly message: string;
}

/** nsToMs turns a CRI int64 nanosecond value (string or number) into milliseconds; 0 stays 0. */
export function nsToMs(ns: unknown): number {
  if (ns === undefined || ns === null || ns === '' || ns === '0' || ns === 0) return 0;
  try {
    return Number(BigInt(String(ns)) / 1_000_000n);
  } catch {
    return 0;
  }
}

function namespaceOption(o: NamespaceOptions | undefined): CriMessage {
  // CRI's default for pid is POD (0); ours is CONTAINER, as upstream's kubelet sets it for v1 pods.
  return { network: o?.network ?? 'POD', pid: o?.pid ?? 'CONTAINER', ipc: o?.ipc ?? 'POD' };
}

function criSandboxConfig(c: PodSandboxConfig): CriMessage {
  return {
    metadata: { name: c.metadata.name, uid: c.metadata.uid, namespace: c.metadata.namespace, attempt: c.metadata.attempt },
    hostname: c.hostname,
    logDirectory: c.logDirectory,
    ...(c.dnsConfig ? { dnsConfig: { servers: [...c.dnsConfig.servers], searches: [...c.dnsConfig.searches], options: [...c.dnsConfig.options] } } : {}),
    portMappings: c.portMappings.map((p) => ({ protocol: p.protocol, containerPort: p.containerPort, hostPort: p.hostPort ?? 0, hostIp: p.hostIP ?? '' })),
    labels: { ...c.labels },
    annotations: { ...c.annotations },
    linux: {
      cgroupParent: c.linux?.cgroupParent ?? '',
      securityContext: { namespaceOptions: namespaceOption(c.linux?.namespaceOptions), privileged: c.linux?.privileged ?? false },
      sysctls: { ...(c.linux?.sysctls ?? {}) },
    },
  };
}

function criContainerConfig(c: ContainerConfig, sandbox: PodSandboxConfig): CriMessage {
  const r = c.linux?.resources;
  const s = c.linux?.securityContext;
  const int64 = (v: number | undefined): CriMessage | undefined => (v === undefined ? undefined : { value: v });
  return {
    metadata: { name: c.metadata.name, attempt: c.metadata.attempt },
    image: { image: c.image },
    command: [...c.command],
    args: [...c.args],
    workingDir: c.workingDir ?? '',
    envs: c.envs.map((e) => ({ key: e.key, value: e.value })),
    mounts: c.mounts.map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly ?? false,
      propagation: m.propagation === 'rshared' ? 'PROPAGATION_BIDIRECTIONAL' : m.propagation === 'rslave' ? 'PROPAGATION_HOST_TO_CONTAINER' : 'PROPAGATION_PRIVATE',
    })),
    labels: { ...c.labels },
    annotations: { ...c.annotations, [IMAGE_ANNOTATION]: c.image },
    logPath: c.logPath,
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: {
      resources: {
        cpuPeriod: r?.cpuPeriod ?? 0,
        cpuQuota: r?.cpuQuota ?? 0,
        cpuShares: r?.cpuShares ?? 0,
        memoryLimitInBytes: r?.memoryLimitInBytes ?? 0,
        // Never negative on these machines (machine.md); containerd would refuse a lower value anyway.
        oomScoreAdj: Math.max(0, r?.oomScoreAdj ?? 0),
      },
      securityContext: {
        ...(s?.capabilities ? { capabilities: { addCapabilities: [...s.capabilities.add], dropCapabilities: [...s.capabilities.drop] } } : {}),
        privileged: s?.privileged ?? false,
        namespaceOptions: namespaceOption({ ...sandbox.linux?.namespaceOptions, ...s?.namespaceOptions }),
        ...(int64(s?.runAsUser) ? { runAsUser: int64(s?.runAsUser) } : {}),
        ...(int64(s?.runAsGroup) ? { runAsGroup: int64(s?.runAsGroup) } : {}),
        readonlyRootfs: s?.readonlyRootfs ?? false,
        supplementalGroups: [...(s?.supplementalGroups ?? [])],
        noNewPrivs: s?.noNewPrivs ?? false,
      },
    },
  };
}

/** netnsPathOf finds the network namespace path in containerd's verbose sandbox info (its OCI spec). */
function netnsPathOf(info: Record<string, string> | undefined): string | undefined {
  const raw = info?.['info'];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as { runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } } };
    const path = parsed.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network')?.path;
    return path || undefined;
  } catch {
    return undefined;
  }
}

function stripImageAnnotation(a: Record<string, string> | undefined): Record<string, string> {
  const out = { ...(a ?? {}) };
  delete out[IMAGE_ANNOTATION];
  return out;
}

/** CriRuntimeService runs pods through a CRI runtime; see the file comment. */
export class CriRuntimeService implements RuntimeService {
  readonly #client: CriClient;
  readonly #images: CriImageService | undefined;
  /** Image ID by the repo digest containerd reports as a container's image_ref. */
  readonly #imageIds = new Map<string, string>();
  readonly #podNetworkReady: Promise<void> | undefined;
  readonly #hostPorts: HostPortPublisher | undefined;

  constructor(config: CriRuntimeServiceConfig) {
    this.#client = config.client;
    this.#images = config.images;
    this.#hostPorts = config.hostPorts;
    this.#podNetworkReady = config.podNetworkReady?.catch(() => undefined);
  }

  /** #fail translates a failed call: NOT_FOUND → RuntimeNotFoundError, others → `Cannot <what>: <reason>`. */
  #fail(err: unknown, what: string, kind: 'sandbox' | 'container', id: string): Error {
    if (isCriNotFound(err)) return new RuntimeNotFoundError(kind, id);
    const reason = err instanceof CriCallError ? err.details : err instanceof Error ? err.message : String(err);
    return new Error(`Cannot ${what}: ${reason}`);
  }

  async version(): Promise<RuntimeVersion> {
    const v = await this.#client.runtime('Version', { version: 'v1' });
    return { runtimeName: String(v['runtimeName'] ?? 'cri'), runtimeVersion: String(v['runtimeVersion'] ?? 'unknown') };
  }

  /**
   * updatePodCidrs hands the runtime the node's pod CIDRs (CRI UpdateRuntimeConfig, comma-separated, primary first),
   * as upstream's kubelet does once its Node has them. containerd renders its CNI `conf_template` from them when no
   * network config is loaded yet; without a template it ignores them.
   */
  async updatePodCidrs(podCidrs: readonly string[]): Promise<void> {
    try {
      await this.#client.runtime('UpdateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr: podCidrs.join(',') } } });
    } catch (err) {
      throw new Error(`Cannot hand the pod CIDRs ${podCidrs.join(',')} to the container runtime: ${err instanceof CriCallError ? err.details : String(err)}`);
    }
  }

  /** networkStatus reads the runtime's NetworkReady condition (CRI Status). */
  async networkStatus(): Promise<RuntimeNetworkStatus> {
    const res = await this.#client.runtime('Status', {});
    const conditions = ((res['status'] as CriMessage | undefined)?.['conditions'] ?? []) as CriMessage[];
    const network = conditions.find((c) => c['type'] === 'NetworkReady');
    return { ready: network?.['status'] === true, message: String(network?.['message'] ?? (network ? '' : 'the runtime reports no NetworkReady condition')) };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const m = config.metadata;
    const ownNetwork = config.linux?.namespaceOptions?.network !== 'NODE';
    if (ownNetwork) await this.#podNetworkReady;
    let id: string;
    try {
      const res = await this.#client.runtime('RunPodSandbox', { config: criSandboxConfig(config) });
      id = String(res['podSandboxId']);
    } catch (err) {
      throw this.#fail(err, `run pod sandbox ${m.namespace}/${m.name}`, 'sandbox', m.uid);
    }
    if (ownNetwork && this.#hostPorts && config.portMappings.some((pm) => pm.hostPort)) {
      try {
        const ip = (await this.podSandboxStatus(id)).ips.find((a) => !a.includes(':'));
        if (ip === undefined) throw new Error('the sandbox has no IPv4 address');
        await this.#hostPorts.publishHostPorts(id, ip, config.portMappings);
      } catch (err) {
        // A sandbox without its hostPorts would never get them (the kubelet reuses a ready sandbox): start over.
        await this.stopPodSandbox(id).catch(() => undefined);
        await this.removePodSandbox(id).catch(() => undefined);
        throw new Error(`Cannot publish the hostPorts of pod sandbox ${m.namespace}/${m.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    // Like CNI portmap's DEL: the node stops forwarding to the sandbox before its network goes.
    await this.#hostPorts?.unpublishHostPorts(id);
    try {
      await this.#client.runtime('StopPodSandbox', { podSandboxId: id });
    } catch (err) {
      if (isCriNotFound(err)) return;
      throw this.#fail(err, `stop pod sandbox ${id}`, 'sandbox', id);
    }
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.#hostPorts?.unpublishHostPorts(id);
    try {
      await this.#client.runtime('RemovePodSandbox', { podSandboxId: id });
    } catch (err) {
      if (isCriNotFound(err)) return;
      throw this.#fail(err, `remove pod sandbox ${id}`, 'sandbox', id);
    }
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    let res: CriMessage;
    try {
      res = await this.#client.runtime('PodSandboxStatus', { podSandboxId: id, verbose: true });
    } catch (err) {
      throw this.#fail(err, `read the status of pod sandbox ${id}`, 'sandbox', id);
    }
    const s = (res['status'] ?? {}) as CriMessage;
    const net = s['network'] as CriMessage | null | undefined;
    const ips = [String(net?.['ip'] ?? ''), ...((net?.['additionalIps'] ?? []) as CriMessage[]).map((p) => String(p['ip'] ?? ''))].filter((ip) => ip !== '');
    const md = (s['metadata'] ?? {}) as CriMessage;
    const netnsPath = netnsPathOf(res['info'] as Record<string, string> | undefined);
    return {
      id: String(s['id'] ?? id),
      metadata: { name: String(md['name'] ?? ''), namespace: String(md['namespace'] ?? ''), uid: String(md['uid'] ?? ''), attempt: Number(md['attempt'] ?? 0) },
      state: s['state'] === 'SANDBOX_READY' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
      createdAt: nsToMs(s['createdAt']),
      ips,
      ...(netnsPath ? { netnsPath } : {}),
      labels: { ...((s['labels'] ?? {}) as Record<string, string>) },
      annotations: { ...((s['annotations'] ?? {}) as Record<string, string>) },
    };
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandboxStatus[]> {
    const criFilter: CriMessage = {
      ...(filter?.id ? { id: filter.id } : {}),
      ...(filter?.state ? { state: { state: filter.state } } : {}),
      ...(filter?.labelSelector ? { labelSelector: { ...filter.labelSelector } } : {}),
    };
    const res = await this.#client.runtime('ListPodSandbox', { filter: criFilter });
    const out: PodSandboxStatus[] = [];
    for (const item of (res['items'] ?? []) as CriMessage[]) {
      try {
        out.push(await this.podSandboxStatus(String(item['id'])));
      } catch (err) {
        // Removed between the list and the status: not listed.
        if (!(err instanceof RuntimeNotFoundError)) throw err;
      }
    }
    return out;
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const what = `create container ${config.metadata.name} in pod sandbox ${sandboxId}`;
    if (this.#images) {
      try {
        await this.#images.pullImage(config.image);
      } catch (err) {
        throw new Error(`Cannot ${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    try {
      const res = await this.#client.runtime('CreateContainer', { podSandboxId: sandboxId, config: criContainerConfig(config, sandboxConfig), sandboxConfig: criSandboxConfig(sandboxConfig) });
      return String(res['containerId']);
    } catch (err) {
      throw this.#fail(err, what, 'sandbox', sandboxId);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.#client.runtime('StartContainer', { containerId: id });
    } catch (err) {
      throw this.#fail(err, `start container ${id}`, 'container', id);
    }
  }

  /** reopenContainerLog asks containerd to reopen the container's log path (after the kubelet rotated the file). */
  async reopenContainerLog(id: string): Promise<void> {
    try {
      await this.#client.runtime('ReopenContainerLog', { containerId: id });
    } catch (err) {
      throw this.#fail(err, `reopen the log of container ${id}`, 'container', id);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      // containerd waits up to the timeout, then kills; the call must outlive both.
      await this.#client.runtime('StopContainer', { containerId: id, timeout: Math.max(0, Math.floor(timeoutSeconds)) }, timeoutSeconds * 1000 + 60_000);
    } catch (err) {
      throw this.#fail(err, `stop container ${id}`, 'container', id);
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.#client.runtime('RemoveContainer', { containerId: id });
    } catch (err) {
      if (isCriNotFound(err)) return;
      throw this.#fail(err, `remove container ${id}`, 'container', id);
    }
  }

  /** #imageId resolves containerd's image_ref (a repo digest or an ID) to the image ID. */
  async #imageId(ref: string): Promise<string> {
    if (ref === '' || /^sha256:[a-f0-9]{64}$/.test(ref)) return ref;
    const known = this.#imageIds.get(ref);
    if (known) return known;
    try {
      const res = await this.#client.image('ImageStatus', { image: { image: ref } });
      const id = String((res['image'] as CriMessage | null)?.['id'] ?? '');
      if (id === '') return ref;
      this.#imageIds.set(ref, id);
      return id;
    } catch {
      return ref;
    }
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    return this.#containerStatus(id, undefined);
  }

  /**
   * #containerStatus reads one container. CRI's status lacks the sandbox ID: a list already knows it; otherwise
   * it comes from containerd's verbose info (which also carries the whole OCI spec, so lists avoid it).
   */
  async #containerStatus(id: string, knownSandboxId: string | undefined): Promise<ContainerStatus> {
    let res: CriMessage;
    try {
      res = await this.#client.runtime('ContainerStatus', { containerId: id, verbose: knownSandboxId === undefined });
    } catch (err) {
      throw this.#fail(err, `read the status of container ${id}`, 'container', id);
    }
    const s = (res['status'] ?? {}) as CriMessage;
    let sandboxId = knownSandboxId ?? '';
    if (knownSandboxId === undefined) {
      try {
        sandboxId = String((JSON.parse((res['info'] as Record<string, string> | undefined)?.['info'] ?? '{}') as { sandboxID?: string }).sandboxID ?? '');
      } catch {
        // Left empty: the verbose info is containerd's, not part of CRI.
      }
    }
    const md = (s['metadata'] ?? {}) as CriMessage;
    const annotations = (s['annotations'] ?? {}) as Record<string, string>;
    const state = String(s['state'] ?? 'CONTAINER_UNKNOWN');
    const startedAt = nsToMs(s['startedAt']);
    // containerd 1.6 stamps startedAt after the task's start returns, so a command that ends at once can report a
    // finish a moment before its start: the contract orders them, so the finish is clamped to the start.
    const finishedAt = nsToMs(s['finishedAt']) === 0 ? 0 : Math.max(nsToMs(s['finishedAt']), startedAt);
    return {
      id: String(s['id'] ?? id),
      sandboxId,
      metadata: { name: String(md['name'] ?? ''), attempt: Number(md['attempt'] ?? 0) },
      state: state === 'CONTAINER_CREATED' || state === 'CONTAINER_RUNNING' || state === 'CONTAINER_EXITED' ? state : 'CONTAINER_UNKNOWN',
      createdAt: nsToMs(s['createdAt']),
      startedAt,
      finishedAt,
      exitCode: Number(s['exitCode'] ?? 0),
      image: annotations[IMAGE_ANNOTATION] ?? String((s['image'] as CriMessage | null)?.['image'] ?? ''),
      imageRef: await this.#imageId(String(s['imageRef'] ?? '')),
      reason: String(s['reason'] ?? ''),
      message: String(s['message'] ?? ''),
      labels: { ...((s['labels'] ?? {}) as Record<string, string>) },
      annotations: stripImageAnnotation(annotations),
      logPath: String(s['logPath'] ?? ''),
    };
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    const criFilter: CriMessage = {
      ...(filter?.id ? { id: filter.id } : {}),
      ...(filter?.sandboxId ? { podSandboxId: filter.sandboxId } : {}),
      ...(filter?.state ? { state: { state: filter.state } } : {}),
      ...(filter?.labelSelector ? { labelSelector: { ...filter.labelSelector } } : {}),
    };
    const res = await this.#client.runtime('ListContainers', { filter: criFilter });
    const out: ContainerStatus[] = [];
    for (const item of (res['containers'] ?? []) as CriMessage[]) {
      try {
        out.push(await this.#containerStatus(String(item['id']), String(item['podSandboxId'] ?? '')));
      } catch (err) {
        if (!(err instanceof RuntimeNotFoundError)) throw err;
      }
    }
    return out;
  }

  async execSync(id: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const timeout = Math.max(0, Math.floor(timeoutSeconds));
    try {
      const res = await this.#client.runtime('ExecSync', { containerId: id, cmd: [...cmd], timeout }, timeout > 0 ? timeout * 1000 + 30_000 : NO_TIMEOUT_DEADLINE_MS);
      return { stdout: Buffer.from((res['stdout'] ?? Buffer.alloc(0)) as Uint8Array), stderr: Buffer.from((res['stderr'] ?? Buffer.alloc(0)) as Uint8Array), exitCode: Number(res['exitCode'] ?? 0), timedOut: false };
    } catch (err) {
      // containerd kills the process and answers with "timeout <n>s exceeded" when the command outlives its timeout.
      if (timeout > 0 && err instanceof CriCallError && /timeout .* exceeded|deadline exceeded/i.test(err.details)) {
        return { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 137, timedOut: true };
      }
      throw this.#fail(err, `exec in container ${id}`, 'container', id);
    }
  }

  async exec(id: string, cmd: readonly string[], streams: StreamOptions): Promise<number> {
    const tty = streams.tty ?? false;
    let url: string;
    try {
      const res = await this.#client.runtime('Exec', { containerId: id, cmd: [...cmd], tty, stdin: !!streams.stdin, stdout: !!streams.stdout || (!streams.stdin && !streams.stderr), stderr: !tty && !!streams.stderr });
      url = String(res['url'] ?? '');
    } catch (err) {
      throw this.#fail(err, `exec in container ${id}`, 'container', id);
    }
    return streamExec(url, streams);
  }

  async attach(id: string, streams: StreamOptions): Promise<void> {
    const tty = streams.tty ?? false;
    let url: string;
    try {
      const res = await this.#client.runtime('Attach', { containerId: id, tty, stdin: !!streams.stdin, stdout: !!streams.stdout || (!streams.stdin && !streams.stderr), stderr: !tty && !!streams.stderr });
      url = String(res['url'] ?? '');
    } catch (err) {
      throw this.#fail(err, `attach to container ${id}`, 'container', id);
    }
    await streamExec(url, streams);
  }

  async portForward(sandboxId: string, port: number, stream: Duplex): Promise<void> {
    let url: string;
    try {
      const res = await this.#client.runtime('PortForward', { podSandboxId: sandboxId, port: [port] });
      url = String(res['url'] ?? '');
    } catch (err) {
      throw this.#fail(err, `forward port ${port} of pod sandbox ${sandboxId}`, 'sandbox', sandboxId);
    }
    return streamPortForward(url, port, stream);
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    let res: CriMessage;
    try {
      res = await this.#client.runtime('ContainerStats', { containerId: id });
    } catch (err) {
      throw this.#fail(err, `read the stats of container ${id}`, 'container', id);
    }
    const s = res['stats'] as CriMessage | null | undefined;
    if (!s) return undefined;
    const value = (m: unknown, field: string): number => Number(((m as CriMessage | null)?.[field] as CriMessage | null)?.['value'] ?? 0);
    const cpu = s['cpu'] as CriMessage | null;
    return {
      id,
      timestamp: nsToMs(cpu?.['timestamp']) || Date.now(),
      cpuUsageCoreNanoSeconds: value(cpu, 'usageCoreNanoSeconds'),
      memoryWorkingSetBytes: value(s['memory'], 'workingSetBytes'),
      memoryUsageBytes: value(s['memory'], 'usageBytes'),
      writableLayerUsedBytes: value(s['writableLayer'], 'usedBytes'),
    };
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}
