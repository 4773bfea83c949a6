/**
 * Pod garbage collector (upstream's "podgc"): removes pods no kubelet will ever finish. Every 20 s it
 * - force-deletes (grace 0) pods bound to a node that does not exist — confirmed by a live read, and only after the
 *   node has been missing for the quarantine period (the node monitor grace period), so a node that is being
 *   re-registered keeps its pods;
 * - force-deletes pods that are being deleted but were never scheduled;
 * - deletes the oldest finished pods (Succeeded/Failed) beyond `terminatedPodThreshold` (12,500, upstream's).
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS, type ControllerContext, type ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const GC_KEY = 'podgc';
const GC_PERIOD_MS = 20_000;
export const TERMINATED_POD_THRESHOLD = 12_500;

interface PodShape extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/** PodGcConfig constructs a PodGcReconciler. */
export interface PodGcConfig {
  readonly client: RestClient;
  readonly pods: SharedInformer<PodShape>;
  readonly nodes: SharedInformer;
  readonly clock: Clock;
  readonly log: Logger;
  readonly quarantineMs: number;
  readonly terminatedPodThreshold?: number;
}

/** PodGcReconciler runs one collection pass per reconcile of its single key. */
export class PodGcReconciler implements Reconciler {
  readonly #c: PodGcConfig;
  /** Node names first seen missing (with pods still bound to them), and when. */
  readonly #missingSince = new Map<string, number>();

  constructor(config: PodGcConfig) {
    this.#c = config;
  }

  async reconcile(): Promise<ReconcileResult> {
    const now = this.#c.clock.now();
    const pods = this.#c.pods.store.list();
    const nodes = new Set(this.#c.nodes.store.listKeys());
    const orphansByNode = new Map<string, PodShape[]>();
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (!node) {
        if (p.metadata?.deletionTimestamp) await this.#forceDelete(p, 'unscheduled and terminating');
        continue;
      }
      if (!nodes.has(node)) orphansByNode.set(node, [...(orphansByNode.get(node) ?? []), p]);
    }
    for (const name of [...this.#missingSince.keys()]) if (!orphansByNode.has(name)) this.#missingSince.delete(name);
    for (const [node, orphans] of orphansByNode) {
      const since = this.#missingSince.get(node) ?? now;
      this.#missingSince.set(node, since);
      if (now - since < this.#c.quarantineMs || (await this.#nodeExists(node))) continue;
      for (const p of orphans) await this.#forceDelete(p, `bound to node ${node}, which does not exist`);
    }
    const threshold = this.#c.terminatedPodThreshold ?? TERMINATED_POD_THRESHOLD;
    const finished = pods.filter((p) => (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && !p.metadata?.deletionTimestamp);
    if (finished.length > threshold) {
      finished.sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
      for (const p of finished.slice(0, finished.length - threshold)) await this.#delete(p, undefined);
    }
    return { requeueAfterMs: GC_PERIOD_MS };
  }

  async #nodeExists(name: string): Promise<boolean> {
    try {
      await this.#c.client.get({ ...NODES, name });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async #forceDelete(pod: PodShape, why: string): Promise<void> {
    this.#c.log.info('Force-deleting pod', { pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, reason: why });
    await this.#delete(pod, 0);
  }

  async #delete(pod: PodShape, gracePeriodSeconds: number | undefined): Promise<void> {
    try {
      await this.#c.client.delete(
        { ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name },
        { preconditions: { uid: pod.metadata?.uid }, ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}) },
      );
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

/** newPodGcController builds the controller: one periodic pass over every pod. */
export function newPodGcController(ctx: ControllerContext): Controller {
  const pods = ctx.informers.informerFor<PodShape>(PODS);
  const nodes = ctx.informers.informerFor(NODES);
  const controller = new Controller({
    name: 'podgc',
    reconciler: new PodGcReconciler({ client: ctx.client, pods, nodes, clock: ctx.clock, log: ctx.log, quarantineMs: ctx.settings.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS }),
    clock: ctx.clock,
    log: ctx.log,
  });
  controller.enqueue(GC_KEY);
  // A node going away starts its pods' quarantine at once rather than at the next period.
  nodes.addEventHandler({ onDelete: () => controller.enqueue(GC_KEY) });
  return controller;
}

/** POD_GC_CONTROLLER is the table row of the pod garbage collector. */
export const POD_GC_CONTROLLER: ControllerDescriptor = { name: 'podgc', enabledByDefault: true, create: newPodGcController };
