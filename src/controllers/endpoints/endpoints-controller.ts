/**
 * Endpoints controller: keeps each selector Service's v1 Endpoints equal to its pods (upstream's "endpoint"
 * controller): ready pods in `addresses`, the others in `notReadyAddresses` (all in `addresses` with
 * publishNotReadyAddresses), grouped into subsets by their resolved ports; pods being deleted are left out. Services
 * without a selector are not touched (their Endpoints are the user's, like the `kubernetes` Service's).
 */
import { semanticJson } from '../../api/meta/semantic-json.js';
import type { KubeObject } from '../../api/meta/types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { Reconciler } from '../reconciler.js';
import { endpointPorts, endpointTarget, podEndpoints, type EndpointPort, type PodShape, type ServiceShape } from './service-endpoints.js';
import { selects, servicesSelecting } from './service-pod-index.js';

const SERVICES = { version: 'v1', resource: 'services' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const ENDPOINTS = { version: 'v1', resource: 'endpoints' } as const;

interface EndpointAddress {
  ip: string;
  nodeName?: string;
  hostname?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}

interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** endpointSubsets computes the subsets of a Service's Endpoints from its pods. */
export function endpointSubsets(service: ServiceShape, pods: readonly PodShape[]): EndpointSubset[] {
  const bySignature = new Map<string, EndpointSubset>();
  for (const e of podEndpoints(service, pods)) {
    if (e.terminating && service.spec?.publishNotReadyAddresses !== true) continue;
    const ports = endpointPorts(service, e);
    if (!ports) continue;
    const address: EndpointAddress = { ip: e.ip, ...endpointTarget(service, e) };
    const signature = semanticJson(ports);
    let subset = bySignature.get(signature);
    if (!subset) bySignature.set(signature, (subset = ports.length > 0 ? { ports } : {}));
    if (e.ready) (subset.addresses ??= []).push(address);
    else (subset.notReadyAddresses ??= []).push(address);
  }
  return [...bySignature.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

/** EndpointsReconciler converges the Endpoints of one Service (key `namespace/name`). */
export class EndpointsReconciler implements Reconciler {
  constructor(
    readonly client: RestClient,
    readonly services: SharedInformer<ServiceShape>,
    readonly pods: SharedInformer<PodShape>,
    readonly endpoints: SharedInformer,
  ) {}

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.services.store.get(key);
    const current = this.endpoints.store.get(key);
    if (!svc) {
      // The Service is gone: so are its Endpoints (a Service of that name may come back with other pods).
      if (current) await this.#ignoreMissing(this.client.delete({ ...ENDPOINTS, namespace, name }));
      return;
    }
    const selector = svc.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return;
    const pods = this.pods.store.byIndex(NAMESPACE_INDEX, namespace).filter((p) => selects(svc, p.metadata?.labels));
    const subsets = endpointSubsets(svc, pods);
    const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const body: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, ...(subsets.length > 0 ? { subsets } : {}) };
    if (!current) {
      try {
        await this.client.create({ ...ENDPOINTS, namespace }, body);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        throw new Error(`Cannot create endpoints ${key}: they appeared meanwhile; retrying`);
      }
      return;
    }
    const same = semanticJson(current['subsets'] ?? []) === semanticJson(subsets) && semanticJson(current.metadata?.labels ?? {}) === semanticJson(labels);
    if (same) return;
    try {
      await this.client.update({ ...ENDPOINTS, namespace, name }, { ...body, metadata: { ...current.metadata, labels } });
    } catch (err) {
      if (isConflict(err)) throw new Error(`Cannot update endpoints ${key}: they changed meanwhile; retrying`);
      if (!isNotFound(err)) throw err;
    }
  }

  async #ignoreMissing(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** newEndpointsController builds the controller: Services by key; pods mapped to the Services selecting them. */
export function newEndpointsController(ctx: ControllerContext): Controller {
  const services = ctx.informers.informerFor<ServiceShape>(SERVICES);
  const pods = ctx.informers.informerFor<PodShape>(PODS);
  const endpoints = ctx.informers.informerFor(ENDPOINTS);
  const controller = new Controller({ name: 'endpoint', reconciler: new EndpointsReconciler(ctx.client, services, pods, endpoints), clock: ctx.clock, log: ctx.log, workers: 5 });
  const enqueue = (o: KubeObject): void => controller.enqueue(metaNamespaceKey(o));
  services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
  const onPod = (oldPod: KubeObject | undefined, pod: KubeObject): void => {
    for (const key of servicesSelecting(services, pod, oldPod?.metadata?.labels, pod.metadata?.labels)) controller.enqueue(key);
  };
  pods.addEventHandler({ onAdd: (p) => onPod(undefined, p), onUpdate: (o, p) => onPod(o, p), onDelete: (p) => onPod(undefined, p) });
  // Someone else changed or deleted managed Endpoints: put them right.
  endpoints.addEventHandler({ onUpdate: (_o, e) => enqueue(e), onDelete: enqueue });
  return controller;
}

/** ENDPOINTS_CONTROLLER is the table row of the Endpoints controller ("endpoint" upstream). */
export const ENDPOINTS_CONTROLLER: ControllerDescriptor = { name: 'endpoint', enabledByDefault: true, create: newEndpointsController };
