/**
 * The built-in Ingress controller: watches Ingresses, IngressClasses, Services, EndpointSlices and Secrets through
 * shared informers and keeps
 *  - the routing table and the certificate table the proxy reads (rebuilt lazily: any change marks them stale and
 *    the next request rebuilds them, so a burst of endpoint changes costs one rebuild);
 *  - `status.loadBalancer.ingress` of every handled Ingress equal to the addresses the proxy serves on, written
 *    through the `ingresses/status` subresource by a level-based work queue (a conflict or failure is retried
 *    with backoff; a later event re-enqueues anyway).
 * Ingresses of other classes are left alone, their status included.
 * With several servers every one serves traffic, but only one writes status (`writesStatus`, a Lease held in
 * boot/ingress.ts), listing every live server's addresses (`setAddresses`): two writers with different lists
 * would rewrite each other's status forever.
 */
import { isIP } from 'node:net';
import type { KubeObject } from '../api/meta/types.js';
import { obj, objects } from '../api/validation/unstructured.js';
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { WorkQueue } from '../base/queue/work-queue.js';
import { isAlreadyExists, isNotFound } from '../client/api-error.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import type { ResourcePath } from '../client/resource-path.js';
import type { RestClient } from '../client/rest-client.js';
import { ClassSelector, defaultIngressClass, DEFAULT_INGRESS_CLASS } from './ingress-class.js';
import { buildRoutingTable, handledIngresses, objectKey, RoutingTable } from './routing-table.js';
import { buildCertificateTable, CertificateTable } from './tls-certificates.js';

export const INGRESSES: ResourcePath = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' };
export const INGRESS_CLASSES: ResourcePath = { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses' };
export const SERVICES: ResourcePath = { version: 'v1', resource: 'services' };
export const ENDPOINT_SLICES: ResourcePath = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' };
export const SECRETS: ResourcePath = { version: 'v1', resource: 'secrets' };

/** InformerSource is the part of SharedInformerFactory the controller uses. */
export interface InformerSource {
  informerFor(path: ResourcePath): SharedInformer;
}

/** IngressControllerConfig constructs an IngressController. */
export interface IngressControllerConfig {
  readonly client: Pick<RestClient, 'update' | 'create'>;
  readonly informers: InformerSource;
  readonly clock: Clock;
  readonly log: Logger;
  /** The addresses (IPs or host names) the proxy answers on, written to Ingress status (until setAddresses). */
  readonly addresses: readonly string[];
  /** Whether this controller writes status now (false while another server's controller does). @default always */
  readonly writesStatus?: () => boolean;
}

/** loadBalancerIngress turns addresses into `status.loadBalancer.ingress` entries. */
export function loadBalancerIngressOf(addresses: readonly string[]): Record<string, string>[] {
  return addresses.map((a): Record<string, string> => (isIP(a) ? { ip: a } : { hostname: a }));
}

/** IngressController keeps the proxy's tables and the handled Ingresses' status current. */
export class IngressController {
  readonly #c: IngressControllerConfig;
  readonly #ingresses: SharedInformer;
  readonly #classes: SharedInformer;
  readonly #services: SharedInformer;
  readonly #slices: SharedInformer;
  readonly #secrets: SharedInformer;
  readonly #queue: WorkQueue<string>;
  #stale = true;
  #table = RoutingTable.empty();
  #certs = new CertificateTable(new Map());
  #addresses: readonly string[];

  constructor(config: IngressControllerConfig) {
    this.#c = config;
    this.#addresses = config.addresses;
    this.#ingresses = config.informers.informerFor(INGRESSES);
    this.#classes = config.informers.informerFor(INGRESS_CLASSES);
    this.#services = config.informers.informerFor(SERVICES);
    this.#slices = config.informers.informerFor(ENDPOINT_SLICES);
    this.#secrets = config.informers.informerFor(SECRETS);
    this.#queue = new WorkQueue<string>({ clock: config.clock });
    const markStale = (): void => {
      this.#stale = true;
    };
    for (const inf of [this.#services, this.#slices, this.#secrets]) inf.addEventHandler({ onAdd: markStale, onUpdate: markStale, onDelete: markStale });
    this.#ingresses.addEventHandler({
      onAdd: (i) => this.#onIngress(i),
      onUpdate: (_o, i) => this.#onIngress(i),
      onDelete: markStale,
    });
    const onClass = (): void => {
      markStale();
      // Which Ingresses are ours may have changed: look at every one.
      for (const i of this.#ingresses.store.list()) this.#queue.add(objectKey(i));
    };
    this.#classes.addEventHandler({ onAdd: onClass, onUpdate: onClass, onDelete: onClass });
  }

  #onIngress(i: KubeObject): void {
    this.#stale = true;
    this.#queue.add(objectKey(i));
  }

  /** table is the current routing table (rebuilt first when something changed). */
  table(): RoutingTable {
    this.#refresh();
    return this.#table;
  }

  /** certificates is the current SNI certificate table. */
  certificates(): CertificateTable {
    this.#refresh();
    return this.#certs;
  }

  #refresh(): void {
    if (!this.#stale) return;
    this.#stale = false;
    const classes = new ClassSelector(this.#classes.store.list());
    const ingresses = this.#ingresses.store.list();
    this.#table = buildRoutingTable({ ingresses, services: this.#services.store.list(), endpointSlices: this.#slices.store.list(), classes });
    const secrets = new Map(this.#secrets.store.list().map((s) => [objectKey(s), s]));
    this.#certs = buildCertificateTable(handledIngresses(ingresses, classes), secrets);
  }

  /** ensureDefaultClass creates the `tkube` IngressClass unless it exists (a user's edits are kept). */
  async ensureDefaultClass(): Promise<void> {
    try {
      await this.#c.client.create(INGRESS_CLASSES, defaultIngressClass());
      this.#c.log.info('Created the default IngressClass', { name: DEFAULT_INGRESS_CLASS });
    } catch (err) {
      if (isAlreadyExists(err)) return;
      throw err;
    }
  }

  /** addresses is what status lists now. */
  addresses(): readonly string[] {
    return this.#addresses;
  }

  /** setAddresses changes what status lists (every live server's proxy); a change rewrites every handled Ingress. */
  setAddresses(addresses: readonly string[]): void {
    if (addresses.length === 0 || JSON.stringify(addresses) === JSON.stringify(this.#addresses)) return;
    this.#addresses = [...addresses];
    this.resyncStatus();
  }

  /** resyncStatus looks at every Ingress's status again (this controller started writing status, or the addresses changed). */
  resyncStatus(): void {
    for (const i of this.#ingresses.store.list()) this.#queue.add(objectKey(i));
  }

  /** reconcileStatus makes one Ingress's (`namespace/name`) status list the proxy's addresses, when it is ours. */
  async reconcileStatus(key: string): Promise<void> {
    const ing = this.#ingresses.store.get(key);
    if (!ing || ing.metadata?.deletionTimestamp) return;
    if (this.#c.writesStatus && !this.#c.writesStatus()) return;
    if (!new ClassSelector(this.#classes.store.list()).handles(ing)) return;
    const desired = loadBalancerIngressOf(this.#addresses);
    const current = objects(obj(obj(ing['status'])['loadBalancer'])['ingress']);
    if (JSON.stringify(current) === JSON.stringify(desired)) return;
    try {
      await this.#c.client.update(
        { ...INGRESSES, namespace: ing.metadata?.namespace ?? '', name: ing.metadata?.name ?? '', subresource: 'status' },
        { ...ing, status: { ...obj(ing['status']), loadBalancer: { ingress: desired } } },
      );
      this.#c.log.info('Updated Ingress status', { ingress: key, addresses: this.#addresses.join(',') });
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile
      throw err; // a conflict is retried with the newer copy
    }
  }

  /** run writes statuses until `signal` aborts; informers are started by their owner. */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => this.#queue.shutDown(), { once: true });
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        if (!signal.aborted) await this.reconcileStatus(key);
        this.#queue.forget(key);
      } catch (err) {
        const retries = this.#queue.numRequeues(key);
        if (retries >= 3) this.#c.log.warn('Ingress status update failed; retrying', { key, retries, error: err });
        if (!signal.aborted) this.#queue.addRateLimited(key);
      } finally {
        this.#queue.done(key);
      }
    }
  }
}
