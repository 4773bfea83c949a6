/**
 * Node lifecycle controller (upstream's "nodelifecycle", with the NoExecute taint manager): watches each node's
 * heartbeat — its Lease in kube-node-lease, or the Ready condition's lastHeartbeatTime — every monitor period (5 s):
 *
 * - silent longer than the grace period (`--node-monitor-grace-period`, 50 s as in upstream 1.32): the node's Ready, MemoryPressure,
 *   DiskPressure and PIDPressure conditions become Unknown (NodeStatusUnknown, "Kubelet stopped posting node
 *   status."; a node that never reported gets NodeStatusNeverUpdated);
 * - Ready Unknown → taints `node.kubernetes.io/unreachable` NoSchedule + NoExecute; Ready False → the same with
 *   `node.kubernetes.io/not-ready`; Ready True → those taints are removed;
 * - MemoryPressure, DiskPressure, PIDPressure or NetworkUnavailable True → the matching `node.kubernetes.io/…`
 *   NoSchedule taint, removed when the condition clears (TaintNodesByCondition);
 * - pods on a node with NoExecute taints are evicted (deleted) when they do not tolerate them, or once their
 *   tolerationSeconds (300 s by default, from DefaultTolerationSeconds admission) have passed since the taint came.
 */
import { formatTimestamp } from '../../api/meta/timestamp.js';
import type { KubeObject } from '../../api/meta/types.js';
import { semanticJson } from '../../api/meta/semantic-json.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS, type ControllerContext, type ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import { evictionTime, type Taint, type Toleration } from './taint-eviction.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' } as const;
const NODE_NAME_INDEX = 'spec.nodeName';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
/** The NoSchedule taint each pressure condition brings while True (upstream's TaintNodesByCondition). */
export const CONDITION_TAINTS: Readonly<Record<string, string>> = {
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
  NetworkUnavailable: 'node.kubernetes.io/network-unavailable',
};
const CONDITION_TAINT_KEYS = new Set(Object.values(CONDITION_TAINTS));
const UNKNOWN_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

interface NodeShape extends KubeObject {
  spec?: { taints?: Taint[] } & Record<string, unknown>;
  status?: { conditions?: NodeCondition[] } & Record<string, unknown>;
}

interface PodShape extends KubeObject {
  spec?: { nodeName?: string; tolerations?: Toleration[] };
  status?: { phase?: string };
}

function timestamp(ms: number): string {
  return formatTimestamp(ms);
}

/** NodeLifecycleConfig constructs a NodeLifecycleReconciler. */
export interface NodeLifecycleConfig {
  readonly client: RestClient;
  readonly nodes: SharedInformer<NodeShape>;
  readonly leases: SharedInformer;
  readonly pods: SharedInformer<PodShape>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly gracePeriodMs: number;
  readonly monitorPeriodMs: number;
}

/** NodeLifecycleReconciler checks one node (key: its name). */
export class NodeLifecycleReconciler implements Reconciler {
  readonly #c: NodeLifecycleConfig;

  constructor(config: NodeLifecycleConfig) {
    this.#c = config;
  }

  async reconcile(name: string): Promise<ReconcileResult | void> {
    let node = this.#c.nodes.store.get(name);
    if (!node) return;
    const now = this.#c.clock.now();
    node = await this.#markUnknownWhenSilent(node, now);
    node = await this.#syncTaints(node, now);
    const wakeAt = await this.#evictPods(node, now);
    const next = this.#c.monitorPeriodMs;
    return { requeueAfterMs: wakeAt !== undefined ? Math.max(100, Math.min(next, wakeAt - now)) : next };
  }

  /** The last sign of life: the Lease's renewTime or the Ready condition's heartbeat, else the node's creation. */
  #lastHeartbeat(node: NodeShape): number {
    const lease = this.#c.leases.store.get(`kube-node-lease/${node.metadata?.name ?? ''}`) as { spec?: { renewTime?: string } } | undefined;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const times = [lease?.spec?.renewTime, ready?.lastHeartbeatTime, node.metadata?.creationTimestamp].map((t) => Date.parse(t ?? '')).filter(Number.isFinite);
    return times.length > 0 ? Math.max(...times) : 0;
  }

  async #markUnknownWhenSilent(node: NodeShape, now: number): Promise<NodeShape> {
    if (now - this.#lastHeartbeat(node) <= this.#c.gracePeriodMs) return node;
    const conditions = [...(node.status?.conditions ?? [])];
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready?.status === 'Unknown') return node;
    const stamp = timestamp(now);
    if (conditions.length === 0) {
      for (const type of UNKNOWN_CONDITIONS) {
        conditions.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata?.creationTimestamp ?? undefined, lastTransitionTime: stamp });
      }
    } else {
      for (let i = 0; i < conditions.length; i++) {
        const c = conditions[i]!;
        if (!UNKNOWN_CONDITIONS.includes(c.type) || c.status === 'Unknown') continue;
        conditions[i] = { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: stamp };
      }
    }
    void this.#c.events.record(node, 'Normal', 'NodeNotReady', `Node ${node.metadata?.name ?? ''} status is now: NodeNotReady`);
    return this.#write(node, { ...node, status: { ...(node.status ?? {}), conditions } }, 'status');
  }

  async #syncTaints(node: NodeShape, now: number): Promise<NodeShape> {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    const key = ready === 'Unknown' ? UNREACHABLE_TAINT : ready === 'False' ? NOT_READY_TAINT : undefined;
    const current = node.spec?.taints ?? [];
    // TaintNodesByCondition: a pressure condition that is True keeps its NoSchedule taint; others lose theirs.
    const pressured = new Set(Object.entries(CONDITION_TAINTS).filter(([type]) => node.status?.conditions?.find((c) => c.type === type)?.status === 'True').map(([, taint]) => taint));
    const kept = current.filter((t) => ((t.key !== UNREACHABLE_TAINT && t.key !== NOT_READY_TAINT) || t.key === key) && (!CONDITION_TAINT_KEYS.has(t.key) || pressured.has(t.key)));
    const wanted = [...kept];
    for (const taint of pressured) if (!wanted.some((t) => t.key === taint && t.effect === 'NoSchedule')) wanted.push({ key: taint, effect: 'NoSchedule' });
    if (key) {
      if (!wanted.some((t) => t.key === key && t.effect === 'NoSchedule')) wanted.push({ key, effect: 'NoSchedule' });
      if (!wanted.some((t) => t.key === key && t.effect === 'NoExecute')) wanted.push({ key, effect: 'NoExecute', timeAdded: timestamp(now) });
    }
    if (semanticJson(wanted) === semanticJson(current)) return node;
    return this.#write(node, { ...node, spec: { ...(node.spec ?? {}), taints: wanted.length > 0 ? wanted : undefined } }, '');
  }

  /** Evicts pods that must leave; returns when the next toleration runs out, if one will. */
  async #evictPods(node: NodeShape, now: number): Promise<number | undefined> {
    const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    if (taints.length === 0) return undefined;
    let wake: number | undefined;
    for (const pod of this.#c.pods.store.byIndex(NODE_NAME_INDEX, node.metadata?.name ?? '')) {
      const phase = pod.status?.phase;
      if (pod.metadata?.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed') continue;
      const at = evictionTime(taints, pod.spec?.tolerations ?? [], now);
      if (at === undefined) continue;
      if (at > now) {
        wake = wake === undefined ? at : Math.min(wake, at);
        continue;
      }
      try {
        await this.#c.client.delete({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name }, { preconditions: { uid: pod.metadata?.uid } });
        void this.#c.events.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    return wake;
  }

  async #write(node: NodeShape, next: NodeShape, subresource: '' | 'status'): Promise<NodeShape> {
    try {
      return (await this.#c.client.update({ ...NODES, name: node.metadata?.name, ...(subresource ? { subresource } : {}) }, next)) as NodeShape;
    } catch (err) {
      if (isNotFound(err)) return node;
      if (isConflict(err)) throw new Error(`Cannot update node ${node.metadata?.name ?? ''}: it changed meanwhile; retrying`);
      throw err;
    }
  }
}

/** newNodeLifecycleController builds the controller: every node is checked each monitor period and on changes. */
export function newNodeLifecycleController(ctx: ControllerContext): Controller {
  const nodes = ctx.informers.informerFor<NodeShape>(NODES);
  const leases = ctx.informers.informerFor(LEASES);
  const pods = ctx.informers.informerFor<PodShape>(PODS);
  if (!pods.store.hasIndex(NODE_NAME_INDEX)) pods.store.addIndexers({ [NODE_NAME_INDEX]: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
  const events = new EventRecorder({ client: ctx.client, component: 'node-controller', clock: ctx.clock, log: ctx.log });
  const controller = new Controller({
    name: 'nodelifecycle',
    reconciler: new NodeLifecycleReconciler({
      client: ctx.client,
      nodes,
      leases,
      pods,
      clock: ctx.clock,
      log: ctx.log,
      events,
      gracePeriodMs: ctx.settings.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS,
      monitorPeriodMs: ctx.settings.nodeMonitorPeriodMs ?? 5_000,
    }),
    clock: ctx.clock,
    log: ctx.log,
    workers: 2,
  });
  const enqueue = (n: KubeObject): void => {
    if (n.metadata?.name) controller.enqueue(n.metadata.name);
  };
  nodes.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  // A pod landing on a tainted node may have to leave at once.
  pods.addEventHandler({
    onAdd: (p) => {
      const node = p.spec?.nodeName;
      if (node && (nodes.store.get(node)?.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) controller.enqueue(node);
    },
  });
  return controller;
}

/** NODE_LIFECYCLE_CONTROLLER is the table row of the node lifecycle controller. */
export const NODE_LIFECYCLE_CONTROLLER: ControllerDescriptor = { name: 'nodelifecycle', enabledByDefault: true, create: newNodeLifecycleController };
