/**
 * The certificates the HTTPS listener offers, by SNI name: from each handled Ingress's `spec.tls[]`, the
 * `kubernetes.io/tls` Secret named by `secretName` in the Ingress's namespace serves the entry's `hosts` (or, when
 * the entry lists none, the hosts of the Ingress's rules). An exact name beats a wildcard; for a name claimed by
 * several Ingresses the oldest wins. Secrets that are missing, of another type or without `tls.crt`/`tls.key`
 * are skipped (the default certificate answers instead).
 */
import type { KubeObject } from '../api/meta/types.js';
import { obj, objects, str, strings } from '../api/validation/unstructured.js';
import { normalizeHost } from './routing-table.js';

/** ServingCertificate is a PEM pair and a version key (for caching secure contexts). */
export interface ServingCertificate {
  /** `namespace/name@resourceVersion` of the Secret. */
  readonly version: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** CertificateTable maps SNI names to certificates. */
export class CertificateTable {
  readonly #byHost: ReadonlyMap<string, ServingCertificate>;

  constructor(byHost: ReadonlyMap<string, ServingCertificate>) {
    this.#byHost = byHost;
  }

  /** lookup finds the certificate for an SNI name: exact first, then `*.<parent>`. */
  lookup(serverName: string | undefined): ServingCertificate | undefined {
    const h = normalizeHost(serverName);
    if (!h) return undefined;
    const exact = this.#byHost.get(h);
    if (exact) return exact;
    const dot = h.indexOf('.');
    return dot > 0 ? this.#byHost.get(`*.${h.slice(dot + 1)}`) : undefined;
  }

  get size(): number {
    return this.#byHost.size;
  }
}

function decode(b64: unknown): string | undefined {
  const s = str(b64);
  if (!s) return undefined;
  const text = Buffer.from(s, 'base64').toString('utf8');
  return text.includes('-----BEGIN') ? text : undefined;
}

/** buildCertificateTable compiles the certificates of `ingresses` (already filtered and ordered oldest first). */
export function buildCertificateTable(ingresses: readonly KubeObject[], secrets: ReadonlyMap<string, KubeObject>): CertificateTable {
  const byHost = new Map<string, ServingCertificate>();
  for (const ing of ingresses) {
    const namespace = ing.metadata?.namespace ?? '';
    const spec = obj(ing['spec']);
    const ruleHosts = objects(spec['rules']).map((r) => str(r['host']) ?? '').filter((h) => h !== '');
    for (const entry of objects(spec['tls'])) {
      const secretName = str(entry['secretName']);
      if (!secretName) continue;
      const secret = secrets.get(`${namespace}/${secretName}`);
      if (!secret || (str(secret['type']) ?? '') !== 'kubernetes.io/tls') continue;
      const data = obj(secret['data']);
      const certPem = decode(data['tls.crt']);
      const keyPem = decode(data['tls.key']);
      if (!certPem || !keyPem) continue;
      const cert: ServingCertificate = { version: `${namespace}/${secretName}@${secret.metadata?.resourceVersion ?? ''}`, certPem, keyPem };
      const hosts = strings(entry['hosts']);
      for (const host of hosts.length > 0 ? hosts : ruleHosts) {
        const h = host.toLowerCase();
        if (!byHost.has(h)) byHost.set(h, cert);
      }
    }
  }
  return new CertificateTable(byHost);
}
