/**
 * Continue tokens for paged lists: base64 of `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key suffix>"}`
 * (upstream's shape). The next page is read at the same revision, starting after the key, so a paged list is a
 * consistent snapshot; once that revision is compacted the token expires (410).
 */
import { badRequest } from '../../api/meta/status-error.js';

/** ContinueToken is a decoded token. */
export interface ContinueToken {
  /** The revision the first page was read at. */
  readonly revision: number;
  /** The last key returned, relative to the list's prefix. */
  readonly startAfter: string;
}

/** encodeContinue builds the token for the page after `lastKey` (relative to the list prefix). */
export function encodeContinue(revision: number, startAfter: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: startAfter })).toString('base64url');
}

/** decodeContinue parses a token; a malformed one is a 400 as upstream. */
export function decodeContinue(token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof parsed !== 'object' || parsed === null) throw badRequest('continue key is not valid: not an object');
  const p = parsed as Record<string, unknown>;
  if (p['v'] !== 'meta.k8s.io/v1') throw badRequest('continue key is not valid: server does not recognize this encoded version');
  const rv = p['rv'];
  const start = p['start'];
  if (typeof rv !== 'number' || !Number.isInteger(rv) || rv <= 0) throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof start !== 'string' || start.includes('..') || start.startsWith('/')) throw badRequest('continue key is not valid: start key is not valid');
  return { revision: rv, startAfter: start };
}
