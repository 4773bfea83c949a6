/**
 * FakeObjectSource: an in-memory ObjectSource for unit tests of volumes and env — objects are put in maps, and
 * token requests return `token-<n>` tokens with the requested lifetime from an injected clock.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { IssuedToken, ObjectSource, TokenRequestSpec } from '../object-source.js';
import type { DataObject } from '../pod-spec.js';

export class FakeObjectSource implements ObjectSource {
  readonly configMaps = new Map<string, DataObject>();
  readonly secrets = new Map<string, DataObject>();
  readonly claims = new Map<string, KubeObject>();
  readonly volumes = new Map<string, KubeObject>();
  readonly serviceList: KubeObject[] = [];
  readonly tokenRequests: { namespace: string; serviceAccount: string; spec: TokenRequestSpec }[] = [];
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  configMap(namespace: string, name: string): Promise<DataObject | undefined> {
    return Promise.resolve(this.configMaps.get(`${namespace}/${name}`));
  }

  secret(namespace: string, name: string): Promise<DataObject | undefined> {
    return Promise.resolve(this.secrets.get(`${namespace}/${name}`));
  }

  persistentVolumeClaim(namespace: string, name: string): Promise<KubeObject | undefined> {
    return Promise.resolve(this.claims.get(`${namespace}/${name}`));
  }

  persistentVolume(name: string): Promise<KubeObject | undefined> {
    return Promise.resolve(this.volumes.get(name));
  }

  services(namespace: string): Promise<KubeObject[]> {
    return Promise.resolve(this.serviceList.filter((s) => s.metadata?.namespace === namespace));
  }

  serviceAccountToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<IssuedToken> {
    this.tokenRequests.push({ namespace, serviceAccount, spec });
    return Promise.resolve({ token: `token-${this.tokenRequests.length}`, expiresAtMs: this.#clock.now() + spec.expirationSeconds * 1000 });
  }
}
