/**
 * Detached JWS (RFC 7515 appendix F) of the `cluster-info` kubeconfig, as upstream's bootstrapsigner writes and
 * kubeadm's discovery checks: HS256 over `base64url(header).base64url(content)` with the token's secret as the
 * key, the protected header `{"alg":"HS256","kid":"<token-id>"}`, and the content part left out:
 * `<header>..<signature>`. (Upstream zero-pads the secret to 32 bytes for its JOSE library; HMAC pads keys with
 * zeros to its block size anyway, so the raw secret gives the same signature.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** computeDetachedSignature signs `content` with the token `<tokenId>.<tokenSecret>`. */
export function computeDetachedSignature(content: string, tokenId: string, tokenSecret: string): string {
  // Key order as Go marshals a map: sorted (alg, kid), so our text equals upstream's byte for byte.
  const header = base64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const signature = createHmac('sha256', Buffer.from(tokenSecret)).update(`${header}.${base64url(content)}`).digest('base64url');
  return `${header}..${signature}`;
}

/** detachedSignatureValid tells whether `signature` is the token's signature of `content` (constant-time compare). */
export function detachedSignatureValid(signature: string, content: string, tokenId: string, tokenSecret: string): boolean {
  const want = Buffer.from(computeDetachedSignature(content, tokenId, tokenSecret));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
