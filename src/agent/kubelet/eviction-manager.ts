/**
 * EvictionManager: the kubelet's node-pressure eviction. Every `intervalMs` (10 s, as upstream) it observes the
 * node, compares the observations with the hard thresholds (eviction-thresholds.ts), reports MemoryPressure,
 * DiskPressure and PIDPressure in the Node's conditions (a condition stays True for `pressureTransitionMs` after
 * its last threshold cleared, so it does not flap), and while a threshold is met evicts one pod per round:
 *
 *  - ranking as upstream: for memory, pods whose usage exceeds their request first (every BestEffort pod with any
 *    usage does), then lower priority, then the most usage above the request; for disk the same with ephemeral
 *    storage; for pids, lower priority then BestEffort before Burstable before Guaranteed;
 *  - the pod is marked (the kubelet stops syncing it, see `isEvicted`), its status becomes phase Failed, reason
 *    Evicted, upstream's message and a DisruptionTarget condition, then its sandbox is stopped (containers killed
 *    at once: hard eviction has no grace period) and its containers are reported terminated.
 *
 * The agent process keeps oom_score_adj 0 while pods get 2..1000 (Guaranteed 0 too: see container-resources.ts),
 * so when eviction is too slow and the kernel has to kill, it picks a pod's process, not the agent.
 */
import { isMirrorPod } from '../../api/core/mirror-pod.js';
import { formatTimestamp } from '../../api/meta/timestamp.js';
import type { KubeObject } from '../../api/meta/types.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isNotFound } from '../../client/api-error.js';
import type { RestClient } from '../../client/rest-client.js';
import type { ContainerStatus, RuntimeService } from '../cri/runtime-service.js';
import { podQOSClass, type QOSClass, type ResourcePod } from './container-resources.js';
import { conditionOf, observe, resourceOf, thresholdsMet, thresholdValue, type Observation, type PressureCondition, type Signal, type Threshold } from './eviction-thresholds.js';
import type { NodeStats } from './node-stats.js';
import type { PodUsage } from './stats-provider.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const POD_UID_LABEL = 'io.kubernetes.pod.uid';
const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
const MEMORY_PRESSURE_TAINT = 'node.kubernetes.io/memory-pressure';

/** AdmitPod is the part of a pod admission reads. */
export interface AdmitPod extends ResourcePod {
  metadata?: { uid?: string; name?: string; namespace?: string };
  spec?: ResourcePod['spec'] & { tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[] };
}

/** EvictionCandidate is an active pod as the ranking sees it. */
export interface EvictionCandidate {
  readonly uid: string;
  readonly priority: number;
  readonly qos: QOSClass;
  readonly memoryRequestBytes: number;
  readonly memoryUsageBytes: number;
  readonly ephemeralRequestBytes: number;
  readonly ephemeralUsageBytes: number;
}

const QOS_ORDER: Record<QOSClass, number> = { BestEffort: 0, Burstable: 1, Guaranteed: 2 };

/** rankForEviction orders candidates, first to evict first, for pressure on `signal`'s resource. */
export function rankForEviction(candidates: readonly EvictionCandidate[], signal: Signal): EvictionCandidate[] {
  const resource = resourceOf(signal);
  const usage = (c: EvictionCandidate): number => (resource === 'memory' ? c.memoryUsageBytes : c.ephemeralUsageBytes);
  const request = (c: EvictionCandidate): number => (resource === 'memory' ? c.memoryRequestBytes : c.ephemeralRequestBytes);
  const exceeds = (c: EvictionCandidate): number => (usage(c) > request(c) ? 1 : 0);
  return [...candidates].sort((a, b) => {
    if (resource === 'pids') return a.priority - b.priority || QOS_ORDER[a.qos] - QOS_ORDER[b.qos];
    return exceeds(b) - exceeds(a) || a.priority - b.priority || usage(b) - request(b) - (usage(a) - request(a));
  });
}

function formatBytes(n: number): string {
  return n % 1024 === 0 || n > 10 * 1024 ? `${Math.round(n / 1024)}Ki` : String(n);
}

/** evictionMessage is upstream's text for an eviction over `threshold`. */
export function evictionMessage(threshold: Threshold, observation: Observation | undefined, containers: readonly { name: string; usage: number; request: number }[]): string {
  const resource = resourceOf(threshold.signal);
  let msg = `The node was low on resource: ${resource}. `;
  if (observation) msg += `Threshold quantity: ${threshold.text}, available: ${threshold.signal.endsWith('available') && resource !== 'pids' ? formatBytes(observation.available) : observation.available}. `;
  for (const c of containers) {
    if (c.usage > c.request) msg += `Container ${c.name} was using ${formatBytes(c.usage)}, request is ${c.request === 0 ? '0' : formatBytes(c.request)}, has larger consumption of ${resource}. `;
  }
  return msg;
}

/** UsageSource is what the manager reads: the node, and what each pod's containers use. */
export interface UsageSource {
  nodeStats(): Promise<NodeStats>;
  podUsage(): Promise<Map<string, PodUsage>>;
}

/** EvictionManagerConfig constructs an EvictionManager. */
export interface EvictionManagerConfig {
  readonly client: RestClient;
  readonly nodeName: string;
  readonly runtime: RuntimeService;
  readonly usage: UsageSource;
  readonly thresholds: readonly Threshold[];
  readonly clock: Clock;
  readonly log: Logger;
  /** @default 10000 */
  readonly intervalMs?: number;
  /** `--eviction-pressure-transition-period`. @default 300000 */
  readonly pressureTransitionMs?: number;
}

interface EvictionPod extends ResourcePod {
  metadata?: { uid?: string; name?: string; namespace?: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  spec?: ResourcePod['spec'] & { priority?: number };
  status?: { phase?: string; qosClass?: string; conditions?: { type: string }[]; containerStatuses?: Record<string, unknown>[] };
}

const CONDITION_TEXT: Record<PressureCondition, { true: [string, string]; false: [string, string] }> = {
  MemoryPressure: { true: ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'], false: ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available'] },
  DiskPressure: { true: ['KubeletHasDiskPressure', 'kubelet has disk pressure'], false: ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure'] },
  PIDPressure: { true: ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'], false: ['KubeletHasSufficientPID', 'kubelet has sufficient PID available'] },
};

/** EvictionManager watches node pressure; see the file comment. */
export class EvictionManager {
  readonly #c: EvictionManagerConfig;
  readonly #evicted = new Set<string>();
  /** When each condition's threshold was last seen met. */
  readonly #lastMet = new Map<PressureCondition, number>();
  #reported = new Map<PressureCondition, boolean>();
  #timer: Timer | undefined;
  #stopped = false;

  constructor(config: EvictionManagerConfig) {
    this.#c = config;
  }

  /** isEvicted tells the kubelet to leave an evicted pod alone (no restarts, no status of its own). */
  isEvicted(uid: string): boolean {
    return this.#evicted.has(uid);
  }

  /**
   * admit decides whether a pod new to the node may start (upstream's eviction admit handler): under no pressure,
   * yes; under MemoryPressure alone, any pod but a BestEffort one that does not tolerate the memory-pressure taint;
   * under disk or pid pressure, no. A refused pod is marked evicted and reported Failed, reason Evicted, "The node
   * had condition: [...]". Resolves true when the pod may start.
   */
  async admit(object: KubeObject): Promise<boolean> {
    const pod = object as AdmitPod;
    const conditions = [...this.#reported].filter(([, v]) => v).map(([k]) => k);
    if (conditions.length === 0) return true;
    if (conditions.length === 1 && conditions[0] === 'MemoryPressure') {
      if (podQOSClass(pod) !== 'BestEffort') return true;
      // Toleration matching as the scheduler does it, for the valueless memory-pressure NoSchedule taint.
      const tolerates = (pod.spec?.tolerations ?? []).some((t) => {
        if (t.effect && t.effect !== 'NoSchedule') return false;
        if (!t.key) return t.operator === 'Exists';
        return t.key === MEMORY_PRESSURE_TAINT && (t.operator === 'Exists' || (t.value ?? '') === '');
      });
      if (tolerates) return true;
    }
    const uid = pod.metadata?.uid ?? '';
    this.#evicted.add(uid);
    const message = `The node had condition: [${conditions.join(' ')}]. `;
    this.#c.log.info('Pod not admitted', { pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, conditions });
    try {
      await this.#c.client.patch({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name, subresource: 'status' }, 'merge', { metadata: { uid }, status: { phase: 'Failed', reason: 'Evicted', message } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return false;
  }

  /** start runs synchronize every interval until stop(). */
  start(): void {
    const tick = (): void => {
      if (this.#stopped) return;
      void this.synchronize()
        .catch((err: unknown) => this.#c.log.warn('Eviction round failed', { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => {
          if (!this.#stopped) this.#timer = this.#c.clock.setTimer(this.#c.intervalMs ?? 10_000, tick);
        });
    };
    this.#timer = this.#c.clock.setTimer(0, tick);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** synchronize is one round: observe, report conditions, evict at most one pod. Resolves with the evicted UID. */
  async synchronize(): Promise<string | undefined> {
    const now = this.#c.clock.now();
    const observations = observe(await this.#c.usage.nodeStats());
    const met = thresholdsMet(this.#c.thresholds, observations);
    for (const t of met) this.#lastMet.set(conditionOf(t.signal), now);
    const pressure = new Map<PressureCondition, boolean>();
    for (const cond of ['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const) {
      const last = this.#lastMet.get(cond);
      pressure.set(cond, last !== undefined && now - last < (this.#c.pressureTransitionMs ?? 300_000));
    }
    await this.#reportConditions(pressure, now);
    await this.#stopEvictedLeftovers();
    // Memory first, as upstream orders thresholds for reclaim.
    const threshold = met.find((t) => t.signal === 'memory.available') ?? met[0];
    if (!threshold) return undefined;
    return this.#evictOne(threshold, observations.get(threshold.signal), now);
  }

  /**
   * #stopEvictedLeftovers stops sandboxes an evicted pod still has running: a pod evicted while the kubelet was
   * starting it may get its sandbox after the eviction stopped what there was.
   */
  async #stopEvictedLeftovers(): Promise<void> {
    if (this.#evicted.size === 0) return;
    for (const s of await this.#c.runtime.listPodSandbox({ state: 'SANDBOX_READY' })) {
      if (this.#evicted.has(s.labels[POD_UID_LABEL] ?? '')) await this.#c.runtime.stopPodSandbox(s.id);
    }
  }

  async #reportConditions(pressure: ReadonlyMap<PressureCondition, boolean>, now: number): Promise<void> {
    if ([...pressure].every(([k, v]) => this.#reported.get(k) === v)) return;
    const node = (await this.#c.client.get({ ...NODES, name: this.#c.nodeName })) as { status?: { conditions?: Record<string, unknown>[] } };
    const conditions = (node.status?.conditions ?? []).map((c) => {
      const type = c['type'] as PressureCondition;
      const want = pressure.get(type);
      if (want === undefined) return c;
      const status = want ? 'True' : 'False';
      const [reason, message] = CONDITION_TEXT[type][want ? 'true' : 'false'];
      return { ...c, status, reason, message, lastHeartbeatTime: formatTimestamp(now), lastTransitionTime: c['status'] === status ? c['lastTransitionTime'] : formatTimestamp(now) };
    });
    await this.#c.client.patch({ ...NODES, name: this.#c.nodeName, subresource: 'status' }, 'merge', { status: { conditions } });
    this.#reported = new Map(pressure);
    for (const [k, v] of pressure) if (v) this.#c.log.info('Node under pressure', { condition: k });
  }

  async #evictOne(threshold: Threshold, observation: Observation | undefined, now: number): Promise<string | undefined> {
    const list = await this.#c.client.list(PODS, { fieldSelector: `spec.nodeName=${this.#c.nodeName}` });
    // Mirror pods stand for components this kubelet does not run (upstream never evicts them either).
    const pods = (list.items as unknown as EvictionPod[]).filter((p) => !isMirrorPod(p) && !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !this.#evicted.has(p.metadata?.uid ?? ''));
    if (pods.length === 0) return undefined;
    const usage = await this.#c.usage.podUsage();
    const byUid = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    const req = (p: EvictionPod, name: string): number => (p.spec?.containers ?? []).reduce((s, c) => s + (parseQuantity(c.resources?.requests?.[name]) ?? 0), 0);
    const candidates: EvictionCandidate[] = pods.map((p) => {
      const uid = p.metadata?.uid ?? '';
      const u = usage.get(uid);
      return {
        uid,
        priority: p.spec?.priority ?? 0,
        qos: podQOSClass(p),
        memoryRequestBytes: req(p, 'memory'),
        memoryUsageBytes: u?.memoryWorkingSetBytes ?? 0,
        ephemeralRequestBytes: req(p, 'ephemeral-storage'),
        ephemeralUsageBytes: u?.ephemeralBytes ?? 0,
      };
    });
    const victim = rankForEviction(candidates, threshold.signal)[0];
    const pod = victim ? byUid.get(victim.uid) : undefined;
    if (!victim || !pod) return undefined;
    const u = usage.get(victim.uid);
    const containers = (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      usage: resourceOf(threshold.signal) === 'memory' ? (u?.containers.get(c.name) ?? 0) : 0,
      request: parseQuantity(c.resources?.requests?.['memory']) ?? 0,
    }));
    const message = evictionMessage(threshold, observation, containers);
    this.#evicted.add(victim.uid);
    this.#c.log.info('Evicting pod', { pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, signal: threshold.signal, threshold: threshold.text, observed: observation ? thresholdValue(threshold, observation) : undefined });
    const conditions = [
      ...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
      { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message, lastProbeTime: null, lastTransitionTime: formatTimestamp(now) },
    ];
    try {
      await this.#c.client.patch({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name, subresource: 'status' }, 'merge', {
        metadata: { uid: victim.uid },
        status: { phase: 'Failed', reason: 'Evicted', message, conditions },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const killed = new Map<string, ContainerStatus>();
    for (const s of await this.#c.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: victim.uid } })) {
      await this.#c.runtime.stopPodSandbox(s.id);
      for (const c of await this.#c.runtime.listContainers({ sandboxId: s.id })) {
        const name = c.labels[CONTAINER_NAME_LABEL] ?? c.metadata.name;
        const prev = killed.get(name);
        if (!prev || prev.metadata.attempt < c.metadata.attempt) killed.set(name, c);
      }
    }
    await this.#reportKilled(pod, killed);
    return victim.uid;
  }

  /** #reportKilled shows the evicted pod's containers as terminated (the kubelet no longer syncs the pod). */
  async #reportKilled(pod: EvictionPod, killed: ReadonlyMap<string, ContainerStatus>): Promise<void> {
    const statuses = pod.status?.containerStatuses;
    if (!statuses || killed.size === 0) return;
    const ts = (ms: number): string => formatTimestamp(ms);
    const containerStatuses = statuses.map((cs) => {
      const c = killed.get(String(cs['name']));
      if (!c || c.state !== 'CONTAINER_EXITED') return cs;
      const terminated = { exitCode: c.exitCode, reason: c.reason || 'Error', startedAt: ts(c.startedAt), finishedAt: ts(c.finishedAt), containerID: `runc://${c.id}` };
      return { ...cs, state: { terminated }, ready: false, started: false };
    });
    try {
      await this.#c.client.patch({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name, subresource: 'status' }, 'merge', { metadata: { uid: pod.metadata?.uid }, status: { containerStatuses } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
