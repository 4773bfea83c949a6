/**
 * resolveRequestInfo: turns a method and URL into a RequestInfo the way upstream's RequestInfoFactory does, so
 * that authorization, metrics and dispatch agree with what a Kubernetes cluster would decide for the same URL.
 *
 * Resource URLs have the forms
 *   /api/<version>/[watch|proxy/][namespaces/<ns>/]<resource>[/<name>[/<subresource>[/<rest...>]]]
 *   /apis/<group>/<version>/... (same tail)
 * Anything else (/healthz, /api, /apis/<group>/<version>, /openapi/v3) is a non-resource request whose verb is
 * the lower-cased HTTP method.
 */
import { badRequest } from '../../api/meta/status-error.js';
import type { RequestInfo } from './request-info.js';

const API_PREFIXES = new Set(['api', 'apis']);
/** Prefixes without a group segment. */
const GROUPLESS_API_PREFIXES = new Set(['api']);
/** Path verbs that come before the namespace: /api/v1/watch/..., /api/v1/proxy/... (both deprecated upstream). */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
/** Special verbs whose tail is never a subresource. */
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
/** Subresources of a namespace object itself: /api/v1/namespaces/<ns>/status is the namespace's status. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Readonly<Record<string, string>> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

/**
 * decodeRequestPath percent-decodes a URL path as Go's URL.Path does (so `%2F` becomes a separator). Throws a
 * 400 StatusError for malformed escapes.
 */
export function decodeRequestPath(encodedPath: string): string {
  try {
    return decodeURIComponent(encodedPath);
  } catch {
    throw badRequest(`Cannot parse request path "${encodedPath}": invalid URL escape`);
  }
}

/** watchRequested applies upstream's boolean query conversion: present and not "0"/"false" means true. */
function watchRequested(query: URLSearchParams): boolean {
  const v = query.get('watch');
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}

function isValidPathSegmentName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

/**
 * exactNameFromFieldSelector returns `x` for a field selector requiring `metadata.name=x` (or `==`), so that a
 * list or watch of one named object is authorized like a get of that name, as upstream does.
 */
function exactNameFromFieldSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(/(?<!\\),/)) {
    const m = /^\s*metadata\.name\s*(==|=)(.*)$/.exec(term);
    if (m && m[2] !== undefined) return m[2].trim().replace(/\\(.)/g, '$1');
  }
  return undefined;
}

function nonResource(path: string, method: string): RequestInfo {
  return {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
}

/**
 * resolveRequestInfo parses `method` and `url` into a RequestInfo. `parts` holds the path segments relative to
 * the resource (resource, name, subresource, then any proxy tail), as upstream's RequestInfo.Parts. Throws a
 * 400 StatusError for undecodable paths and for special-verb paths without a resource (`/api/v1/watch`).
 */
export function resolveRequestInfo(method: string, url: URL): RequestInfo {
  const path = decodeRequestPath(url.pathname);
  let parts = splitPath(path);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0] ?? '')) return nonResource(path, method);

  const apiPrefix = parts[0] ?? '';
  parts = parts.slice(1);
  let apiGroup = '';
  if (!GROUPLESS_API_PREFIXES.has(apiPrefix)) {
    // /apis/<group>/<version>/<resource> at least.
    if (parts.length < 3) return nonResource(path, method);
    apiGroup = parts[0] ?? '';
    parts = parts.slice(1);
  }
  const apiVersion = parts[0] ?? '';
  parts = parts.slice(1);

  let verb: string;
  const first = parts[0] ?? '';
  if (SPECIAL_VERBS.has(first)) {
    if (parts.length < 2) throw badRequest(`Cannot resolve request "${path}": unable to determine kind and namespace from url`);
    verb = first;
    parts = parts.slice(1);
  } else {
    verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }

  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1] ?? '';
      // namespaces/<ns>/<resource>... is a namespaced resource; namespaces/<ns>[/status|/finalize] is the
      // namespace object itself.
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
    }
  }

  const resource = parts[0] ?? '';
  let name = parts[1] ?? '';
  const subresource = parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(verb) ? (parts[2] ?? '') : '';

  if (name === '' && verb === 'get') {
    verb = watchRequested(url.searchParams) ? 'watch' : 'list';
    const exact = exactNameFromFieldSelector(url.searchParams.get('fieldSelector'));
    if (exact !== undefined && isValidPathSegmentName(exact)) name = exact;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';

  return { isResourceRequest: true, path, verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name, parts };
}
