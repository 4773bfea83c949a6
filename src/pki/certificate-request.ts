/**
 * PKCS#10 certificate signing requests: parsing what a CertificateSigningRequest's `spec.request` carries, and
 * making a key and a request (what a node sends to get its kubelet serving certificate).
 *
 * Parsing is synchronous (API validation runs it); checking the request's signature needs WebCrypto and is async,
 * so the signer does it before signing.
 */
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { x509 } from './x509-module.js';
import { exportPrivateKeyPem, KEY_ALGORITHM } from './certificate-authority.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** ParsedCertificateRequest is what a CSR asks for. */
export interface ParsedCertificateRequest {
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly emailAddresses: readonly string[];
  readonly uris: readonly string[];
  /** The parsed request, for signature checks and signing. */
  readonly request: X509.Pkcs10CertificateRequest;
}

/** CertificateRequestParseResult is a parsed request, or why the PEM is not one. */
export type CertificateRequestParseResult = { readonly ok: true; readonly csr: ParsedCertificateRequest } | { readonly ok: false; readonly reason: string };

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/;

/** parseCertificateRequest reads one PEM `CERTIFICATE REQUEST` block; never throws. */
export function parseCertificateRequest(pem: string): CertificateRequestParseResult {
  const m = PEM_BLOCK.exec(pem);
  if (!m) return { ok: false, reason: 'PEM block type must be CERTIFICATE REQUEST' };
  if (m[1] !== 'CERTIFICATE REQUEST' && m[1] !== 'NEW CERTIFICATE REQUEST') return { ok: false, reason: 'PEM block type must be CERTIFICATE REQUEST' };
  let request: X509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(Buffer.from((m[2] ?? '').replace(/\s+/g, ''), 'base64'));
  } catch (err) {
    return { ok: false, reason: `cannot parse the certificate request: ${err instanceof Error ? err.message : String(err)}` };
  }
  const names = request.subjectName;
  const sans: X509.JsonGeneralName[] = [];
  try {
    for (const ext of request.extensions) {
      if (ext.type === x509.SubjectAlternativeNameExtension.NAME || ext.type === '2.5.29.17') sans.push(...new x509.SubjectAlternativeNameExtension(ext.rawData).names.toJSON());
    }
  } catch (err) {
    return { ok: false, reason: `cannot parse the subject alternative names: ${err instanceof Error ? err.message : String(err)}` };
  }
  const of = (type: string): string[] => sans.filter((n) => n.type === type).map((n) => n.value);
  return {
    ok: true,
    csr: {
      commonName: names.getField('CN')[0] ?? '',
      organizations: names.getField('O'),
      dnsNames: of('dns'),
      ipAddresses: of('ip'),
      emailAddresses: of('email'),
      uris: of('url'),
      request,
    },
  };
}

/** CertificateRequestOptions describe the identity to ask for. */
export interface CertificateRequestOptions {
  readonly commonName: string;
  readonly organizations?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

/** createCertificateRequest makes a new ECDSA P-256 key and a PEM CSR signed with it. */
export async function createCertificateRequest(opts: CertificateRequestOptions): Promise<{ readonly csrPem: string; readonly keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const sans: X509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const esc = (s: string): string => s.replace(/([,+"\\<>;=])/g, '\\$1');
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [...(opts.organizations ?? []).map((o) => `O=${esc(o)}`), `CN=${esc(opts.commonName)}`].join(', '),
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: KEY_ALGORITHM,
    extensions: sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans, false)] : [],
  });
  return { csrPem: request.toString('pem') + '\n', keyPem: await exportPrivateKeyPem(keys.privateKey) };
}
