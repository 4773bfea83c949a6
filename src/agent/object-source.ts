/**
 * ObjectSource: how the node agent reads the objects a pod refers to (ConfigMaps, Secrets, Services, claims and
 * volumes) and asks for service-account tokens — through the API, like every component. "Not found" is a value
 * (`undefined`); any other failure rejects, and the pod's sync is retried.
 */
import type { KubeObject } from '../api/meta/types.js';
import { isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import type { DataObject } from './pod-spec.js';

/**
 * ServiceLister is a watched view of the cluster's Services (the kubelet's services informer). Until it has
 * synced, readers must not trust it (an empty namespace may only mean "not listed yet").
 */
export interface ServiceLister {
  hasSynced(): boolean;
  /** The Services of a namespace as last seen; read-only. */
  byNamespace(namespace: string): KubeObject[];
}

/** TokenRequestSpec is what a projected serviceAccountToken asks for. */
export interface TokenRequestSpec {
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly boundPod: { readonly name: string; readonly uid: string };
}

/** IssuedToken is a token and when it expires (ms since the epoch). */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

/** ObjectSource is the read side the kubelet's volume and env code needs. */
export interface ObjectSource {
  configMap(namespace: string, name: string): Promise<DataObject | undefined>;
  secret(namespace: string, name: string): Promise<DataObject | undefined>;
  persistentVolumeClaim(namespace: string, name: string): Promise<KubeObject | undefined>;
  persistentVolume(name: string): Promise<KubeObject | undefined>;
  /** The Services of a namespace. */
  services(namespace: string): Promise<KubeObject[]>;
  serviceAccountToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<IssuedToken>;
}

/**
 * How long a ConfigMap or Secret read is reused. Every pod of a namespace mounts the same `kube-root-ca.crt`
 * ConfigMap (the service-account volume) and re-reads it every 10 s: without reuse a 200-pod burst made 200 GETs
 * of one object, and 200 running pods 20 a second. A change shows this much later at most, on top of the volume
 * refresh period (upstream's kubelet caches these objects too, with a TTL or a watch).
 */
export const OBJECT_REUSE_MS = 1_000;

/**
 * ApiObjectSource reads through a RestClient: plain GETs, ConfigMaps and Secrets reused for OBJECT_REUSE_MS and
 * shared by callers that ask while the same GET is under way. "Not found" is never reused (the object may be
 * created any moment, and a pod waits for it).
 */
export class ApiObjectSource implements ObjectSource {
  readonly #client: RestClient;
  readonly #now: () => number;
  /** Services LISTs under way, by namespace (see services). */
  readonly #servicesInFlight = new Map<string, Promise<KubeObject[]>>();
  /** ConfigMap and Secret reads, by `<resource>/<namespace>/<name>`: under way, or done at `at` (found). */
  readonly #reads = new Map<string, { at: number; read: Promise<KubeObject | undefined> }>();
  readonly #serviceLister: ServiceLister | undefined;
  /** `serviceLister`, when given, answers services() once synced instead of a LIST per call. */
  constructor(client: RestClient, now: () => number = Date.now, serviceLister?: ServiceLister) {
    this.#client = client;
    this.#now = now;
    this.#serviceLister = serviceLister;
  }

  /** #reused GETs an object, or reuses a read of it under way or done less than OBJECT_REUSE_MS ago. */
  #reused(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const key = `${resource}/${namespace}/${name}`;
    const now = this.#now();
    const held = this.#reads.get(key);
    if (held && (held.at === Infinity || now - held.at < OBJECT_REUSE_MS)) return held.read;
    // Done reads older than the reuse period go (the map stays as small as what is read in a second).
    for (const [k, v] of this.#reads) if (v.at !== Infinity && now - v.at >= OBJECT_REUSE_MS) this.#reads.delete(k);
    const entry = { at: Infinity, read: this.#get(resource, namespace, name) };
    this.#reads.set(key, entry);
    entry.read.then(
      (obj) => {
        if (obj === undefined) this.#reads.delete(key);
        else entry.at = this.#now();
      },
      () => this.#reads.delete(key),
    );
    return entry.read;
  }

  async #get(resource: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.#client.get({ version: 'v1', resource, ...(namespace ? { namespace } : {}), name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  configMap(namespace: string, name: string): Promise<DataObject | undefined> {
    return this.#reused('configmaps', namespace, name);
  }

  secret(namespace: string, name: string): Promise<DataObject | undefined> {
    return this.#reused('secrets', namespace, name);
  }

  persistentVolumeClaim(namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.#get('persistentvolumeclaims', namespace, name);
  }

  persistentVolume(name: string): Promise<KubeObject | undefined> {
    return this.#get('persistentvolumes', undefined, name);
  }

  /**
   * services reads a namespace's Services from the ServiceLister once it has synced (no request: every container
   * start needs them for its service-link variables, and a 200-pod burst made ~90 LISTs), else LISTs them. Callers
   * that ask while a LIST of the same namespace is under way share it. Either way a caller may miss a Service
   * created in the few milliseconds before it asked, as upstream's informer-fed kubelet may.
   */
  services(namespace: string): Promise<KubeObject[]> {
    if (this.#serviceLister?.hasSynced()) return Promise.resolve(this.#serviceLister.byNamespace(namespace));
    const held = this.#servicesInFlight.get(namespace);
    if (held) return held;
    const listing = this.#client
      .list({ version: 'v1', resource: 'services', namespace })
      .then((list) => list.items)
      .finally(() => this.#servicesInFlight.delete(namespace));
    this.#servicesInFlight.set(namespace, listing);
    return listing;
  }

  async serviceAccountToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<IssuedToken> {
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: spec.boundPod.name, uid: spec.boundPod.uid } },
    };
    const res = await this.#client.create({ version: 'v1', resource: 'serviceaccounts', namespace, name: serviceAccount, subresource: 'token' }, body as KubeObject);
    const status = res['status'] as { token?: string; expirationTimestamp?: string } | undefined;
    if (!status?.token) throw new Error(`Cannot get token for service account ${namespace}/${serviceAccount}: the answer has no token`);
    const exp = Date.parse(status.expirationTimestamp ?? '');
    return { token: status.token, expiresAtMs: Number.isFinite(exp) ? exp : 0 };
  }
}
