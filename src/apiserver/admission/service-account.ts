/**
 * ServiceAccount: a new pod runs as a service account (`default` unless it names one) that must exist, and gets
 * the projected `kube-api-access-<random>` volume (token, kube-root-ca.crt, namespace) mounted at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container, unless automounting is turned off.
 */
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord, asRecords, CONTAINER_FIELDS } from './pod-containers.js';

/** Where the token volume is mounted. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The projected token's lifetime, as upstream (one hour plus seven seconds, recognisable as a default). */
const TOKEN_EXPIRATION_SECONDS = 3607;
/** Upstream's alphabet for random name suffixes (no vowels, no look-alike digits). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** ServiceAccountOptions tune the plugin. */
export interface ServiceAccountOptions {
  /** Random numbers in [0, 1) for the volume name suffix. @default Math.random */
  readonly random?: () => number;
  /** How long to wait for a missing `default` account of a new namespace (the controller creates it). @default 2000 */
  readonly defaultAccountWaitMs?: number;
}

/** ServiceAccount is upstream's ServiceAccount plugin (pods only). */
export class ServiceAccount implements AdmissionPlugin {
  readonly name = 'ServiceAccount';
  readonly #reader: ObjectReader;
  readonly #random: () => number;
  readonly #waitMs: number;

  constructor(reader: ObjectReader, options: ServiceAccountOptions = {}) {
    this.#reader = reader;
    this.#random = options.random ?? Math.random;
    this.#waitMs = options.defaultAccountWaitMs ?? 2000;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.group === '' && a.resource === 'pods' && a.subresource === '';
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    const pod = a.object;
    if (!pod) return;
    // Mirror pods (static pods of a kubelet) may not use service accounts; they are left alone.
    if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
    const spec = asRecord(pod['spec']);
    pod['spec'] = spec;
    const accountName = typeof spec['serviceAccountName'] === 'string' && spec['serviceAccountName'] !== '' ? spec['serviceAccountName'] : 'default';
    spec['serviceAccountName'] = accountName;
    const account = await this.#account(a.namespace, accountName);
    if (!account) {
      throw admissionForbidden(a, `error looking up service account ${a.namespace}/${accountName}: serviceaccount "${accountName}" not found`);
    }
    if (spec['automountServiceAccountToken'] === false) return;
    if (spec['automountServiceAccountToken'] === undefined && account['automountServiceAccountToken'] === false) return;
    this.#mountToken(spec);
  }

  async #account(namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
    const found = await this.#reader.get('', 'serviceaccounts', namespace, name);
    if (found || name !== 'default') return found;
    // A namespace created a moment ago gets its default account from the controller shortly.
    const deadline = Date.now() + this.#waitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const later = await this.#reader.get('', 'serviceaccounts', namespace, name);
      if (later) return later;
    }
    return undefined;
  }

  #mountToken(spec: Record<string, unknown>): void {
    const volumes = asRecords(spec['volumes']);
    const containers = CONTAINER_FIELDS.flatMap((f) => asRecords(spec[f]));
    const mountedAt = (c: Record<string, unknown>): boolean => asRecords(c['volumeMounts']).some((m) => m['mountPath'] === SERVICE_ACCOUNT_MOUNT_PATH);
    let volumeName = volumes.map((v) => v['name']).find((n): n is string => typeof n === 'string' && n.startsWith('kube-api-access-'));
    if (volumeName === undefined) {
      // A pod that mounts something of its own at the token path keeps it, and gets no token volume.
      if (containers.some(mountedAt)) return;
      volumeName = `kube-api-access-${this.#suffix()}`;
      volumes.push({
        name: volumeName,
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      });
      spec['volumes'] = volumes;
    }
    for (const container of containers) {
      if (mountedAt(container)) continue;
      const mounts = asRecords(container['volumeMounts']);
      mounts.push({ name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH });
      container['volumeMounts'] = mounts;
    }
  }

  #suffix(): string {
    let out = '';
    for (let i = 0; i < 5; i++) out += SUFFIX_ALPHABET[Math.floor(this.#random() * SUFFIX_ALPHABET.length)] ?? 'x';
    return out;
  }
}
