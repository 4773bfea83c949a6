/**
 * RequestInfo: what a request asks for, parsed from its URL and method before any handler runs (upstream's
 * request.RequestInfo). Authorization, audit, metrics and dispatch read it.
 */

/** RequestInfo describes a request. For non-resource requests (e.g. /healthz) isResourceRequest is false. */
export interface RequestInfo {
  readonly isResourceRequest: boolean;
  /** For non-resource requests: the path. */
  readonly path: string;
  /**
   * get, list, watch, create, update, patch, delete, deletecollection (resource requests);
   * get, post, put, delete… lower-cased HTTP method (non-resource requests). `?watch=true` on a list turns it into watch.
   */
  readonly verb: string;
  /** "api" (core group) or "apis". */
  readonly apiPrefix: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
  /** Path segments from the resource on, as upstream: resource, name, subresource, then any proxy tail. */
  readonly parts: readonly string[];
}

/** UserInfo is the authenticated identity of a request. */
export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}
