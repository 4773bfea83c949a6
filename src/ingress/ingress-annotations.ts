/**
 * The Ingress annotations the built-in controller honours, under ingress-nginx's names because that is what the
 * manifests users bring already carry (k3s users meet the same names on RKE2's default ingress-nginx):
 *  - `nginx.ingress.kubernetes.io/rewrite-target: <target>`: the Ingress's Prefix/ImplementationSpecific paths
 *    become regular expressions (as in ingress-nginx, which turns `use-regex` on with it), matched from the start of
 *    the request path, case-insensitively; the whole path the backend sees is replaced by `<target>`, with `$1`…`$9`
 *    standing for the path's capture groups, and the request's query string kept. The classic pair
 *    `path: /app(/|$)(.*)` + `rewrite-target: /$2` sends `/app/x?y=1` to `/x?y=1`.
 *  - `nginx.ingress.kubernetes.io/use-regex: "true"`: regular-expression paths without a rewrite.
 *  - `nginx.ingress.kubernetes.io/backend-protocol: HTTPS`: the backends are spoken to over TLS (their certificate is
 *    not verified, as ingress-nginx's default `proxy-ssl-verify off`). `HTTP` is the default; other values (GRPC,
 *    GRPCS, AJP, FCGI) are not supported and fall back to HTTP.
 * Annotations apply to the rules of the Ingress that carries them (not to other Ingresses of the same host, which
 * ingress-nginx would also switch to regex matching). Exact paths stay exact. A path that is not a valid regular
 * expression matches nothing.
 */
import type { KubeObject } from '../api/meta/types.js';

export const REWRITE_TARGET_ANNOTATION = 'nginx.ingress.kubernetes.io/rewrite-target';
export const USE_REGEX_ANNOTATION = 'nginx.ingress.kubernetes.io/use-regex';
export const BACKEND_PROTOCOL_ANNOTATION = 'nginx.ingress.kubernetes.io/backend-protocol';

/** BackendProtocol is how the proxy speaks to a route's endpoints. */
export type BackendProtocol = 'HTTP' | 'HTTPS';

/** IngressOptions are one Ingress's annotations, read once per routing table build. */
export interface IngressOptions {
  readonly rewriteTarget?: string;
  /** Prefix/ImplementationSpecific paths are regular expressions. */
  readonly regexPaths: boolean;
  readonly backendProtocol: BackendProtocol;
}

/** ingressOptions reads an Ingress's annotations. */
export function ingressOptions(ing: KubeObject): IngressOptions {
  const a = ing.metadata?.annotations ?? {};
  const target = a[REWRITE_TARGET_ANNOTATION];
  const rewriteTarget = target !== undefined && target.trim() !== '' ? target.trim() : undefined;
  return {
    ...(rewriteTarget !== undefined ? { rewriteTarget } : {}),
    regexPaths: rewriteTarget !== undefined || (a[USE_REGEX_ANNOTATION] ?? '').trim().toLowerCase() === 'true',
    backendProtocol: (a[BACKEND_PROTOCOL_ANNOTATION] ?? '').trim().toUpperCase() === 'HTTPS' ? 'HTTPS' : 'HTTP',
  };
}

/** compilePathRegex: a regex path anchored at the start, case-insensitive (nginx's `location ~* ^<path>`); undefined when invalid. */
export function compilePathRegex(path: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${path})`, 'i');
  } catch {
    return undefined;
  }
}

/**
 * rewriteUrl applies a rewrite target to a request URL (path and query): the path is replaced by `target` with
 * `$n` substituted from `regex`'s match of the path (`$0` the whole match), the query string kept. A path the regex
 * does not match is returned unchanged.
 */
export function rewriteUrl(regex: RegExp, target: string, url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  const m = regex.exec(path);
  if (!m) return url;
  let out = target.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? '');
  if (!out.startsWith('/')) out = `/${out}`;
  return out.includes('?') ? (query === '' ? out : `${out}&${query.slice(1)}`) : `${out}${query}`;
}
