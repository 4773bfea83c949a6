/**
 * StatefulSet controller (apps/v1): pods with stable names `<set>-<ordinal>`, stable storage (one PVC per
 * volumeClaimTemplate and ordinal, `<claim>-<set>-<ordinal>`, kept when pods go) and ordered change (upstream's
 * "statefulset" controller). Level-based; each pass takes at most the steps the policy allows:
 *
 * - OrderedReady (default): create the lowest missing ordinal only when every lower one is Running and Ready; remove
 *   surplus pods from the highest ordinal down, one at a time. Parallel: all at once.
 * - Failed or Succeeded pods are deleted and come back (same name, same claims).
 * - Revisions are ControllerRevisions (`<set>-<hash>`, data = the template as a strategic merge patch, as upstream,
 *   so `kubectl rollout history|undo statefulset` work); pods carry `controller-revision-hash`.
 * - RollingUpdate: pods at or above `partition` still on an old revision are replaced from the highest ordinal down,
 *   one at a time, each after the ones above are Ready. OnDelete: only pods deleted by someone come back updated.
 * - Status: replicas, ready/available/current/updated counts, currentRevision/updateRevision, observedGeneration.
 */
import { labelSelectorFromObject, type LabelSelectorObject } from '../../api/meta/labels.js';
import { semanticJson } from '../../api/meta/semantic-json.js';
import { controllerOf } from '../../api/meta/owner-references.js';
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import { podTemplateHash } from '../deployment/pod-template-hash.js';
import type { Reconciler } from '../reconciler.js';

const STATEFULSETS = { group: 'apps', version: 'v1', resource: 'statefulsets' } as const;
const REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const CLAIMS = { version: 'v1', resource: 'persistentvolumeclaims' } as const;
export const REVISION_HASH_LABEL = 'controller-revision-hash';
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown> & { volumes?: { name: string }[] };
}

/** StatefulSetShape is the part of apps/v1 StatefulSet the controller reads. */
export interface StatefulSetShape extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: LabelSelectorObject;
    serviceName?: string;
    template?: PodTemplate;
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
    volumeClaimTemplates?: KubeObject[];
    ordinals?: { start?: number };
    revisionHistoryLimit?: number;
    minReadySeconds?: number;
  };
  status?: Record<string, unknown> & { collisionCount?: number };
}

interface PodShape extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}


function isReady(p: PodShape): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
}

function ordinalOf(set: string, pod: KubeObject): number | undefined {
  const name = pod.metadata?.name ?? '';
  if (!name.startsWith(`${set}-`)) return undefined;
  const n = Number(name.slice(set.length + 1));
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** StatefulSetReconciler converges one StatefulSet (key `namespace/name`). */
export class StatefulSetReconciler implements Reconciler {
  constructor(
    readonly client: RestClient,
    readonly sets: SharedInformer<StatefulSetShape>,
    readonly pods: SharedInformer<PodShape>,
    readonly revisions: SharedInformer,
    readonly clock: Clock,
    readonly events: EventRecorder,
  ) {}

  async reconcile(key: string): Promise<void> {
    const set = this.sets.store.get(key);
    if (!set || set.metadata?.deletionTimestamp) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    const spec = set.spec ?? {};
    const uid = set.metadata?.uid ?? '';
    const selector = labelSelectorFromObject(spec.selector);
    const pods = this.pods.store
      .byIndex(NAMESPACE_INDEX, namespace)
      .filter((p) => controllerOf(p)?.uid === uid || (!controllerOf(p) && selector.matches(p.metadata?.labels) && ordinalOf(name, p) !== undefined));
    const updateRevision = await this.#ensureRevision(set);
    const revs = this.revisions.store.byIndex(NAMESPACE_INDEX, namespace).filter((r) => controllerOf(r)?.uid === uid);
    const replicas = spec.replicas ?? 1;
    const start = spec.ordinals?.start ?? 0;
    const parallel = spec.podManagementPolicy === 'Parallel';
    const byOrdinal = new Map<number, PodShape>();
    for (const p of pods) {
      const o = ordinalOf(name, p);
      if (o !== undefined) byOrdinal.set(o, p);
    }
    const wanted = (o: number): boolean => o >= start && o < start + replicas;

    let acted = false;
    // 1. Replace pods that finished or failed (same name comes back).
    for (const p of byOrdinal.values()) {
      const phase = p.status?.phase;
      if ((phase === 'Failed' || phase === 'Succeeded') && !p.metadata?.deletionTimestamp) {
        await this.#deletePod(set, p);
        acted = true;
      }
    }
    // 2. Create missing pods (in order unless Parallel).
    if (!acted) {
      for (let o = start; o < start + replicas; o++) {
        const p = byOrdinal.get(o);
        if (p) {
          if (!parallel && (!isReady(p) || p.metadata?.deletionTimestamp)) break; // wait for this one first
          continue;
        }
        await this.#createPod(set, o, updateRevision);
        acted = true;
        if (!parallel) break;
      }
    }
    // 3. Remove surplus pods, highest ordinal first (one at a time unless Parallel, after lower ones are healthy).
    if (!acted) {
      const surplus = [...byOrdinal.entries()].filter(([o]) => !wanted(o)).sort(([a], [b]) => b - a);
      for (const [, p] of surplus) {
        if (p.metadata?.deletionTimestamp) {
          if (!parallel) break;
          continue;
        }
        await this.#deletePod(set, p);
        acted = true;
        if (!parallel) break;
      }
    }
    // 4. Rolling update from the highest ordinal down to the partition, one pod at a time.
    if (!acted && (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      for (let o = start + replicas - 1; o >= start + partition; o--) {
        const p = byOrdinal.get(o);
        if (!p || p.metadata?.deletionTimestamp) break;
        if (p.metadata?.labels?.[REVISION_HASH_LABEL] !== updateRevision) {
          await this.#deletePod(set, p);
          break;
        }
        if (!isReady(p)) break;
      }
    }
    await this.#cleanupRevisions(set, revs, pods, updateRevision);
    await this.#writeStatus(set, [...byOrdinal.entries()].filter(([o]) => wanted(o)).map(([, p]) => p), updateRevision, revs);
  }

  /** The ControllerRevision of the current template, created when missing; returns its name (the hash label value). */
  async #ensureRevision(set: StatefulSetShape): Promise<string> {
    const name = set.metadata?.name ?? '';
    const data = { spec: { template: { ...(set.spec?.template ?? {}), $patch: 'replace' } } };
    const collisions = Number(set.status?.collisionCount ?? 0);
    const revName = `${name}-${podTemplateHash(data, collisions)}`;
    const namespace = set.metadata?.namespace ?? '';
    const owned = this.revisions.store.byIndex(NAMESPACE_INDEX, namespace).filter((r) => controllerOf(r)?.uid === set.metadata?.uid);
    const existing = owned.find((r) => r.metadata?.name === revName);
    const maxRevision = owned.reduce((m, r) => Math.max(m, Number(r['revision'] ?? 0)), 0);
    if (existing) {
      // A template that comes back (rollout undo) becomes the newest revision again.
      if (Number(existing['revision'] ?? 0) < maxRevision) {
        try {
          await this.client.patch({ ...REVISIONS, namespace, name: revName }, 'merge', { revision: maxRevision + 1 });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return revName;
    }
    try {
      await this.client.create({ ...REVISIONS, namespace }, {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: revName,
          namespace,
          labels: { ...(set.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: revName },
          ownerReferences: [ownerRefOf(set)],
        },
        data,
        revision: maxRevision + 1,
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return revName;
  }

  async #createPod(set: StatefulSetShape, ordinal: number, revision: string): Promise<void> {
    const setName = set.metadata?.name ?? '';
    const namespace = set.metadata?.namespace ?? '';
    const podName = `${setName}-${ordinal}`;
    const template = structuredClone(set.spec?.template ?? {});
    const podSpec = (template.spec ?? {}) as NonNullable<PodTemplate['spec']> & { hostname?: string; subdomain?: string };
    const volumes = [...(podSpec.volumes ?? [])];
    for (const claim of set.spec?.volumeClaimTemplates ?? []) {
      const claimName = `${claim.metadata?.name ?? ''}-${setName}-${ordinal}`;
      await this.#ensureClaim(set, claim, claimName);
      if (!volumes.some((v) => v.name === claim.metadata?.name)) volumes.push({ name: claim.metadata?.name ?? '', persistentVolumeClaim: { claimName } } as { name: string });
    }
    if (volumes.length > 0) podSpec.volumes = volumes;
    podSpec.hostname = podName;
    if (set.spec?.serviceName) podSpec.subdomain = set.spec.serviceName;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: revision, [POD_NAME_LABEL]: podName, [POD_INDEX_LABEL]: String(ordinal) },
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [ownerRefOf(set)],
      },
      spec: podSpec,
    };
    try {
      await this.client.create({ ...PODS, namespace }, pod);
      void this.events.record(set, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${setName} successful`);
    } catch (err) {
      // The previous pod of that name is still terminating: the next pass creates it.
      if (isAlreadyExists(err)) return;
      void this.events.record(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${setName} failed error: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async #ensureClaim(set: StatefulSetShape, template: KubeObject, claimName: string): Promise<void> {
    const namespace = set.metadata?.namespace ?? '';
    try {
      await this.client.get({ ...CLAIMS, namespace, name: claimName });
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const labels = { ...(template.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) };
    try {
      await this.client.create({ ...CLAIMS, namespace }, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claimName, namespace, labels }, spec: template['spec'] });
      void this.events.record(set, 'Normal', 'SuccessfulCreate', `create Claim ${claimName} for Pod ${claimName.split('-').slice(-2).join('-')} in StatefulSet ${set.metadata?.name ?? ''} success`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  async #deletePod(set: StatefulSetShape, pod: KubeObject): Promise<void> {
    try {
      await this.client.delete({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name }, { preconditions: { uid: pod.metadata?.uid } });
      void this.events.record(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata?.name ?? ''} in StatefulSet ${set.metadata?.name ?? ''} successful`);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** Keeps revisionHistoryLimit (10) revisions that no pod uses, besides the current and update ones. */
  async #cleanupRevisions(set: StatefulSetShape, revs: readonly KubeObject[], pods: readonly KubeObject[], updateRevision: string): Promise<void> {
    const inUse = new Set(pods.map((p) => p.metadata?.labels?.[REVISION_HASH_LABEL]));
    inUse.add(updateRevision);
    const idle = revs.filter((r) => !inUse.has(r.metadata?.name)).sort((a, b) => Number(a['revision'] ?? 0) - Number(b['revision'] ?? 0));
    const limit = set.spec?.revisionHistoryLimit ?? 10;
    for (const r of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await this.client.delete({ ...REVISIONS, namespace: r.metadata?.namespace, name: r.metadata?.name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async #writeStatus(set: StatefulSetShape, pods: readonly PodShape[], updateRevision: string, revs: readonly KubeObject[]): Promise<void> {
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
    const ready = live.filter(isReady);
    const updated = live.filter((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === updateRevision);
    // The current revision is the one most pods are at until every pod is updated (upstream keeps the older one).
    const counts = new Map<string, number>();
    for (const p of live) {
      const r = p.metadata?.labels?.[REVISION_HASH_LABEL];
      if (r) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const revisionNumber = (n: string): number => Number(revs.find((r) => r.metadata?.name === n)?.['revision'] ?? 0);
    const older = [...counts.keys()].filter((r) => r !== updateRevision).sort((a, b) => revisionNumber(a) - revisionNumber(b));
    const currentRevision = updated.length === live.length && live.length === (set.spec?.replicas ?? 1) ? updateRevision : (older[0] ?? (set.status?.['currentRevision'] as string | undefined) ?? updateRevision);
    const status: Record<string, unknown> = {
      observedGeneration: set.metadata?.generation ?? 0,
      replicas: live.length,
      readyReplicas: ready.length,
      availableReplicas: ready.length,
      currentReplicas: live.filter((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === currentRevision).length,
      updatedReplicas: updated.length,
      currentRevision,
      updateRevision,
      collisionCount: set.status?.collisionCount ?? 0,
    };
    if (semanticJson(status) === semanticJson({ ...(set.status ?? {}), conditions: undefined })) return;
    try {
      await this.client.update({ ...STATEFULSETS, namespace: set.metadata?.namespace, name: set.metadata?.name, subresource: 'status' }, { ...set, status: { ...(set.status ?? {}), ...status } });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) throw new Error(`Cannot update statefulset ${set.metadata?.name ?? ''} status: it changed meanwhile; retrying`);
      throw err;
    }
  }
}

function ownerRefOf(set: StatefulSetShape): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata?.name ?? '', uid: set.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** newStatefulSetController builds the controller: StatefulSets by key; their pods and revisions mapped to them. */
export function newStatefulSetController(ctx: ControllerContext): Controller {
  const sets = ctx.informers.informerFor<StatefulSetShape>(STATEFULSETS);
  const pods = ctx.informers.informerFor<PodShape>(PODS);
  const revisions = ctx.informers.informerFor(REVISIONS);
  const events = new EventRecorder({ client: ctx.client, component: 'statefulset-controller', clock: ctx.clock, log: ctx.log });
  const controller = new Controller({ name: 'statefulset', reconciler: new StatefulSetReconciler(ctx.client, sets, pods, revisions, ctx.clock, events), clock: ctx.clock, log: ctx.log, workers: 5 });
  const enqueue = (o: KubeObject): void => controller.enqueue(metaNamespaceKey(o));
  sets.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
  const onOwned = (o: KubeObject): void => {
    const ref = controllerOf(o);
    if (ref?.kind === 'StatefulSet') controller.enqueue(`${o.metadata?.namespace ?? ''}/${ref.name}`);
  };
  pods.addEventHandler({ onAdd: onOwned, onUpdate: (_o, p) => onOwned(p), onDelete: onOwned });
  revisions.addEventHandler({ onAdd: onOwned, onDelete: onOwned });
  return controller;
}

/** STATEFULSET_CONTROLLER is the table row of the StatefulSet controller. */
export const STATEFULSET_CONTROLLER: ControllerDescriptor = { name: 'statefulset', enabledByDefault: true, create: newStatefulSetController };
