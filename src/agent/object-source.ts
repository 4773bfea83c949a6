/**
 * ObjectSource: how the node agent reads the objects a pod refers to (ConfigMaps, Secrets, Services, claims and
 * volumes) and asks for service-account tokens — through the API, like every component. "Not found" is a value
 * (`undefined`); any other failure rejects, and the pod's sync is retried.
 */
import type { KubeObject } from '../api/meta/types.js';
import { isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import type { DataObject } from './pod-spec.js';

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

/** ApiObjectSource reads through a RestClient (plain GETs: a pod's objects are few and read rarely). */
export class ApiObjectSource implements ObjectSource {
  readonly #client: RestClient;
  /** Services LISTs under way, by namespace (see services). */
  readonly #servicesInFlight = new Map<string, Promise<KubeObject[]>>();
  constructor(client: RestClient) {
    this.#client = client;
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
    return this.#get('configmaps', namespace, name);
  }

  secret(namespace: string, name: string): Promise<DataObject | undefined> {
    return this.#get('secrets', namespace, name);
  }

  persistentVolumeClaim(namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.#get('persistentvolumeclaims', namespace, name);
  }

  persistentVolume(name: string): Promise<KubeObject | undefined> {
    return this.#get('persistentvolumes', undefined, name);
  }

  /**
   * services LISTs a namespace's Services. Callers that ask while a LIST of the same namespace is under way share
   * it (a burst of pods starting together costs one LIST, not one per container): such a caller may miss a Service
   * created in the few milliseconds before it asked, as upstream's informer-fed kubelet may.
   */
  services(namespace: string): Promise<KubeObject[]> {
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
