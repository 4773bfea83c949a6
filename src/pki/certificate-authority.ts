/**
 * CertificateAuthority: the cluster's CA, which signs the API server's serving certificate and client
 * certificates (admin, nodes). Keys are ECDSA P-256: fast to generate (cold start) and accepted by kubectl,
 * client-go, Node and Python clients.
 *
 * Client certificates carry the identity the API server authenticates: CN = user name, O = groups.
 */
import 'reflect-metadata';
import { createHash, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 24 * 3600 * 1000;

/** PemPair is a certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
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

async function exportKeyPem(key: CryptoKey): Promise<string> {
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
  readonly #cert: x509.X509Certificate;
  readonly #key: CryptoKey;
  readonly #certPem: string;
  readonly #keyPem: string;

  private constructor(cert: x509.X509Certificate, key: CryptoKey, keyPem: string) {
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
    return new CertificateAuthority(cert, keys.privateKey, await exportKeyPem(keys.privateKey));
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
    const spki = new NodeX509Certificate(this.#certPem).publicKey.export({ type: 'spki', format: 'der' });
    return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
  }

  /** issue creates a new key pair and a certificate for it signed by this CA. */
  async issue(opts: IssueOptions): Promise<PemPair> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
    const now = Date.now();
    const eku: string[] = [];
    if (opts.usage !== 'client') eku.push(x509.ExtendedKeyUsage.serverAuth);
    if (opts.usage !== 'server') eku.push(x509.ExtendedKeyUsage.clientAuth);
    const sans: x509.JsonGeneralName[] = [
      ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const extensions: x509.Extension[] = [
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
    return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
  }
}
