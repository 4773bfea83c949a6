/**
 * The service account controller (name "serviceaccount") makes sure every Active namespace has a `default`
 * ServiceAccount, creating it when a namespace appears and again whenever it is deleted, as upstream's does.
 * Namespaces being deleted are left alone (the server refuses new objects in them).
 */
import type { KubeObject } from '../api/meta/types.js';
import { ApiError, isAlreadyExists, isNotFound } from '../client/api-error.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import type { RestClient } from '../client/rest-client.js';
import type { Logger } from '../base/log/logger.js';
import { Controller } from './controller.js';
import type { ControllerContext, ControllerDescriptor } from './controller-descriptor.js';
import type { Reconciler } from './reconciler.js';

/** DEFAULT_SERVICE_ACCOUNT is the account every namespace gets. */
export const DEFAULT_SERVICE_ACCOUNT = 'default';

const NAMESPACES = { version: 'v1', resource: 'namespaces' } as const;
const SERVICE_ACCOUNTS = { version: 'v1', resource: 'serviceaccounts' } as const;

/** ServiceAccountsReconciler creates the missing `default` ServiceAccount of one namespace (the key). */
export class ServiceAccountsReconciler implements Reconciler {
  readonly #client: RestClient;
  readonly #namespaces: SharedInformer;
  readonly #serviceAccounts: SharedInformer;
  readonly #log: Logger;

  constructor(config: { client: RestClient; namespaces: SharedInformer; serviceAccounts: SharedInformer; log: Logger }) {
    this.#client = config.client;
    this.#namespaces = config.namespaces;
    this.#serviceAccounts = config.serviceAccounts;
    this.#log = config.log;
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.#namespaces.store.get(namespace) as (KubeObject & { status?: { phase?: string } }) | undefined;
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return;
    if (this.#serviceAccounts.store.get(`${namespace}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
    try {
      await this.#client.create({ ...SERVICE_ACCOUNTS, namespace }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } });
      this.#log.info('Created the default service account', { namespace });
    } catch (err) {
      // Already there (the cache lagged), or the namespace went away or started terminating meanwhile.
      if (isAlreadyExists(err) || isNotFound(err)) return;
      if (err instanceof ApiError && err.code === 403 && /being terminated|terminating/i.test(err.message)) return;
      throw err;
    }
  }
}

/** newServiceAccountController builds the controller: namespaces are enqueued by name; a deleted `default` SA enqueues its namespace. */
export function newServiceAccountController(ctx: ControllerContext): Controller {
  const namespaces: SharedInformer = ctx.informers.informerFor(NAMESPACES);
  const serviceAccounts: SharedInformer = ctx.informers.informerFor(SERVICE_ACCOUNTS);
  const controller = new Controller({
    name: 'serviceaccount',
    reconciler: new ServiceAccountsReconciler({ client: ctx.client, namespaces, serviceAccounts, log: ctx.log }),
    clock: ctx.clock,
    log: ctx.log,
  });
  const enqueueNamespace = (ns: KubeObject): void => {
    if (ns.metadata?.name) controller.enqueue(ns.metadata.name);
  };
  namespaces.addEventHandler({ onAdd: enqueueNamespace, onUpdate: (_old, ns) => enqueueNamespace(ns) });
  serviceAccounts.addEventHandler({
    onDelete: (sa) => {
      if (sa.metadata?.name === DEFAULT_SERVICE_ACCOUNT && sa.metadata.namespace) controller.enqueue(sa.metadata.namespace);
    },
  });
  return controller;
}

/** SERVICEACCOUNT_CONTROLLER is the table row of the service account controller. */
export const SERVICEACCOUNT_CONTROLLER: ControllerDescriptor = { name: 'serviceaccount', enabledByDefault: true, create: newServiceAccountController };
