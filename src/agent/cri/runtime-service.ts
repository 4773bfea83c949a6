/**
 * RuntimeService: the node agent's seam to whatever runs containers, in the shape of the CRI v1
 * RuntimeService (kubernetes/cri-api) so that a containerd backend is a thin gRPC translation and every other
 * backend (runc, process, simulated) looks the same to the kubelet.
 *
 * Differences from CRI, on purpose:
 *  - Times are milliseconds since the epoch (0 = not yet), not nanoseconds.
 *  - Streams (exec, attach, port-forward) are handed over as Node streams instead of a URL to a streaming
 *    server: the agent's own HTTPS server speaks the wire protocols (WebSocket channels, SPDY) and calls these.
 *  - Errors: a missing sandbox/container rejects with `RuntimeNotFoundError` (the kubelet treats it as gone);
 *    any other failure rejects with an Error whose message says what failed (`Cannot start container x: ...`).
 *
 * Contracts every backend keeps (checked by the runtime conformance suite):
 *  - IDs are unique for the life of the node's data dir; names (metadata + attempt) are unique among live
 *    objects: creating a second sandbox/container with the same metadata and attempt fails.
 *  - State survives a restart of the agent process: a new instance over the same root lists the sandboxes and
 *    containers the old one left, and running containers keep running (the kubelet adopts them).
 *  - A container's stdout/stderr go to `<sandbox.logDirectory>/<config.logPath>` in CRI log format
 *    (`<RFC3339Nano> stdout|stderr F|P <text>\n`), appended across the container's life.
 *  - `stopContainer` sends SIGTERM (or the image's StopSignal), waits up to `timeoutSeconds`, then SIGKILL;
 *    it resolves once the container has exited. Stopping an exited container is a no-op.
 *  - Remove of a running object stops it first; removing an unknown ID is a no-op.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

/** KeyValue is one environment variable. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/** PodSandboxMetadata names a sandbox: the pod it belongs to and the attempt (restarts of the sandbox). */
export interface PodSandboxMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly attempt: number;
}

/** PortMapping is a container port, and optionally the node port that forwards to it (hostPort). */
export interface PortMapping {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly containerPort: number;
  readonly hostPort?: number;
  readonly hostIP?: string;
}

/** DNSConfig is what the sandbox's /etc/resolv.conf says. */
export interface DNSConfig {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

/** NamespaceMode: POD = shared by the pod's containers, CONTAINER = own, NODE = the host's. */
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE';

/** NamespaceOptions say which Linux namespaces are shared (hostNetwork, hostPID, hostIPC, shareProcessNamespace). */
export interface NamespaceOptions {
  /** @default 'POD' */
  readonly network?: NamespaceMode;
  /** @default 'CONTAINER' */
  readonly pid?: NamespaceMode;
  /** @default 'POD' */
  readonly ipc?: NamespaceMode;
}

/** PodSandboxConfig describes the sandbox (shared namespaces, hostname, DNS, log dir) of one pod. */
export interface PodSandboxConfig {
  readonly metadata: PodSandboxMetadata;
  readonly hostname: string;
  /** Absolute directory holding the containers' log files. */
  readonly logDirectory: string;
  readonly dnsConfig?: DNSConfig;
  /** Extra /etc/hosts lines (hostAliases), besides localhost and the pod's own name. */
  readonly hostAliases?: readonly { ip: string; hostnames: readonly string[] }[];
  readonly portMappings: readonly PortMapping[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly linux?: {
    /** cgroup parent of the pod, e.g. `/kubepods/burstable/pod<uid>`. */
    readonly cgroupParent?: string;
    readonly namespaceOptions?: NamespaceOptions;
    readonly privileged?: boolean;
    readonly sysctls?: Readonly<Record<string, string>>;
    /** Pod-level cgroup settings, written to the cgroupParent (limits that bind the pod's containers together). */
    readonly resources?: LinuxContainerResources;
  };
}

/** PodSandboxState is READY while the sandbox's namespaces exist. */
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

/** PodSandboxStatus is what the runtime knows of one sandbox. */
export interface PodSandboxStatus {
  readonly id: string;
  readonly metadata: PodSandboxMetadata;
  readonly state: PodSandboxState;
  readonly createdAt: number;
  /** The pod's IPs (first is the primary); empty with host networking or no pod network. */
  readonly ips: readonly string[];
  /** The network namespace path (`/run/netns/...`), when the runtime made one. */
  readonly netnsPath?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** PodSandboxFilter narrows listPodSandbox. All given fields must match. */
export interface PodSandboxFilter {
  readonly id?: string;
  readonly state?: PodSandboxState;
  readonly labelSelector?: Readonly<Record<string, string>>;
}

/** Mount is a bind mount of a host path into a container. */
export interface Mount {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly readonly?: boolean;
  /** @default 'private' */
  readonly propagation?: 'private' | 'rslave' | 'rshared';
}

/** LinuxContainerResources are the cgroup settings of one container (from requests and limits). */
export interface LinuxContainerResources {
  readonly cpuPeriod?: number;
  readonly cpuQuota?: number;
  readonly cpuShares?: number;
  readonly memoryLimitInBytes?: number;
  /** Never negative on these machines (see machine.md); backends clamp to >= 0. */
  readonly oomScoreAdj?: number;
  readonly pidsLimit?: number;
}

/** LinuxContainerSecurityContext is the container's identity and privileges. */
export interface LinuxContainerSecurityContext {
  readonly capabilities?: { readonly add: readonly string[]; readonly drop: readonly string[] };
  readonly privileged?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly supplementalGroups?: readonly number[];
  readonly readonlyRootfs?: boolean;
  readonly noNewPrivs?: boolean;
  /** Refuse to run the container as uid 0 (the image's user included). */
  readonly runAsNonRoot?: boolean;
  readonly namespaceOptions?: NamespaceOptions;
}

/** ContainerMetadata names a container within its sandbox; attempt counts restarts (restartCount). */
export interface ContainerMetadata {
  readonly name: string;
  readonly attempt: number;
}

/** ContainerConfig describes one container to create in a sandbox. */
export interface ContainerConfig {
  readonly metadata: ContainerMetadata;
  /** The image reference as the pod spec gives it; the runtime resolves it in its image store. */
  readonly image: string;
  /** Replaces the image's entrypoint when non-empty (pod `command`). */
  readonly command: readonly string[];
  /** Replaces the image's cmd when non-empty (pod `args`). */
  readonly args: readonly string[];
  /** @default the image's working dir, else "/" */
  readonly workingDir?: string;
  /** Added after the image's env; later entries win. */
  readonly envs: readonly KeyValue[];
  readonly mounts: readonly Mount[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Log file path relative to the sandbox's logDirectory, e.g. `web/0.log`. */
  readonly logPath: string;
  readonly stdin?: boolean;
  readonly stdinOnce?: boolean;
  readonly tty?: boolean;
  readonly linux?: {
    readonly resources?: LinuxContainerResources;
    readonly securityContext?: LinuxContainerSecurityContext;
  };
}

/** ContainerState is CRI's container state. */
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

/** ContainerStatus is what the runtime knows of one container. */
export interface ContainerStatus {
  readonly id: string;
  readonly sandboxId: string;
  readonly metadata: ContainerMetadata;
  readonly state: ContainerState;
  readonly createdAt: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly exitCode: number;
  /** The image as asked for, and the resolved image ID (`sha256:<config digest>`). */
  readonly image: string;
  readonly imageRef: string;
  /** For exited containers: `Completed`, `Error`, `OOMKilled`, `ContainerCannotRun`. */
  readonly reason: string;
  readonly message: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Absolute path of the log file. */
  readonly logPath: string;
}

/** ContainerFilter narrows listContainers. All given fields must match. */
export interface ContainerFilter {
  readonly id?: string;
  readonly sandboxId?: string;
  readonly state?: ContainerState;
  readonly labelSelector?: Readonly<Record<string, string>>;
}

/** ExecSyncResult is the outcome of a command run to completion (probes, hooks). */
export interface ExecSyncResult {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly exitCode: number;
  /** True when the command was killed because it outlived its timeout. */
  readonly timedOut: boolean;
}

/** TerminalSize is a TTY's size in character cells. */
export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/**
 * StreamOptions are the client's streams for exec and attach. Absent streams are not connected. With `tty`
 * stderr is merged into stdout (as a terminal does). `resize` yields new sizes until it ends.
 */
export interface StreamOptions {
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly tty?: boolean;
  readonly resize?: AsyncIterable<TerminalSize>;
  /** Aborting ends the session (the client went away); an exec'd process is killed. */
  readonly signal?: AbortSignal;
}

/** ContainerStats are a container's resource usage now, read from its cgroup and writable layer. */
export interface ContainerStats {
  readonly id: string;
  readonly timestamp: number;
  /** Cumulative CPU time in nanoseconds. */
  readonly cpuUsageCoreNanoSeconds: number;
  readonly memoryWorkingSetBytes: number;
  readonly memoryUsageBytes: number;
  readonly writableLayerUsedBytes: number;
}

/** RuntimeVersion is reported in node.status.nodeInfo.containerRuntimeVersion as `<name>://<version>`. */
export interface RuntimeVersion {
  readonly runtimeName: string;
  readonly runtimeVersion: string;
}

/** RuntimeService runs pod sandboxes and containers. See the file comment for the contracts. */
export interface RuntimeService {
  version(): Promise<RuntimeVersion>;

  /** runPodSandbox creates and starts a sandbox (network namespace, pod network, hosts/resolv files); resolves with its ID. */
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** stopPodSandbox stops every container in the sandbox (SIGKILL) and tears down its network; idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** removePodSandbox stops it if needed and removes it with its containers; unknown IDs are a no-op. */
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandboxStatus[]>;

  /** createContainer creates (does not start) a container in a ready sandbox; resolves with its ID. */
  createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus>;
  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;

  /** execSync runs `cmd` in the container and waits (up to timeoutSeconds; 0 = no limit). */
  execSync(id: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecSyncResult>;
  /** exec runs `cmd` in the container with the client's streams; resolves with its exit code when it ends. */
  exec(id: string, cmd: readonly string[], streams: StreamOptions): Promise<number>;
  /** attach connects the client's streams to the container's main process (stdin only if the container has stdin). */
  attach(id: string, streams: StreamOptions): Promise<void>;
  /**
   * portForward connects `stream` to `port` on the sandbox's loopback (inside its network namespace) and
   * resolves when either side closes. A failed connection rejects and never writes to `stream`.
   */
  portForward(sandboxId: string, port: number, stream: Duplex): Promise<void>;

  /** containerStats reads usage now; undefined when the runtime cannot measure (simulated, process). */
  containerStats(id: string): Promise<ContainerStats | undefined>;
  /**
   * reopenContainerLog makes the container's writer reopen its log path (CRI ReopenContainerLog), after the kubelet
   * renamed the file for rotation. Optional: backends whose writer notices the rename itself (the runc shim and
   * the process supervisor reopen when the path's inode changes) leave it out.
   */
  reopenContainerLog?(id: string): Promise<void>;
  /** close releases the instance's resources (not the containers: they outlive the agent). */
  close(): Promise<void>;
}

/** RuntimeNotFoundError says the sandbox or container does not exist (any more). */
export class RuntimeNotFoundError extends Error {
  constructor(what: 'sandbox' | 'container', id: string) {
    super(`Cannot find ${what} ${id}: no such ${what}`);
    this.name = 'RuntimeNotFoundError';
  }
}

/** isRuntimeNotFound tells a RuntimeNotFoundError from other failures. */
export function isRuntimeNotFound(err: unknown): err is RuntimeNotFoundError {
  return err instanceof RuntimeNotFoundError;
}
