/**
 * The namespace controller (name "namespace") finishes namespace deletion, as upstream's does: for a namespace
 * with a deletionTimestamp and the `kubernetes` finalizer in spec.finalizers it
 *
 *   1. sets status.phase Terminating (if the server did not already),
 *   2. discovers every namespaced resource that supports `deletecollection` and `list`,
 *   3. deletes each collection in the namespace (events last, so they describe the deletion until the end),
 *   4. lists each again; while anything remains (objects held by finalizers or grace periods) it records
 *      upstream's conditions and looks again shortly,
 *   5. once everything is gone, removes `kubernetes` from spec.finalizers through the `finalize` subresource —
 *      the server then deletes the namespace when no finalizer is left.
 *
 * Every step is idempotent, so a retry or a second worker's pass changes nothing already done.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import type { KubeObject } from '../api/meta/types.js';
import { ApiError, isConflict, isNotFound } from '../client/api-error.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import type { RestClient } from '../client/rest-client.js';
import { serverResources, type ServerResource } from '../client/server-resources.js';
import type { Logger } from '../base/log/logger.js';
import { Controller } from './controller.js';
import type { ControllerContext, ControllerDescriptor } from './controller-descriptor.js';
import type { ReconcileResult, Reconciler } from './reconciler.js';

/** FINALIZER_KUBERNETES is the spec.finalizers entry this controller owns. */
export const FINALIZER_KUBERNETES = 'kubernetes';

/** CONTENT_RECHECK_MS is how soon a namespace with remaining content is looked at again. */
export const CONTENT_RECHECK_MS = 1000;

const NAMESPACES = { version: 'v1', resource: 'namespaces' } as const;

/** NamespaceCondition is one status.conditions entry of a Namespace. */
interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface NamespaceShape extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: NamespaceCondition[] };
}

function isEvents(r: ServerResource): boolean {
  return r.resource === 'events' && (r.group === '' || r.group === 'events.k8s.io');
}

function groupResource(r: ServerResource): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

/** NamespaceReconciler deletes a terminating namespace's content and then its `kubernetes` finalizer. */
export class NamespaceReconciler implements Reconciler {
  readonly #client: RestClient;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(config: { client: RestClient; log: Logger; now: () => number }) {
    this.#client = config.client;
    this.#log = config.log;
    this.#now = config.now;
  }

  async reconcile(name: string): Promise<ReconcileResult | void> {
    // Read through the API, not the cache: finalizing on a stale copy would conflict anyway.
    let ns: NamespaceShape;
    try {
      ns = (await this.#client.get({ ...NAMESPACES, name })) as NamespaceShape;
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER_KUBERNETES)) return;

    if (ns.status?.phase !== 'Terminating') {
      ns = (await this.#client.update({ ...NAMESPACES, name, subresource: 'status' }, { ...ns, status: { ...ns.status, phase: 'Terminating' } })) as NamespaceShape;
    }

    const discovery = await serverResources(this.#client);
    const deletable = discovery.resources.filter((r) => r.namespaced && r.verbs.includes('deletecollection') && r.verbs.includes('list'));
    // Several versions of one group/resource share storage; one is enough. Events go last.
    const seen = new Set<string>();
    const ordered = [...deletable.filter((r) => !isEvents(r)), ...deletable.filter(isEvents)].filter((r) => {
      const gr = groupResource(r);
      if (seen.has(gr)) return false;
      seen.add(gr);
      return true;
    });

    const conditions: NamespaceCondition[] = [];
    const discoveryErrors = discovery.failed.map((f) => `${f.groupVersion}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
    conditions.push(
      discoveryErrors.length > 0
        ? { type: 'NamespaceDeletionDiscoveryFailure', status: 'True', reason: 'DiscoveryFailed', message: `Discovery failed for some groups, ${discoveryErrors.length} failing: ${discoveryErrors.join(', ')}` }
        : { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    );

    const deleteErrors: string[] = [];
    for (const r of ordered) {
      try {
        await this.#client.deleteCollection({ group: r.group, version: r.version, resource: r.resource, namespace: name }, {}, { propagationPolicy: 'Background' });
      } catch (err) {
        // 404/405: the resource went away or refuses deletecollection after all; listing below still checks it.
        if (err instanceof ApiError && (err.code === 404 || err.code === 405)) continue;
        deleteErrors.push(`${groupResource(r)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    conditions.push(
      deleteErrors.length > 0
        ? { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${deleteErrors.length} remaining: ${deleteErrors.join(', ')}` }
        : { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    );

    const remaining: string[] = [];
    const finalizersLeft = new Map<string, number>();
    for (const r of ordered) {
      let items: KubeObject[];
      try {
        items = (await this.#client.list({ group: r.group, version: r.version, resource: r.resource, namespace: name })).items;
      } catch (err) {
        if (err instanceof ApiError && (err.code === 404 || err.code === 405)) continue;
        throw err;
      }
      if (items.length === 0) continue;
      remaining.push(`${groupResource(r)} has ${items.length} resource instances`);
      for (const item of items) for (const f of item.metadata?.finalizers ?? []) finalizersLeft.set(f, (finalizersLeft.get(f) ?? 0) + 1);
    }
    conditions.push(
      remaining.length > 0
        ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` }
        : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
    );
    const finalizerText = [...finalizersLeft].map(([f, n]) => `${f} in ${n} resource instances`);
    conditions.push(
      finalizerText.length > 0
        ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${finalizerText.join(', ')}` }
        : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
    );

    const incomplete = discoveryErrors.length > 0 || deleteErrors.length > 0 || remaining.length > 0;
    if (incomplete) {
      ns = await this.#writeConditions(ns, conditions);
      if (discoveryErrors.length > 0 || deleteErrors.length > 0) {
        throw new Error(`Cannot finalize namespace "${name}": ${[...discoveryErrors, ...deleteErrors].join('; ')}`);
      }
      this.#log.debug('Namespace content remains', { namespace: name, remaining });
      return { requeueAfterMs: CONTENT_RECHECK_MS };
    }

    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER_KUBERNETES);
    try {
      await this.#client.update({ ...NAMESPACES, name, subresource: 'finalize' }, { ...ns, spec: { ...ns.spec, finalizers } });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    this.#log.info('Namespace content removed; finalized', { namespace: name });
  }

  /** #writeConditions records the deletion conditions when they changed (status subresource). */
  async #writeConditions(ns: NamespaceShape, conditions: NamespaceCondition[]): Promise<NamespaceShape> {
    const old = ns.status?.conditions ?? [];
    const now = formatTimestamp(this.#now());
    let changed = false;
    const merged = conditions.map((c) => {
      const prev = old.find((o) => o.type === c.type);
      if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return prev;
      changed = true;
      return { ...c, lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? now) : now };
    });
    if (!changed) return ns;
    const others = old.filter((o) => !conditions.some((c) => c.type === o.type));
    try {
      return (await this.#client.update(
        { ...NAMESPACES, name: ns.metadata?.name ?? '', subresource: 'status' },
        { ...ns, status: { ...ns.status, conditions: [...others, ...merged] } },
      )) as NamespaceShape;
    } catch (err) {
      // Conditions are informative; a lost race is fixed on the next pass.
      if (isConflict(err) || isNotFound(err)) return ns;
      throw err;
    }
  }
}

/** newNamespaceController builds the controller: namespaces being deleted are enqueued by name. */
export function newNamespaceController(ctx: ControllerContext): Controller {
  const controller = new Controller({
    name: 'namespace',
    reconciler: new NamespaceReconciler({ client: ctx.client, log: ctx.log, now: () => ctx.clock.now() }),
    clock: ctx.clock,
    log: ctx.log,
    // Upstream runs 10 namespace workers; deletions are independent of each other.
    workers: 5,
  });
  const namespaces: SharedInformer = ctx.informers.informerFor(NAMESPACES);
  const enqueueIfDeleting = (ns: KubeObject): void => {
    if (ns.metadata?.deletionTimestamp && ns.metadata.name) controller.enqueue(ns.metadata.name);
  };
  namespaces.addEventHandler({ onAdd: enqueueIfDeleting, onUpdate: (_old, ns) => enqueueIfDeleting(ns) });
  return controller;
}

/** NAMESPACE_CONTROLLER is the table row of the namespace controller. */
export const NAMESPACE_CONTROLLER: ControllerDescriptor = { name: 'namespace', enabledByDefault: true, create: newNamespaceController };
