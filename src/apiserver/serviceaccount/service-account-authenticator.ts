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
import type { TokenSigner } from './token-signer.js';

/** ServiceAccountAuthenticatorConfig wires the signer and the stores that prove the owner exists. */
export interface ServiceAccountAuthenticatorConfig {
  readonly signer: TokenSigner;
  readonly clock: Clock;
  readonly store: (group: string, resource: string) => GenericStore | undefined;
}

async function uidOf(store: GenericStore | undefined, namespace: string, name: string): Promise<string | undefined> {
  if (!store) return undefined;
  try {
    return (await store.get(namespace, name)).metadata?.uid;
  } catch {
    return undefined;
  }
}

/** ServiceAccountAuthenticator implements Authenticator for service-account JWTs. */
export class ServiceAccountAuthenticator implements Authenticator {
  readonly #c: ServiceAccountAuthenticatorConfig;
  constructor(config: ServiceAccountAuthenticatorConfig) {
    this.#c = config;
  }

  /** authenticateToken checks one token (also used by TokenReview). */
  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const claims = this.#c.signer.verify(token, Math.floor(this.#c.clock.now() / 1000));
    if (!claims) return undefined;
    const k = claims['kubernetes.io'];
    if ((await uidOf(this.#c.store('', 'serviceaccounts'), k.namespace, k.serviceaccount.name)) !== k.serviceaccount.uid) return undefined;
    if (k.pod && (await uidOf(this.#c.store('', 'pods'), k.namespace, k.pod.name)) !== k.pod.uid) return undefined;
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

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const h = req.headers.authorization;
    if (!h || !/^bearer /i.test(h)) return undefined;
    const token = h.slice(7).trim();
    // Only JWT-shaped tokens are ours; static tokens are tried by their own authenticator.
    if (token.split('.').length !== 3) return undefined;
    return this.authenticateToken(token);
  }
}
