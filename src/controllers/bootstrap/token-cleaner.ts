/**
 * tokencleaner (upstream's name): deletes bootstrap token Secrets (`kube-system`, type
 * `bootstrap.kubernetes.io/token`) after their `expiration` has passed, so an expired token is gone from
 * `tkube token list` and can never be revived by a clock change. The bootstrap authenticator already refuses
 * expired tokens; this controller only tidies up.
 *
 * An expired token is kept for an hour (EXPIRED_TOKEN_RETENTION_MS) before it is deleted; upstream deletes at once.
 * In that hour `tkube join` with it still fails saying *when it expired* rather than that the server never heard of
 * it, which is the more useful message for someone who just copied a stale join command.
 *
 * One key per Secret. A token that expires later is rechecked at its expiry (a timed requeue), so it disappears on
 * time without any event. The delete carries the Secret's uid as a precondition: a token re-created under the same
 * name in the meantime is not touched. A missing or unparsable `expiration` means the token never expires
 * (upstream does the same), so nothing is deleted on a guess.
 */
import { BOOTSTRAP_TOKEN_SECRET_TYPE } from '../../api/bootstrap/bootstrap-token.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';

const SECRETS = { version: 'v1', resource: 'secrets' } as const;
const TOKEN_NAMESPACE = 'kube-system';

/** How long an expired token Secret stays before it is deleted (see above). */
export const EXPIRED_TOKEN_RETENTION_MS = 60 * 60 * 1000;

/** tokenExpiry reads a bootstrap token Secret's `expiration` (RFC 3339) in ms; undefined: never expires. */
export function tokenExpiry(secret: KubeObject): number | undefined {
  const raw = (secret['data'] as Record<string, string> | undefined)?.['expiration'];
  if (raw === undefined) return undefined;
  const at = Date.parse(Buffer.from(raw, 'base64').toString('utf8'));
  return Number.isNaN(at) ? undefined : at;
}

function isBootstrapToken(s: KubeObject): boolean {
  return s.metadata?.namespace === TOKEN_NAMESPACE && s['type'] === BOOTSTRAP_TOKEN_SECRET_TYPE;
}

/** TokenCleanerConfig constructs the reconciler; only the informer's store is read. */
export interface TokenCleanerConfig {
  readonly client: Pick<RestClient, 'delete'>;
  readonly secrets: Pick<SharedInformer, 'store'>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** TokenCleaner deletes one expired bootstrap token Secret, or rechecks it at its expiry. */
export class TokenCleaner implements Reconciler {
  readonly #c: TokenCleanerConfig;

  constructor(config: TokenCleanerConfig) {
    this.#c = config;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const secret = this.#c.secrets.store.get(key);
    if (!secret || !isBootstrapToken(secret) || secret.metadata?.deletionTimestamp) return;
    const expiry = tokenExpiry(secret);
    if (expiry === undefined) return;
    const now = this.#c.clock.now();
    const deleteAt = expiry + EXPIRED_TOKEN_RETENTION_MS;
    if (deleteAt > now) return { requeueAfterMs: deleteAt - now + 1 };
    const name = secret.metadata?.name ?? '';
    try {
      await this.#c.client.delete(
        { ...SECRETS, namespace: TOKEN_NAMESPACE, name },
        { preconditions: { ...(secret.metadata?.uid ? { uid: secret.metadata.uid } : {}) } },
      );
      this.#c.log.info('Deleted expired bootstrap token', { secret: name });
    } catch (err) {
      // Gone already, or replaced by a new Secret of the same name: nothing of ours left to delete.
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }
}

/** newTokenCleaner builds the controller: every bootstrap token Secret is its own key. */
export function newTokenCleaner(ctx: ControllerContext): Controller {
  const secrets: SharedInformer = ctx.informers.informerFor(SECRETS);
  const controller = new Controller({
    name: TOKEN_CLEANER_NAME,
    reconciler: new TokenCleaner({ client: ctx.client, secrets, clock: ctx.clock, log: ctx.log }),
    clock: ctx.clock,
    log: ctx.log,
  });
  const onSecret = (s: KubeObject): void => {
    if (isBootstrapToken(s)) controller.enqueue(`${TOKEN_NAMESPACE}/${s.metadata?.name ?? ''}`);
  };
  secrets.addEventHandler({ onAdd: onSecret, onUpdate: (_old, s) => onSecret(s) });
  return controller;
}

const TOKEN_CLEANER_NAME = 'tokencleaner';

/**
 * TOKEN_CLEANER is the table row. On by default, as kubeadm turns it on: `tkube token create --ttl` promises the
 * token goes away.
 */
export const TOKEN_CLEANER: ControllerDescriptor = { name: TOKEN_CLEANER_NAME, enabledByDefault: true, create: newTokenCleaner };
