/**
 * The kubelet's client certificate from the certificates.k8s.io API (upstream's TLS bootstrap): make a key, ask
 * for a `kubernetes.io/kube-apiserver-client-kubelet` certificate for CN=system:node:<name>, O=system:nodes (no
 * subject alternative names), and wait for it. Asked first with a bootstrap token (the csrapproving controller
 * approves requests from `system:bootstrappers`), then again before expiry with the node's own certificate
 * (approved as the node asking for itself).
 */
import { X509Certificate } from 'node:crypto';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { RestClient } from '../../client/rest-client.js';
import { createCertificateRequest } from '../../pki/certificate-request.js';
import { rotationDelayMs, waitForSignedCertificate, type ServingCertificate } from './serving-certificate.js';

const CSRS = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;
/** KUBE_APISERVER_CLIENT_KUBELET_SIGNER signs kubelet client certificates. */
export const KUBE_APISERVER_CLIENT_KUBELET_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';

/** ClientCertificateRequest says who asks, for which node, and how long to wait. */
export interface ClientCertificateRequest {
  /** Authenticated as a bootstrap token, or as the node itself when renewing. */
  readonly client: Pick<RestClient, 'create' | 'get'>;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** @default 120 s */
  readonly timeoutMs?: number;
  /** @default 200 ms: joining waits on this, and approval and signing take a few milliseconds. */
  readonly pollIntervalMs?: number;
}

/** requestClientCertificate asks for, waits for and returns a node client certificate and its key (PEM). */
export async function requestClientCertificate(req: ClientCertificateRequest): Promise<ServingCertificate> {
  const { csrPem, keyPem } = await createCertificateRequest({ commonName: `system:node:${req.nodeName}`, organizations: ['system:nodes'] });
  const created = await req.client.create(CSRS, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'node-csr-' },
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName: KUBE_APISERVER_CLIENT_KUBELET_SIGNER, usages: ['digital signature', 'client auth'] },
  });
  const name = created.metadata?.name ?? '';
  req.log.info('Requested kubelet client certificate', { csr: name });
  const certPem = await waitForSignedCertificate({ client: req.client, clock: req.clock, timeoutMs: req.timeoutMs ?? 120_000, pollIntervalMs: req.pollIntervalMs ?? 200 }, name, 'a kubelet client certificate');
  return { certPem, keyPem };
}

/** clientCertificateFits tells whether a kept certificate names the node and is not past `now`. */
export function clientCertificateFits(certPem: string, nodeName: string, now: number): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return cert.subject.split('\n').includes(`CN=system:node:${nodeName}`) && new Date(cert.validTo).getTime() > now;
  } catch {
    return false;
  }
}

/** MAX_TIMER_MS is the longest delay a Node timer holds. */
const MAX_TIMER_MS = 2_147_000_000;

/** ClientCertificateRotation renews a node's client certificate while the node runs. */
export interface ClientCertificateRotationConfig {
  /** Authenticated with the certificate being rotated; it is switched to each new one. */
  readonly client: Pick<RestClient, 'create' | 'get' | 'setClientCertificate'>;
  readonly nodeName: string;
  /** The certificate in use now (PEM). */
  readonly certPem: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Told each new certificate after the client uses it (to keep it: the node's kubeconfig). */
  readonly onRotated: (issued: ServingCertificate) => void;
  /** Pause before retrying a failed renewal. @default 30 s */
  readonly retryMs?: number;
}

/**
 * rotateClientCertificate renews the node's client certificate at 80% of its lifetime (as upstream's kubelet with
 * `--rotate-certificates`), asking as the node itself (approved as a node renewing its own certificate), switches
 * the client to it and hands it to `onRotated`; then waits for the next one. A failed renewal is retried (the old
 * certificate still has 20% of its life). `stop` ends it.
 */
export function rotateClientCertificate(c: ClientCertificateRotationConfig): { stop(): void } {
  let stopped = false;
  let timer: { cancel(): void } | undefined;
  const schedule = (certPem: string, delayMs: number): void => {
    if (stopped) return;
    // Node timers hold at most ~24.8 days (a longer one fires at once): wait that long, then look again.
    if (delayMs > MAX_TIMER_MS) {
      timer = c.clock.setTimer(MAX_TIMER_MS, () => schedule(certPem, rotationDelayMs(certPem, c.clock.now())));
      return;
    }
    timer = c.clock.setTimer(delayMs, () => {
      requestClientCertificate({ client: c.client, nodeName: c.nodeName, clock: c.clock, log: c.log })
        .then((issued) => {
          if (stopped) return;
          c.client.setClientCertificate(issued.certPem, issued.keyPem);
          c.onRotated(issued);
          c.log.info('Rotated kubelet client certificate', { notAfter: new X509Certificate(issued.certPem).validTo });
          schedule(issued.certPem, rotationDelayMs(issued.certPem, c.clock.now()));
        })
        .catch((err: unknown) => {
          c.log.warn('Cannot rotate kubelet client certificate; retrying', { err: err instanceof Error ? err.message : String(err) });
          schedule(certPem, c.retryMs ?? 30_000);
        });
    });
  };
  schedule(c.certPem, rotationDelayMs(c.certPem, c.clock.now()));
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}
