/**
 * Deployment controller: runs a Deployment's ReplicaSets (upstream's deployment controller). Level-based: each pass
 * reads the Deployment and the ReplicaSets it controls from the informers and takes the next step:
 *
 * 1. adopt orphan ReplicaSets its selector matches;
 * 2. find the new ReplicaSet (the one whose template is the Deployment's, ignoring `pod-template-hash`), creating it
 *    when missing (unless paused), and keep revisions in order (`deployment.kubernetes.io/revision`: an old
 *    ReplicaSet that becomes new again after `kubectl rollout undo` gets the next revision);
 * 3. Recreate: scale every old ReplicaSet to 0, wait until their pods are gone, then scale the new one up;
 *    RollingUpdate: scale the new one up within maxSurge, then the old ones down within maxUnavailable (unhealthy
 *    old replicas first). One scaling step per pass: each ReplicaSet change comes back as an event;
 * 4. delete old, empty ReplicaSets beyond revisionHistoryLimit;
 * 5. write status (replica counts, Available and Progressing conditions with upstream's reasons, including
 *    ProgressDeadlineExceeded) for `kubectl rollout status`.
 *
 * `kubectl rollout undo|history|pause|resume|restart` need nothing else: they read the revisions and change the spec.
 * Not done: proportional scaling of several active ReplicaSets when replicas change mid-rollout (the new ReplicaSet
 * takes the difference).
 */
import { formatTimestamp } from '../../api/meta/timestamp.js';
import { labelSelectorFromObject, type LabelSelectorObject } from '../../api/meta/labels.js';
import { controllerOf } from '../../api/meta/owner-references.js';
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import { semanticJson } from '../../api/meta/semantic-json.js';
import { POD_TEMPLATE_HASH_LABEL, podTemplateHash } from './pod-template-hash.js';
import { proportionalSizes } from './proportional-scaling.js';
import { newReplicaSetReplicas, resolveSurgeAndUnavailable, type RollingUpdateSpec } from './rollout-parameters.js';

const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' } as const;

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** Deployment annotations that are not copied to its ReplicaSets (upstream's skip list). */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } & Record<string, unknown>;
  spec?: Record<string, unknown>;
}

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

/** DeploymentShape is the part of apps/v1 Deployment the controller reads. */
export interface DeploymentShape extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: LabelSelectorObject;
    template?: PodTemplate;
    strategy?: { type?: string; rollingUpdate?: RollingUpdateSpec };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    collisionCount?: number;
    conditions?: Condition[];
  };
}

/** ReplicaSetShape is the part of apps/v1 ReplicaSet the controller reads and writes. */
export interface ReplicaSetShape extends KubeObject {
  spec?: { replicas?: number; minReadySeconds?: number; selector?: LabelSelectorObject; template?: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

function revisionOf(rs: KubeObject): number {
  const n = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? '0');
  return Number.isFinite(n) ? n : 0;
}

function specReplicas(rs: ReplicaSetShape): number {
  return rs.spec?.replicas ?? 0;
}


/** templateWithoutHash drops the pod-template-hash label, to compare a ReplicaSet's template with a Deployment's. */
function templateWithoutHash(t: PodTemplate | undefined): unknown {
  if (!t) return {};
  const labels = { ...(t.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  const metadata = { ...(t.metadata ?? {}), labels };
  if (Object.keys(labels).length === 0) delete (metadata as Record<string, unknown>)['labels'];
  return { ...t, metadata };
}

function byOldest(a: ReplicaSetShape, b: ReplicaSetShape): number {
  return revisionOf(a) - revisionOf(b) || (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '');
}

/** DeploymentReconcilerConfig constructs a DeploymentReconciler. */
export interface DeploymentReconcilerConfig {
  readonly client: RestClient;
  readonly deployments: SharedInformer<DeploymentShape>;
  readonly replicaSets: SharedInformer<ReplicaSetShape>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventRecorder;
}

/** DeploymentReconciler converges one Deployment (key `namespace/name`). */
export class DeploymentReconciler implements Reconciler {
  readonly #c: DeploymentReconcilerConfig;

  constructor(config: DeploymentReconcilerConfig) {
    this.#c = config;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const d = this.#c.deployments.store.get(key);
    if (!d || d.metadata?.deletionTimestamp) return;
    const { namespace } = splitMetaNamespaceKey(key);
    const selector = labelSelectorFromObject(d.spec?.selector);
    if (selector.empty()) return; // upstream refuses to act on a selector that selects everything
    const owned = await this.#claimReplicaSets(d, namespace, (labels) => selector.matches(labels));
    const desired = d.spec?.replicas ?? 1;
    const [maxSurge, maxUnavailable] = resolveSurgeAndUnavailable(d.spec?.strategy?.rollingUpdate, desired);
    const recreate = d.spec?.strategy?.type === 'Recreate';

    const wanted = semanticJson(templateWithoutHash(d.spec?.template));
    const matching = owned.filter((rs) => semanticJson(templateWithoutHash(rs.spec?.template)) === wanted).sort(byOldest);
    let newRS = matching[0];
    const olds = owned.filter((rs) => rs !== newRS).sort(byOldest);
    const maxOldRevision = olds.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    let progress: { reason: string; message: string } | undefined;

    if (newRS) {
      newRS = await this.#syncNewReplicaSetMetadata(d, newRS, maxOldRevision, desired, maxSurge);
    } else if (!d.spec?.paused) {
      const all = specTotal(olds);
      const replicas = recreate ? (olds.some((rs) => (rs.status?.replicas ?? 0) > 0 || specReplicas(rs) > 0) ? 0 : desired) : newReplicaSetReplicas(desired, maxSurge, 0, all);
      const created = await this.#createNewReplicaSet(d, maxOldRevision + 1, replicas, desired, maxSurge);
      if (created === 'collision') return { requeueAfterMs: 0 };
      newRS = created;
      progress = { reason: 'NewReplicaSetCreated', message: `Created new replica set "${created.metadata?.name ?? ''}"` };
    }
    await this.#syncDeploymentRevision(d, newRS);

    let scaled = false;
    if (newRS && !recreate && this.#isScalingEvent(owned, desired)) {
      // A replicas change mid-rollout is spread over the ReplicaSets first (even when paused); the rollout goes
      // on at the next sync.
      scaled = await this.#scaleProportionally(d, newRS, owned, desired, maxSurge);
    } else if (!d.spec?.paused && newRS) {
      scaled = recreate
        ? await this.#recreate(d, newRS, olds, desired)
        : await this.#rollingUpdate(d, newRS, olds, desired, maxSurge, maxUnavailable);
    }
    if (scaled && !progress) progress = { reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRS?.metadata?.name ?? ''}" is progressing.` };
    await this.#cleanup(d, olds);
    return this.#writeStatus(d, newRS, owned, desired, maxUnavailable, progress);
  }

  /** Owned ReplicaSets, adopting orphans whose labels the selector matches. */
  async #claimReplicaSets(d: DeploymentShape, namespace: string, matches: (labels: Record<string, string>) => boolean): Promise<ReplicaSetShape[]> {
    const uid = d.metadata?.uid ?? '';
    const out: ReplicaSetShape[] = [];
    for (const rs of this.#c.replicaSets.store.byIndex(NAMESPACE_INDEX, namespace)) {
      const ref = controllerOf(rs);
      if (ref) {
        if (ref.uid === uid) out.push(rs);
        continue;
      }
      if (rs.metadata?.deletionTimestamp || !matches(rs.metadata?.labels ?? {})) continue;
      const adopted = await this.#patchReplicaSet(rs, { metadata: { ownerReferences: [...(rs.metadata?.ownerReferences ?? []), ownerRefOf(d)], resourceVersion: rs.metadata?.resourceVersion } });
      if (adopted) out.push(adopted);
    }
    return out;
  }

  /** Keeps the new ReplicaSet's revision above every old one, and its copied annotations and minReadySeconds current. */
  async #syncNewReplicaSetMetadata(d: DeploymentShape, rs: ReplicaSetShape, maxOldRevision: number, desired: number, maxSurge: number): Promise<ReplicaSetShape> {
    const annotations: Record<string, string | null> = {};
    const current = rs.metadata?.annotations ?? {};
    if (revisionOf(rs) <= maxOldRevision) annotations[REVISION_ANNOTATION] = String(maxOldRevision + 1);
    for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!NOT_COPIED.has(k) && current[k] !== v) annotations[k] = v;
    if (current[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    if (current[MAX_REPLICAS_ANNOTATION] !== String(desired + maxSurge)) annotations[MAX_REPLICAS_ANNOTATION] = String(desired + maxSurge);
    const minReady = d.spec?.minReadySeconds ?? 0;
    const spec = (rs.spec?.minReadySeconds ?? 0) !== minReady ? { minReadySeconds: minReady } : undefined;
    if (Object.keys(annotations).length === 0 && !spec) return rs;
    // No resourceVersion precondition: these fields are the controller's alone, whatever else changed meanwhile.
    return (await this.#patchReplicaSet(rs, { metadata: { annotations }, ...(spec ? { spec } : {}) })) ?? rs;
  }

  async #createNewReplicaSet(d: DeploymentShape, revision: number, replicas: number, desired: number, maxSurge: number): Promise<ReplicaSetShape | 'collision'> {
    const template = structuredClone(d.spec?.template ?? {});
    const collisions = d.status?.collisionCount ?? 0;
    const hash = podTemplateHash(template, collisions);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = d.spec?.selector ?? {};
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!NOT_COPIED.has(k)) annotations[k] = v;
    annotations[REVISION_ANNOTATION] = String(revision);
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    annotations[MAX_REPLICAS_ANNOTATION] = String(desired + maxSurge);
    const name = `${d.metadata?.name ?? ''}-${hash}`;
    const rs: ReplicaSetShape = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata?.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        annotations,
        ownerReferences: [ownerRefOf(d)],
      },
      spec: {
        replicas,
        minReadySeconds: d.spec?.minReadySeconds ?? 0,
        selector: { ...selector, matchLabels: { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } },
        template,
      },
    };
    try {
      const created = (await this.#c.client.create({ ...REPLICASETS, namespace: d.metadata?.namespace }, rs)) as ReplicaSetShape;
      if (replicas > 0) void this.#c.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} to ${replicas} from 0`);
      return created;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // A ReplicaSet of that name exists but is not this template's (else it would have matched): change the hash.
      await this.#c.client.patch({ ...DEPLOYMENTS, namespace: d.metadata?.namespace, name: d.metadata?.name, subresource: 'status' }, 'merge', {
        status: { collisionCount: collisions + 1 },
      });
      return 'collision';
    }
  }

  /** The Deployment carries its new ReplicaSet's revision (what `kubectl rollout history` reports as current). */
  async #syncDeploymentRevision(d: DeploymentShape, newRS: ReplicaSetShape | undefined): Promise<void> {
    if (!newRS) return;
    const revision = newRS.metadata?.annotations?.[REVISION_ANNOTATION];
    if (!revision || d.metadata?.annotations?.[REVISION_ANNOTATION] === revision) return;
    try {
      await this.#c.client.patch({ ...DEPLOYMENTS, namespace: d.metadata?.namespace, name: d.metadata?.name }, 'merge', {
        metadata: { annotations: { [REVISION_ANNOTATION]: revision } },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #recreate(d: DeploymentShape, newRS: ReplicaSetShape, olds: ReplicaSetShape[], desired: number): Promise<boolean> {
    let scaled = false;
    for (const rs of olds) if (specReplicas(rs) > 0) scaled = (await this.#scale(d, rs, 0)) || scaled;
    if (scaled) return true;
    // Recreate: no new pod before every old one is gone.
    if (olds.some((rs) => (rs.status?.replicas ?? 0) > 0)) return false;
    return specReplicas(newRS) !== desired ? this.#scale(d, newRS, desired) : false;
  }

  async #rollingUpdate(d: DeploymentShape, newRS: ReplicaSetShape, olds: ReplicaSetShape[], desired: number, maxSurge: number, maxUnavailable: number): Promise<boolean> {
    const all = [newRS, ...olds];
    // Scale the new ReplicaSet up (within the surge) or down to the desired count.
    const current = specReplicas(newRS);
    if (current !== desired) {
      const target = current > desired ? desired : newReplicaSetReplicas(desired, maxSurge, current, specTotal(all));
      if (target !== current && (await this.#scale(d, newRS, target))) return true;
    }
    const oldPods = specTotal(olds);
    if (oldPods === 0) return false;
    // Scale old ones down without going below desired − maxUnavailable available pods.
    const minAvailable = desired - maxUnavailable;
    const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = specTotal(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let budget = maxScaledDown;
    let scaled = false;
    // Unhealthy old replicas go first: removing them costs no availability.
    for (const rs of olds) {
      if (budget <= 0) break;
      const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const down = Math.min(budget, unhealthy);
      budget -= down;
      scaled = (await this.#scale(d, rs, specReplicas(rs) - down)) || scaled;
    }
    if (scaled) return true;
    const available = all.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    let toScaleDown = Math.min(budget, available - minAvailable);
    for (const rs of olds) {
      if (toScaleDown <= 0) break;
      const down = Math.min(specReplicas(rs), toScaleDown);
      if (down <= 0) continue;
      toScaleDown -= down;
      scaled = (await this.#scale(d, rs, specReplicas(rs) - down)) || scaled;
    }
    return scaled;
  }

  /** #isScalingEvent tells whether some ReplicaSet with pods was sized for another replica count (upstream's test). */
  #isScalingEvent(owned: readonly ReplicaSetShape[], desired: number): boolean {
    return owned.some((rs) => specReplicas(rs) > 0 && rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== String(desired));
  }

  /** #scaleProportionally resizes the active ReplicaSets after a replicas change (see proportional-scaling.ts). */
  async #scaleProportionally(d: DeploymentShape, newRS: ReplicaSetShape, owned: readonly ReplicaSetShape[], desired: number, maxSurge: number): Promise<boolean> {
    const active = owned.filter((rs) => specReplicas(rs) > 0);
    if (active.length <= 1) {
      // One ReplicaSet with pods (or none): it takes the whole count, as a plain scale.
      const target = active[0] ?? newRS;
      return this.#scale(d, target, desired, true);
    }
    const ranked = [...owned].sort(byOldest);
    const sizes = proportionalSizes(
      active.map((rs) => ({
        name: rs.metadata?.name ?? '',
        replicas: specReplicas(rs),
        maxReplicas: Number(rs.metadata?.annotations?.[MAX_REPLICAS_ANNOTATION] ?? '') || undefined,
        age: ranked.indexOf(rs),
      })),
      desired,
      maxSurge,
      d.status?.replicas ?? 0,
    );
    let scaled = false;
    for (const rs of active) scaled = (await this.#scale(d, rs, sizes.get(rs.metadata?.name ?? '') ?? specReplicas(rs), true)) || scaled;
    return scaled;
  }

  /** #scale sets a ReplicaSet's replicas and records ScalingReplicaSet as upstream words it. */
  async #scale(d: DeploymentShape, rs: ReplicaSetShape, replicas: number, refreshAnnotations = false): Promise<boolean> {
    const from = specReplicas(rs);
    const desired = d.spec?.replicas ?? 1;
    const [maxSurge] = resolveSurgeAndUnavailable(d.spec?.strategy?.rollingUpdate, desired);
    if (from === replicas) {
      // Same size, new Deployment size: only the annotations change (so the scaling event is over).
      const stale = rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || rs.metadata?.annotations?.[MAX_REPLICAS_ANNOTATION] !== String(desired + maxSurge);
      if (refreshAnnotations && stale) {
        await this.#patchReplicaSet(rs, { metadata: { annotations: { [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(desired + maxSurge) } } });
      }
      return false;
    }
    const patched = await this.#patchReplicaSet(rs, {
      metadata: {
        resourceVersion: rs.metadata?.resourceVersion,
        annotations: { [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(desired + maxSurge) },
      },
      spec: { replicas },
    });
    if (!patched) return false;
    const direction = replicas > from ? 'up' : 'down';
    void this.#c.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata?.name ?? ''} to ${replicas} from ${from}`);
    return true;
  }

  /** Old, empty ReplicaSets beyond revisionHistoryLimit are deleted, oldest first. */
  async #cleanup(d: DeploymentShape, olds: ReplicaSetShape[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const empty = olds.filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata?.deletionTimestamp);
    for (const rs of empty.slice(0, Math.max(0, empty.length - limit))) {
      try {
        await this.#c.client.delete({ ...REPLICASETS, namespace: rs.metadata?.namespace, name: rs.metadata?.name }, { preconditions: { uid: rs.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /** Writes status when it changed; asks to be woken when the progress deadline would pass. */
  async #writeStatus(
    d: DeploymentShape,
    newRS: ReplicaSetShape | undefined,
    owned: ReplicaSetShape[],
    desired: number,
    maxUnavailable: number,
    progress: { reason: string; message: string } | undefined,
  ): Promise<ReconcileResult | void> {
    const sum = (f: (rs: ReplicaSetShape) => number): number => owned.reduce((n, rs) => n + f(rs), 0);
    const replicas = sum((rs) => rs.status?.replicas ?? 0);
    const updatedReplicas = newRS?.status?.replicas ?? 0;
    const readyReplicas = sum((rs) => rs.status?.readyReplicas ?? 0);
    const availableReplicas = sum((rs) => rs.status?.availableReplicas ?? 0);
    const old = d.status ?? {};
    const now = this.#timestamp();
    const conditions = [...(old.conditions ?? [])];
    const set = (c: Condition): void => {
      const i = conditions.findIndex((x) => x.type === c.type);
      const prev = i >= 0 ? conditions[i] : undefined;
      if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return;
      const next = { ...c, lastUpdateTime: now, lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? now) : now };
      if (i >= 0) conditions[i] = next;
      else conditions.push(next);
    };
    const available = availableReplicas >= desired - maxUnavailable;
    set(
      available
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
    );
    const rsName = newRS?.metadata?.name ?? '';
    const complete = newRS !== undefined && updatedReplicas === desired && replicas === updatedReplicas && availableReplicas >= desired && specReplicas(newRS) === desired;
    const countsMoved =
      updatedReplicas !== (old.updatedReplicas ?? 0) || availableReplicas !== (old.availableReplicas ?? 0) || readyReplicas !== (old.readyReplicas ?? 0) || replicas !== (old.replicas ?? 0);
    const prevProgressing = conditions.find((c) => c.type === 'Progressing');
    const deadlineSeconds = d.spec?.progressDeadlineSeconds ?? 600;
    let recheckMs: number | undefined;
    if (d.spec?.paused) {
      set({ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    } else if (complete) {
      set({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` });
    } else if (progress) {
      set({ type: 'Progressing', status: 'True', ...progress });
      recheckMs = deadlineSeconds * 1000;
    } else if (countsMoved || !prevProgressing || prevProgressing.reason === 'DeploymentPaused' || prevProgressing.reason === 'NewReplicaSetAvailable') {
      const c = { type: 'Progressing', status: 'True' as const, reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
      // Progress renews the deadline even when the words stay the same.
      const i = conditions.findIndex((x) => x.type === 'Progressing');
      if (i >= 0 && conditions[i]?.reason === c.reason && conditions[i]?.message === c.message) conditions[i] = { ...conditions[i]!, lastUpdateTime: now };
      else set(c);
      recheckMs = deadlineSeconds * 1000;
    } else if (prevProgressing && prevProgressing.reason !== 'ProgressDeadlineExceeded') {
      const since = Date.parse(prevProgressing.lastUpdateTime ?? now);
      const left = since + deadlineSeconds * 1000 - this.#c.clock.now();
      if (left <= 0) {
        set({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` });
        void this.#c.events.record(d, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${d.metadata?.name ?? ''}" has timed out progressing.`);
      } else recheckMs = left;
    }
    const status = {
      observedGeneration: d.metadata?.generation ?? 0,
      replicas,
      updatedReplicas,
      readyReplicas,
      availableReplicas,
      unavailableReplicas: Math.max(0, desired - availableReplicas),
      ...(old.collisionCount !== undefined ? { collisionCount: old.collisionCount } : {}),
      conditions,
    };
    if (semanticJson(status) !== semanticJson({ ...old, conditions: old.conditions ?? [] })) {
      try {
        await this.#c.client.update({ ...DEPLOYMENTS, namespace: d.metadata?.namespace, name: d.metadata?.name, subresource: 'status' }, { ...d, status });
      } catch (err) {
        // A newer Deployment is on its way through the informer; that event brings the next pass.
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }
    return recheckMs !== undefined ? { requeueAfterMs: recheckMs + 1000 } : undefined;
  }

  /**
   * Merge-patches a ReplicaSet; undefined when it is gone. A patch carrying a resourceVersion that is stale (409)
   * throws, so the pass is retried on the latest state: the decision was made on an outdated one.
   */
  async #patchReplicaSet(rs: ReplicaSetShape, patch: Record<string, unknown>): Promise<ReplicaSetShape | undefined> {
    try {
      return (await this.#c.client.patch({ ...REPLICASETS, namespace: rs.metadata?.namespace, name: rs.metadata?.name }, 'merge', patch)) as ReplicaSetShape;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (isConflict(err)) throw new Error(`Cannot update replica set ${rs.metadata?.name ?? ''}: it changed meanwhile; retrying on its latest state`);
      throw err;
    }
  }

  #timestamp(): string {
    return formatTimestamp(this.#c.clock.now());
  }
}

function specTotal(list: readonly ReplicaSetShape[]): number {
  return list.reduce((n, rs) => n + specReplicas(rs), 0);
}

function ownerRefOf(d: DeploymentShape): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata?.name ?? '', uid: d.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** newDeploymentController builds the controller: Deployments by key, ReplicaSets mapped to their Deployment. */
export function newDeploymentController(ctx: ControllerContext): Controller {
  const deployments = ctx.informers.informerFor<DeploymentShape>(DEPLOYMENTS);
  const replicaSets = ctx.informers.informerFor<ReplicaSetShape>(REPLICASETS);
  const events = new EventRecorder({ client: ctx.client, component: 'deployment-controller', clock: ctx.clock, log: ctx.log });
  const reconciler = new DeploymentReconciler({ client: ctx.client, deployments, replicaSets, clock: ctx.clock, log: ctx.log, events });
  const controller = new Controller({ name: 'deployment', reconciler, clock: ctx.clock, log: ctx.log, workers: 5 });
  const enqueue = (d: KubeObject): void => controller.enqueue(metaNamespaceKey(d));
  deployments.addEventHandler({ onAdd: enqueue, onUpdate: (_o, d) => enqueue(d), onDelete: enqueue });
  const enqueueOwner = (rs: KubeObject): void => {
    const ref = controllerOf(rs);
    const ns = rs.metadata?.namespace ?? '';
    if (ref?.kind === 'Deployment') {
      controller.enqueue(`${ns}/${ref.name}`);
      return;
    }
    if (ref) return;
    // An orphan: every Deployment of its namespace whose selector matches may adopt it.
    for (const d of deployments.store.byIndex(NAMESPACE_INDEX, ns)) {
      const sel = labelSelectorFromObject(d.spec?.selector);
      if (!sel.empty() && sel.matches(rs.metadata?.labels ?? {})) enqueue(d);
    }
  };
  replicaSets.addEventHandler({ onAdd: enqueueOwner, onUpdate: (_o, rs) => enqueueOwner(rs), onDelete: enqueueOwner });
  return controller;
}

/** DEPLOYMENT_CONTROLLER is the table row of the Deployment controller. */
export const DEPLOYMENT_CONTROLLER: ControllerDescriptor = { name: 'deployment', enabledByDefault: true, create: newDeploymentController };
