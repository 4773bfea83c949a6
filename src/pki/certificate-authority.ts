/**
 * CertificateAuthority: the cluster's CA, which signs the API server's serving certificate and client
 * certificates (admin, nodes). Keys are ECDSA P-256: fast to generate (cold start) and accepted by kubectl,
 * client-go, Node and Python clients.
 *
 * Client certificates carry the identity the API server authenticates: CN = user name, O = groups.
 */
import { createHash, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { x509 } from './x509-module.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
/** KEY_ALGORITHM is the algorithm of every key this package makes (ECDSA P-256 with SHA-256). */
export const KEY_ALGORITHM: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = ALG;
const DAY_MS = 24 * 3600 * 1000;

/** PemPair is a certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** KeyUsageName is a CertificateSigningRequest usage this CA honours (certificates.k8s.io/v1 `spec.usages`). */
export type KeyUsageName = 'digital signature' | 'key encipherment' | 'server auth' | 'client auth';

/** SignRequestOptions describe the certificate to make from a request whose signature was checked. */
export interface SignRequestOptions {
  readonly usages: readonly string[];
  /** When the certificate stops being valid (already capped by the caller's policy). */
  readonly notAfter: Date;
  /** The time the certificate is made; it is valid from a minute before (clock skew). */
  readonly now: Date;
}

/** IssueOptions describes a certificate to issue. */
export interface IssueOptions {
  /** Subject common name (the user name for client certificates). */
  readonly commonName: string;
  /** Subject organizations (groups for client certificates). */
  readonly organizations?: readonly string[];
  /** DNS subject alternative names (serving certificates). */
  readonly dnsNames?: readonly string[];
  /** IP subject alternative names (serving certificates). */
  readonly ipAddresses?: readonly string[];
  readonly usage: 'server' | 'client' | 'both';
  /** Validity in days. @default 365 */
  readonly validityDays?: number;
}

function subjectOf(cn: string, orgs: readonly string[] = []): string {
  // Commas and other specials in names are escaped per RFC 4514.
  const esc = (s: string): string => s.replace(/([,+"\\<>;=])/g, '\\$1');
  return [...orgs.map((o) => `O=${esc(o)}`), `CN=${esc(cn)}`].join(', ');
}

/** exportPrivateKeyPem writes a private key as PKCS#8 PEM. */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return (await webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), ALG, true, ['sign'])) as unknown as CryptoKey;
}

function randomSerial(): string {
  // Positive 16-byte serial: clear the top bit.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] ?? 0) & 0x7f;
  return Buffer.from(b).toString('hex');
}

/** CertificateAuthority issues certificates from a CA key pair. */
export class CertificateAuthority {
  readonly #cert: X509.X509Certificate;
  readonly #key: CryptoKey;
  readonly #certPem: string;
  readonly #keyPem: string;

  private constructor(cert: X509.X509Certificate, key: CryptoKey, keyPem: string) {
    this.#cert = cert;
    this.#key = key;
    this.#certPem = cert.toString('pem') + '\n';
    this.#keyPem = keyPem;
  }

  /** create makes a new self-signed CA valid for ten years. */
  static async create(commonName: string): Promise<CertificateAuthority> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: subjectOf(commonName),
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3650 * DAY_MS),
      signingAlgorithm: ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(cert, keys.privateKey, await exportPrivateKeyPem(keys.privateKey));
  }

  /** load reads a CA from PEM; throws when the key does not match the certificate. */
  static async load(pair: PemPair): Promise<CertificateAuthority> {
    const cert = new x509.X509Certificate(pair.certPem);
    const key = await importKeyPem(pair.keyPem);
    const ca = new CertificateAuthority(cert, key, pair.keyPem);
    const probe = new NodeX509Certificate(pair.certPem);
    if (!probe.ca) throw new Error('Cannot load CA: the certificate is not a CA');
    return ca;
  }

  /** The CA certificate and key as PEM. */
  get pem(): PemPair {
    return { certPem: this.#certPem, keyPem: this.#keyPem };
  }

  /**
   * The `sha256:<hex>` hash of the CA's DER SubjectPublicKeyInfo: what `--discovery-token-ca-cert-hash` carries.
   */
  get publicKeyHash(): string {
    return publicKeyHashOf(this.#certPem);
  }

  /** notAfter is when the CA certificate itself expires: nothing it signs may outlive it. */
  get notAfter(): Date {
    return this.#cert.notAfter;
  }

  /**
   * signRequest signs a PKCS#10 request with this CA: the subject and subject alternative names are the request's,
   * the key usages and extended key usages are `usages` (names as certificates.k8s.io spells them). The caller
   * checks the request's signature and decides what may be signed (see the csrsigning controller).
   */
  async signRequest(request: X509.Pkcs10CertificateRequest, opts: SignRequestOptions): Promise<string> {
    let keyFlags = 0;
    const eku: string[] = [];
    for (const u of opts.usages) {
      if (u === 'digital signature') keyFlags |= x509.KeyUsageFlags.digitalSignature;
      else if (u === 'key encipherment') keyFlags |= x509.KeyUsageFlags.keyEncipherment;
      else if (u === 'server auth') eku.push(x509.ExtendedKeyUsage.serverAuth);
      else if (u === 'client auth') eku.push(x509.ExtendedKeyUsage.clientAuth);
    }
    const extensions: X509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
    if (keyFlags !== 0) extensions.push(new x509.KeyUsagesExtension(keyFlags, true));
    if (eku.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false));
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(this.#cert, false));
    const san = request.getExtension(x509.SubjectAlternativeNameExtension.NAME) ?? request.getExtension('2.5.29.17');
    if (san) extensions.push(new x509.SubjectAlternativeNameExtension(san.rawData));
    const notAfter = opts.notAfter.getTime() > this.#cert.notAfter.getTime() ? this.#cert.notAfter : opts.notAfter;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: request.subjectName,
      issuer: this.#cert.subject,
      notBefore: new Date(opts.now.getTime() - 60_000),
      notAfter,
      signingAlgorithm: ALG,
      publicKey: request.publicKey,
      signingKey: this.#key,
      extensions,
    });
    return cert.toString('pem') + '\n';
  }

  /** issue creates a new key pair and a certificate for it signed by this CA. */
  async issue(opts: IssueOptions): Promise<PemPair> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
    const now = Date.now();
    const eku: string[] = [];
    if (opts.usage !== 'client') eku.push(x509.ExtendedKeyUsage.serverAuth);
    if (opts.usage !== 'server') eku.push(x509.ExtendedKeyUsage.clientAuth);
    const sans: X509.JsonGeneralName[] = [
      ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const extensions: X509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(eku, false),
      await x509.AuthorityKeyIdentifierExtension.create(this.#cert, false),
    ];
    if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: subjectOf(opts.commonName, opts.organizations),
      issuer: this.#cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + (opts.validityDays ?? 365) * DAY_MS),
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: this.#key,
      extensions,
    });
    return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKeyPem(keys.privateKey) };
  }
}

/**
 * publicKeyHashOf is kubeadm's `--discovery-token-ca-cert-hash` of a CA certificate (PEM): `sha256:` and the hex
 * SHA-256 of its DER SubjectPublicKeyInfo (any key type). Throws on text that is not a certificate.
 */
export function publicKeyHashOf(certPem: string): string {
  const spki = new NodeX509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
