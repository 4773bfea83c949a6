/**
 * ServiceAccountAuthenticator accepts bearer tokens issued by TokenSigner while the service account (and the
 * pod the token is bound to) still exists with the uid in the token — so a token stops working as soon as its
 * owner is deleted. The user is `system:serviceaccount:<ns>:<name>` in groups `system:serviceaccounts` and
 * `system:serviceaccounts:<ns>`.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../base/clock/clock.js';
import type { Authenticator } from '../filters/authentication.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { UserInfo } from '../request/request-info.js';
import type { KubeObject } from '../../api/meta/types.js';
import { SERVICE_ACCOUNT_ISSUER, type TokenSigner } from './token-signer.js';
import { SERVICE_ACCOUNT_TOKEN_SECRET_TYPE } from './legacy-token-controller.js';

/** ServiceAccountAuthenticatorConfig wires the signer and the stores that prove the owner exists. */
export interface ServiceAccountAuthenticatorConfig {
  readonly signer: TokenSigner;
  readonly clock: Clock;
  readonly store: (group: string, resource: string) => GenericStore | undefined;
}

/**
 * uidOf returns the uid of an object, from the watch cache when it follows storage (no storage read per request,
 * and a deletion is seen as soon as the cache applies it), else from storage.
 */
async function uidOf(store: GenericStore | undefined, namespace: string, name: string): Promise<string | undefined> {
  return (await objectOf(store, namespace, name))?.metadata?.uid;
}

async function objectOf(store: GenericStore | undefined, namespace: string, name: string): Promise<KubeObject | undefined> {
  return store?.find(namespace, name);
}

/** ServiceAccountAuthenticator implements Authenticator for service-account JWTs. */
export class ServiceAccountAuthenticator implements Authenticator {
  readonly #c: ServiceAccountAuthenticatorConfig;
  constructor(config: ServiceAccountAuthenticatorConfig) {
    this.#c = config;
  }

  /**
   * authenticateToken checks one token for `audience` (the API server's own by default; TokenReview asks for
   * others). Legacy Secret-based tokens carry no audience and count for the API server's only.
   */
  async authenticateToken(token: string, audience = SERVICE_ACCOUNT_ISSUER): Promise<UserInfo | undefined> {
    const claims = this.#c.signer.verify(token, Math.floor(this.#c.clock.now() / 1000), audience);
    if (!claims) return audience === SERVICE_ACCOUNT_ISSUER ? this.#authenticateLegacy(token) : undefined;
    const k = claims['kubernetes.io'];
    if ((await uidOf(this.#c.store('', 'serviceaccounts'), k.namespace, k.serviceaccount.name)) !== k.serviceaccount.uid) return undefined;
    if (k.pod && (await uidOf(this.#c.store('', 'pods'), k.namespace, k.pod.name)) !== k.pod.uid) return undefined;
    if (k.secret && (await uidOf(this.#c.store('', 'secrets'), k.namespace, k.secret.name)) !== k.secret.uid) return undefined;
    const extra: Record<string, string[]> = {};
    if (k.pod) extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    if (k.pod) extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    if (claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    return {
      username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
      uid: k.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`],
      extra,
    };
  }

  /**
   * #authenticateLegacy accepts a legacy Secret-based token while its Secret exists (not being deleted) and still
   * holds exactly this token, and its service account exists with the uid in the token.
   */
  async #authenticateLegacy(token: string): Promise<UserInfo | undefined> {
    const legacy = this.#c.signer.verifyLegacy(token);
    if (!legacy) return undefined;
    const namespace = legacy['kubernetes.io/serviceaccount/namespace'];
    const name = legacy['kubernetes.io/serviceaccount/service-account.name'];
    const uid = legacy['kubernetes.io/serviceaccount/service-account.uid'];
    const secret = await objectOf(this.#c.store('', 'secrets'), namespace, legacy['kubernetes.io/serviceaccount/secret.name']);
    if (!secret || secret.metadata?.deletionTimestamp || secret['type'] !== SERVICE_ACCOUNT_TOKEN_SECRET_TYPE) return undefined;
    const stored = (secret['data'] as Record<string, unknown> | undefined)?.['token'];
    if (typeof stored !== 'string' || Buffer.from(stored, 'base64').toString('utf8') !== token) return undefined;
    if ((await uidOf(this.#c.store('', 'serviceaccounts'), namespace, name)) !== uid) return undefined;
    return { username: `system:serviceaccount:${namespace}:${name}`, uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
  }

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const h = req.headers.authorization;
    if (!h || !/^bearer /i.test(h)) return undefined;
    const token = h.slice(7).trim();
    // Only JWT-shaped tokens are ours; static tokens are tried by their own authenticator.
    if (token.split('.').length !== 3) return undefined;
    return this.authenticateToken(token);
  }
}
