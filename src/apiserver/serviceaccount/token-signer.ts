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
  /** The Secret the token is bound to: it stops working when that Secret is deleted. */
  readonly boundSecret?: { readonly name: string; readonly uid: string };
  /** Seconds since the epoch. */
  readonly nowSeconds: number;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** LEGACY_ISSUER is the `iss` of legacy Secret-based tokens. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

/** LegacyTokenClaims are the claims of a legacy Secret-based token. */
export interface LegacyTokenClaims {
  readonly iss: typeof LEGACY_ISSUER;
  readonly sub: string;
  readonly 'kubernetes.io/serviceaccount/namespace': string;
  readonly 'kubernetes.io/serviceaccount/secret.name': string;
  readonly 'kubernetes.io/serviceaccount/service-account.name': string;
  readonly 'kubernetes.io/serviceaccount/service-account.uid': string;
}

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
      'kubernetes.io': { namespace: o.namespace, serviceaccount: { name: o.name, uid: o.uid }, ...(o.boundPod ? { pod: o.boundPod } : {}), ...(o.boundSecret ? { secret: o.boundSecret } : {}) },
    };
    return { token: this.#sign(claims), claims };
  }

  /** The key id tokens carry in their header (`kid`). */
  get keyId(): string {
    return this.#kid;
  }

  /** jwks returns the JSON Web Key Set of the verification key (what `/openid/v1/jwks` serves). */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.#pub.export({ format: 'jwk' });
    return { keys: [{ use: 'sig', kty: jwk.kty, kid: this.#kid, crv: jwk.crv, alg: 'ES256', x: jwk.x, y: jwk.y }] };
  }

  /**
   * issueLegacy signs a legacy Secret-based token (what `kubernetes.io/service-account-token` Secrets hold): issuer
   * `kubernetes/serviceaccount`, the owner in flat `kubernetes.io/serviceaccount/*` claims, and no expiry — it lives
   * exactly as long as its Secret and service account.
   */
  issueLegacy(o: { readonly namespace: string; readonly name: string; readonly uid: string; readonly secretName: string }): string {
    const claims: LegacyTokenClaims = {
      iss: LEGACY_ISSUER,
      'kubernetes.io/serviceaccount/namespace': o.namespace,
      'kubernetes.io/serviceaccount/secret.name': o.secretName,
      'kubernetes.io/serviceaccount/service-account.name': o.name,
      'kubernetes.io/serviceaccount/service-account.uid': o.uid,
      sub: `system:serviceaccount:${o.namespace}:${o.name}`,
    };
    return this.#sign(claims);
  }

  #sign(claims: object): string {
    const head = b64url(JSON.stringify({ alg: 'ES256', kid: this.#kid }));
    const body = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.#key, dsaEncoding: 'ieee-p1363' });
    return `${head}.${body}.${b64url(sig)}`;
  }

  /** #claims returns a token's claims when this signer's signature on it is valid, else undefined. Never throws. */
  #claims(token: string): Record<string, unknown> | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [head = '', body = '', sig = ''] = parts;
    try {
      const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
      if (header.alg !== 'ES256') return undefined;
      if (!verify('sha256', Buffer.from(`${head}.${body}`), { key: this.#pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))) return undefined;
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
      return claims !== null && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /** verifyLegacy returns the claims of a legacy token this signer issued, or undefined. Never throws. */
  verifyLegacy(token: string): LegacyTokenClaims | undefined {
    const claims = this.#claims(token);
    if (!claims || claims['iss'] !== LEGACY_ISSUER) return undefined;
    const fields = ['namespace', 'secret.name', 'service-account.name', 'service-account.uid'].map((f) => claims[`kubernetes.io/serviceaccount/${f}`]);
    if (fields.some((f) => typeof f !== 'string' || f === '')) return undefined;
    return claims as unknown as LegacyTokenClaims;
  }

  /**
   * verify returns the claims of a token this signer issued that is valid at `nowSeconds` for `audience`, or
   * undefined (bad shape, bad signature, expired, wrong audience). Never throws.
   */
  verify(token: string, nowSeconds: number, audience = SERVICE_ACCOUNT_ISSUER): TokenClaims | undefined {
    const claims = this.#claims(token) as Partial<TokenClaims> | undefined;
    if (!claims || claims.iss !== SERVICE_ACCOUNT_ISSUER || typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return undefined;
    if (typeof claims.nbf !== 'number' || claims.nbf > nowSeconds + 60) return undefined;
    if (!Array.isArray(claims.aud) || !claims.aud.includes(audience)) return undefined;
    if (typeof claims['kubernetes.io'] !== 'object' || claims['kubernetes.io'] === null) return undefined;
    return claims as TokenClaims;
  }

}
