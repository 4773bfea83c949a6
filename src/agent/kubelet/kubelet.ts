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
 *    waiting/running/terminated states, lastState, restartCount and `runc://` container IDs.
 *  - Deletion: containers stop with the pod's grace period, the sandbox goes, and the pod is deleted with grace 0
 *    and a UID precondition.
 *  - Volumes, env (valueFrom, envFrom, service links), mounts, /etc/hosts and DNS come from PodSetup (pod-setup.ts).
 * Not yet (issue 6): init containers, probes, hooks, image pulls
 * from registries, logs/exec/port-forward through the API, resource limits from requests and limits.
 */
import { cpus, hostname, totalmem } from 'node:os';
import type { KubeObject } from '../../api/meta/types.js';
import { formatTimestamp } from '../../api/meta/timestamp.js';
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { WorkQueue } from '../../base/queue/work-queue.js';
import { isAlreadyExists, isNotFound } from '../../client/api-error.js';
import { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import type { ContainerStatus, PodSandboxConfig, RuntimeService } from '../cri/runtime-service.js';
import type { ImageService } from '../cri/image-service.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { ImageGCManager, type GcImages, type ImageGCPolicy } from './image-gc-manager.js';
import { ImageManager } from './image-manager.js';
import { LEASE_RENEW_INTERVAL_MS, renewNodeLease } from '../node-lease.js';
import { nodeConditions, nodeObject } from '../node-object.js';
import type { ContainerLogSource } from '../server/kubelet-server.js';
import { PodSetup } from './pod-setup.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const POD_UID_LABEL = 'io.kubernetes.pod.uid';
const POD_NAME_LABEL = 'io.kubernetes.pod.name';
const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
const INITIAL_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 300_000;
const BACKOFF_RESET_MS = 600_000;
/** How often a pod with containers is looked at again (exits are noticed by this resync). */
const RESYNC_MS = 1_000;
/** How often image garbage collection looks at the image filesystem (upstream: 5 minutes). */
const IMAGE_GC_PERIOD_MS = 300_000;

interface PodSpec {
  nodeName?: string;
  hostNetwork?: boolean;
  hostname?: string;
  subdomain?: string;
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  imagePullSecrets?: { name?: string }[];
  containers?: { name: string; image?: string; imagePullPolicy?: string; command?: string[]; args?: string[]; workingDir?: string; env?: { name: string; value?: string }[] }[];
}

/** KubeletPod is the part of a pod the kubelet reads. */
export interface KubeletPod extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string; conditions?: { type: string; lastTransitionTime?: string }[]; startTime?: string };
}

/** KubeletConfig constructs a Kubelet. */
export interface KubeletConfig {
  readonly client: RestClient;
  readonly nodeName: string;
  readonly nodeIP: string;
  readonly runtime: RuntimeService;
  /** The node's images; stores that track use (`lastUsed`, `pruneBlobs`) get least-recently-used image GC. */
  readonly images: ImageService & Partial<Pick<GcImages, 'lastUsed' | 'pruneBlobs'>>;
  /** Image garbage collection thresholds. */
  readonly imageGC?: ImageGCPolicy;
  /** Where pod logs go: `<rootDir>/pods/<namespace>_<name>_<uid>/`. */
  readonly rootDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** The pod CIDR to register with when the Node has none (node IPAM assigns one otherwise). */
  readonly podCIDR?: string;
  readonly clusterDNS?: string;
  readonly clusterDomain?: string;
  /** The port the node's KubeletServer listens on (registered as status.daemonEndpoints). @default 10250 */
  readonly kubeletPort?: number;
}

/** Kubelet runs one node's pods; see the file comment. */
export class Kubelet implements ContainerLogSource {
  readonly #c: KubeletConfig;
  readonly #pods: SharedInformer<KubeletPod>;
  readonly #queue: WorkQueue<string>;
  readonly #abort = new AbortController();
  /** Back-off per pod UID + container name: when the next restart may happen, and the current delay. */
  readonly #backoff = new Map<string, { finishedAt: number; until: number; delayMs: number }>();
  /** Last pods seen, by key, so a pod that vanished can still be torn down. */
  readonly #known = new Map<string, KubeletPod>();
  readonly #imageManager: ImageManager;
  readonly #events: EventRecorder;
  #node: KubeObject | undefined;
  #runs: Promise<void>[] = [];
  #leaseTimer: Timer | undefined;
  #imageGcTimer: Timer | undefined;
  /** Volumes, env, mounts, /etc/hosts and DNS of pods (pod-setup.ts). */
  readonly #setup: PodSetup;

  constructor(config: KubeletConfig) {
    this.#c = config;
    this.#setup = new PodSetup({
      client: config.client,
      rootDir: config.rootDir,
      clock: config.clock,
      log: config.log.child('pod-setup'),
      clusterDNS: config.clusterDNS ?? '10.43.0.10',
      clusterDomain: config.clusterDomain ?? 'cluster.local',
    });
    this.#queue = new WorkQueue<string>({ clock: config.clock });
    this.#events = new EventRecorder({ client: config.client, component: 'kubelet', clock: config.clock, log: config.log.child('events') });
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
    this.#pods.addEventHandler({ onAdd: enqueue, onUpdate: (_o, p) => enqueue(p), onDelete: enqueue });
  }

  /** start registers the node, then runs the pod workers until stop(). */
  async start(): Promise<void> {
    await this.#register();
    this.#scheduleLease();
    this.#scheduleImageGC();
    this.#runs.push(this.#pods.run(this.#abort.signal));
    if (!(await this.#pods.waitForSync(this.#abort.signal))) return;
    await this.#setup.tearDownOrphans(new Set(this.#pods.store.list().map((p) => p.metadata?.uid ?? '')));
    for (let i = 0; i < 4; i++) this.#runs.push(this.#worker());
    this.#c.log.info('Kubelet started', { node: this.#c.nodeName });
  }

  /** stop ends the workers; containers keep running (a restarted kubelet adopts them). */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#leaseTimer?.cancel();
    this.#imageGcTimer?.cancel();
    this.#queue.shutDown();
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

  async #register(): Promise<void> {
    const now = this.#c.clock.now();
    const v = await this.#c.runtime.version();
    const desired = nodeObject({
      name: this.#c.nodeName,
      internalIP: this.#c.nodeIP,
      podCIDR: this.#c.podCIDR ?? '',
      resources: { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' },
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
    status.nodeInfo = { ...status.nodeInfo, kernelVersion: (await import('node:os')).release(), osImage: `tkube node on ${hostname()}` };
    try {
      this.#node = await this.#c.client.create(NODES, desired);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
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
      try {
        const again = await this.#sync(key);
        this.#queue.forget(key);
        if (again !== undefined && !this.#abort.signal.aborted) this.#queue.addAfter(key, again);
      } catch (err) {
        this.#c.log.warn('Cannot sync pod', { pod: key, error: err instanceof Error ? err.message : String(err) });
        this.#queue.addRateLimited(key);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  /** #sync brings one pod a step closer to its spec; resolves with when to look again (ms), if ever. */
  async #sync(key: string): Promise<number | undefined> {
    const pod = this.#pods.store.get(key) ?? this.#known.get(key);
    if (!pod) return undefined;
    const uid = pod.metadata?.uid ?? '';
    const sandboxes = await this.#c.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } });
    const gone = !this.#pods.store.get(key);
    if (gone || pod.metadata?.deletionTimestamp) {
      const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      for (const s of sandboxes) {
        for (const c of await this.#c.runtime.listContainers({ sandboxId: s.id })) await this.#c.runtime.stopContainer(c.id, grace);
        await this.#c.runtime.removePodSandbox(s.id);
      }
      await this.#setup.tearDown(uid);
      if (!gone) {
        try {
          await this.#c.client.delete({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name }, { gracePeriodSeconds: 0, preconditions: { uid } });
        } catch (err) {
          if (!isNotFound(err) && !(err instanceof Error && /Precondition failed/.test(err.message))) throw err;
        }
      }
      this.#known.delete(key);
      this.#imageManager.forgetPod(uid);
      return undefined;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return undefined;

    let sandbox = sandboxes.find((s) => s.state === 'SANDBOX_READY');
    if (!sandbox) {
      const id = await this.#c.runtime.runPodSandbox(this.#sandboxConfig(pod));
      sandbox = await this.#c.runtime.podSandboxStatus(id);
    }
    const containers = await this.#c.runtime.listContainers({ sandboxId: sandbox.id });
    const now = this.#c.clock.now();
    const policy = pod.spec?.restartPolicy ?? 'Always';
    const waiting = new Map<string, { reason: string; message: string }>();
    let next: number | undefined;
    const volumes = await this.#setup.volumes(pod);
    for (const spec of volumes.error === undefined ? (pod.spec?.containers ?? []) : []) {
      const mine = containers.filter((c) => c.labels[CONTAINER_NAME_LABEL] === spec.name).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
      const latest = mine[0];
      if (latest && latest.state !== 'CONTAINER_EXITED') continue;
      if (latest) {
        const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0);
        if (!restart) continue;
        const bkey = `${uid}/${spec.name}`;
        let b = this.#backoff.get(bkey);
        if (!b || b.finishedAt !== latest.finishedAt) {
          // A new exit: the delay doubles from 10 s up to 300 s, and starts over after 10 minutes of running.
          const ranFor = latest.finishedAt - latest.startedAt;
          const delayMs = !b || ranFor > BACKOFF_RESET_MS ? INITIAL_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, b.delayMs * 2);
          b = { finishedAt: latest.finishedAt, delayMs, until: latest.finishedAt + delayMs };
          this.#backoff.set(bkey, b);
        }
        if (b.until > now) {
          waiting.set(spec.name, { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(b.delayMs / 1000)}s restarting failed container=${spec.name} pod=${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${uid})` });
          next = Math.min(next ?? Infinity, b.until - now);
          continue;
        }
        // Keep the last exited container (for --previous logs); older ones go.
        for (const old of mine.slice(1)) await this.#c.runtime.removeContainer(old.id);
      }
      const image = spec.image ?? '';
      const pulled = await this.#imageManager.ensureImageExists(pod, image, spec.imagePullPolicy, (type, reason, message) => void this.#events.record(pod, type, reason, message));
      if (!pulled.ok) {
        waiting.set(spec.name, { reason: pulled.reason, message: pulled.message });
        next = Math.min(next ?? Infinity, pulled.retryAfterMs);
        continue;
      }
      const prepared = await this.#setup.container(pod, spec, sandbox.ips.length > 0 ? sandbox.ips : [this.#c.nodeIP], this.#c.nodeIP);
      if (prepared.error !== undefined) {
        waiting.set(spec.name, { reason: 'CreateContainerConfigError', message: prepared.error });
        continue;
      }
      const attempt = latest ? latest.metadata.attempt + 1 : 0;
      const podDir = this.#logDirectory(pod);
      const id = await this.#c.runtime.createContainer(
        sandbox.id,
        {
          metadata: { name: spec.name, attempt },
          image,
          command: prepared.ok.command,
          args: prepared.ok.args,
          ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
          envs: prepared.ok.envs,
          mounts: prepared.ok.mounts,
          labels: { [POD_UID_LABEL]: uid, [POD_NAME_LABEL]: pod.metadata?.name ?? '', [POD_NAMESPACE_LABEL]: pod.metadata?.namespace ?? '', [CONTAINER_NAME_LABEL]: spec.name },
          annotations: {},
          logPath: `${spec.name}/${attempt}.log`,
        },
        { ...this.#sandboxConfig(pod), logDirectory: podDir },
      );
      await this.#c.runtime.startContainer(id);
    }
    const fresh = await this.#c.runtime.listContainers({ sandboxId: sandbox.id });
    await this.#writeStatus(pod, sandbox.ips[0] ?? this.#c.nodeIP, fresh, waiting);
    return Math.min(next ?? RESYNC_MS, RESYNC_MS);
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
      portMappings: [],
      labels: { [POD_UID_LABEL]: pod.metadata?.uid ?? '', [POD_NAME_LABEL]: pod.metadata?.name ?? '', [POD_NAMESPACE_LABEL]: ns },
      annotations: {},
      linux: { cgroupParent: `/kubepods/pod${pod.metadata?.uid ?? ''}`, namespaceOptions: { network: pod.spec?.hostNetwork ? 'NODE' : 'POD' } },
    };
  }

  /** #writeStatus reports the pod's status when it changed. */
  async #writeStatus(pod: KubeletPod, podIP: string, containers: readonly ContainerStatus[], waiting: ReadonlyMap<string, { reason: string; message: string }>): Promise<void> {
    const ts = (ms: number): string => formatTimestamp(ms);
    const statuses = (pod.spec?.containers ?? []).map((spec) => {
      const mine = containers.filter((c) => c.labels[CONTAINER_NAME_LABEL] === spec.name).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
      const [latest, previous] = mine;
      const terminated = (c: ContainerStatus): Record<string, unknown> => ({
        terminated: { exitCode: c.exitCode, reason: c.reason, startedAt: ts(c.startedAt), finishedAt: ts(c.finishedAt), containerID: `runc://${c.id}` },
      });
      let state: Record<string, unknown>;
      const w = waiting.get(spec.name);
      if (w) state = { waiting: w };
      else if (!latest) state = { waiting: { reason: 'ContainerCreating' } };
      else if (latest.state === 'CONTAINER_RUNNING') state = { running: { startedAt: ts(latest.startedAt) } };
      else if (latest.state === 'CONTAINER_EXITED') state = terminated(latest);
      else state = { waiting: { reason: 'ContainerCreating' } };
      const last = w && latest?.state === 'CONTAINER_EXITED' ? terminated(latest) : previous?.state === 'CONTAINER_EXITED' ? terminated(previous) : {};
      const running = !w && latest?.state === 'CONTAINER_RUNNING';
      return {
        name: spec.name,
        state,
        lastState: last,
        ready: running,
        started: running,
        restartCount: latest?.metadata.attempt ?? 0,
        image: spec.image ?? '',
        imageID: latest?.imageRef ?? '',
        ...(latest ? { containerID: `runc://${latest.id}` } : {}),
      };
    });
    const specs = pod.spec?.containers ?? [];
    const allExited = statuses.length > 0 && statuses.every((s) => 'terminated' in s.state);
    const policy = pod.spec?.restartPolicy ?? 'Always';
    let phase = 'Pending';
    if (statuses.some((s) => 'running' in s.state)) phase = 'Running';
    if (allExited && policy !== 'Always') {
      const failed = statuses.some((s) => ((s.state as { terminated?: { exitCode: number } }).terminated?.exitCode ?? 0) !== 0);
      phase = failed && policy === 'Never' ? 'Failed' : failed ? phase : 'Succeeded';
    }
    const ready = statuses.length === specs.length && statuses.every((s) => s.ready);
    const now = this.#c.clock.now();
    const cond = (type: string, ok: boolean): Record<string, unknown> => {
      const old = pod.status?.conditions?.find((c) => c.type === type) as { status?: string; lastTransitionTime?: string } | undefined;
      const status = ok ? 'True' : 'False';
      return { type, status, lastProbeTime: null, lastTransitionTime: old?.status === status ? old.lastTransitionTime : ts(now) };
    };
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const status = {
      phase,
      hostIP: this.#c.nodeIP,
      hostIPs: [{ ip: this.#c.nodeIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: pod.status?.startTime ?? ts(now),
      conditions: [
        cond('PodReadyToStartContainers', true),
        cond('Initialized', true),
        cond('Ready', ready),
        cond('ContainersReady', ready),
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: scheduled?.lastTransitionTime ?? ts(now) },
      ],
      containerStatuses: statuses,
    };
    const current = pod.status as Record<string, unknown> | undefined;
    const same = JSON.stringify({ ...status, conditions: undefined, startTime: undefined }) === JSON.stringify({ ...(current ?? {}), conditions: undefined, startTime: undefined, qosClass: undefined }) && JSON.stringify(status.conditions.map((c) => [c['type'], c['status']])) === JSON.stringify((pod.status?.conditions ?? []).map((c) => [c.type, (c as { status?: string }).status]));
    if (same) return;
    try {
      await this.#c.client.patch({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name, subresource: 'status' }, 'merge', { metadata: { uid: pod.metadata?.uid }, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
