/**
 * The root CA certificate publisher (name "root-ca-cert-publisher", upstream's): every Active namespace holds a
 * ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster CA (PEM), with upstream's `kubernetes.io/description`
 * annotation. Pods read it through the `kube-api-access-*` projected volume the ServiceAccount admission adds.
 * Level-based: a namespace that appears or changes, and a `kube-root-ca.crt` that is edited or deleted, enqueue
 * the namespace; its sync creates the ConfigMap when missing, or restores `data` (exactly `ca.crt`: keys a user
 * added are dropped) and the annotation when they differ, keeping other labels and annotations, as upstream
 * does. Namespaces being deleted are left alone.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { ApiError, isAlreadyExists, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import type { Logger } from '../../base/log/logger.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { Reconciler } from '../reconciler.js';

/** ROOT_CA_CONFIGMAP is the ConfigMap every namespace gets. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** ROOT_CA_KEY is the ConfigMap key holding the CA bundle. */
export const ROOT_CA_KEY = 'ca.crt';
/** DESCRIPTION_ANNOTATION and DESCRIPTION are upstream's annotation on the ConfigMap, word for word. */
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

const NAMESPACES = { version: 'v1', resource: 'namespaces' } as const;
const CONFIG_MAPS = { version: 'v1', resource: 'configmaps' } as const;

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** RootCACertPublisherConfig constructs the reconciler; only the informers' stores are read. */
export interface RootCACertPublisherConfig {
  readonly client: Pick<RestClient, 'create' | 'update'>;
  readonly namespaces: Pick<SharedInformer, 'store'>;
  readonly configMaps: Pick<SharedInformer, 'store'>;
  /** The cluster CA certificate(s), PEM. */
  readonly rootCAPem: string;
  readonly log: Logger;
}

/** RootCACertPublisher makes one namespace's (the key's) `kube-root-ca.crt` hold the cluster CA. */
export class RootCACertPublisher implements Reconciler {
  readonly #c: RootCACertPublisherConfig;

  constructor(config: RootCACertPublisherConfig) {
    this.#c = config;
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.#c.namespaces.store.get(namespace) as (KubeObject & { status?: { phase?: string } }) | undefined;
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return;
    const cm = this.#c.configMaps.store.get(`${namespace}/${ROOT_CA_CONFIGMAP}`) as ConfigMap | undefined;
    const data = { [ROOT_CA_KEY]: this.#c.rootCAPem };
    try {
      if (!cm) {
        await this.#c.client.create(
          { ...CONFIG_MAPS, namespace },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data },
        );
        this.#c.log.info('Published the root CA', { namespace });
        return;
      }
      if (sameData(cm.data, data) && (cm.metadata?.annotations?.[DESCRIPTION_ANNOTATION] ?? '') !== '') return;
      // An update with the cached resourceVersion: a concurrent edit conflicts and the retry sees it.
      await this.#c.client.update(
        { ...CONFIG_MAPS, namespace, name: ROOT_CA_CONFIGMAP },
        { ...cm, metadata: { ...cm.metadata, annotations: { ...cm.metadata?.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data },
      );
      this.#c.log.info('Restored the root CA', { namespace });
    } catch (err) {
      // The cache lagged (its event re-enqueues), or the namespace went away or started terminating meanwhile.
      if (isAlreadyExists(err) || isNotFound(err)) return;
      if (err instanceof ApiError && err.code === 403 && /being terminated|terminating/i.test(err.message)) return;
      // A conflict (edited since the cache saw it) is retried with the newer copy, like any other failure.
      throw err;
    }
  }
}

function sameData(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b).length && ak.every((k) => a?.[k] === b[k]);
}

/**
 * newRootCACertPublisher builds the controller: namespaces are enqueued by name when added or updated; an edited
 * or deleted `kube-root-ca.crt` enqueues its namespace. Without a CA in the settings it publishes nothing (as
 * upstream, which does not start the controller without a root CA).
 */
export function newRootCACertPublisher(ctx: ControllerContext): Controller {
  const namespaces: SharedInformer = ctx.informers.informerFor(NAMESPACES);
  const configMaps: SharedInformer = ctx.informers.informerFor(CONFIG_MAPS);
  const rootCAPem = ctx.settings.rootCAPem ?? '';
  const controller = new Controller({
    name: ROOT_CA_CERT_PUBLISHER_NAME,
    reconciler: rootCAPem ? new RootCACertPublisher({ client: ctx.client, namespaces, configMaps, rootCAPem, log: ctx.log }) : { reconcile: async () => undefined },
    clock: ctx.clock,
    log: ctx.log,
  });
  if (!rootCAPem) {
    ctx.log.warn('No cluster CA configured; kube-root-ca.crt is not published');
    return controller;
  }
  const enqueueNamespace = (ns: KubeObject): void => {
    if (ns.metadata?.name) controller.enqueue(ns.metadata.name);
  };
  namespaces.addEventHandler({ onAdd: enqueueNamespace, onUpdate: (_old, ns) => enqueueNamespace(ns) });
  const onConfigMap = (cm: KubeObject): void => {
    if (cm.metadata?.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) controller.enqueue(cm.metadata.namespace);
  };
  configMaps.addEventHandler({ onUpdate: (_old, cm) => onConfigMap(cm), onDelete: onConfigMap });
  return controller;
}

const ROOT_CA_CERT_PUBLISHER_NAME = 'root-ca-cert-publisher';

/** ROOT_CA_CERT_PUBLISHER is the table row of the root CA certificate publisher. */
export const ROOT_CA_CERT_PUBLISHER: ControllerDescriptor = { name: ROOT_CA_CERT_PUBLISHER_NAME, enabledByDefault: true, create: newRootCACertPublisher };
