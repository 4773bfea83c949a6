/**
 * bootstrapsigner (upstream's name): keeps one `jws-kubeconfig-<token-id>` signature in `kube-public/cluster-info`
 * for every bootstrap token that may sign — usage `signing`, not expired, not being deleted — and removes the
 * signatures of tokens that went away or expired. A joining node checks the signature with its token, so it can
 * trust the kubeconfig (server and CA) it read anonymously from a server it could not verify yet.
 *
 * Level-based over one key (the ConfigMap): any change to the ConfigMap or to a bootstrap token Secret enqueues
 * it. The ConfigMap itself is published by the server at boot; without it there is nothing to sign. The next
 * expiration is a timed recheck, so an expired token's signature disappears on time without an event.
 *
 * Anonymous readers see which token ids can sign (as upstream); they never learn a token's secret or expiry.
 */
import {
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  CLUSTER_INFO_KUBECONFIG_KEY,
  CLUSTER_INFO_NAME,
  CLUSTER_INFO_NAMESPACE,
  JWS_KEY_PREFIX,
  readBootstrapToken,
  tokenExpired,
} from '../../api/bootstrap/bootstrap-token.js';
import { computeDetachedSignature } from '../../api/bootstrap/detached-jws.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';

const CONFIG_MAPS = { version: 'v1', resource: 'configmaps' } as const;
const SECRETS = { version: 'v1', resource: 'secrets' } as const;
const TOKEN_NAMESPACE = 'kube-system';
const KEY = `${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME}`;

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** BootstrapSignerConfig constructs the reconciler; only the informers' stores are read. */
export interface BootstrapSignerConfig {
  readonly client: Pick<RestClient, 'update'>;
  readonly configMaps: Pick<SharedInformer, 'store'>;
  readonly secrets: Pick<SharedInformer, 'store'>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** desiredSignatures computes the `jws-kubeconfig-*` entries for `content` from the token Secrets at `now`. */
export function desiredSignatures(content: string, secrets: readonly KubeObject[], now: number): { signatures: Record<string, string>; nextExpiry?: number } {
  const signatures: Record<string, string> = {};
  let nextExpiry: number | undefined;
  for (const s of secrets) {
    if (s.metadata?.namespace !== TOKEN_NAMESPACE || s.metadata.deletionTimestamp) continue;
    const t = readBootstrapToken(s);
    if (!t || !t.usages.includes('signing') || tokenExpired(t, now)) continue;
    signatures[`${JWS_KEY_PREFIX}${t.id}`] = computeDetachedSignature(content, t.id, t.secret);
    if (t.expiresAt !== undefined) nextExpiry = Math.min(nextExpiry ?? Infinity, t.expiresAt);
  }
  return { signatures, ...(nextExpiry !== undefined ? { nextExpiry } : {}) };
}

/** BootstrapSigner makes cluster-info's signatures match the signing tokens. */
export class BootstrapSigner implements Reconciler {
  readonly #c: BootstrapSignerConfig;

  constructor(config: BootstrapSignerConfig) {
    this.#c = config;
  }

  async reconcile(): Promise<ReconcileResult | void> {
    const cm = this.#c.configMaps.store.get(KEY) as ConfigMap | undefined;
    const content = cm?.data?.[CLUSTER_INFO_KUBECONFIG_KEY];
    if (!cm || content === undefined || cm.metadata?.deletionTimestamp) return;
    const now = this.#c.clock.now();
    const { signatures, nextExpiry } = desiredSignatures(content, this.#c.secrets.store.list(), now);
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(cm.data ?? {})) if (!k.startsWith(JWS_KEY_PREFIX)) data[k] = v;
    Object.assign(data, signatures);
    if (!sameData(cm.data ?? {}, data)) {
      try {
        // The cached resourceVersion: a concurrent edit conflicts, and the retry sees the newer copy.
        await this.#c.client.update({ ...CONFIG_MAPS, namespace: CLUSTER_INFO_NAMESPACE, name: CLUSTER_INFO_NAME }, { ...cm, data });
        this.#c.log.info('Signed cluster-info', { tokens: Object.keys(signatures).map((k) => k.slice(JWS_KEY_PREFIX.length)) });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    return nextExpiry !== undefined ? { requeueAfterMs: Math.max(0, nextExpiry - now) + 1 } : undefined;
  }
}

function sameData(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a);
  return ak.length === Object.keys(b).length && ak.every((k) => a[k] === b[k]);
}

/** newBootstrapSigner builds the controller: cluster-info and bootstrap token Secrets enqueue the one key. */
export function newBootstrapSigner(ctx: ControllerContext): Controller {
  const configMaps: SharedInformer = ctx.informers.informerFor(CONFIG_MAPS);
  const secrets: SharedInformer = ctx.informers.informerFor(SECRETS);
  const controller = new Controller({
    name: BOOTSTRAP_SIGNER_NAME,
    reconciler: new BootstrapSigner({ client: ctx.client, configMaps, secrets, clock: ctx.clock, log: ctx.log }),
    clock: ctx.clock,
    log: ctx.log,
  });
  const onConfigMap = (cm: KubeObject): void => {
    if (cm.metadata?.namespace === CLUSTER_INFO_NAMESPACE && cm.metadata.name === CLUSTER_INFO_NAME) controller.enqueue(KEY);
  };
  configMaps.addEventHandler({ onAdd: onConfigMap, onUpdate: (_old, cm) => onConfigMap(cm) });
  const onSecret = (s: KubeObject): void => {
    if (s.metadata?.namespace === TOKEN_NAMESPACE && s['type'] === BOOTSTRAP_TOKEN_SECRET_TYPE) controller.enqueue(KEY);
  };
  secrets.addEventHandler({ onAdd: onSecret, onUpdate: (_old, s) => onSecret(s), onDelete: onSecret });
  return controller;
}

const BOOTSTRAP_SIGNER_NAME = 'bootstrapsigner';

/**
 * BOOTSTRAP_SIGNER is the table row. On by default (upstream's controller manager leaves it off and kubeadm turns
 * it on): `tkube join` is the front door, and it needs the signatures.
 */
export const BOOTSTRAP_SIGNER: ControllerDescriptor = { name: BOOTSTRAP_SIGNER_NAME, enabledByDefault: true, create: newBootstrapSigner };
