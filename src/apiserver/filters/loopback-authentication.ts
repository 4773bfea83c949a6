/**
 * LoopbackAuthenticator: the identity of the server's own components (controllers, scheduler, embedded kubelet)
 * when they call the API over the loopback Unix socket (ApiServer's loopbackSocketPath) instead of HTTPS. Each
 * token is made at boot, held only in memory and names one user, the one the component had over HTTPS.
 *
 * Contract: a token is recognised only on a connection that is not TLS, i.e. one that came through the loopback
 * socket (the HTTPS port never yields a plain socket); over HTTPS the token is not a credential at all, so it can
 * neither leak into nor be accepted from the network. It is not a static token either: TokenReview does not
 * accept it. Tokens are compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../request/request-info.js';
import type { Authenticator } from './authentication.js';

/** newLoopbackToken is a fresh random token (256 bits), for one boot. */
export function newLoopbackToken(): string {
  return randomBytes(32).toString('base64url');
}

export class LoopbackAuthenticator implements Authenticator {
  readonly #tokens: readonly { readonly token: Buffer; readonly user: UserInfo }[];

  constructor(tokens: ReadonlyMap<string, UserInfo>) {
    this.#tokens = [...tokens].map(([token, user]) => ({ token: Buffer.from(token), user }));
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    if ((req.socket as Partial<TLSSocket>).encrypted === true) return undefined;
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m?.[1]) return undefined;
    const given = Buffer.from(m[1]);
    for (const t of this.#tokens) if (t.token.length === given.length && timingSafeEqual(t.token, given)) return t.user;
    return undefined;
  }
}
