/**
 * The kubelet's serving certificate from the certificates.k8s.io API, as upstream's kubelet does with
 * `serverTLSBootstrap`: make a key, ask for a `kubernetes.io/kubelet-serving` certificate for
 * CN=system:node:<name>, O=system:nodes with the node's name and IP as subject alternative names, and wait for it
 * to be approved and signed (the csrapproving and csrsigning controllers do both for a node asking for itself).
 *
 * The key and certificate are kept in a directory (`kubelet-serving.key`, `kubelet-serving.crt`, 0600) and reused
 * until 80% of the certificate's lifetime has passed (about when upstream's kubelet rotates), as long as it still
 * names the node and IP; otherwise a new request is made. `rotationDelayMs` says when a running node asks again. Waiting has a deadline and ends with an error saying what to do (approve by hand, or check the signer).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../api/meta/types.js';
import { obj, objects, str } from '../../api/validation/unstructured.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { RestClient } from '../../client/rest-client.js';
import { createCertificateRequest } from '../../pki/certificate-request.js';

const CSRS = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
/** The share of a certificate's lifetime after which it is renewed. */
const RENEW_AT_FRACTION = 0.8;

/** ServingCertificateRequest says which certificate to get and where to keep it. */
export interface ServingCertificateRequest {
  readonly client: RestClient;
  readonly nodeName: string;
  readonly nodeIP: string;
  /** Where the key and certificate are kept. */
  readonly dir: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long to wait for approval and signing. @default 120 s */
  readonly timeoutMs?: number;
  /** Pause between looks at the request. @default 500 ms */
  readonly pollIntervalMs?: number;
}

/** ServingCertificate is a PEM certificate and its key. */
export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

function ipOf(san: string): string {
  return san.replace(/^IP Address:/, '');
}

/** rotationDelayMs is how long from `now` until a certificate is due for renewal (0 when it already is). */
export function rotationDelayMs(certPem: string, now: number): number {
  const cert = new X509Certificate(certPem);
  const from = new Date(cert.validFrom).getTime();
  const to = new Date(cert.validTo).getTime();
  return Math.max(0, from + (to - from) * RENEW_AT_FRACTION - now);
}

/** reusable says whether a kept certificate still fits: not yet due for renewal, naming the node and its IP. */
export function reusableCertificate(certPem: string, nodeName: string, nodeIP: string, now: number): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (rotationDelayMs(certPem, now) === 0) return false;
    if (!cert.subject.split('\n').includes(`CN=system:node:${nodeName}`)) return false;
    const sans = (cert.subjectAltName ?? '').split(',').map((s) => s.trim());
    return sans.includes(`DNS:${nodeName}`) && sans.some((s) => s.startsWith('IP Address:') && (ipOf(s) === nodeIP || ipOf(s).toLowerCase() === nodeIP.toLowerCase()));
  } catch {
    return false;
  }
}

/** requestServingCertificate returns the kept certificate, or requests, waits for and keeps a new one. */
export async function requestServingCertificate(req: ServingCertificateRequest): Promise<ServingCertificate> {
  const certFile = join(req.dir, 'kubelet-serving.crt');
  const keyFile = join(req.dir, 'kubelet-serving.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const certPem = readFileSync(certFile, 'utf8');
    if (reusableCertificate(certPem, req.nodeName, req.nodeIP, req.clock.now())) {
      req.log.info('Reusing kubelet serving certificate', { file: certFile });
      return { certPem, keyPem: readFileSync(keyFile, 'utf8') };
    }
  }
  const { csrPem, keyPem } = await createCertificateRequest({
    commonName: `system:node:${req.nodeName}`,
    organizations: ['system:nodes'],
    dnsNames: [req.nodeName],
    ipAddresses: [req.nodeIP],
  });
  const created = await req.client.create(CSRS, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'csr-' },
    // ECDSA keys sign only: "key encipherment" is for RSA key exchange (as upstream's kubelet chooses).
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'server auth'] },
  });
  const name = created.metadata?.name ?? '';
  req.log.info('Requested kubelet serving certificate', { csr: name });
  const certPem = await waitForSignedCertificate(req, name, 'a kubelet serving certificate');
  mkdirSync(req.dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  writeFileSync(certFile, certPem, { mode: 0o600 });
  return { certPem, keyPem };
}

function conditionOf(csr: KubeObject, type: string): Record<string, unknown> | undefined {
  return objects(obj(csr['status'])['conditions']).find((c) => str(c['type']) === type && str(c['status']) === 'True');
}

/** CertificateWait says how to wait for a CSR: through which client, on which clock, for how long. */
export interface CertificateWait {
  readonly client: Pick<RestClient, 'get'>;
  readonly clock: Clock;
  /** @default 120 s */
  readonly timeoutMs?: number;
  /** @default 500 ms */
  readonly pollIntervalMs?: number;
}

/**
 * waitForSignedCertificate polls CSR `name` until it carries a certificate (PEM returned), or throws one line
 * saying why not: denied, failed, not approved in time (with the command to approve it), or approved but not
 * signed. `what` names the certificate in those lines, e.g. "a kubelet serving certificate".
 */
export async function waitForSignedCertificate(req: CertificateWait, name: string, what: string): Promise<string> {
  const timeoutMs = req.timeoutMs ?? 120_000;
  const deadline = req.clock.now() + timeoutMs;
  let approved = false;
  for (;;) {
    const csr = await req.client.get({ ...CSRS, name });
    for (const type of ['Denied', 'Failed']) {
      const c = conditionOf(csr, type);
      if (c) throw new Error(`Cannot get ${what}: certificate signing request ${name} was ${type.toLowerCase()}${str(c['message']) ? `: ${str(c['message'])}` : ''}`);
    }
    approved = conditionOf(csr, 'Approved') !== undefined;
    const cert = str(obj(csr['status'])['certificate']);
    if (cert) return Buffer.from(cert, 'base64').toString('utf8');
    if (req.clock.now() >= deadline) break;
    await req.clock.sleep(req.pollIntervalMs ?? 500);
  }
  const secs = Math.round(timeoutMs / 1000);
  throw new Error(
    approved
      ? `Cannot get ${what}: certificate signing request ${name} was approved but not signed within ${secs}s (is the csrsigning controller running?)`
      : `Cannot get ${what}: certificate signing request ${name} was not approved within ${secs}s (approve it with: kubectl certificate approve ${name})`,
  );
}
