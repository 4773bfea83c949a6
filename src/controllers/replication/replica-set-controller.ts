/**
 * The ReplicaSet and ReplicationController controllers ("replicaset", "replicationcontroller"): one
 * implementation for both kinds, as upstream shares it. For each owner it
 *
 *   1. claims pods: adopts matching orphans (ownerReference with controller=true, blockOwnerDeletion=true) and
 *      releases owned pods whose labels no longer match;
 *   2. if its expectations are met, creates or deletes pods until the active ones equal spec.replicas
 *      (creations in slow-start batches 1, 2, 4, …, at most 500 per pass; deletions pick the least valuable
 *      pods first: unscheduled, pending, not ready, newest);
 *   3. writes status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration).
 *
 * Events: `SuccessfulCreate` "Created pod: <name>", `SuccessfulDelete` "Deleted pod: <name>", `FailedCreate`.
 *
 * An owner being deleted is left alone: deleting its pods (background, foreground) or releasing them (orphan) is
 * the garbage collector's work, driven by the ownerReferences set here.
 */
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';
import { labelSelectorFromObject, selectorFromSet, type LabelSelector, type LabelSelectorObject } from '../../api/meta/labels.js';
import type { Logger } from '../../base/log/logger.js';
import { ApiError, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX } from '../../client/informer/store.js';
import type { ResourcePath } from '../../client/resource-path.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import { ControllerExpectations } from '../controller-expectations.js';
import { EventRecorder } from '../../client/event-recorder.js';

/** BURST_REPLICAS caps creations or deletions per pass (upstream's burstReplicas). */
export const BURST_REPLICAS = 500;
const SLOW_START_INITIAL_BATCH = 1;

/** ReplicatedKind tells the shared controller which kind it runs. */
export interface ReplicatedKind {
  /** The controller's name in `--controllers`. */
  readonly controllerName: string;
  /** The events' source component, as upstream names it. */
  readonly eventSource: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly path: ResourcePath;
  /** Reads the owner's selector (a LabelSelector for ReplicaSet, a plain map for ReplicationController). */
  readonly selector: (owner: ReplicatedOwner) => LabelSelector;
}

/** ReplicatedOwner is a ReplicaSet or ReplicationController. */
export interface ReplicatedOwner extends KubeObject {
  spec?: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: unknown;
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec?: unknown };
  };
  status?: ReplicatedStatus;
}

/** ReplicatedStatus is the status both kinds share. */
export interface ReplicatedStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: unknown[];
}

/** PodLike is the part of a pod the controller reads. */
interface PodLike extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[]; containerStatuses?: { restartCount?: number }[] };
}

const PODS = { version: 'v1', resource: 'pods' } as const;

/** REPLICASET_KIND describes apps/v1 ReplicaSet. */
export const REPLICASET_KIND: ReplicatedKind = {
  controllerName: 'replicaset',
  eventSource: 'replicaset-controller',
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  path: { group: 'apps', version: 'v1', resource: 'replicasets' },
  selector: (o) => labelSelectorFromObject(o.spec?.selector as LabelSelectorObject | undefined),
};

/** REPLICATIONCONTROLLER_KIND describes v1 ReplicationController (its selector is a plain label map). */
export const REPLICATIONCONTROLLER_KIND: ReplicatedKind = {
  controllerName: 'replicationcontroller',
  eventSource: 'replication-controller',
  apiVersion: 'v1',
  kind: 'ReplicationController',
  path: { version: 'v1', resource: 'replicationcontrollers' },
  selector: (o) => {
    const sel = o.spec?.selector as Record<string, string> | undefined;
    const set = sel && Object.keys(sel).length > 0 ? sel : o.spec?.template?.metadata?.labels;
    // An empty selector selects nothing for RCs: never adopt every pod of the namespace.
    return set && Object.keys(set).length > 0 ? selectorFromSet(set) : labelSelectorFromObject(undefined);
  },
};

function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

function isActive(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

function readySince(pod: PodLike): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  if (c?.status !== 'True') return undefined;
  return c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
}

/** deletionRank orders pods for scale-down: lower ranks are deleted first (upstream's ActivePods ordering, simplified). */
function deletionRank(a: PodLike, b: PodLike): number {
  const assigned = (p: PodLike): number => (p.spec?.nodeName ? 1 : 0);
  const phase = (p: PodLike): number => ({ Pending: 0, Unknown: 1, Running: 2 })[p.status?.phase ?? 'Pending'] ?? 0;
  const ready = (p: PodLike): number => (readySince(p) !== undefined ? 1 : 0);
  const restarts = (p: PodLike): number => (p.status?.containerStatuses ?? []).reduce((m, c) => Math.max(m, c.restartCount ?? 0), 0);
  const created = (p: PodLike): number => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  return (
    assigned(a) - assigned(b) ||
    phase(a) - phase(b) ||
    ready(a) - ready(b) ||
    restarts(b) - restarts(a) ||
    created(b) - created(a)
  );
}

/** ReplicaSetReconciler converges one owner (key `namespace/name`). */
export class ReplicaSetReconciler implements Reconciler {
  readonly #kind: ReplicatedKind;
  readonly #client: RestClient;
  readonly #owners: SharedInformer<ReplicatedOwner>;
  readonly #pods: SharedInformer<PodLike>;
  readonly #expectations: ControllerExpectations;
  readonly #events: EventRecorder;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(config: {
    kind: ReplicatedKind;
    client: RestClient;
    owners: SharedInformer<ReplicatedOwner>;
    pods: SharedInformer<PodLike>;
    expectations: ControllerExpectations;
    events: EventRecorder;
    log: Logger;
    now: () => number;
  }) {
    this.#kind = config.kind;
    this.#client = config.client;
    this.#owners = config.owners;
    this.#pods = config.pods;
    this.#expectations = config.expectations;
    this.#events = config.events;
    this.#log = config.log;
    this.#now = config.now;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.#owners.store.get(key);
    if (!cached) {
      this.#expectations.forget(key);
      return;
    }
    const owner: ReplicatedOwner = { ...cached, apiVersion: this.#kind.apiVersion, kind: this.#kind.kind };
    const md = owner.metadata ?? {};
    const namespace = md.namespace ?? '';
    if (md.deletionTimestamp) return;

    let selector: LabelSelector;
    try {
      selector = this.#kind.selector(owner);
    } catch (err) {
      this.#log.warn('Owner has an invalid selector', { key, error: err });
      return;
    }
    const claimed = await this.#claimPods(owner, selector, this.#pods.store.byIndex(NAMESPACE_INDEX, namespace));
    const active = claimed.filter(isActive);

    if (this.#expectations.satisfied(key)) await this.#manageReplicas(key, owner, active);

    return this.#updateStatus(owner, active);
  }

  /** #claimPods adopts matching orphans and releases owned pods that stopped matching; returns the owned, matching pods. */
  async #claimPods(owner: ReplicatedOwner, selector: LabelSelector, pods: readonly PodLike[]): Promise<PodLike[]> {
    const uid = owner.metadata?.uid;
    const out: PodLike[] = [];
    for (const pod of pods) {
      const ref = controllerRef(pod);
      const matches = selector.matches(pod.metadata?.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) out.push(pod);
        else await this.#release(owner, pod);
        continue;
      }
      if (!matches || pod.metadata?.deletionTimestamp || !isActive(pod)) continue;
      if (await this.#adopt(owner, pod)) out.push(pod);
    }
    return out;
  }

  #ownerRef(owner: ReplicatedOwner): OwnerReference {
    return { apiVersion: this.#kind.apiVersion, kind: this.#kind.kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
  }

  async #adopt(owner: ReplicatedOwner, pod: PodLike): Promise<boolean> {
    const refs = [...(pod.metadata?.ownerReferences ?? []), this.#ownerRef(owner)];
    try {
      await this.#client.patch({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name }, 'merge', {
        metadata: { ownerReferences: refs, resourceVersion: pod.metadata?.resourceVersion },
      });
      this.#log.info('Adopted pod', { owner: metaNamespaceKey(owner), pod: pod.metadata?.name });
      return true;
    } catch (err) {
      // Changed meanwhile (409) or gone (404): the next event about it brings us back.
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return false;
      throw err;
    }
  }

  async #release(owner: ReplicatedOwner, pod: PodLike): Promise<void> {
    const uid = owner.metadata?.uid;
    const refs = (pod.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
    try {
      await this.#client.patch({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name }, 'merge', {
        metadata: { ownerReferences: refs.length > 0 ? refs : null, resourceVersion: pod.metadata?.resourceVersion },
      });
      this.#log.info('Released pod', { owner: metaNamespaceKey(owner), pod: pod.metadata?.name });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }

  async #manageReplicas(key: string, owner: ReplicatedOwner, active: PodLike[]): Promise<void> {
    const want = owner.spec?.replicas ?? 1;
    const diff = active.length - want;
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      this.#expectations.expectCreations(key, count);
      let remaining = count;
      let batch = SLOW_START_INITIAL_BATCH;
      let failure: unknown;
      while (remaining > 0 && failure === undefined) {
        const n = Math.min(batch, remaining);
        const results = await Promise.allSettled(Array.from({ length: n }, () => this.#createPod(owner)));
        for (const r of results) {
          if (r.status === 'rejected') {
            // The informer will never report this pod: lower the expectation ourselves.
            this.#expectations.creationObserved(key);
            failure ??= r.reason;
          }
        }
        remaining -= n;
        batch *= 2;
      }
      // Creations never attempted after a failure are not expected either.
      for (let i = 0; i < remaining; i++) this.#expectations.creationObserved(key);
      if (failure !== undefined) throw failure;
    } else if (diff > 0) {
      const victims = [...active].sort(deletionRank).slice(0, Math.min(diff, BURST_REPLICAS));
      this.#expectations.expectDeletions(key, victims.map(metaNamespaceKey));
      const results = await Promise.allSettled(victims.map((p) => this.#deletePod(key, owner, p)));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  async #createPod(owner: ReplicatedOwner): Promise<void> {
    const md = owner.metadata ?? {};
    const tmpl = owner.spec?.template ?? {};
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${md.name ?? ''}-`,
        namespace: md.namespace,
        ...(tmpl.metadata?.labels ? { labels: { ...tmpl.metadata.labels } } : {}),
        ...(tmpl.metadata?.annotations ? { annotations: { ...tmpl.metadata.annotations } } : {}),
        ...(tmpl.metadata?.finalizers ? { finalizers: [...tmpl.metadata.finalizers] } : {}),
        ownerReferences: [this.#ownerRef(owner)],
      },
      spec: structuredClone(tmpl.spec ?? {}),
    };
    try {
      const created = await this.#client.create({ ...PODS, namespace: md.namespace }, pod);
      void this.#events.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name ?? ''}`);
    } catch (err) {
      void this.#events.record(owner, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async #deletePod(key: string, owner: ReplicatedOwner, pod: PodLike): Promise<void> {
    try {
      await this.#client.delete({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name }, { preconditions: { uid: pod.metadata?.uid } });
      void this.#events.record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name ?? ''}`);
    } catch (err) {
      this.#expectations.deletionObserved(key, metaNamespaceKey(pod));
      if (isNotFound(err)) return;
      void this.#events.record(owner, 'Warning', 'FailedDelete', `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async #updateStatus(owner: ReplicatedOwner, active: PodLike[]): Promise<ReconcileResult | void> {
    const minReadyMs = (owner.spec?.minReadySeconds ?? 0) * 1000;
    const templateLabels = owner.spec?.template?.metadata?.labels ?? {};
    const now = this.#now();
    let ready = 0;
    let available = 0;
    let fullyLabeled = 0;
    let soonestAvailable: number | undefined;
    for (const p of active) {
      const labels = p.metadata?.labels ?? {};
      if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
      const since = readySince(p);
      if (since === undefined) continue;
      ready++;
      if (minReadyMs === 0 || since + minReadyMs <= now) available++;
      else soonestAvailable = Math.min(soonestAvailable ?? Infinity, since + minReadyMs - now);
    }
    const old = owner.status ?? { replicas: 0 };
    const status: ReplicatedStatus = {
      ...old,
      replicas: active.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: owner.metadata?.generation ?? old.observedGeneration,
    };
    // Upstream omits zero counts (omitempty); keep the stored shape identical to avoid needless writes.
    for (const f of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) if (status[f] === 0) delete status[f];
    const changed = JSON.stringify(normalizeStatus(old)) !== JSON.stringify(normalizeStatus(status));
    if (changed) {
      try {
        await this.#client.update({ ...this.#kind.path, namespace: owner.metadata?.namespace, name: owner.metadata?.name, subresource: 'status' }, { ...owner, status });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    if (soonestAvailable !== undefined) return { requeueAfterMs: soonestAvailable + 50 };
  }
}

function normalizeStatus(s: ReplicatedStatus): unknown {
  return {
    replicas: s.replicas ?? 0,
    fullyLabeledReplicas: s.fullyLabeledReplicas ?? 0,
    readyReplicas: s.readyReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
    observedGeneration: s.observedGeneration,
  };
}

/** newReplicatedController builds the controller of one kind with its informer handlers. */
export function newReplicatedController(kind: ReplicatedKind, ctx: ControllerContext): Controller {
  const owners = ctx.informers.informerFor<ReplicatedOwner>(kind.path);
  const pods = ctx.informers.informerFor<PodLike>(PODS);
  const expectations = new ControllerExpectations({ now: () => ctx.clock.now() });
  const events = new EventRecorder({ client: ctx.client, component: kind.eventSource, clock: ctx.clock, log: ctx.log });
  const controller = new Controller({
    name: kind.controllerName,
    reconciler: new ReplicaSetReconciler({ kind, client: ctx.client, owners, pods, expectations, events, log: ctx.log, now: () => ctx.clock.now() }),
    clock: ctx.clock,
    log: ctx.log,
    // Upstream runs 5 workers (--concurrent-replicaset-syncs).
    workers: 5,
  });

  const ownerKeyOf = (pod: PodLike): string | undefined => {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== kind.kind || ref.apiVersion.split('/')[0] !== kind.apiVersion.split('/')[0]) return undefined;
    const key = `${pod.metadata?.namespace ?? ''}/${ref.name}`;
    return owners.store.get(key)?.metadata?.uid === ref.uid ? key : undefined;
  };
  const enqueueMatchingOwners = (pod: PodLike): void => {
    for (const o of owners.store.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '')) {
      try {
        if (kind.selector(o).matches(pod.metadata?.labels)) controller.enqueue(metaNamespaceKey(o));
      } catch {
        // An owner with an invalid selector adopts nothing.
      }
    }
  };

  owners.addEventHandler({
    onAdd: (o) => controller.enqueue(metaNamespaceKey(o)),
    onUpdate: (_old, o) => controller.enqueue(metaNamespaceKey(o)),
    onDelete: (o) => expectations.forget(metaNamespaceKey(o)),
  });
  pods.addEventHandler({
    onAdd: (pod) => {
      if (pod.metadata?.deletionTimestamp) return;
      const key = ownerKeyOf(pod);
      if (key) {
        expectations.creationObserved(key);
        controller.enqueue(key);
      } else if (!controllerRef(pod)) enqueueMatchingOwners(pod);
    },
    onUpdate: (old, pod) => {
      const key = ownerKeyOf(pod);
      const oldKey = ownerKeyOf(old);
      if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp && key) expectations.deletionObserved(key, metaNamespaceKey(pod));
      if (oldKey && oldKey !== key) controller.enqueue(oldKey);
      if (key) controller.enqueue(key);
      else if (!controllerRef(pod)) enqueueMatchingOwners(pod);
      if (key && JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(pod.metadata?.labels ?? {})) enqueueMatchingOwners(pod);
    },
    onDelete: (pod) => {
      const key = ownerKeyOf(pod);
      if (!key) return;
      expectations.deletionObserved(key, metaNamespaceKey(pod));
      controller.enqueue(key);
    },
  });
  return controller;
}

/** REPLICASET_CONTROLLER is the table row of the ReplicaSet controller. */
export const REPLICASET_CONTROLLER: ControllerDescriptor = { name: 'replicaset', enabledByDefault: true, create: (ctx) => newReplicatedController(REPLICASET_KIND, ctx) };

/** REPLICATIONCONTROLLER_CONTROLLER is the table row of the ReplicationController controller. */
export const REPLICATIONCONTROLLER_CONTROLLER: ControllerDescriptor = {
  name: 'replicationcontroller',
  enabledByDefault: true,
  create: (ctx) => newReplicatedController(REPLICATIONCONTROLLER_KIND, ctx),
};
