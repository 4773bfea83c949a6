/**
 * Authorization: may this user do what RequestInfo describes? The chain calls one Authorizer after
 * authentication and the in-flight limit. The control plane uses RBAC then the Node authorizer (../authorization/);
 * AuthenticatedAuthorizer (mode AlwaysAllow) allows every authenticated user. Public information paths (health, version) are allowed for everyone before the
 * Authorizer is asked, as upstream's bootstrap `system:public-info-viewer` role grants.
 */
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import { AUTHENTICATED_GROUP } from './authentication.js';

/** AuthorizationDecision is an Authorizer's answer. */
export interface AuthorizationDecision {
  readonly allowed: boolean;
  /** Why, for the Forbidden message and logs. */
  readonly reason?: string;
}

/** Authorizer decides whether a user may perform a request. */
export interface Authorizer {
  /** Resolves with the decision; rejects only for internal failures (answered 500). */
  authorize(user: UserInfo, info: RequestInfo): Promise<AuthorizationDecision>;
}

/** AuthenticatedAuthorizer allows every user in `system:authenticated` and nobody else. */
export class AuthenticatedAuthorizer implements Authorizer {
  authorize(user: UserInfo): Promise<AuthorizationDecision> {
    const allowed = user.groups.includes(AUTHENTICATED_GROUP);
    return Promise.resolve(allowed ? { allowed } : { allowed, reason: 'the user is not authenticated' });
  }
}

/** PUBLIC_INFO_PATHS are readable without credentials (with their sub-paths, e.g. /readyz/etcd). */
export const PUBLIC_INFO_PATHS: readonly string[] = ['/livez', '/readyz', '/healthz', '/version'];

/** isPublicInfoPath tells whether a non-resource path is one of PUBLIC_INFO_PATHS or below one. */
export function isPublicInfoPath(path: string): boolean {
  return PUBLIC_INFO_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * isAnonymousDiscovery tells whether a request is the one resource read a node joining with a bootstrap token
 * makes before it has any credentials it can safely send: GET `kube-public/configmaps/cluster-info`. Anonymous
 * requests for it go on to the Authorizer (RBAC grants it to `system:anonymous`, as kubeadm's
 * `kubeadm:bootstrap-signer-clusterinfo` Role does) instead of being answered 401 like every other anonymous
 * resource request. This is upstream's anonymous authentication narrowed to the one object kubeadm needs.
 */
export function isAnonymousDiscovery(info: RequestInfo): boolean {
  return info.isResourceRequest && info.verb === 'get' && info.apiGroup === '' && info.namespace === 'kube-public' && info.resource === 'configmaps' && info.name === 'cluster-info' && !info.subresource;
}

/**
 * forbiddenMessage words a denial as upstream does, e.g.
 * `pods "p1" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns": <reason>`.
 */
export function forbiddenMessage(user: UserInfo, info: RequestInfo, reason?: string): string {
  const suffix = reason ? `: ${reason}` : '';
  if (!info.isResourceRequest) return `forbidden: User "${user.username}" cannot ${info.verb} path "${info.path}"${suffix}`;
  const what = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const qualified = info.apiGroup ? `${info.resource}.${info.apiGroup}` : info.resource;
  const subject = info.name ? `${qualified} "${info.name}"` : qualified;
  const scope = info.namespace ? ` in the namespace "${info.namespace}"` : ' at the cluster scope';
  return `${subject} is forbidden: User "${user.username}" cannot ${info.verb} resource "${what}" in API group "${info.apiGroup}"${scope}${suffix}`;
}
