/**
 * Kubelet: one real node over a RuntimeService (runc today) — the first cut of issue 6's node agent.
 *
 *  - Registers its Node with the machine's capacity (CPU count, memory, 110 pods), its address and the runtime's
 *    version, and renews its Lease every 10 s.
 *  - Watches only its own pods (`spec.nodeName=<node>`) and syncs each pod in one serialized worker per pod key
 *    (a de-duplicating work queue), level-based: compare the pod spec with what the runtime runs, then act.
 *  - A pod gets one sandbox (labelled with the pod's UID, so a restarted kubelet adopts the sandbox and its
 *    containers instead of starting new ones) and its containers in order; an exited container is restarted as
 *    restartPolicy says, after a back-off of 10 s doubling to 300 s (CrashLoopBackOff), reset after 10 minutes
 *    running.
 *  - Status: phase, conditions, podIP (the sandbox's, else the node's), containerStatuses with
 *    waiting/running/terminated states, lastState, restartCount and `<runtime>://` container IDs.
 *  - Init containers run in order before the app containers, sidecars (restartPolicy Always) beside them
 *    (init-containers.ts decides what to start); probes run in ProbeManager workers (../prober/) whose results
 *    set `ready`/`started` and whose liveness/startup failures kill the instance here; postStart/preStop hooks
 *    run through LifecycleHandlerRunner; exited instances report their termination message.
 *  - Deletion: preStop hooks, then SIGTERM and SIGKILL when the pod's grace period (deletionGracePeriodSeconds)
 *    is spent, app containers first, then sidecars in reverse order; then the sandbox goes, and the pod is deleted
 *    with grace 0 and a UID precondition. activeDeadlineSeconds fails the pod (DeadlineExceeded).
 *  - Events (Pulled, Created, Started, Killing, BackOff, Unhealthy, ...) with upstream's reasons and wording.
 *  - Images through ImageManager (pull policy, pull secrets, ErrImagePull/ImagePullBackOff) with LRU image GC;
 *    volumes, env (valueFrom, envFrom, service links), mounts, /etc/hosts and DNS from PodSetup (pod-setup.ts).
 *  - Ephemeral containers (kubectl debug) start once each in the running pod's sandbox, are never restarted, report
 *    ephemeralContainerStatuses and stop with the pod; their targetContainerName is not honoured (no shared PID
 *    namespace yet).
 * Not yet (issue 6): readiness gates.
 */
import { cpus, hostname, totalmem } from 'node:os';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../../api/meta/types.js';
import { formatTimestamp } from '../../api/meta/timestamp.js';
import { isMirrorPod } from '../../api/core/mirror-pod.js';
import type { Clock, Timer } from '../../base/clock/clock.js';
import { ContainerLogManager, type ContainerLogPolicy } from './container-log-manager.js';
import { nodeImages } from './node-images.js';
import type { Logger } from '../../base/log/logger.js';
import { WorkQueue } from '../../base/queue/work-queue.js';
import { isAlreadyExists, isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import type { ContainerStatus, PodSandboxConfig, PodSandboxStatus, RuntimeService } from '../cri/runtime-service.js';
import type { ImageService } from '../cri/image-service.js';
import { ImageGCManager, type GcImages, type ImageGCPolicy } from './image-gc-manager.js';
import { ImageManager } from './image-manager.js';
import { PodSetup } from './pod-setup.js';
import type { PortForwardPod } from '../server/port-forward.js';
import type { RemoteCommandRequest, RemoteCommandStreams } from '../server/remote-command-streams.js';
import { LEASE_RENEW_INTERVAL_MS, renewNodeLease } from '../node-lease.js';
import { nodeConditions, nodeObject } from '../node-object.js';
import { RuntimePodDialer, type PodDialer, type PodEndpoint } from '../prober/pod-dialer.js';
import { ProbeManager, type ProbedContainer, type ProbeRunner } from '../prober/probe-manager.js';
import { Prober } from '../prober/prober.js';
import type { LifecycleHandler, NamedPort, ProbeSpec } from '../prober/probe-spec.js';
import { containerLinuxConfig, sandboxLinuxResources } from './container-linux-config.js';
import type { ContainerLogSource } from '../server/kubelet-server.js';
import { isSidecar, planInitContainers, type InstanceState } from './init-containers.js';
import { LifecycleHandlerRunner } from './lifecycle-handler.js';
import { DEFAULT_TERMINATION_MESSAGE_PATH, prepareTerminationMessageFile, TERMINATION_MESSAGE_ANNOTATION, terminationMessage } from './termination-message.js';
import { sandboxPortMappings } from './port-mappings.js';
import type { ServiceAddressResolver } from './service-env.js';
import { ContainerExitWatcher } from './container-exit-watcher.js';
import { needsSync } from './pod-update.js';
import { NO_POD_START_TRACE, type PodStartTrace } from '../pod-start-trace.js';
import { SyncEvents } from './sync-events.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;
/** How often node.status.images is compared with the image store (upstream's nodeStatusUpdateFrequency). */
const NODE_STATUS_UPDATE_MS = 10_000;
const PODS = { version: 'v1', resource: 'pods' } as const;
const SERVICES = { version: 'v1', resource: 'services' } as const;
/**
 * Event writes in flight at once; the rest wait in the recorder's queue (dropped past 1,000 waiting, as upstream's
 * broadcaster drops). As many as there are pod workers: each sync hands over its events after its status write
 * (SyncEvents), so 16 keep up with a burst, while 4 left a 200-pod burst's events trailing its last Running status
 * by 1.6–4.8 s (loaded machine) for no measured gain. Upstream's kubelet writes its events one at a time, at most
 * 50 a second.
 */
const MAX_INFLIGHT_EVENTS = 16;
const POD_UID_LABEL = 'io.kubernetes.pod.uid';
const POD_NAME_LABEL = 'io.kubernetes.pod.name';
const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
const INITIAL_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 300_000;
const BACKOFF_RESET_MS = 600_000;
/** How often a pod that is still getting somewhere (starting, waiting, initializing) is looked at again. */
const RESYNC_MS = 1_000;
/**
 * How often a pod whose containers all run as they should is looked at again. Exits are noticed sooner, by the
 * ContainerExitWatcher (every second), probe flips by the ProbeManager, spec and deletion changes by the informer:
 * this resync only refreshes the API-sourced volumes (due every 10 s) and catches what nothing reports. At 1 s for
 * every pod, 200 running pods cost 200 syncs a second.
 */
const STEADY_RESYNC_MS = 10_000;
/** How often the node's exited containers are listed (upstream's PLEG relist period). */
const EXIT_RELIST_MS = 1_000;
/**
 * Pods synced at once. A sync mostly waits (process spawns, API round trips), so a burst of new pods needs
 * several in flight to keep two cores busy; the bound keeps a burst from spawning hundreds of processes at once.
 * (4 made a 200-pod burst 8× slower than runc alone.)
 */
const POD_WORKERS = 16;
/** How often image garbage collection looks at the image filesystem (upstream: 5 minutes). */
const IMAGE_GC_PERIOD_MS = 300_000;

interface PodSpec {
  nodeName?: string;
  hostNetwork?: boolean;
  hostname?: string;
  subdomain?: string;
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  imagePullSecrets?: { name?: string }[];
  initContainers?: ContainerSpec[];
  containers?: ContainerSpec[];
  /** Debug containers added through the `ephemeralcontainers` subresource (kubectl debug). */
  ephemeralContainers?: EphemeralContainerSpec[];
}

interface ContainerSpec {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string }[];
  ports?: NamedPort[];
  /** Only on init containers: `Always` makes it a sidecar. */
  restartPolicy?: string;
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
  lifecycle?: { postStart?: LifecycleHandler; preStop?: LifecycleHandler };
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
}

/**
 * EphemeralContainerSpec is a debug container: started once in the pod's sandbox, never restarted, no probes or
 * hooks (the API refuses them). `targetContainerName` is accepted but not acted on: pods here do not share or
 * join process namespaces yet, so the debug container sees only its own processes.
 */
interface EphemeralContainerSpec extends ContainerSpec {
  targetContainerName?: string;
}

/** Waiting is a container's waiting state the sync decided on (back-off, image pull error). */
type Waiting = Map<string, { reason: string; message: string }>;
/** After a preStop hook, a container still gets at least this much grace (upstream's minimum). */
const MIN_GRACE_AFTER_HOOK_MS = 2_000;
/** The longest a postStart hook may hold up its container. */
const POST_START_TIMEOUT_MS = 120_000;

/** KubeletPod is the part of a pod the kubelet reads. */
export interface KubeletPod extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string; reason?: string; conditions?: { type: string; lastTransitionTime?: string }[]; startTime?: string };
}

/** KubeletConfig constructs a Kubelet. */
export interface KubeletConfig {
  readonly client: RestClient;
  readonly nodeName: string;
  /** Labels set on the Node at every registration (`--node-label`), beside the well-known ones. */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** Taints set when the Node is first created (`--node-taint`, as upstream's `--register-with-taints`). */
  readonly nodeTaints?: readonly { key: string; value?: string; effect: string }[];
  readonly nodeIP: string;
  readonly runtime: RuntimeService;
  /** The node's images; stores that track use (`lastUsed`, `pruneBlobs`) get least-recently-used image GC. */
  readonly images: ImageService & Partial<Pick<GcImages, 'lastUsed' | 'pruneBlobs'>>;
  /** Image garbage collection thresholds. */
  readonly imageGC?: ImageGCPolicy;
  /** Where pod logs go: `<rootDir>/pods/<namespace>_<name>_<uid>/`. */
  readonly rootDir: string;
  /**
   * Where the pod files that die with the pod go: memory-backed volumes, etc-hosts, termination-message files
   * (VolumeManagerConfig.volatileDir; the node mounts a tmpfs there). @default rootDir
   */
  readonly volatileDir?: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** The pod CIDR to register with when the Node has none (node IPAM assigns one otherwise). */
  readonly podCIDR?: string;
  readonly clusterDNS?: string;
  readonly clusterDomain?: string;
  /** The port the node's KubeletServer listens on (registered as status.daemonEndpoints). @default 10250 */
  readonly kubeletPort?: number;
  /** How probes and hooks reach pod ports. @default RuntimePodDialer over `runtime` */
  readonly dialer?: PodDialer;
  /** Runs probe and hook checks. @default a Prober over `runtime` and the dialer */
  readonly prober?: ProbeRunner;
  /** Container log rotation bounds (containerLogMaxSize, containerLogMaxFiles). @default 10Mi and 5 */
  readonly containerLogs?: Partial<ContainerLogPolicy>;
  /** The eviction manager: pods it evicted are left alone (not restarted, their Failed status kept). */
  readonly evictions?: { isEvicted(uid: string): boolean; admit(pod: KubeletPod): Promise<boolean> };
  /**
   * Where pods reach Services when not at their cluster IPs: with the process runtime, the userspace proxy
   * (UserspaceProxier implements it). @default the cluster IPs
   */
  readonly serviceAddresses?: ServiceAddressResolver;
  /** Where the steps of pod starts are recorded (pod-start-trace.ts). @default none */
  readonly startTrace?: PodStartTrace;
}

/** Kubelet runs one node's pods; see the file comment. */
export class Kubelet implements ContainerLogSource {
  readonly #c: KubeletConfig;
  readonly #pods: SharedInformer<KubeletPod>;
  /** Every Service, for the service-link variables of containers (read on each container start). */
  readonly #services: SharedInformer;
  readonly #queue: WorkQueue<string>;
  readonly #abort = new AbortController();
  /** Back-off per pod UID + container name: when the next restart may happen, and the current delay. */
  readonly #backoff = new Map<string, { finishedAt: number; until: number; delayMs: number }>();
  /** Last pods seen, by key, so a pod that vanished can still be torn down. */
  readonly #known = new Map<string, KubeletPod>();
  readonly #events: EventRecorder;
  readonly #probes: ProbeManager;
  readonly #hooks: LifecycleHandlerRunner;
  /** Instances a liveness/startup probe condemned, by `<pod UID>/<container>`; the pod's sync kills them. */
  readonly #pendingKills = new Map<string, { containerId: string; type: 'Liveness' | 'Startup' }>();
  #node: KubeObject | undefined;
  #runs: Promise<void>[] = [];
  #leaseTimer: Timer | undefined;
  #imageGcTimer: Timer | undefined;
  #imagesTimer: Timer | undefined;
  /** node.status.images as last posted (JSON), so an unchanged list is not patched again. */
  #reportedImages = '';
  /** Container IDs in pod status are `<runtime name>://<id>` (runc://, process://), as the runtime reports its name. */
  #runtimeName = 'runc';
  readonly #imageManager: ImageManager;
  /** Volumes, env, mounts, /etc/hosts and DNS of pods (pod-setup.ts). */
  readonly #setup: PodSetup;
  readonly #logRotation: ContainerLogManager;
  readonly #exits: ContainerExitWatcher;
  /**
   * The status last written per pod UID (its comparison form, see statusKey) and the resourceVersion the write
   * made: until the informer's copy is that new, the store still shows the status from before, and comparing with
   * it alone would write the same status again.
   */
  readonly #written = new Map<string, { key: string; resourceVersion: number }>();
  readonly #trace: PodStartTrace;

  constructor(config: KubeletConfig) {
    this.#c = config;
    this.#trace = config.startTrace ?? NO_POD_START_TRACE;
    this.#queue = new WorkQueue<string>({ clock: config.clock });
    this.#events = new EventRecorder({ client: config.client, component: 'kubelet', clock: config.clock, log: config.log.child('events'), maxInflight: MAX_INFLIGHT_EVENTS });
    // As upstream's kubelet, Services come from an informer: one watch instead of a LIST per container start.
    this.#services = new SharedInformer({ client: config.client, path: SERVICES, clock: config.clock, log: config.log.child('services'), stripManagedFields: true });
    const services = this.#services;
    this.#setup = new PodSetup({
      client: config.client,
      serviceLister: { hasSynced: () => services.hasSynced(), byNamespace: (ns) => services.store.byIndex(NAMESPACE_INDEX, ns) },
      rootDir: config.rootDir,
      ...(config.volatileDir !== undefined ? { volatileDir: config.volatileDir } : {}),
      clock: config.clock,
      log: config.log.child('pod-setup'),
      clusterDNS: config.clusterDNS ?? '10.43.0.10',
      clusterDomain: config.clusterDomain ?? 'cluster.local',
      events: this.#events,
      ...(config.serviceAddresses ? { serviceAddresses: config.serviceAddresses } : {}),
    });
    this.#logRotation = new ContainerLogManager({
      runtime: config.runtime,
      clock: config.clock,
      log: config.log.child('container-logs'),
      ...(config.containerLogs ? { policy: config.containerLogs } : {}),
    });
    this.#imageManager = new ImageManager({
      images: config.images,
      clock: config.clock,
      readSecret: async (namespace, name) => {
        try {
          return ((await config.client.get({ version: 'v1', resource: 'secrets', namespace, name })) as { data?: Record<string, string> }).data ?? {};
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
    });
    const prober = config.prober ?? new Prober({ runtime: config.runtime, dialer: config.dialer ?? new RuntimePodDialer(config.runtime) });
    this.#hooks = new LifecycleHandlerRunner({ prober, clock: config.clock });
    this.#probes = new ProbeManager({
      prober,
      clock: config.clock,
      onChange: (podKey) => this.#queue.add(podKey),
      onUnhealthy: (c, type, message) => {
        const pod = this.#pods.store.get(c.podKey);
        if (pod) void this.#events.record(this.#ref(pod), 'Warning', 'Unhealthy', `${type} probe failed: ${message}`);
      },
      onKill: (c, type) => {
        this.#pendingKills.set(`${c.podUID}/${c.name}`, { containerId: c.containerId, type });
        this.#queue.add(c.podKey);
      },
    });
    this.#pods = new SharedInformer<KubeletPod>({
      client: config.client,
      path: PODS,
      fieldSelector: `spec.nodeName=${config.nodeName}`,
      clock: config.clock,
      log: config.log.child('pods'),
    });
    const enqueue = (pod: KubeletPod): void => {
      const key = metaNamespaceKey(pod);
      this.#known.set(key, pod);
      this.#queue.add(key);
    };
    // An update of the status alone (most often the echo of the kubelet's own write) needs no sync, as upstream's
    // pod config does not sync on one: the store keeps the new status for the next sync.
    this.#pods.addEventHandler({
      onAdd: (pod) => {
        this.#trace.mark(pod.metadata?.uid ?? '', 'seen', pod.metadata?.name);
        enqueue(pod);
      },
      onUpdate: (old, p) => {
        if (needsSync(old, p)) enqueue(p);
        else this.#known.set(metaNamespaceKey(p), p);
      },
      onDelete: enqueue,
    });
    this.#exits = new ContainerExitWatcher({ runtime: config.runtime, clock: config.clock, log: config.log.child('exits'), periodMs: EXIT_RELIST_MS, onExit: (key) => this.#queue.add(key) });
  }

  /** start registers the node, then runs the pod workers until stop(). */
  async start(): Promise<void> {
    await this.#register();
    this.#scheduleLease();
    this.#scheduleImageGC();
    this.#scheduleImagesReport();
    this.#logRotation.start();
    this.#runs.push(this.#pods.run(this.#abort.signal));
    // Not waited for: until it has synced, container starts LIST the Services they need.
    this.#runs.push(this.#services.run(this.#abort.signal));
    if (!(await this.#pods.waitForSync(this.#abort.signal))) return;
    await this.#setup.tearDownOrphans(new Set(this.#pods.store.list().map((p) => p.metadata?.uid ?? '')));
    this.#exits.start();
    for (let i = 0; i < POD_WORKERS; i++) this.#runs.push(this.#worker());
    this.#c.log.info('Kubelet started', { node: this.#c.nodeName });
  }

  /** stop ends the workers; containers keep running (a restarted kubelet adopts them). */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#exits.stop();
    this.#leaseTimer?.cancel();
    this.#imageGcTimer?.cancel();
    this.#imagesTimer?.cancel();
    this.#logRotation.stop();
    this.#queue.shutDown();
    this.#probes.stop();
    await Promise.all(this.#runs);
  }

  /** logFile finds a container's current (or previous) log file, for the KubeletServer. */
  async logFile(namespace: string, pod: string, container: string, previous: boolean): Promise<{ path: string; running: boolean } | undefined> {
    const found = await this.#c.runtime.listContainers({ labelSelector: { [POD_NAMESPACE_LABEL]: namespace, [POD_NAME_LABEL]: pod, [CONTAINER_NAME_LABEL]: container } });
    const ordered = found.sort((a, b) => b.metadata.attempt - a.metadata.attempt);
    // --previous is the instance before the current one (the kubelet keeps exactly one).
    const pick = previous ? ordered[1] : ordered[0];
    if (!pick) return undefined;
    return { path: pick.logPath, running: pick.state === 'CONTAINER_RUNNING' };
  }

  /**
   * containerId finds the running instance of a container, for exec and attach; undefined when the container is
   * not running on this node (unknown, not started yet, or exited).
   */
  async containerId(namespace: string, pod: string, container: string): Promise<string | undefined> {
    const found = await this.#c.runtime.listContainers({ labelSelector: { [POD_NAMESPACE_LABEL]: namespace, [POD_NAME_LABEL]: pod, [CONTAINER_NAME_LABEL]: container } });
    return found.filter((c) => c.state === 'CONTAINER_RUNNING').sort((a, b) => b.metadata.attempt - a.metadata.attempt)[0]?.id;
  }

  /** resolvePod finds the newest ready sandbox of a pod on this node, for the KubeletServer's port-forward. */
  async resolvePod(namespace: string, name: string): Promise<PortForwardPod | undefined> {
    const sandboxes = await this.#c.runtime.listPodSandbox({ state: 'SANDBOX_READY', labelSelector: { [POD_NAMESPACE_LABEL]: namespace, [POD_NAME_LABEL]: name } });
    const newest = sandboxes.sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!newest) return undefined;
    return { namespace, name, uid: newest.labels[POD_UID_LABEL] ?? newest.metadata.uid, sandboxId: newest.id };
  }

  /** portForward connects a client stream to a port in the pod's network namespace (see RuntimeService.portForward). */
  portForward(pod: PortForwardPod, port: number, stream: Duplex): Promise<void> {
    return this.#c.runtime.portForward(pod.sandboxId, port, stream);
  }

  /**
   * runRemoteCommand runs an exec (or attach) session from the KubeletServer in the pod's running container and
   * reports the outcome on the session's error channel (exit code, or why it could not run).
   */
  async runRemoteCommand(request: RemoteCommandRequest, streams: RemoteCommandStreams): Promise<void> {
    const found = await this.#c.runtime.listContainers({ state: 'CONTAINER_RUNNING', labelSelector: { [POD_NAMESPACE_LABEL]: request.namespace, [POD_NAME_LABEL]: request.pod, [CONTAINER_NAME_LABEL]: request.container } });
    const target = found.sort((a, b) => b.metadata.attempt - a.metadata.attempt)[0];
    if (!target) {
      await streams.writeStatus({ error: `container ${request.container} is not running in pod ${request.namespace}/${request.pod}` });
      return;
    }
    const io = {
      ...(streams.stdin ? { stdin: streams.stdin } : {}),
      ...(streams.stdout ? { stdout: streams.stdout } : {}),
      ...(streams.stderr ? { stderr: streams.stderr } : {}),
      ...(streams.resize ? { resize: streams.resize } : {}),
      tty: streams.tty,
      signal: streams.signal,
    };
    try {
      if (request.kind === 'attach') {
        await this.#c.runtime.attach(target.id, io);
        await streams.writeStatus({ exitCode: 0 });
      } else {
        if (request.command.length === 0) throw new Error('you must specify at least one command for the container');
        await streams.writeStatus({ exitCode: await this.#c.runtime.exec(target.id, request.command, io) });
      }
    } catch (err) {
      await streams.writeStatus({ error: err instanceof Error ? err.message : String(err) });
    }
  }

  async #register(): Promise<void> {
    const now = this.#c.clock.now();
    const v = await this.#c.runtime.version();
    this.#runtimeName = v.runtimeName;
    const desired = nodeObject({
      name: this.#c.nodeName,
      internalIP: this.#c.nodeIP,
      podCIDR: this.#c.podCIDR ?? '',
      resources: { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' },
      ...(this.#c.nodeLabels ? { labels: this.#c.nodeLabels } : {}),
      ...(this.#c.nodeTaints ? { taints: this.#c.nodeTaints } : {}),
      runtimeVersion: `${v.runtimeName}://${v.runtimeVersion}`,
      nowMs: now,
    });
    const spec = desired['spec'] as Record<string, unknown>;
    if (!this.#c.podCIDR) {
      delete spec['podCIDR'];
      delete spec['podCIDRs'];
    }
    const status = desired['status'] as { nodeInfo: Record<string, string>; daemonEndpoints: unknown };
    status.daemonEndpoints = { kubeletEndpoint: { Port: this.#c.kubeletPort ?? 10250 } };
    const images = await this.#listNodeImages();
    if (images !== undefined) {
      (status as Record<string, unknown>)['images'] = images;
      this.#reportedImages = JSON.stringify(images);
    }
    status.nodeInfo = { ...status.nodeInfo, kernelVersion: (await import('node:os')).release(), osImage: `tkube node on ${hostname()}` };
    try {
      this.#node = await this.#c.client.create(NODES, desired);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // A Node that exists already (an earlier run, or registered early for the serving certificate's approval)
      // gets the kubelet's labels and annotations back, as upstream's kubelet reconciles its default labels.
      const meta = desired.metadata ?? {};
      await this.#c.client.patch({ ...NODES, name: this.#c.nodeName }, 'merge', { metadata: { labels: meta.labels ?? {}, annotations: meta.annotations ?? {} } });
      this.#node = await this.#c.client.patch({ ...NODES, name: this.#c.nodeName, subresource: 'status' }, 'merge', { status: { ...(desired['status'] as object), conditions: nodeConditions(now) } });
    }
    await renewNodeLease(this.#c.client, this.#node, now);
  }

  #scheduleLease(): void {
    this.#leaseTimer = this.#c.clock.setTimer(LEASE_RENEW_INTERVAL_MS, () => {
      if (this.#abort.signal.aborted || !this.#node) return;
      void renewNodeLease(this.#c.client, this.#node, this.#c.clock.now())
        .catch((err: unknown) => this.#c.log.warn('Cannot renew node lease', { error: err }))
        .finally(() => {
          if (!this.#abort.signal.aborted) this.#scheduleLease();
        });
    });
  }

  /** #listNodeImages reads node.status.images from the image store; undefined when the store cannot be read. */
  async #listNodeImages(): Promise<ReturnType<typeof nodeImages> | undefined> {
    try {
      return nodeImages(await this.#c.images.listImages());
    } catch (err) {
      this.#c.log.warn('Cannot list images for the node status', { error: err });
      return undefined;
    }
  }

  /** #scheduleImagesReport posts node.status.images again when the node's images changed (checked every 10 s). */
  #scheduleImagesReport(): void {
    this.#imagesTimer = this.#c.clock.setTimer(NODE_STATUS_UPDATE_MS, () => {
      if (this.#abort.signal.aborted) return;
      void (async () => {
        const images = await this.#listNodeImages();
        const json = JSON.stringify(images);
        if (images === undefined || json === this.#reportedImages) return;
        await this.#c.client.patch({ ...NODES, name: this.#c.nodeName, subresource: 'status' }, 'merge', { status: { images } });
        this.#reportedImages = json;
      })()
        .catch((err: unknown) => this.#c.log.warn('Cannot report the node images', { error: err }))
        .finally(() => {
          if (!this.#abort.signal.aborted) this.#scheduleImagesReport();
        });
    });
  }

  #scheduleImageGC(): void {
    const gc = new ImageGCManager(
      this.#c.images,
      async () => new Set((await this.#c.runtime.listContainers()).map((c) => c.imageRef)),
      this.#c.clock,
      this.#c.imageGC,
    );
    const tick = (): void => {
      this.#imageGcTimer = this.#c.clock.setTimer(IMAGE_GC_PERIOD_MS, () => {
        if (this.#abort.signal.aborted) return;
        void gc
          .garbageCollect()
          .then((r) => {
            if (r.removed.length > 0) this.#c.log.info('Image garbage collection removed images', { images: r.removed, freedBytes: r.freedBytes });
            if (r.failure && this.#node) void this.#events.record(this.#node, 'Warning', 'ImageGCFailed', r.failure);
          })
          .finally(() => {
            if (!this.#abort.signal.aborted) tick();
          });
      });
    };
    tick();
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      const pod = this.#pods.store.get(key);
      const traced = this.#trace.begin(pod?.metadata?.uid ?? '', 'sync');
      try {
        const again = await this.#sync(key);
        this.#queue.forget(key);
        if (again !== undefined && !this.#abort.signal.aborted) this.#queue.addAfter(key, again);
      } catch (err) {
        this.#c.log.warn('Cannot sync pod', { pod: key, error: err instanceof Error ? err.message : String(err) });
        this.#queue.addRateLimited(key);
      } finally {
        traced();
        this.#queue.done(key);
      }
    }
  }

  /**
   * #sync brings one pod a step closer to its spec; resolves with when to look again (ms), if ever. The events of
   * its container starts are written after its status (sync-events.ts).
   */
  async #sync(key: string): Promise<number | undefined> {
    const pod = this.#pods.store.get(key) ?? this.#known.get(key);
    if (!pod) return undefined;
    const events = new SyncEvents(this.#events, this.#ref(pod));
    try {
      return await this.#syncPod(key, pod, events);
    } finally {
      events.flush();
    }
  }

  async #syncPod(key: string, pod: KubeletPod, events: SyncEvents): Promise<number | undefined> {
    const uid = pod.metadata?.uid ?? '';
    const sandboxes = await this.#c.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } });
    const gone = !this.#pods.store.get(key);
    if (gone || pod.metadata?.deletionTimestamp) {
      const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      const deadline = this.#c.clock.now() + grace * 1000;
      this.#probes.removePod(uid);
      for (const k of this.#pendingKills.keys()) if (k.startsWith(`${uid}/`)) this.#pendingKills.delete(k);
      for (const k of this.#backoff.keys()) if (k.startsWith(`${uid}/`)) this.#backoff.delete(k);
      for (const s of sandboxes) {
        await this.#stopContainers(pod, s, await this.#c.runtime.listContainers({ sandboxId: s.id }), deadline);
        await this.#c.runtime.removePodSandbox(s.id);
      }
      await this.#setup.tearDown(uid);
      this.#imageManager.forgetPod(uid);
      if (!gone) {
        try {
          await this.#c.client.delete({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name }, { gracePeriodSeconds: 0, preconditions: { uid } });
        } catch (err) {
          if (!isNotFound(err) && !(err instanceof Error && /Precondition failed/.test(err.message))) throw err;
        }
      }
      this.#known.delete(key);
      this.#written.delete(uid);
      return undefined;
    }
    // A mirror pod stands for something already running outside this kubelet (a component of the tkube process,
    // see boot/mirror-pod.ts): never run it or write its status. Its deletion above is still finished here.
    if (isMirrorPod(pod)) return undefined;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || this.#c.evictions?.isEvicted(uid)) {
      this.#probes.removePod(uid);
      return undefined;
    }

    let sandbox = sandboxes.find((s) => s.state === 'SANDBOX_READY');
    // A pod new to the node is admitted first (refused under node pressure; the eviction manager reports it).
    if (!sandbox && sandboxes.length === 0 && this.#c.evictions && !(await this.#c.evictions.admit(pod))) return undefined;
    let volumesSetUp: Awaited<ReturnType<PodSetup['volumes']>> | undefined;
    if (!sandbox) {
      // The pod's volumes (API reads, a TokenRequest, a tmpfs) are set up while its sandbox is made (spawns):
      // neither needs the other. Both are waited for, so no set-up of this pod outlives its sync.
      const [made, volumes] = await Promise.allSettled([
        traceStep(this.#trace, uid, 'sandbox', () => this.#c.runtime.runPodSandbox(this.#sandboxConfig(pod)).then((id) => this.#c.runtime.podSandboxStatus(id))),
        traceStep(this.#trace, uid, 'volumes', () => this.#setup.volumes(pod)),
      ]);
      if (made.status === 'rejected') throw made.reason;
      if (volumes.status === 'rejected') throw volumes.reason;
      sandbox = made.value;
      volumesSetUp = volumes.value;
    }
    // Every address of the sandbox (a dual-stack pod has an IPv4 and an IPv6 one, primary first), else the node's.
    const podIPs: readonly string[] = sandbox.ips.length > 0 ? sandbox.ips : [this.#c.nodeIP];
    const podIP = podIPs[0] ?? this.#c.nodeIP;
    const endpoint: PodEndpoint = { sandboxId: sandbox.id, podIP, ...(sandbox.netnsPath ? { netnsPath: sandbox.netnsPath } : {}) };
    let containers = await this.#c.runtime.listContainers({ sandboxId: sandbox.id });
    const initSpecs = pod.spec?.initContainers ?? [];
    const appSpecs = pod.spec?.containers ?? [];
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;

    // activeDeadlineSeconds counts from status.startTime; past it the pod fails and its containers stop.
    const activeDeadline = pod.spec?.activeDeadlineSeconds;
    const startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
    let deadlineIn: number | undefined;
    if (activeDeadline !== undefined && startTime !== undefined) {
      const left = startTime + activeDeadline * 1000 - this.#c.clock.now();
      deadlineIn = left;
      if (left <= 0) {
        const message = 'Pod was active on the node longer than the specified deadline';
        await this.#events.record(this.#ref(pod), 'Normal', 'DeadlineExceeded', message);
        this.#probes.removePod(uid);
        await this.#stopContainers(pod, sandbox, containers, this.#c.clock.now() + grace * 1000);
        containers = await this.#c.runtime.listContainers({ sandboxId: sandbox.id });
        await this.#patchStatus(pod, this.#podStatus(pod, podIPs, containers, new Map(), { initialized: true, terminal: { phase: 'Failed', reason: 'DeadlineExceeded', message } }));
        return undefined;
      }
    }

    // Instances a liveness or startup probe condemned are killed here, in the pod's serialized sync.
    let killed = false;
    for (const [k, kill] of [...this.#pendingKills]) {
      if (!k.startsWith(`${uid}/`)) continue;
      this.#pendingKills.delete(k);
      const name = k.slice(uid.length + 1);
      const spec = [...initSpecs, ...appSpecs].find((s) => s.name === name);
      const inst = containers.find((c) => c.id === kill.containerId && c.state === 'CONTAINER_RUNNING');
      if (!spec || !inst) continue;
      const probe = kill.type === 'Liveness' ? spec.livenessProbe : spec.startupProbe;
      const g = probe?.terminationGracePeriodSeconds ?? grace;
      await this.#killContainer(pod, spec, inst, endpoint, this.#c.clock.now() + g * 1000, `Container ${name} failed ${kill.type.toLowerCase()} probe, will be restarted`);
      this.#probes.removeContainer(uid, name);
      killed = true;
    }
    if (killed) containers = await this.#c.runtime.listContainers({ sandboxId: sandbox.id });

    const latest = (name: string): ContainerStatus | undefined => latestInstance(containers, name);
    for (const spec of [...initSpecs.filter(isSidecar), ...appSpecs]) this.#watchProbes(pod, key, spec, latest(spec.name), endpoint);

    const policy = pod.spec?.restartPolicy ?? 'Always';
    const stateOf = (name: string): InstanceState | undefined => {
      const c = latest(name);
      if (!c) return undefined;
      const running = c.state === 'CONTAINER_RUNNING';
      return { state: c.state === 'CONTAINER_EXITED' ? 'exited' : running ? 'running' : 'created', exitCode: c.exitCode, started: running && this.#probes.isStarted(uid, name, c.id) };
    };
    const plan = planInitContainers(initSpecs, stateOf, policy, appSpecs.some((s) => latest(s.name) !== undefined));
    const waiting: Waiting = new Map();
    let next: number | undefined;
    /** Whether this sync started or killed anything (then the containers are listed again). */
    let acted = killed;
    const later = (ms: number | undefined): void => {
      if (ms !== undefined) next = Math.min(next ?? Infinity, ms);
    };
    const ensureRunning = (spec: ContainerSpec): Promise<number | undefined> => {
      acted = true;
      return this.#ensureRunning(pod, sandbox, endpoint, spec, containers, waiting, events);
    };
    // Volumes first: a pod whose volumes cannot be set up starts nothing (PodSetup records FailedMount).
    const volumesReady = (volumesSetUp ?? (await this.#setup.volumes(pod))).error === undefined;
    for (const name of volumesReady ? plan.start : []) {
      const spec = initSpecs.find((s) => s.name === name);
      if (spec) later(await ensureRunning(spec));
    }
    if (plan.initialized && volumesReady) {
      for (const spec of appSpecs) {
        const inst = latest(spec.name);
        if (inst && inst.state !== 'CONTAINER_EXITED') continue;
        if (inst && !(policy === 'Always' || (policy === 'OnFailure' && inst.exitCode !== 0))) continue;
        later(await ensureRunning(spec));
      }
    }
    // Ephemeral containers start once, whatever the init plan says (upstream starts them in any running pod);
    // an instance that exists, running or exited, is left as it is: they are never restarted.
    for (const spec of volumesReady ? (pod.spec?.ephemeralContainers ?? []) : []) {
      if (latest(spec.name)) continue;
      later(await ensureRunning(spec));
    }
    // The eviction manager may have evicted the pod meanwhile: its Failed status stands.
    if (this.#c.evictions?.isEvicted(uid)) return undefined;
    let fresh = acted ? await this.#c.runtime.listContainers({ sandboxId: sandbox.id }) : containers;
    // Containers started just now get their probe workers before the status is worked out, so one without a
    // startup or readiness probe is reported started and ready in the same write that reports it running (not in
    // a second write a sync later).
    if (acted) for (const spec of [...initSpecs.filter(isSidecar), ...appSpecs]) this.#watchProbes(pod, key, spec, latestInstance(fresh, spec.name), endpoint);
    let status = this.#podStatus(pod, podIPs, fresh, waiting, plan);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      // A finished pod's sidecars (and a failed init's) are stopped before the final status is written.
      this.#probes.removePod(uid);
      if (fresh.some((c) => c.state === 'CONTAINER_RUNNING')) {
        await this.#stopContainers(pod, sandbox, fresh, this.#c.clock.now() + grace * 1000);
        fresh = await this.#c.runtime.listContainers({ sandboxId: sandbox.id });
        status = this.#podStatus(pod, podIPs, fresh, waiting, plan);
      }
      await this.#patchStatus(pod, status);
      return undefined;
    }
    await traceStep(this.#trace, uid, 'status', () => this.#patchStatus(pod, status));
    if (deadlineIn !== undefined) later(deadlineIn);
    // Steady: nothing started, nothing waiting, every instance running or finished. Such a pod is looked at again
    // when something reports a change (see STEADY_RESYNC_MS), else after a while.
    const steady = !acted && waiting.size === 0 && volumesReady && status.phase === 'Running' && fresh.every((c) => c.state !== 'CONTAINER_CREATED' && c.state !== 'CONTAINER_UNKNOWN');
    return Math.min(next ?? Infinity, steady ? STEADY_RESYNC_MS : RESYNC_MS);
  }

  /** #ref is the pod as an event's involved object. */
  #ref(pod: KubeletPod): KubeObject {
    return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata ?? {} };
  }

  /** #podDesc formats a pod as upstream's messages do: `<name>_<namespace>(<uid>)`. */
  #podDesc(pod: KubeletPod): string {
    return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
  }

  /** #watchProbes keeps probe workers for a running instance, and none for a container that is not running. */
  #watchProbes(pod: KubeletPod, podKey: string, spec: ContainerSpec, inst: ContainerStatus | undefined, endpoint: PodEndpoint): void {
    const uid = pod.metadata?.uid ?? '';
    if (inst?.state !== 'CONTAINER_RUNNING') {
      this.#probes.removeContainer(uid, spec.name);
      return;
    }
    const c: ProbedContainer = {
      podKey,
      podUID: uid,
      name: spec.name,
      containerId: inst.id,
      startedAt: inst.startedAt,
      endpoint,
      ...(spec.ports ? { ports: spec.ports } : {}),
      ...(spec.livenessProbe ? { livenessProbe: spec.livenessProbe } : {}),
      ...(spec.readinessProbe ? { readinessProbe: spec.readinessProbe } : {}),
      ...(spec.startupProbe ? { startupProbe: spec.startupProbe } : {}),
    };
    this.#probes.update(c);
  }

  /**
   * #ensureRunning (re)starts one container whose latest instance is absent or exited (the caller decided it
   * should run): back-off after an exit, image, create, start, postStart hook. Resolves with when to look again
   * while it must wait (back-off, image error), else undefined. Its events go to `events` (the sync's).
   */
  async #ensureRunning(pod: KubeletPod, sandbox: PodSandboxStatus, endpoint: PodEndpoint, spec: ContainerSpec, containers: readonly ContainerStatus[], waiting: Waiting, events: SyncEvents): Promise<number | undefined> {
    const uid = pod.metadata?.uid ?? '';
    const mine = containers.filter((c) => c.labels[CONTAINER_NAME_LABEL] === spec.name).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
    const latest = mine[0];
    const now = this.#c.clock.now();
    if (latest && latest.state !== 'CONTAINER_EXITED') return undefined;
    if (latest) {
      const bkey = `${uid}/${spec.name}`;
      let b = this.#backoff.get(bkey);
      if (!b || b.finishedAt !== latest.finishedAt) {
        // A new exit: the delay doubles from 10 s up to 300 s, and starts over after 10 minutes of running.
        const ranFor = latest.finishedAt - latest.startedAt;
        const delayMs = !b || ranFor > BACKOFF_RESET_MS ? INITIAL_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, b.delayMs * 2);
        b = { finishedAt: latest.finishedAt, delayMs, until: latest.finishedAt + delayMs };
        this.#backoff.set(bkey, b);
        if (b.until > now) events.record('Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${this.#podDesc(pod)}`);
      }
      if (b.until > now) {
        waiting.set(spec.name, { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(b.delayMs / 1000)}s restarting failed container=${spec.name} pod=${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${uid})` });
        return b.until - now;
      }
      // Keep the last exited container (for --previous logs); older ones go.
      for (const old of mine.slice(1)) await this.#c.runtime.removeContainer(old.id);
    }
    const image = spec.image ?? '';
    const pullEvent = (type: 'Normal' | 'Warning', reason: string, message: string): void => {
      events.record(type, reason, message);
      // A pull may take minutes: kubectl describe shows Pulling while it runs, as upstream's does.
      if (reason === 'Pulling') events.flush();
    };
    const pulled = await traceStep(this.#trace, uid, 'image', () => this.#imageManager.ensureImageExists(pod, image, spec.imagePullPolicy, pullEvent));
    if (!pulled.ok) {
      waiting.set(spec.name, { reason: pulled.reason, message: pulled.message });
      return pulled.retryAfterMs;
    }
    const prepared = await traceStep(this.#trace, uid, 'prepare', () => this.#setup.container(pod, spec, sandbox.ips.length > 0 ? sandbox.ips : [this.#c.nodeIP], this.#c.nodeIP));
    if (prepared.error !== undefined) {
      waiting.set(spec.name, { reason: 'CreateContainerConfigError', message: prepared.error });
      events.record('Warning', 'Failed', `Error: ${prepared.error}`);
      return INITIAL_BACKOFF_MS;
    }
    const linux = containerLinuxConfig(pod, spec.name, totalmem());
    if ('error' in linux) {
      waiting.set(spec.name, { reason: 'CreateContainerConfigError', message: linux.error });
      return INITIAL_BACKOFF_MS;
    }
    const attempt = latest ? latest.metadata.attempt + 1 : 0;
    const logDir = this.#logDirectory(pod);
    const messageFile = prepareTerminationMessageFile(this.#setup.containerFilesDir(uid), spec.name, attempt);
    const created = this.#trace.begin(uid, 'create');
    const id = await this.#c.runtime.createContainer(
      sandbox.id,
      {
        metadata: { name: spec.name, attempt },
        image,
        command: prepared.ok.command,
        args: prepared.ok.args,
        ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
        envs: prepared.ok.envs,
        mounts: [...prepared.ok.mounts, { containerPath: spec.terminationMessagePath || DEFAULT_TERMINATION_MESSAGE_PATH, hostPath: messageFile }],
        labels: { [POD_UID_LABEL]: uid, [POD_NAME_LABEL]: pod.metadata?.name ?? '', [POD_NAMESPACE_LABEL]: pod.metadata?.namespace ?? '', [CONTAINER_NAME_LABEL]: spec.name },
        annotations: { [TERMINATION_MESSAGE_ANNOTATION]: messageFile },
        logPath: `${spec.name}/${attempt}.log`,
        linux,
        ...(spec.stdin ? { stdin: true, stdinOnce: spec.stdinOnce === true } : {}),
        ...(spec.tty ? { tty: true } : {}),
      },
      { ...this.#sandboxConfig(pod), logDirectory: logDir },
    ).finally(created);
    events.record('Normal', 'Created', `Created container ${spec.name}`);
    await traceStep(this.#trace, uid, 'start', () => this.#c.runtime.startContainer(id));
    events.record('Normal', 'Started', `Started container ${spec.name}`);
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      // The hook may hold the sync for minutes: what happened so far is not held that long.
      events.flush();
      // Upstream bounds postStart by nothing; a bound keeps one stuck hook from holding the pod's sync forever.
      const why = await this.#hooks.run(postStart, { containerId: id, endpoint, ...(spec.ports ? { ports: spec.ports } : {}) }, { container: spec.name, pod: this.#podDesc(pod) }, POST_START_TIMEOUT_MS);
      if (why !== undefined) {
        events.record('Warning', 'FailedPostStartHook', why);
        const inst = await this.#c.runtime.containerStatus(id);
        const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
        await this.#killContainer(pod, spec, inst, endpoint, this.#c.clock.now() + grace * 1000, 'FailedPostStartHook');
      }
    }
    return undefined;
  }

  /**
   * #killContainer stops one running instance by `deadlineMs`: Killing event, preStop hook (bounded by what is
   * left of the grace period), then SIGTERM and SIGKILL when the rest is spent (at least 2 s after a hook).
   */
  async #killContainer(pod: KubeletPod, spec: ContainerSpec | undefined, inst: ContainerStatus, endpoint: PodEndpoint, deadlineMs: number, message: string): Promise<void> {
    if (inst.state !== 'CONTAINER_RUNNING') return;
    void this.#events.record(this.#ref(pod), 'Normal', 'Killing', message);
    const preStop = spec?.lifecycle?.preStop;
    let leftMs = deadlineMs - this.#c.clock.now();
    if (preStop && leftMs > 0) {
      const why = await this.#hooks.run(preStop, { containerId: inst.id, endpoint, ...(spec?.ports ? { ports: spec.ports } : {}) }, { container: inst.metadata.name, pod: this.#podDesc(pod) }, leftMs);
      if (why !== undefined) void this.#events.record(this.#ref(pod), 'Warning', 'FailedPreStopHook', why);
      leftMs = Math.max(deadlineMs - this.#c.clock.now(), MIN_GRACE_AFTER_HOOK_MS);
    }
    await this.#c.runtime.stopContainer(inst.id, Math.max(0, Math.ceil(leftMs / 1000)));
  }

  /** #stopContainers stops a pod's running containers by `deadlineMs`: app (and init) containers together, then sidecars in reverse order. */
  async #stopContainers(pod: KubeletPod, sandbox: PodSandboxStatus, containers: readonly ContainerStatus[], deadlineMs: number): Promise<void> {
    const endpoint: PodEndpoint = { sandboxId: sandbox.id, podIP: sandbox.ips[0] ?? this.#c.nodeIP, ...(sandbox.netnsPath ? { netnsPath: sandbox.netnsPath } : {}) };
    const sidecars = (pod.spec?.initContainers ?? []).filter(isSidecar);
    const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    const running = containers.filter((c) => c.state === 'CONTAINER_RUNNING');
    const isSidecarInst = (c: ContainerStatus): boolean => sidecars.some((s) => s.name === c.labels[CONTAINER_NAME_LABEL]);
    const kill = (c: ContainerStatus): Promise<void> => {
      const name = c.labels[CONTAINER_NAME_LABEL] ?? c.metadata.name;
      return this.#killContainer(pod, specs.find((s) => s.name === name), c, endpoint, deadlineMs, `Stopping container ${name}`);
    };
    await Promise.all(running.filter((c) => !isSidecarInst(c)).map(kill));
    for (const spec of [...sidecars].reverse()) {
      for (const c of running.filter((r) => r.labels[CONTAINER_NAME_LABEL] === spec.name)) await kill(c);
    }
  }

  #logDirectory(pod: KubeletPod): string {
    return `${this.#c.rootDir}/pods/${pod.metadata?.namespace ?? ''}_${pod.metadata?.name ?? ''}_${pod.metadata?.uid ?? ''}`;
  }

  #sandboxConfig(pod: KubeletPod): PodSandboxConfig {
    const ns = pod.metadata?.namespace ?? '';
    const { hostname: podHost, dnsConfig } = this.#setup.sandbox(pod);
    return {
      metadata: { name: pod.metadata?.name ?? '', namespace: ns, uid: pod.metadata?.uid ?? '', attempt: 0 },
      hostname: pod.spec?.hostNetwork ? hostname() : podHost,
      logDirectory: this.#logDirectory(pod),
      dnsConfig,
      portMappings: sandboxPortMappings(pod.spec),
      labels: { [POD_UID_LABEL]: pod.metadata?.uid ?? '', [POD_NAME_LABEL]: pod.metadata?.name ?? '', [POD_NAMESPACE_LABEL]: ns },
      annotations: {},
      linux: { ...sandboxLinuxResources(pod), namespaceOptions: { network: pod.spec?.hostNetwork ? 'NODE' : 'POD' } },
    };
  }

  /** #containerStatus is one container's entry in (init)containerStatuses. */
  #containerStatus(pod: KubeletPod, spec: ContainerSpec, kind: 'init' | 'sidecar' | 'app' | 'ephemeral', containers: readonly ContainerStatus[], waiting: Waiting): ContainerStatusJson {
    const ts = (ms: number): string => formatTimestamp(ms);
    const uid = pod.metadata?.uid ?? '';
    const mine = containers.filter((c) => c.labels[CONTAINER_NAME_LABEL] === spec.name).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
    const [latest, previous] = mine;
    const terminated = (c: ContainerStatus): { terminated: Record<string, unknown> } => {
      const message = terminationMessage(c.annotations[TERMINATION_MESSAGE_ANNOTATION], spec.terminationMessagePolicy, c.exitCode, c.logPath);
      return { terminated: { exitCode: c.exitCode, reason: c.reason, ...(message ? { message } : {}), startedAt: ts(c.startedAt), finishedAt: ts(c.finishedAt), containerID: `${this.#runtimeName}://${c.id}` } };
    };
    // Before anything ran, a pod with init containers shows PodInitializing everywhere (kubectl's Init:0/N).
    const notYet = { waiting: { reason: kind !== 'ephemeral' && (pod.spec?.initContainers ?? []).length > 0 ? 'PodInitializing' : 'ContainerCreating' } };
    let state: Record<string, unknown>;
    const w = waiting.get(spec.name);
    if (w) state = { waiting: w };
    else if (!latest) state = notYet;
    else if (latest.state === 'CONTAINER_RUNNING') state = { running: { startedAt: ts(latest.startedAt) } };
    else if (latest.state === 'CONTAINER_EXITED') state = terminated(latest);
    else state = notYet;
    const last = w && latest?.state === 'CONTAINER_EXITED' ? terminated(latest) : previous?.state === 'CONTAINER_EXITED' ? terminated(previous) : {};
    const running = !w && latest?.state === 'CONTAINER_RUNNING';
    const started = running && latest !== undefined && this.#probes.isStarted(uid, spec.name, latest.id);
    // Ephemeral containers have no probes and never count towards readiness (upstream reports them not ready).
    const ready = kind === 'ephemeral' ? false : kind === 'init' ? latest?.state === 'CONTAINER_EXITED' && latest.exitCode === 0 : running && latest !== undefined && this.#probes.isReady(uid, spec.name, latest.id);
    return {
      name: spec.name,
      state,
      lastState: last,
      ready,
      started,
      restartCount: latest?.metadata.attempt ?? 0,
      image: spec.image ?? '',
      imageID: latest?.imageRef ?? '',
      ...(latest ? { containerID: `${this.#runtimeName}://${latest.id}` } : {}),
    };
  }

  /** #podStatus computes the pod's status from its containers, the sync's waiting states and the init plan. */
  #podStatus(
    pod: KubeletPod,
    podIPs: readonly string[],
    containers: readonly ContainerStatus[],
    waiting: Waiting,
    init: { initialized: boolean; failed?: string; terminal?: { phase: string; reason: string; message: string } },
  ): PodStatusJson {
    const ts = (ms: number): string => formatTimestamp(ms);
    const initSpecs = pod.spec?.initContainers ?? [];
    const initStatuses = initSpecs.map((s) => this.#containerStatus(pod, s, isSidecar(s) ? 'sidecar' : 'init', containers, waiting));
    const statuses = (pod.spec?.containers ?? []).map((s) => this.#containerStatus(pod, s, 'app', containers, waiting));
    const ephemeralSpecs = pod.spec?.ephemeralContainers ?? [];
    const ephemeralStatuses = ephemeralSpecs.map((s) => this.#containerStatus(pod, s, 'ephemeral', containers, waiting));
    const allExited = statuses.length > 0 && statuses.every((s) => 'terminated' in s.state);
    const policy = pod.spec?.restartPolicy ?? 'Always';
    let phase = 'Pending';
    if (init.terminal) phase = init.terminal.phase;
    else if (init.failed !== undefined) phase = 'Failed';
    else if (init.initialized) {
      if (statuses.some((s) => 'running' in s.state)) phase = 'Running';
      if (allExited && policy !== 'Always') {
        const failed = statuses.some((s) => ((s.state as { terminated?: { exitCode: number } }).terminated?.exitCode ?? 0) !== 0);
        phase = failed && policy === 'Never' ? 'Failed' : failed ? phase : 'Succeeded';
      }
    }
    const sidecarStatuses = initStatuses.filter((_s, i) => isSidecar(initSpecs[i] ?? { name: '' }));
    const ready = init.initialized && statuses.length > 0 && [...statuses, ...sidecarStatuses].every((s) => s.ready) && phase !== 'Succeeded' && phase !== 'Failed';
    const now = this.#c.clock.now();
    const cond = (type: string, ok: boolean, why?: { reason: string; message: string }): Record<string, unknown> => {
      const old = pod.status?.conditions?.find((c) => c.type === type) as { status?: string; lastTransitionTime?: string } | undefined;
      const status = ok ? 'True' : 'False';
      return { type, status, lastProbeTime: null, lastTransitionTime: old?.status === status ? old.lastTransitionTime : ts(now), ...(ok || !why ? {} : why) };
    };
    // Upstream's reasons and messages for False conditions (kubectl describe shows them).
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const unready = [...sidecarStatuses, ...statuses].filter((s) => !s.ready).map((s) => s.name);
    const notReady = terminal ? { reason: 'PodCompleted', message: '' } : { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
    const incomplete = initStatuses.filter((s, i) => (isSidecar(initSpecs[i] ?? { name: '' }) ? !s.started : !s.ready)).map((s) => s.name);
    const notInitialized = terminal ? { reason: 'PodCompleted', message: '' } : { reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` };
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return {
      phase,
      ...(init.terminal ? { reason: init.terminal.reason, message: init.terminal.message } : {}),
      hostIP: this.#c.nodeIP,
      hostIPs: [{ ip: this.#c.nodeIP }],
      podIP: podIPs[0] ?? this.#c.nodeIP,
      podIPs: podIPs.map((ip) => ({ ip })),
      startTime: pod.status?.startTime ?? ts(now),
      conditions: [
        cond('PodReadyToStartContainers', true),
        cond('Initialized', init.initialized, notInitialized),
        cond('Ready', ready, notReady),
        cond('ContainersReady', ready, notReady),
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: scheduled?.lastTransitionTime ?? ts(now) },
      ],
      ...(initSpecs.length > 0 ? { initContainerStatuses: initStatuses } : {}),
      containerStatuses: statuses,
      ...(ephemeralSpecs.length > 0 ? { ephemeralContainerStatuses: ephemeralStatuses } : {}),
    };
  }

  /**
   * #patchStatus writes the pod's status when it changed: against the status the store shows, or — while the store
   * has not yet seen the kubelet's last write — against that write.
   */
  async #patchStatus(pod: KubeletPod, status: PodStatusJson): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const key = statusKey(status as Record<string, unknown>);
    if (key === statusKey((pod.status ?? {}) as Record<string, unknown>)) return;
    const written = this.#written.get(uid);
    if (written?.key === key && Number(pod.metadata?.resourceVersion ?? 0) < written.resourceVersion) return;
    try {
      const out = await this.#c.client.patch({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name, subresource: 'status' }, 'merge', { metadata: { uid }, status });
      this.#written.set(uid, { key, resourceVersion: Number(out.metadata?.resourceVersion ?? 0) });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** ContainerStatusJson is one entry of a pod's containerStatuses. */
interface ContainerStatusJson {
  name: string;
  state: Record<string, unknown>;
  lastState: Record<string, unknown>;
  ready: boolean;
  started: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
}

/** PodStatusJson is the status the kubelet writes. */
interface PodStatusJson {
  phase: string;
  conditions: Record<string, unknown>[];
  [field: string]: unknown;
}

/**
 * statusKey is what #patchStatus compares of a status: everything but startTime and qosClass (the API server's),
 * and of conditions only type and status (a transition time set by someone else is no reason to write).
 */
function statusKey(status: Record<string, unknown>): string {
  const conditions = ((status['conditions'] ?? []) as { type?: string; status?: string }[]).map((c) => [c.type, c.status]);
  return canonicalJson({ ...status, conditions, startTime: undefined, qosClass: undefined });
}

/** canonicalJson is JSON with object keys sorted: the API server need not keep the order the kubelet wrote. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** latestInstance is a container's newest instance (highest attempt) among `containers`. */
function latestInstance(containers: readonly ContainerStatus[], name: string): ContainerStatus | undefined {
  let best: ContainerStatus | undefined;
  for (const c of containers) if (c.labels[CONTAINER_NAME_LABEL] === name && (!best || c.metadata.attempt > best.metadata.attempt)) best = c;
  return best;
}

/** traceStep runs `work` as one step of a pod's start in the trace (see pod-start-trace.ts). */
function traceStep<T>(trace: PodStartTrace, uid: string, step: string, work: () => Promise<T>): Promise<T> {
  const end = trace.begin(uid, step);
  return work().finally(end);
}
