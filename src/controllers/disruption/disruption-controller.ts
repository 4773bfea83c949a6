/**
 * Disruption controller (upstream's "disruption"): keeps each PodDisruptionBudget's status — expectedPods,
 * currentHealthy (Ready pods it selects, not counting pods an eviction just removed), desiredHealthy,
 * disruptionsAllowed, the DisruptionAllowed condition — so the eviction API can decide. Evictions charge the budget
 * themselves (disruptedPods); entries leave that map once their pod is gone, or after two minutes.
 *
 * expectedPods is, as upstream, the number of selected pods for an integer minAvailable, and otherwise (a
 * maxUnavailable, or a percentage) the sum of the scale of the pods' controllers — ReplicaSets (their
 * Deployment's replicas when a Deployment owns them), ReplicationControllers and StatefulSets — so missing pods
 * count against the budget. A selected pod without such a controller makes the budget unusable
 * (DisruptionAllowed False, reason SyncFailed), as upstream.
 */
import { formatTimestamp } from '../../api/meta/timestamp.js';
import { disruptionsAllowed as allowedBy, desiredHealthy as desiredBy } from '../../api/policy/disruption-budget.js';
import { labelSelectorFromObject, type LabelSelectorObject } from '../../api/meta/labels.js';
import { semanticJson } from '../../api/meta/semantic-json.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';

const BUDGETS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;

interface BudgetShape extends KubeObject {
  spec?: { selector?: LabelSelectorObject; minAvailable?: number | string; maxUnavailable?: number | string };
  status?: { disruptedPods?: Record<string, string>; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; observedGeneration?: number }[] } & Record<string, unknown>;
}

interface PodShape extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

interface ScalableShape extends KubeObject {
  spec?: { replicas?: number };
}

/** ControllerLookup finds the scalable controllers pods belong to (by namespace/name). */
export interface ControllerLookup {
  replicaSet(key: string): ScalableShape | undefined;
  deployment(key: string): ScalableShape | undefined;
  replicationController(key: string): ScalableShape | undefined;
  statefulSet(key: string): ScalableShape | undefined;
}

/** usesScale tells whether a budget's expected count comes from controllers' scale rather than from pod count. */
function usesScale(spec: BudgetShape['spec']): boolean {
  if (spec?.maxUnavailable !== undefined) return true;
  return typeof spec?.minAvailable === 'string';
}

/** expectedScale sums the scale of the distinct controllers of `pods`, or names a pod that has none. */
export function expectedScale(pods: readonly KubeObject[], lookup: ControllerLookup): { expected: number } | { error: string } {
  const counted = new Map<string, number>();
  for (const p of pods) {
    const ns = p.metadata?.namespace ?? '';
    const ref = (p.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
    let found: { key: string; replicas: number } | undefined;
    if (ref?.kind === 'ReplicaSet') {
      const rs = lookup.replicaSet(`${ns}/${ref.name}`);
      if (rs && rs.metadata?.uid === ref.uid) {
        const owner = (rs.metadata?.ownerReferences ?? []).find((r) => r.controller === true && r.kind === 'Deployment');
        const d = owner ? lookup.deployment(`${ns}/${owner.name}`) : undefined;
        found = d && d.metadata?.uid === owner?.uid ? { key: `Deployment/${d.metadata?.uid ?? ''}`, replicas: d.spec?.replicas ?? 1 } : { key: `ReplicaSet/${rs.metadata?.uid ?? ''}`, replicas: rs.spec?.replicas ?? 1 };
      }
    } else if (ref?.kind === 'ReplicationController') {
      const rc = lookup.replicationController(`${ns}/${ref.name}`);
      if (rc && rc.metadata?.uid === ref.uid) found = { key: `ReplicationController/${ref.uid}`, replicas: rc.spec?.replicas ?? 1 };
    } else if (ref?.kind === 'StatefulSet') {
      const sts = lookup.statefulSet(`${ns}/${ref.name}`);
      if (sts && sts.metadata?.uid === ref.uid) found = { key: `StatefulSet/${ref.uid}`, replicas: sts.spec?.replicas ?? 1 };
    }
    if (!found) return { error: `found no controllers for pod "${p.metadata?.name ?? ''}"` };
    counted.set(found.key, found.replicas);
  }
  return { expected: [...counted.values()].reduce((n, r) => n + r, 0) };
}

/** DisruptionReconciler recomputes one budget's status (key `namespace/name`). */
export class DisruptionReconciler implements Reconciler {
  constructor(
    readonly client: RestClient,
    readonly budgets: SharedInformer<BudgetShape>,
    readonly pods: SharedInformer<PodShape>,
    readonly clock: Clock,
    readonly controllers?: ControllerLookup,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const pdb = this.budgets.store.get(key);
    if (!pdb || pdb.metadata?.deletionTimestamp) return;
    const { namespace } = splitMetaNamespaceKey(key);
    const now = this.clock.now();
    const selector = labelSelectorFromObject(pdb.spec?.selector);
    const pods = this.pods.store
      .byIndex(NAMESPACE_INDEX, namespace)
      .filter((p) => !selector.empty() && selector.matches(p.metadata?.labels ?? {}) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const live = new Map(pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => [p.metadata?.name ?? '', p]));
    const disrupted: Record<string, string> = {};
    let recheck: number | undefined;
    for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const expires = Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS;
      if (!live.has(name) || !(expires > now)) continue;
      disrupted[name] = at;
      recheck = Math.min(recheck ?? Infinity, expires - now);
    }
    const healthy = [...live.values()].filter((p) => !((p.metadata?.name ?? '') in disrupted) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    let expected = live.size;
    let syncError: string | undefined;
    if (usesScale(pdb.spec) && this.controllers) {
      const scale = expectedScale([...live.values()], this.controllers);
      if ('error' in scale) syncError = scale.error;
      else expected = scale.expected;
    }
    const desired = desiredBy(pdb.spec ?? {}, expected);
    const allowed = syncError ? 0 : allowedBy(pdb.spec ?? {}, expected, healthy);
    const old = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    const status = allowed > 0 ? 'True' : 'False';
    const condition = {
      type: 'DisruptionAllowed',
      status,
      reason: syncError ? 'SyncFailed' : allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
      message: syncError ?? '',
      observedGeneration: pdb.metadata?.generation ?? 0,
      lastTransitionTime: old && old.status === status ? (old.lastTransitionTime ?? '') : formatTimestamp(now),
    };
    const next = {
      ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      observedGeneration: pdb.metadata?.generation ?? 0,
      conditions: [condition],
    };
    if (semanticJson(next) !== semanticJson(pdb.status ?? {})) {
      try {
        await this.client.update({ ...BUDGETS, namespace, name: pdb.metadata?.name, subresource: 'status' }, { ...pdb, status: next });
      } catch (err) {
        if (isNotFound(err)) return;
        if (isConflict(err)) throw new Error(`Cannot update poddisruptionbudget ${key} status: it changed meanwhile; retrying`);
        throw err;
      }
    }
    return recheck !== undefined ? { requeueAfterMs: recheck + 100 } : undefined;
  }
}

/** newDisruptionController builds the controller: budgets by key; pods mapped to the budgets selecting them. */
export function newDisruptionController(ctx: ControllerContext): Controller {
  const budgets = ctx.informers.informerFor<BudgetShape>(BUDGETS);
  const pods = ctx.informers.informerFor<PodShape>(PODS);
  const informer = (group: string, resource: string): SharedInformer<ScalableShape> =>
    ctx.informers.informerFor<ScalableShape>({ ...(group ? { group } : {}), version: 'v1', resource });
  const replicaSets = informer('apps', 'replicasets');
  const deployments = informer('apps', 'deployments');
  const replicationControllers = informer('', 'replicationcontrollers');
  const statefulSets = informer('apps', 'statefulsets');
  const lookup: ControllerLookup = {
    replicaSet: (key) => replicaSets.store.get(key),
    deployment: (key) => deployments.store.get(key),
    replicationController: (key) => replicationControllers.store.get(key),
    statefulSet: (key) => statefulSets.store.get(key),
  };
  const controller = new Controller({ name: 'disruption', reconciler: new DisruptionReconciler(ctx.client, budgets, pods, ctx.clock, lookup), clock: ctx.clock, log: ctx.log, workers: 2 });
  const enqueue = (o: KubeObject): void => controller.enqueue(metaNamespaceKey(o));
  budgets.addEventHandler({ onAdd: enqueue, onUpdate: (_o, b) => enqueue(b) });
  const onPod = (oldPod: KubeObject | undefined, pod: KubeObject): void => {
    for (const b of budgets.store.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '')) {
      const sel = labelSelectorFromObject(b.spec?.selector);
      if (!sel.empty() && (sel.matches(pod.metadata?.labels ?? {}) || sel.matches(oldPod?.metadata?.labels ?? {}))) enqueue(b);
    }
  };
  pods.addEventHandler({ onAdd: (p) => onPod(undefined, p), onUpdate: (o, p) => onPod(o, p), onDelete: (p) => onPod(undefined, p) });
  // A controller's scale change moves the expected count of budgets that use it: recheck its namespace's budgets.
  const onScalable = (o: KubeObject): void => {
    for (const b of budgets.store.byIndex(NAMESPACE_INDEX, o.metadata?.namespace ?? '')) if (usesScale(b.spec)) enqueue(b);
  };
  for (const inf of [replicaSets, deployments, replicationControllers, statefulSets]) inf.addEventHandler({ onUpdate: (_o, n) => onScalable(n) });
  return controller;
}

/** DISRUPTION_CONTROLLER is the table row of the disruption controller. */
export const DISRUPTION_CONTROLLER: ControllerDescriptor = { name: 'disruption', enabledByDefault: true, create: newDisruptionController };
