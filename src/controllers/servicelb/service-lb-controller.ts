/**
 * The service load balancer (name "servicelb", in the manner of k3s's ServiceLB): LoadBalancer Services without
 * a cloud. A Service of type LoadBalancer with no `spec.loadBalancerClass` (or with ours, `tkube.io/servicelb`)
 * gets `status.loadBalancer.ingress` = the InternalIP and ExternalIP addresses of the Ready, schedulable nodes,
 * each with `ipMode: VIP` (the service proxy then answers on those addresses for the Service's ports). When any
 * node carries the label `svccontroller.k3s.cattle.io/enablelb=true`, only labelled nodes serve, as in k3s.
 * Before it first writes addresses, the controller puts upstream's finalizer
 * `service.kubernetes.io/load-balancer-cleanup` on the Service: it marks the status as ours. A Service that carries
 * it and is no longer one of our LoadBalancers (type changed, class changed, being deleted) has its ingress list
 * cleared and the finalizer removed; a Service without it is never touched, so another writer's status (a test, an
 * external controller) stays. Services of another loadBalancerClass are left alone entirely.
 *
 * Level-based: a Service event enqueues the Service; a node change that alters the serving set enqueues every
 * LoadBalancer Service. Status is written through the `services/status` subresource with the cached
 * resourceVersion, so a concurrent writer makes it conflict and retry with the newer copy.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { obj, objects, str } from '../../api/validation/unstructured.js';
import type { Logger } from '../../base/log/logger.js';
import { isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { Reconciler } from '../reconciler.js';

/** CLEANUP_FINALIZER is upstream's service controller finalizer: this Service's load balancer status is ours. */
export const CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';

/** LOAD_BALANCER_CLASS is the `spec.loadBalancerClass` that names this implementation explicitly. */
export const LOAD_BALANCER_CLASS = 'tkube.io/servicelb';
/** ENABLE_LB_LABEL is k3s's node label choosing the serving nodes. */
export const ENABLE_LB_LABEL = 'svccontroller.k3s.cattle.io/enablelb';

const SERVICES = { version: 'v1', resource: 'services' } as const;
const NODES = { version: 'v1', resource: 'nodes' } as const;

/** LoadBalancerIngress is one `status.loadBalancer.ingress` entry. */
export interface LoadBalancerIngress {
  readonly ip: string;
  readonly ipMode: 'VIP';
}

function isReady(node: KubeObject): boolean {
  return objects(obj(node['status'])['conditions']).some((c) => c['type'] === 'Ready' && c['status'] === 'True');
}

function servingCandidate(node: KubeObject): boolean {
  return !node.metadata?.deletionTimestamp && obj(node['spec'])['unschedulable'] !== true && isReady(node);
}

/**
 * loadBalancerIngressFor computes the ingress list from the nodes: the serving nodes' InternalIP and ExternalIP
 * addresses, de-duplicated and sorted (IPv4 first) so that the list does not churn with node order.
 */
export function loadBalancerIngressFor(nodes: readonly KubeObject[]): LoadBalancerIngress[] {
  const labelled = nodes.some((n) => n.metadata?.labels?.[ENABLE_LB_LABEL] === 'true');
  const serving = nodes.filter((n) => servingCandidate(n) && (!labelled || n.metadata?.labels?.[ENABLE_LB_LABEL] === 'true'));
  const ips = new Set<string>();
  for (const n of serving) {
    for (const a of objects(obj(n['status'])['addresses'])) {
      const address = str(a['address']);
      if (address && (a['type'] === 'InternalIP' || a['type'] === 'ExternalIP')) ips.add(address);
    }
  }
  const v6 = (ip: string): number => (ip.includes(':') ? 1 : 0);
  return [...ips].sort((a, b) => v6(a) - v6(b) || a.localeCompare(b, 'en', { numeric: true })).map((ip) => ({ ip, ipMode: 'VIP' }));
}

/** isOurs tells whether this controller manages the Service's load balancer status. */
export function isOurs(svc: KubeObject): boolean {
  const cls = str(obj(svc['spec'])['loadBalancerClass']);
  return cls === undefined || cls === '' || cls === LOAD_BALANCER_CLASS;
}

/** ServiceLBControllerConfig constructs the reconciler; only the informers' stores are read. */
export interface ServiceLBControllerConfig {
  readonly client: Pick<RestClient, 'update'>;
  readonly services: Pick<SharedInformer, 'store'>;
  readonly nodes: Pick<SharedInformer, 'store'>;
  readonly log: Logger;
}

/** ServiceLBController makes one Service's (the key's) load balancer status match the serving nodes. */
export class ServiceLBController implements Reconciler {
  readonly #c: ServiceLBControllerConfig;

  constructor(config: ServiceLBControllerConfig) {
    this.#c = config;
  }

  async reconcile(key: string): Promise<void> {
    const svc = this.#c.services.store.get(key);
    if (!svc) return;
    const finalizers = svc.metadata?.finalizers ?? [];
    const marked = finalizers.includes(CLEANUP_FINALIZER);
    const wants = !svc.metadata?.deletionTimestamp && obj(svc['spec'])['type'] === 'LoadBalancer' && isOurs(svc);
    if (!wants && !marked) return;
    const [namespace = '', name = ''] = key.split('/');
    let resourceVersion = svc.metadata?.resourceVersion;
    try {
      if (wants && !marked) {
        // Mark first: the status written next is ours to clear. The update's watch event brings the Service back.
        await this.#c.client.update({ ...SERVICES, namespace, name }, { ...svc, metadata: { ...svc.metadata, finalizers: [...finalizers, CLEANUP_FINALIZER] } });
        return;
      }
      const status = obj(svc['status']);
      const current = objects(obj(status['loadBalancer'])['ingress']);
      const desired = wants ? loadBalancerIngressFor(this.#c.nodes.store.list()) : [];
      if (JSON.stringify(current) !== JSON.stringify(desired)) {
        const written = await this.#c.client.update(
          { ...SERVICES, namespace, name, subresource: 'status' },
          { ...svc, status: { ...status, loadBalancer: desired.length > 0 ? { ingress: desired } : {} } },
        );
        this.#c.log.info(wants ? 'Updated load balancer addresses' : 'Cleared load balancer addresses', { service: key, addresses: desired.map((d) => d.ip).join(',') });
        if (wants) return;
        resourceVersion = written.metadata?.resourceVersion ?? resourceVersion;
      }
      if (!wants) await this.#c.client.update({ ...SERVICES, namespace, name }, { ...svc, metadata: { ...svc.metadata, resourceVersion, finalizers: finalizers.filter((f) => f !== CLEANUP_FINALIZER) } });
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile
      throw err;
    }
  }
}

/** nodeFingerprint is what of a node decides the serving set (heartbeats alone change nothing). */
function nodeFingerprint(n: KubeObject): string {
  const addresses = objects(obj(n['status'])['addresses']).map((a) => `${str(a['type']) ?? ''}=${str(a['address']) ?? ''}`);
  return JSON.stringify([servingCandidate(n), n.metadata?.labels?.[ENABLE_LB_LABEL] ?? '', addresses]);
}

/** newServiceLBController builds the controller and registers its handlers. */
export function newServiceLBController(ctx: ControllerContext): Controller {
  const services: SharedInformer = ctx.informers.informerFor(SERVICES);
  const nodes: SharedInformer = ctx.informers.informerFor(NODES);
  const controller = new Controller({ name: SERVICELB_CONTROLLER_NAME, reconciler: new ServiceLBController({ client: ctx.client, services, nodes, log: ctx.log }), clock: ctx.clock, log: ctx.log });
  const relevant = (svc: KubeObject): boolean => obj(svc['spec'])['type'] === 'LoadBalancer' || (svc.metadata?.finalizers ?? []).includes(CLEANUP_FINALIZER);
  const enqueue = (svc: KubeObject): void => {
    if (relevant(svc)) controller.enqueue(metaNamespaceKey(svc));
  };
  services.addEventHandler({ onAdd: enqueue, onUpdate: (_old, svc) => enqueue(svc) });
  const enqueueAll = (): void => {
    for (const svc of services.store.list()) if (obj(svc['spec'])['type'] === 'LoadBalancer') controller.enqueue(metaNamespaceKey(svc));
  };
  nodes.addEventHandler({
    onAdd: enqueueAll,
    onUpdate: (old, n) => {
      if (nodeFingerprint(old) !== nodeFingerprint(n)) enqueueAll();
    },
    onDelete: enqueueAll,
  });
  return controller;
}

const SERVICELB_CONTROLLER_NAME = 'servicelb';

/** SERVICELB_CONTROLLER is the table row of the service load balancer. */
export const SERVICELB_CONTROLLER: ControllerDescriptor = { name: SERVICELB_CONTROLLER_NAME, enabledByDefault: true, create: newServiceLBController };
