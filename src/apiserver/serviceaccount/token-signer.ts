/**
 * TokenSigner: service-account tokens as ES256-signed JWTs, with the claims upstream puts in them
 * (iss, sub = system:serviceaccount:<ns>:<name>, aud, exp, iat, nbf, jti and the `kubernetes.io` claim naming the
 * namespace, the service account and, when bound, the pod). Verification checks the signature, the time window
 * and the audience; whether the service account still exists is the authenticator's check.
 */
import { createPrivateKey, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

/** SERVICE_ACCOUNT_ISSUER is the `iss` of our tokens and their default audience. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** ServiceAccountClaims is the `kubernetes.io` private claim. */
export interface ServiceAccountClaims {
  readonly namespace: string;
  readonly serviceaccount: { readonly name: string; readonly uid: string };
  readonly pod?: { readonly name: string; readonly uid: string };
  readonly secret?: { readonly name: string; readonly uid: string };
}

/** TokenClaims are the claims of one token. */
export interface TokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf: number;
  readonly jti: string;
  readonly 'kubernetes.io': ServiceAccountClaims;
}

/** IssueTokenOptions describe a token to issue. */
export interface IssueTokenOptions {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly boundPod?: { readonly name: string; readonly uid: string };
  /** Seconds since the epoch. */
  readonly nowSeconds: number;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** TokenSigner signs and verifies tokens with one key. */
export class TokenSigner {
  readonly #key: KeyObject;
  readonly #pub: KeyObject;
  readonly #kid: string;

  constructor(privateKeyPem: string) {
    this.#key = createPrivateKey(privateKeyPem);
    this.#pub = createPublicKey(this.#key);
    // Key id: a stable digest of the public key, as upstream derives it.
    this.#kid = b64url(Buffer.from(this.#pub.export({ type: 'spki', format: 'der' })).subarray(-32));
  }

  /** issue returns a signed token and its claims. */
  issue(o: IssueTokenOptions): { token: string; claims: TokenClaims } {
    const claims: TokenClaims = {
      iss: SERVICE_ACCOUNT_ISSUER,
      sub: `system:serviceaccount:${o.namespace}:${o.name}`,
      aud: o.audiences.length > 0 ? [...o.audiences] : [SERVICE_ACCOUNT_ISSUER],
      exp: o.nowSeconds + o.expirationSeconds,
      iat: o.nowSeconds,
      nbf: o.nowSeconds,
      jti: randomUUID(),
      'kubernetes.io': { namespace: o.namespace, serviceaccount: { name: o.name, uid: o.uid }, ...(o.boundPod ? { pod: o.boundPod } : {}) },
    };
    const head = b64url(JSON.stringify({ alg: 'ES256', kid: this.#kid }));
    const body = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.#key, dsaEncoding: 'ieee-p1363' });
    return { token: `${head}.${body}.${b64url(sig)}`, claims };
  }

  /**
   * verify returns the claims of a token this signer issued that is valid at `nowSeconds` for `audience`, or
   * undefined (bad shape, bad signature, expired, wrong audience). Never throws.
   */
  verify(token: string, nowSeconds: number, audience = SERVICE_ACCOUNT_ISSUER): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [head = '', body = '', sig = ''] = parts;
    try {
      const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
      if (header.alg !== 'ES256') return undefined;
      const ok = verify('sha256', Buffer.from(`${head}.${body}`), { key: this.#pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
      if (claims.iss !== SERVICE_ACCOUNT_ISSUER || typeof claims.exp !== 'number' || claims.exp <= nowSeconds || claims.nbf > nowSeconds + 60) return undefined;
      if (!Array.isArray(claims.aud) || !claims.aud.includes(audience)) return undefined;
      return claims;
    } catch {
      return undefined;
    }
  }
}
