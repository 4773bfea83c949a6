/**
 * DaemonSet controller (apps/v1): one pod per eligible node (upstream's "daemonset" controller). Each pass compares
 * the nodes that should run the daemon (node-eligibility.ts) with the pods the DaemonSet owns:
 * - a missing pod is created, already bound to its node (spec.nodeName, with a required node affinity on the node's
 *   name as upstream sets), with the daemon tolerations added;
 * - a pod on a node that should not run it, a second pod on a node, and a failed pod are deleted;
 * - RollingUpdate (default): pods whose `controller-revision-hash` is not the template's are replaced, up to
 *   maxUnavailable (default 1) at a time among the nodes; OnDelete leaves them until deleted;
 * - status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled, numberReady, numberAvailable,
 *   updatedNumberScheduled, numberUnavailable, observedGeneration.
 */
import type { LabelSelectorObject } from '../../api/meta/labels.js';
import { semanticJson } from '../../api/meta/semantic-json.js';
import { controllerOf } from '../../api/meta/owner-references.js';
import type { KubeObject } from '../../api/meta/types.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import { podTemplateHash } from '../deployment/pod-template-hash.js';
import { resolveSurgeAndUnavailable } from '../deployment/rollout-parameters.js';
import type { Reconciler } from '../reconciler.js';
import { DAEMON_TOLERATIONS, nodeShouldRunDaemon, type DaemonPodSpec, type NodeShape } from './node-eligibility.js';

const DAEMONSETS = { group: 'apps', version: 'v1', resource: 'daemonsets' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const NODES = { version: 'v1', resource: 'nodes' } as const;
const REVISION_HASH_LABEL = 'controller-revision-hash';

/** DaemonSetShape is the part of apps/v1 DaemonSet the controller reads. */
export interface DaemonSetShape extends KubeObject {
  spec?: {
    selector?: LabelSelectorObject;
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: DaemonPodSpec & Record<string, unknown> };
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { maxUnavailable?: number | string } };
  };
  status?: Record<string, unknown>;
}

interface PodShape extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}


function isReady(p: PodShape): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** DaemonSetReconciler converges one DaemonSet (key `namespace/name`). */
export class DaemonSetReconciler implements Reconciler {
  constructor(
    readonly client: RestClient,
    readonly sets: SharedInformer<DaemonSetShape>,
    readonly pods: SharedInformer<PodShape>,
    readonly nodes: SharedInformer<NodeShape>,
    readonly events: EventRecorder,
  ) {}

  async reconcile(key: string): Promise<void> {
    const ds = this.sets.store.get(key);
    if (!ds || ds.metadata?.deletionTimestamp) return;
    const { namespace } = splitMetaNamespaceKey(key);
    const uid = ds.metadata?.uid ?? '';
    const template = ds.spec?.template ?? {};
    const hash = podTemplateHash(template);
    const owned = this.pods.store.byIndex(NAMESPACE_INDEX, namespace).filter((p) => controllerOf(p)?.uid === uid);
    const byNode = new Map<string, PodShape[]>();
    for (const p of owned) {
      if (p.metadata?.deletionTimestamp) continue;
      const n = p.spec?.nodeName ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const nodes = this.nodes.store.list();
    const eligible = new Set(nodes.filter((n) => nodeShouldRunDaemon(n, template.spec ?? {})).map((n) => n.metadata?.name ?? ''));

    // Pods where they should not be, duplicates, and failed ones go.
    for (const [node, list] of byNode) {
      const keep = eligible.has(node) ? list.filter((p) => p.status?.phase !== 'Failed').slice(0, 1) : [];
      for (const p of list) if (!keep.includes(p)) await this.#deletePod(ds, p);
      if (keep.length === 0) byNode.delete(node);
      else byNode.set(node, keep);
    }
    // Missing pods are created on their nodes.
    for (const node of eligible) if (!byNode.has(node)) await this.#createPod(ds, node, hash);

    // Rolling update within maxUnavailable among the nodes.
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const [, maxUnavailable] = resolveSurgeAndUnavailable({ maxSurge: 0, maxUnavailable: ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1 }, eligible.size);
      const current = [...byNode.values()].map((l) => l[0]!);
      let unavailable = eligible.size - current.filter(isReady).length;
      for (const p of current.filter((x) => x.metadata?.labels?.[REVISION_HASH_LABEL] !== hash)) {
        if (unavailable >= Math.max(1, maxUnavailable) && isReady(p)) continue;
        await this.#deletePod(ds, p);
        if (isReady(p)) unavailable++;
      }
    }
    await this.#writeStatus(ds, owned.filter((p) => !p.metadata?.deletionTimestamp), eligible, hash);
  }

  async #createPod(ds: DaemonSetShape, node: string, hash: string): Promise<void> {
    const template = structuredClone(ds.spec?.template ?? {});
    const spec = { ...(template.spec ?? {}) } as DaemonPodSpec & Record<string, unknown>;
    const tolerations = [...(spec.tolerations ?? [])];
    for (const t of DAEMON_TOLERATIONS) if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push({ ...t });
    spec.tolerations = tolerations;
    spec['nodeName'] = node;
    const name = ds.metadata?.name ?? '';
    try {
      const pod = (await this.client.create({ ...PODS, namespace: ds.metadata?.namespace }, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${name}-`,
          namespace: ds.metadata?.namespace,
          labels: { ...(template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash, 'pod-template-generation': String(ds.metadata?.generation ?? 1) },
          ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name, uid: ds.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
        },
        spec,
      })) as KubeObject;
      void this.events.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name ?? ''}`);
    } catch (err) {
      void this.events.record(ds, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  async #deletePod(ds: DaemonSetShape, pod: KubeObject): Promise<void> {
    try {
      await this.client.delete({ ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name }, { preconditions: { uid: pod.metadata?.uid } });
      void this.events.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name ?? ''}`);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async #writeStatus(ds: DaemonSetShape, pods: readonly PodShape[], eligible: ReadonlySet<string>, hash: string): Promise<void> {
    const scheduled = pods.filter((p) => eligible.has(p.spec?.nodeName ?? ''));
    const ready = scheduled.filter(isReady).length;
    const status = {
      observedGeneration: ds.metadata?.generation ?? 0,
      desiredNumberScheduled: eligible.size,
      currentNumberScheduled: new Set(scheduled.map((p) => p.spec?.nodeName)).size,
      numberMisscheduled: pods.filter((p) => !eligible.has(p.spec?.nodeName ?? '')).length,
      numberReady: ready,
      numberAvailable: ready,
      numberUnavailable: Math.max(0, eligible.size - ready),
      updatedNumberScheduled: scheduled.filter((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === hash).length,
    };
    if (semanticJson(status) === semanticJson(ds.status ?? {})) return;
    try {
      await this.client.update({ ...DAEMONSETS, namespace: ds.metadata?.namespace, name: ds.metadata?.name, subresource: 'status' }, { ...ds, status });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) throw new Error(`Cannot update daemonset ${ds.metadata?.name ?? ''} status: it changed meanwhile; retrying`);
      throw err;
    }
  }
}

/** newDaemonSetController builds the controller: DaemonSets by key, their pods mapped to them, node changes to all. */
export function newDaemonSetController(ctx: ControllerContext): Controller {
  const sets = ctx.informers.informerFor<DaemonSetShape>(DAEMONSETS);
  const pods = ctx.informers.informerFor<PodShape>(PODS);
  const nodes = ctx.informers.informerFor<NodeShape>(NODES);
  const events = new EventRecorder({ client: ctx.client, component: 'daemonset-controller', clock: ctx.clock, log: ctx.log });
  const controller = new Controller({ name: 'daemonset', reconciler: new DaemonSetReconciler(ctx.client, sets, pods, nodes, events), clock: ctx.clock, log: ctx.log, workers: 5 });
  const enqueue = (o: KubeObject): void => controller.enqueue(metaNamespaceKey(o));
  sets.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
  const onPod = (p: KubeObject): void => {
    const ref = controllerOf(p);
    if (ref?.kind === 'DaemonSet') controller.enqueue(`${p.metadata?.namespace ?? ''}/${ref.name}`);
  };
  pods.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });
  // A node joining, leaving, or changing labels or taints may change where every daemon belongs.
  const allSets = (): void => {
    for (const ds of sets.store.list()) enqueue(ds);
  };
  nodes.addEventHandler({
    onAdd: allSets,
    onUpdate: (o, n) => {
      if (semanticJson(o.metadata?.labels ?? {}) !== semanticJson(n.metadata?.labels ?? {}) || semanticJson(o.spec ?? {}) !== semanticJson(n.spec ?? {})) allSets();
    },
    onDelete: allSets,
  });
  return controller;
}

/** DAEMONSET_CONTROLLER is the table row of the DaemonSet controller. */
export const DAEMONSET_CONTROLLER: ControllerDescriptor = { name: 'daemonset', enabledByDefault: true, create: newDaemonSetController };
