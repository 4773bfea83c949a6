/**
 * csrsigning (upstream's controller of the same name): signs approved CertificateSigningRequests for
 * `kubernetes.io/kube-apiserver-client`, `kubernetes.io/kube-apiserver-client-kubelet` and
 * `kubernetes.io/kubelet-serving` with the cluster CA, whose key comes from the controller manager's settings
 * (upstream's `--cluster-signing-cert-file`/`--cluster-signing-key-file`). It reads and writes CSRs only through
 * the API: the certificate goes in with a `status` update.
 *
 * A request for one of these signers that does not fit the signer's shape (subject, SANs, usages) or whose
 * signature does not verify gets a `Failed` condition (reason SignerValidationFailure) instead of a certificate.
 * Validity is `spec.expirationSeconds` when set (the API refuses less than 600 s), capped by the signing duration
 * (one year by default, as upstream) and by the CA's own expiry. Requests for other signers are left alone.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { CertificateAuthority } from '../../pki/certificate-authority.js';
import { parseCertificateRequest } from '../../pki/certificate-request.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import {
  apiServerClientProblem,
  CSRS,
  csrFacts,
  decodeRequestPem,
  KUBE_APISERVER_CLIENT,
  KUBE_APISERVER_CLIENT_KUBELET,
  KUBELET_SERVING,
  kubeletClientProblem,
  kubeletServingProblem,
} from './certificate-signing-request.js';

/** DEFAULT_SIGNING_DURATION_MS is upstream's `--cluster-signing-duration` default (8760h). */
export const DEFAULT_SIGNING_DURATION_MS = 365 * 24 * 3600 * 1000;

const SHAPE_CHECKS = new Map([
  [KUBE_APISERVER_CLIENT, apiServerClientProblem],
  [KUBE_APISERVER_CLIENT_KUBELET, kubeletClientProblem],
  [KUBELET_SERVING, kubeletServingProblem],
]);

/** CsrSigningConfig constructs a CsrSigningReconciler. */
export interface CsrSigningConfig {
  readonly client: RestClient;
  readonly csrs: SharedInformer;
  readonly ca: Promise<CertificateAuthority>;
  readonly clock: Clock;
  readonly log: Logger;
  /** @default DEFAULT_SIGNING_DURATION_MS */
  readonly signingDurationMs?: number;
}

/** CsrSigningReconciler issues the certificate of one approved CSR per reconcile. */
export class CsrSigningReconciler implements Reconciler {
  readonly #c: CsrSigningConfig;

  constructor(config: CsrSigningConfig) {
    this.#c = config;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const csr = this.#c.csrs.store.get(key);
    if (!csr) return;
    const f = csrFacts(csr);
    const check = SHAPE_CHECKS.get(f.signerName);
    if (!check || !f.approved || f.denied || f.failed || f.issued) return;
    const parsed = parseCertificateRequest(decodeRequestPem(f.requestBase64));
    if (!parsed.ok) return this.#fail(csr, `invalid request: ${parsed.reason}`);
    const problem = check(parsed.csr, f.usages);
    if (problem) return this.#fail(csr, `invalid ${f.signerName} request: ${problem}`);
    if (!(await parsed.csr.request.verify())) return this.#fail(csr, 'the request signature does not verify');
    const now = this.#c.clock.now();
    const max = this.#c.signingDurationMs ?? DEFAULT_SIGNING_DURATION_MS;
    const wanted = f.expirationSeconds !== undefined ? Math.min(f.expirationSeconds * 1000, max) : max;
    const ca = await this.#c.ca;
    const certPem = await ca.signRequest(parsed.csr.request, { usages: f.usages, now: new Date(now), notAfter: new Date(now + wanted) });
    const status = { ...((csr['status'] as Record<string, unknown> | undefined) ?? {}), certificate: Buffer.from(certPem).toString('base64') };
    await this.#writeStatus({ ...csr, status });
    this.#c.log.info('Signed certificate', { csr: f.name, signer: f.signerName, requestor: f.username });
  }

  async #fail(csr: KubeObject, message: string): Promise<void> {
    const status = (csr['status'] as Record<string, unknown> | undefined) ?? {};
    const conditions = Array.isArray(status['conditions']) ? [...(status['conditions'] as unknown[])] : [];
    const at = new Date(this.#c.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    conditions.push({ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message, lastUpdateTime: at, lastTransitionTime: at });
    this.#c.log.warn('Not signing certificate request', { csr: csr.metadata?.name, reason: message });
    await this.#writeStatus({ ...csr, status: { ...status, conditions } });
  }

  async #writeStatus(csr: KubeObject): Promise<void> {
    try {
      await this.#c.client.update({ ...CSRS, name: csr.metadata?.name, subresource: 'status' }, csr);
    } catch (err) {
      // A newer version (or none) is on its way through the informer and will be reconciled again.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
}

/** newCsrSigningController builds the controller; without a CA in the settings it signs nothing. */
export function newCsrSigningController(ctx: ControllerContext): Controller {
  const csrs = ctx.informers.informerFor(CSRS);
  const pems = ctx.settings.clusterSigning;
  const ca = pems ? CertificateAuthority.load(pems) : Promise.reject(new Error('no cluster signing CA configured'));
  // A missing CA surfaces when a CSR needs signing (as a retried reconcile error), not as an unhandled rejection.
  ca.catch(() => undefined);
  const controller = new Controller({
    name: 'csrsigning',
    reconciler: new CsrSigningReconciler({ client: ctx.client, csrs, ca, clock: ctx.clock, log: ctx.log, ...(ctx.settings.clusterSigningDurationMs !== undefined ? { signingDurationMs: ctx.settings.clusterSigningDurationMs } : {}) }),
    clock: ctx.clock,
    log: ctx.log,
  });
  const enqueue = (obj: KubeObject): void => controller.enqueue(obj.metadata?.name ?? '');
  csrs.addEventHandler({ onAdd: enqueue, onUpdate: (_old, obj) => enqueue(obj) });
  return controller;
}

/** CSRSIGNING_CONTROLLER is the table row. */
export const CSRSIGNING_CONTROLLER: ControllerDescriptor = { name: 'csrsigning', enabledByDefault: true, create: newCsrSigningController };
