/**
 * Cluster certificates in a data dir: created on first start, reused afterwards.
 *
 * Layout under `<data-dir>/tls/` (files 0600, directory 0700):
 *   ca.crt, ca.key            the cluster CA (signs serving and client certificates)
 *   serving.crt, serving.key  the API server's certificate; re-issued when the wanted SANs are not all covered
 *   admin.crt, admin.key      the admin client certificate (CN=system:admin, O=system:masters)
 *   service-account.key       the key that signs service-account tokens
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { CertificateAuthority, type PemPair } from './certificate-authority.js';

/** ClusterCertificates are the PEMs a server needs. */
export interface ClusterCertificates {
  readonly ca: CertificateAuthority;
  readonly serving: PemPair;
  readonly admin: PemPair;
  /** The key that signs service-account tokens (PKCS#8 PEM, ECDSA P-256). */
  readonly serviceAccountKeyPem: string;
  readonly tlsDir: string;
}

/** ClusterCertificatesOptions say where and for which names. */
export interface ClusterCertificatesOptions {
  readonly dataDir: string;
  /** Extra SANs (`--tls-san`): host names or IP addresses. */
  readonly extraSans?: readonly string[];
  /** The first IP of the service CIDR (the `kubernetes` Service). @default "10.43.0.1" */
  readonly serviceIp?: string;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function isIp(s: string): boolean {
  return IPV4.test(s) || s.includes(':');
}

/**
 * POD_NETWORK_INTERFACE: links the node makes for pods (its bridges and veth pairs, containerd's CNI bridge).
 * Their addresses come and go with pods and are not where clients reach the API server.
 */
const POD_NETWORK_INTERFACE = /^(veth|tkube|tk|cni|kube-)/;

/**
 * hostAddresses lists this host's IPv4/IPv6 addresses (loopback included) a client may use to reach it: not
 * link-local ones (fe80::/10, 169.254/16: scoped to one link, useless in a certificate) and not those of the pod
 * network's own interfaces, so the set is stable while pods come and go and the serving certificate is reused.
 */
export function hostAddresses(): string[] {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (POD_NETWORK_INTERFACE.test(name)) continue;
    for (const a of list ?? []) {
      const address = a.address.split('%')[0] ?? a.address;
      if (/^fe[89ab]/i.test(address) || address.startsWith('169.254.')) continue;
      out.add(address);
    }
  }
  return [...out];
}

function wantedSans(opts: ClusterCertificatesOptions): { dns: string[]; ips: string[] } {
  const dns = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  const ips = [...hostAddresses(), opts.serviceIp ?? '10.43.0.1'];
  for (const s of opts.extraSans ?? []) (isIp(s) ? ips : dns).push(s);
  return { dns: [...new Set(dns)], ips: [...new Set(ips)] };
}

function covers(certPem: string, sans: { dns: string[]; ips: string[] }): boolean {
  const cert = new X509Certificate(certPem);
  if (new Date(cert.validTo).getTime() - Date.now() < 30 * 24 * 3600 * 1000) return false;
  const have = new Set((cert.subjectAltName ?? '').split(',').map((s) => s.trim()));
  return sans.dns.every((d) => have.has(`DNS:${d}`)) && sans.ips.every((ip) => have.has(`IP Address:${ip.includes(':') ? expandV6(ip) : ip}`));
}

function expandV6(ip: string): string {
  // Node prints IPv6 SANs fully expanded without leading zeros ("0:0:0:0:0:0:0:1").
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => parseInt(g || '0', 16).toString(16).toUpperCase()).join(':');
}

function readPair(dir: string, name: string): PemPair | undefined {
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(crt) || !existsSync(key)) return undefined;
  return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

function writePair(dir: string, name: string, pair: PemPair): void {
  writeFileSync(join(dir, `${name}.crt`), pair.certPem, { mode: 0o600 });
  writeFileSync(join(dir, `${name}.key`), pair.keyPem, { mode: 0o600 });
}

/** ensureClusterCertificates loads the data dir's certificates, creating whatever is missing or outdated. */
export async function ensureClusterCertificates(opts: ClusterCertificatesOptions): Promise<ClusterCertificates> {
  const tlsDir = join(opts.dataDir, 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const caPair = readPair(tlsDir, 'ca');
  let ca: CertificateAuthority;
  let fresh = false;
  if (caPair) {
    ca = await CertificateAuthority.load(caPair);
  } else {
    ca = await CertificateAuthority.create(`tkube-ca@${Math.floor(Date.now() / 1000)}`);
    writePair(tlsDir, 'ca', ca.pem);
    fresh = true;
  }
  const sans = wantedSans(opts);
  let serving = fresh ? undefined : readPair(tlsDir, 'serving');
  if (!serving || !covers(serving.certPem, sans)) {
    serving = await ca.issue({ commonName: 'kube-apiserver', dnsNames: sans.dns, ipAddresses: sans.ips, usage: 'server' });
    writePair(tlsDir, 'serving', serving);
  }
  let admin = fresh ? undefined : readPair(tlsDir, 'admin');
  if (!admin) {
    admin = await ca.issue({ commonName: 'system:admin', organizations: ['system:masters'], usage: 'client', validityDays: 3650 });
    writePair(tlsDir, 'admin', admin);
  }
  const saKeyPath = join(tlsDir, 'service-account.key');
  if (!existsSync(saKeyPath)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(saKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return { ca, serving, admin, serviceAccountKeyPem: readFileSync(saKeyPath, 'utf8'), tlsDir };
}
