/**
 * Impersonation: the `Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid` and `Impersonate-Extra-<key>`
 * headers (`kubectl --as`, `--as-group`, `--as-uid`) make a request run as another identity. Runs after
 * authentication and before authorization.
 *
 * Contract (upstream's): each requested value needs the `impersonate` verb for the requestor — users (group ""),
 * serviceaccounts in their namespace (for `system:serviceaccount:<ns>:<name>`), groups (group ""), uids and
 * userextras/<key> (group authentication.k8s.io). Groups, uid or extras without a user are a 400. The resulting
 * user has exactly the requested groups plus `system:authenticated` (or `system:unauthenticated` for
 * `system:anonymous`) and, for service accounts, `system:serviceaccounts` and `system:serviceaccounts:<ns>`.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest, forbidden } from '../../api/meta/status-error.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import { AUTHENTICATED_GROUP } from './authentication.js';
import { forbiddenMessage, type Authorizer } from './authorization.js';

/** The impersonation header names (lower-case, as Node.js presents them). */
export const IMPERSONATE_USER_HEADER = 'impersonate-user';
/** See IMPERSONATE_USER_HEADER. */
export const IMPERSONATE_GROUP_HEADER = 'impersonate-group';
/** See IMPERSONATE_USER_HEADER. */
export const IMPERSONATE_UID_HEADER = 'impersonate-uid';
/** See IMPERSONATE_USER_HEADER; the key follows, percent-encoded. */
export const IMPERSONATE_EXTRA_PREFIX = 'impersonate-extra-';

const SA_PREFIX = 'system:serviceaccount:';
const ANONYMOUS = 'system:anonymous';

function attributes(verb: string, apiGroup: string, resource: string, subresource: string, namespace: string, name: string): RequestInfo {
  return { isResourceRequest: true, path: '', verb, apiPrefix: apiGroup === '' ? 'api' : 'apis', apiGroup, apiVersion: 'v1', namespace, resource, subresource, name, parts: [] };
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/**
 * impersonate returns the identity the request runs as: `user` itself without impersonation headers, otherwise
 * the impersonated user. Throws a 403 StatusError when the requestor may not impersonate, 400 for malformed headers.
 */
export async function impersonate(req: IncomingMessage, user: UserInfo, authorizer: Authorizer): Promise<UserInfo> {
  const headers = req.headersDistinct;
  const username = headers[IMPERSONATE_USER_HEADER]?.[0];
  const groups = (headers[IMPERSONATE_GROUP_HEADER] ?? []).filter((g) => g !== '');
  const uid = headers[IMPERSONATE_UID_HEADER]?.[0];
  const extra: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (name.startsWith(IMPERSONATE_EXTRA_PREFIX) && values) extra[decodeKey(name.slice(IMPERSONATE_EXTRA_PREFIX.length)).toLowerCase()] = [...values];
  }
  const hasOthers = groups.length > 0 || uid !== undefined || Object.keys(extra).length > 0;
  if (username === undefined || username === '') {
    if (hasOthers) throw badRequest(`requested [${[...groups.map((g) => `Group=${g}`), ...(uid !== undefined ? [`UID=${uid}`] : []), ...Object.keys(extra).map((k) => `Extra=${k}`)].join(' ')}] without impersonating a user`);
    return user;
  }
  const check = async (info: RequestInfo): Promise<void> => {
    const d = await authorizer.authorize(user, info);
    if (!d.allowed) throw forbidden(forbiddenMessage(user, info, d.reason));
  };
  const outGroups = [...groups];
  if (username.startsWith(SA_PREFIX)) {
    const rest = username.slice(SA_PREFIX.length);
    const colon = rest.indexOf(':');
    const ns = colon > 0 ? rest.slice(0, colon) : '';
    const name = colon > 0 ? rest.slice(colon + 1) : '';
    if (ns === '' || name === '') throw badRequest(`Cannot impersonate user "${username}": not a valid service account name`);
    await check(attributes('impersonate', '', 'serviceaccounts', '', ns, name));
    for (const g of ['system:serviceaccounts', `system:serviceaccounts:${ns}`]) if (!outGroups.includes(g)) outGroups.push(g);
  } else {
    await check(attributes('impersonate', '', 'users', '', '', username));
  }
  for (const g of groups) await check(attributes('impersonate', '', 'groups', '', '', g));
  if (uid !== undefined) await check(attributes('impersonate', 'authentication.k8s.io', 'uids', '', '', uid));
  for (const [key, values] of Object.entries(extra)) {
    for (const v of values) await check(attributes('impersonate', 'authentication.k8s.io', 'userextras', key, '', v));
  }
  if (username === ANONYMOUS) {
    if (!outGroups.includes('system:unauthenticated')) outGroups.push('system:unauthenticated');
  } else if (!outGroups.includes(AUTHENTICATED_GROUP)) {
    outGroups.push(AUTHENTICATED_GROUP);
  }
  const out: UserInfo = { username, groups: outGroups, ...(uid !== undefined ? { uid } : {}), ...(Object.keys(extra).length > 0 ? { extra } : {}) };
  return out;
}

/** hasImpersonationHeaders is the cheap test run on every request before `impersonate`. */
export function hasImpersonationHeaders(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h[IMPERSONATE_USER_HEADER] !== undefined || h[IMPERSONATE_GROUP_HEADER] !== undefined || h[IMPERSONATE_UID_HEADER] !== undefined) return true;
  for (const name in h) if (name.startsWith(IMPERSONATE_EXTRA_PREFIX)) return true;
  return false;
}
