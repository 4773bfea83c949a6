/**
 * csrcleaner (upstream's controller of the same name): deletes CertificateSigningRequests nobody needs any more,
 * so nodes asking again (an agent whose kept certificate no longer fits) do not pile them up. As upstream:
 * pending requests go 24 h after creation; approved, denied and failed ones 1 h after that condition was last
 * updated; requests whose issued certificate has expired at once. One pass an hour (and one at start).
 */
import { X509Certificate } from 'node:crypto';
import type { KubeObject } from '../../api/meta/types.js';
import { obj, objects, str } from '../../api/validation/unstructured.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import { CSRS } from './certificate-signing-request.js';

const HOUR_MS = 3600_000;
const PENDING_EXPIRATION_MS = 24 * HOUR_MS;
const DECIDED_EXPIRATION_MS = HOUR_MS;
const PASS_KEY = 'csrcleaner';

/** csrExpiredReason says why a CSR may go at `now`, or undefined while it is still wanted. */
export function csrExpiredReason(csr: KubeObject, now: number): string | undefined {
  const status = obj(csr['status']);
  const cert = str(status['certificate']);
  if (cert) {
    try {
      if (new Date(new X509Certificate(Buffer.from(cert, 'base64')).validTo).getTime() <= now) return 'its certificate expired';
    } catch {
      // An unreadable certificate is judged by its conditions like any other.
    }
  }
  for (const c of objects(status['conditions'])) {
    const type = str(c['type']) ?? '';
    if (!['Approved', 'Denied', 'Failed'].includes(type)) continue;
    const at = Date.parse(str(c['lastUpdateTime']) ?? str(c['lastTransitionTime']) ?? csr.metadata?.creationTimestamp ?? '');
    if (Number.isFinite(at) && now - at > DECIDED_EXPIRATION_MS) return `${type.toLowerCase()} more than an hour ago`;
    return undefined;
  }
  const created = Date.parse(csr.metadata?.creationTimestamp ?? '');
  if (Number.isFinite(created) && now - created > PENDING_EXPIRATION_MS) return 'pending for more than 24 hours';
  return undefined;
}

/** CsrCleanerReconciler runs one pass over every CSR per reconcile of its single key. */
export class CsrCleanerReconciler implements Reconciler {
  readonly #c: { client: RestClient; csrs: SharedInformer; clock: Clock; log: Logger };

  constructor(config: { client: RestClient; csrs: SharedInformer; clock: Clock; log: Logger }) {
    this.#c = config;
  }

  async reconcile(): Promise<ReconcileResult> {
    const now = this.#c.clock.now();
    for (const csr of this.#c.csrs.store.list()) {
      const why = csrExpiredReason(csr, now);
      if (!why) continue;
      this.#c.log.info('Deleting certificate signing request', { csr: csr.metadata?.name, reason: why });
      try {
        await this.#c.client.delete({ ...CSRS, name: csr.metadata?.name }, { preconditions: { uid: csr.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    return { requeueAfterMs: HOUR_MS };
  }
}

/** newCsrCleanerController builds the controller. */
export function newCsrCleanerController(ctx: ControllerContext): Controller {
  const csrs = ctx.informers.informerFor(CSRS);
  const controller = new Controller({ name: 'csrcleaner', reconciler: new CsrCleanerReconciler({ client: ctx.client, csrs, clock: ctx.clock, log: ctx.log }), clock: ctx.clock, log: ctx.log });
  controller.enqueue(PASS_KEY);
  return controller;
}

/** CSRCLEANER_CONTROLLER is the table row. */
export const CSRCLEANER_CONTROLLER: ControllerDescriptor = { name: 'csrcleaner', enabledByDefault: true, create: newCsrCleanerController };
