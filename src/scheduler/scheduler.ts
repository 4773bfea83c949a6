/**
 * Scheduler: the scheduleOne loop (kube-scheduler's shape). Informers feed the SchedulerCache (nodes and bound
 * pods) and the SchedulingQueue (pending pods whose spec.schedulerName is ours). Each cycle pops the best pending
 * pod, runs the framework synchronously against the cache, and then either
 *
 *  - assumes the pod on the chosen node and binds it through `pods/<name>/binding` in the background, then
 *    records a `Scheduled` event carrying the explanation annotation; or
 *  - records `FailedScheduling` (upstream's message, the explanation annotation on the event), sets the
 *    PodScheduled=False condition, and parks the pod in the unschedulable queue until a cluster event may help;
 *    when evicting lower-priority pods would make room (preemption.ts), nominates that node and deletes them.
 *
 * Events are written as upstream's recorder writes them: asynchronously, a few at a time, dropped when too many
 * wait (here 10,000, and `FailedScheduling` before `Scheduled`). Neither the scheduling loop nor a binding ever
 * waits for one, so a burst of pods costs the API one binding each first, and events as the server has room.
 *
 * The scheduler talks to the API only through the client; it never reads storage.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import type { KubeObject } from '../api/meta/types.js';
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { ApiError, isConflict, isNotFound } from '../client/api-error.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import { EventRecorder } from '../client/event-recorder.js';
import { fitErrorMessage, podPriority } from './framework/fit-error.js';
import { Framework, type ScheduleResult } from './framework/framework.js';
import { NodeInfo } from './framework/node-info.js';
import { podKey, type Node, type Pod } from './framework/objects.js';
import { defaultProfile, type Profile } from './plugins/registry.js';
import { examineClaims, podClaimNames, type VolumeLookup } from './plugins/volume-binding.js';
import { findPreemption, type DisruptionBudget, type PreemptionCandidate } from './preemption.js';
import type { LabelSelectorObject } from '../api/meta/labels.js';
import { SchedulerCache } from './scheduler-cache.js';
import { EXPLANATION_ANNOTATION, explain, MAX_EXPLAINED_NODES } from './scheduling-explanation.js';
import { SchedulingQueue, type QueuedPodInfo } from './scheduling-queue.js';

/**
 * DEFAULT_MAX_QUEUED_SCHEDULING_EVENTS: ten times upstream's broadcaster queue. A burst of pods is bound faster than
 * 8 event writes at a time can follow (each costs the API server about as much as the binding), and beyond the
 * queue the `Scheduled` Events, with their explanations, are lost; a queued event holds about 2 KB (its explanation),
 * so 10,000 hold about 20 MB, and they are written once the burst is over, never competing with more than 8 writes
 * at a time (docs/benchmarks.md, issue 5 session 11).
 */
export const DEFAULT_MAX_QUEUED_SCHEDULING_EVENTS = 10_000;

/** DEFAULT_SCHEDULER_NAME is the spec.schedulerName this scheduler serves by default. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

const PODS = { version: 'v1', resource: 'pods' } as const;
const NODES = { version: 'v1', resource: 'nodes' } as const;
const PVCS = { version: 'v1', resource: 'persistentvolumeclaims' } as const;
const PVS = { version: 'v1', resource: 'persistentvolumes' } as const;
const STORAGE_CLASSES = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' } as const;
const PDBS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' } as const;
const NAMESPACES = { version: 'v1', resource: 'namespaces' } as const;
/** The claim annotation naming the node of its first pod (read by the provisioner). */
const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

/** SchedulerConfig constructs a Scheduler. */
export interface SchedulerConfig {
  readonly client: RestClient;
  readonly informers: InformerFactory;
  readonly clock: Clock;
  readonly log: Logger;
  /** @default "default-scheduler" */
  readonly schedulerName?: string;
  /** @default defaultProfile() */
  readonly profile?: Profile;
  /** Put the explanation annotation on the scheduling events. @default true */
  readonly explain?: boolean;
  /** Bindings in flight at once; the loop waits for one to finish beyond this. @default 128 */
  readonly maxInflightBindings?: number;
  /** Event writes in flight at once (the rest queue, and beyond `maxQueuedEvents` are dropped). @default 8 */
  readonly maxInflightEvents?: number;
  /** Events waiting for a write slot before Normal ones are dropped. @default DEFAULT_MAX_QUEUED_SCHEDULING_EVENTS */
  readonly maxQueuedEvents?: number;
  /** Queue timing (tests shorten it). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

function nodeSchedulingChanged(a: Node, b: Node): boolean {
  return (
    JSON.stringify(a.status?.allocatable) !== JSON.stringify(b.status?.allocatable) ||
    JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {}) ||
    JSON.stringify(a.spec?.taints ?? []) !== JSON.stringify(b.spec?.taints ?? []) ||
    (a.spec?.unschedulable ?? false) !== (b.spec?.unschedulable ?? false)
  );
}

/** Scheduler assigns pending pods to nodes. */
export class Scheduler {
  readonly #client: RestClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #name: string;
  readonly #explain: boolean;
  readonly #framework: Framework;
  readonly #cache = new SchedulerCache();
  readonly #queue: SchedulingQueue;
  readonly #pods: SharedInformer<Pod>;
  readonly #nodes: SharedInformer<Node>;
  readonly #events: EventRecorder;
  readonly #inflight = new Set<Promise<void>>();
  /** Pods that preempted others, by key: the node they wait for and the pod (counted there for lower priorities). */
  readonly #nominated = new Map<string, { node: string; pod: Pod }>();
  readonly #maxInflight: number;
  readonly #volumes: VolumeLookup;
  readonly #budgets: SharedInformer;
  /** Pods scheduled and failed so far (metrics and tests). */
  scheduledCount = 0;
  failedCount = 0;

  constructor(config: SchedulerConfig) {
    this.#client = config.client;
    this.#clock = config.clock;
    this.#log = config.log;
    this.#name = config.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.#explain = config.explain ?? true;
    this.#maxInflight = config.maxInflightBindings ?? 128;
    const claims = config.informers.informerFor(PVCS);
    const volumes = config.informers.informerFor(PVS);
    const classes = config.informers.informerFor(STORAGE_CLASSES);
    this.#volumes = {
      claim: (namespace, name) => claims.store.get(`${namespace}/${name}`),
      volume: (name) => volumes.store.get(name),
      storageClass: (name) => classes.store.get(name),
    };
    // A claim appearing or getting bound may make a waiting pod fit.
    claims.addEventHandler({ onAdd: () => this.#queue.moveAllToActiveOrBackoff(), onUpdate: () => this.#queue.moveAllToActiveOrBackoff() });
    this.#budgets = config.informers.informerFor(PDBS);
    const profile = config.profile ?? defaultProfile(undefined, this.#volumes);
    const namespaces = config.informers.informerFor(NAMESPACES);
    this.#framework = new Framework({
      filters: profile.filters,
      scores: profile.scores,
      keptScores: MAX_EXPLAINED_NODES,
      namespaces: () => namespaces.store.list().map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} })),
    });
    this.#queue = new SchedulingQueue({ clock: config.clock, initialBackoffMs: config.initialBackoffMs, maxBackoffMs: config.maxBackoffMs });
    this.#events = new EventRecorder({ client: config.client, component: this.#name, clock: config.clock, log: config.log, maxInflight: config.maxInflightEvents ?? 8, maxQueued: config.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_SCHEDULING_EVENTS });
    this.#pods = config.informers.informerFor<Pod>(PODS);
    this.#nodes = config.informers.informerFor<Node>(NODES);
    this.#pods.addEventHandler({
      onAdd: (pod) => this.#onPod(pod),
      onUpdate: (_old, pod) => this.#onPod(pod),
      onDelete: (pod) => {
        const key = podKey(pod);
        this.#nominated.delete(key);
        this.#queue.delete(key);
        if (pod.spec?.nodeName) {
          this.#cache.removePod(key);
          // Freed resources and ports may let parked pods fit.
          this.#queue.moveAllToActiveOrBackoff();
        }
      },
    });
    this.#nodes.addEventHandler({
      onAdd: (node) => {
        this.#cache.upsertNode(node);
        this.#queue.moveAllToActiveOrBackoff();
      },
      onUpdate: (old, node) => {
        this.#cache.upsertNode(node);
        if (nodeSchedulingChanged(old, node)) this.#queue.moveAllToActiveOrBackoff();
      },
      onDelete: (node) => this.#cache.removeNode(node.metadata?.name ?? ''),
    });
  }

  /**
   * eventBacklog is the event recorder's state (metrics, benchmarks): events waiting for a write slot, events not
   * written because too many waited (Warnings among them only when the queue held nothing but Warnings), and writes
   * that failed.
   */
  get eventBacklog(): { readonly queued: number; readonly droppedNormal: number; readonly droppedWarning: number; readonly failed: number } {
    return { queued: this.#events.queued, droppedNormal: this.#events.dropped - this.#events.droppedWarnings, droppedWarning: this.#events.droppedWarnings, failed: this.#events.failed };
  }

  /** queue exposes the scheduling queue (tests, metrics). */
  get queue(): SchedulingQueue {
    return this.#queue;
  }

  /** run schedules until `signal` aborts; resolves after in-flight bindings finished. */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => this.#queue.close(), { once: true });
    if (!(await this.#pods.waitForSync(signal)) || !(await this.#nodes.waitForSync(signal))) return;
    this.#log.info('Scheduler started', { schedulerName: this.#name });
    for (;;) {
      // Bound the bindings in flight (each is a request on a pooled connection); events are bounded by their recorder.
      while (this.#inflight.size >= this.#maxInflight) await Promise.race(this.#inflight);
      const info = await this.#queue.pop();
      if (!info) break;
      try {
        this.scheduleOne(info);
      } catch (err) {
        this.#log.error('Scheduling cycle failed', { pod: info.key, error: err });
        this.#queue.addUnschedulable(info, this.#queue.schedulingCycle, true);
      }
    }
    await Promise.all(this.#inflight);
  }

  /** scheduleOne runs one scheduling cycle for a popped pod; binding continues in the background. */
  scheduleOne(info: QueuedPodInfo): void {
    const cycle = this.#queue.schedulingCycle;
    const pod = this.#pods.store.get(info.key) ?? info.pod;
    if (!this.#responsibleForPending(pod) || this.#cache.isAssumed(info.key)) return;
    info.pod = pod;
    const nodes = this.#nodesWithNominated(pod);
    // The cache counts pods with affinity terms; nominated pods added to copies of nodes are not in that count.
    const cached = this.#cache.nodeInfos();
    const result = this.#framework.schedule(pod, nodes, nodes === cached ? { podsWithAffinity: this.#cache.podsWithAffinity } : {});
    if (!result.node) {
      const nominated = this.#nominated.get(info.key)?.node;
      const preemption = findPreemption(pod, this.#framework, result.rejected, this.#cache.nodeInfoMap(), result.numAllNodes, nominated, this.#disruptionBudgets());
      const message = fitErrorMessage(result.numAllNodes, result.rejected, preemption.message);
      info.unschedulablePlugins = new Set([...result.rejected.values()].map((s) => s.plugin ?? ''));
      this.#queue.addUnschedulable(info, cycle);
      this.failedCount++;
      this.#track(this.#recordFailure(pod, result, message));
      if (preemption.candidate) this.#track(this.#preempt(pod, preemption.candidate));
      return;
    }
    this.#nominated.delete(info.key);
    this.#cache.assumePod(pod, result.node);
    this.#track(this.#bind(info, pod, result.node, result, cycle));
  }

  /**
   * #nodesWithNominated returns the node list where pods that preempted for a node and matter more than `pod`
   * (priority ≥ its own) already count there, so a lesser pod cannot take the room they made.
   */
  #nodesWithNominated(pod: Pod): NodeInfo[] {
    const nodes = this.#cache.nodeInfos();
    if (this.#nominated.size === 0) return nodes;
    const self = podKey(pod);
    const extra = new Map<string, Pod[]>();
    for (const [key, n] of this.#nominated) {
      if (key === self || podPriority(n.pod) < podPriority(pod)) continue;
      extra.set(n.node, [...(extra.get(n.node) ?? []), n.pod]);
    }
    if (extra.size === 0) return nodes;
    return nodes.map((n) => {
      const add = extra.get(n.name);
      if (!add || !n.node) return n;
      const copy = new NodeInfo(n.name, n.node);
      for (const p of n.pods()) copy.addPod(p);
      for (const p of add) copy.addPod({ ...p, spec: { ...p.spec, nodeName: n.name } });
      return copy;
    });
  }

  /** #disruptionBudgets reads the PodDisruptionBudgets preemption should spare. */
  #disruptionBudgets(): DisruptionBudget[] {
    return this.#budgets.store.list().map((b) => ({
      namespace: b.metadata?.namespace ?? '',
      selector: (b['spec'] as { selector?: LabelSelectorObject } | undefined)?.selector,
      disruptionsAllowed: (b['status'] as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed ?? 0,
    }));
  }

  /** #preempt nominates the node for `pod` and evicts the victims (each gets a `Preempted` event). */
  async #preempt(pod: Pod, candidate: PreemptionCandidate): Promise<void> {
    const key = podKey(pod);
    const md = pod.metadata ?? {};
    this.#nominated.set(key, { node: candidate.node, pod });
    try {
      await this.#client.patch({ ...PODS, namespace: md.namespace, name: md.name, subresource: 'status' }, 'merge', { status: { nominatedNodeName: candidate.node } });
    } catch (err) {
      if (isNotFound(err)) {
        this.#nominated.delete(key);
        return;
      }
      this.#log.debug('Cannot nominate node', { pod: key, node: candidate.node, error: err });
    }
    this.#log.info('Preempting pods', { pod: key, node: candidate.node, victims: candidate.victims.map(podKey).join(',') });
    await Promise.all(
      candidate.victims.map(async (v) => {
        try {
          await this.#client.delete({ ...PODS, namespace: v.metadata?.namespace, name: v.metadata?.name }, { preconditions: { uid: v.metadata?.uid } });
          void this.#events.record({ ...v, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'Preempted', `Preempted by pod ${md.uid ?? ''} on node ${candidate.node}`);
        } catch (err) {
          if (!isNotFound(err) && !(err instanceof ApiError && err.code === 409)) this.#log.warn('Cannot evict preemption victim', { victim: podKey(v), error: err });
        }
      }),
    );
  }

  #track(p: Promise<void>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #responsibleForPending(pod: Pod): boolean {
    if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) return false;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return false;
    return (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.#name;
  }

  #onPod(pod: Pod): void {
    const key = podKey(pod);
    if (pod.spec?.nodeName) {
      this.#nominated.delete(key);
      this.#queue.delete(key);
      this.#cache.upsertPod(pod);
      // A finished pod frees its resources and ports: parked pods may fit now.
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') this.#queue.moveAllToActiveOrBackoff();
      return;
    }
    if (this.#responsibleForPending(pod)) {
      if (!this.#cache.isAssumed(key)) this.#queue.update(pod);
    } else {
      this.#queue.delete(key);
    }
  }

  async #bind(info: QueuedPodInfo, pod: Pod, node: string, result: ScheduleResult, cycle: number): Promise<void> {
    const md = pod.metadata ?? {};
    const binding: KubeObject = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: md.name, namespace: md.namespace, uid: md.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    };
    try {
      await this.#selectNodeForClaims(pod, node);
      await this.#client.create({ ...PODS, namespace: md.namespace, name: md.name, subresource: 'binding' }, binding);
    } catch (err) {
      this.#cache.forgetPod(info.key);
      // Gone (404), or already bound or being deleted (409): nothing left to schedule.
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      this.#log.warn('Cannot bind pod', { pod: info.key, node, error: err });
      this.#queue.addUnschedulable(info, cycle, true);
      return;
    }
    this.scheduledCount++;
    const message = `Successfully assigned ${md.namespace}/${md.name} to ${node}`;
    // Not awaited: the binding's slot is free as soon as the pod is bound.
    void this.#events.record(involved(pod), 'Normal', 'Scheduled', message, this.#explanationAnnotation(result, message));
  }

  /** #explanationAnnotation is the scheduling event's annotation explaining `result` (none when explaining is off). */
  #explanationAnnotation(result: ScheduleResult, message: string): Record<string, string> | undefined {
    return this.#explain ? { [EXPLANATION_ANNOTATION]: JSON.stringify(explain(result, message, this.#clock.now())) } : undefined;
  }

  /**
   * #selectNodeForClaims records the chosen node on the pod's unbound WaitForFirstConsumer claims (VolumeBinding's
   * PreBind), so the provisioner makes their volumes there.
   */
  async #selectNodeForClaims(pod: Pod, node: string): Promise<void> {
    if (podClaimNames(pod).length === 0) return;
    for (const claim of examineClaims(pod, this.#volumes).delayed) {
      if (claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === node) continue;
      await this.#client.patch({ ...PVCS, namespace: claim.metadata?.namespace, name: claim.metadata?.name }, 'merge', { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: node } } });
    }
  }

  async #recordFailure(pod: Pod, result: ScheduleResult, message: string): Promise<void> {
    const md = pod.metadata ?? {};
    void this.#events.record(involved(pod), 'Warning', 'FailedScheduling', message, this.#explanationAnnotation(result, message));
    const path = { ...PODS, namespace: md.namespace, name: md.name };
    const prev = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    try {
      if (!prev || prev.status !== 'False' || prev.message !== message) {
        const now = formatTimestamp(this.#clock.now());
        await this.#client.patch({ ...path, subresource: 'status' }, 'strategic', {
          status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: now }] },
        });
      }
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) this.#log.debug('Cannot record scheduling failure on pod', { pod: podKey(pod), error: err });
    }
  }
}

/** involved is the pod as an event's involved object (its kind and version, which informer copies may lack). */
function involved(pod: Pod): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata };
}
