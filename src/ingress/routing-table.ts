/**
 * The routing table of the built-in Ingress controller: a pure function of the handled Ingresses, Services and
 * EndpointSlices, rebuilt whenever one of them changes.
 *
 * Matching follows the networking.k8s.io/v1 rules:
 *  - host: an exact host beats a wildcard (`*.example.com` matches exactly one more DNS label, so neither
 *    `example.com` nor `a.b.example.com`), which beats rules without a host; when the most specific group has no
 *    matching path the next group is tried, then `spec.defaultBackend`;
 *  - path: the longest matching path wins, Exact before Prefix at equal length; Prefix matches whole path elements
 *    (`/foo` matches `/foo`, `/foo/` and `/foo/bar`, not `/foobar`; a trailing slash of the rule is ignored);
 *    ImplementationSpecific is treated as Prefix;
 *  - the same host and path in several Ingresses: the oldest Ingress wins (then namespace/name order).
 * Annotations (ingress-annotations.ts) may turn an Ingress's paths into regular expressions, add a rewrite target
 * and ask for HTTPS to the backends; the route carries them.
 * A backend resolves to the ready endpoints of the Service port it names (EndpointSlices labelled
 * `kubernetes.io/service-name`, matched on the Service port's name), or to `externalName` for ExternalName Services.
 */
import type { KubeObject } from '../api/meta/types.js';
import { num, obj, objects, str, strings } from '../api/validation/unstructured.js';
import { compilePathRegex, ingressOptions, type BackendProtocol } from './ingress-annotations.js';
import type { ClassSelector } from './ingress-class.js';

/** ServiceNameLabel is the EndpointSlice label naming its Service. */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Endpoint is one address a backend forwards to. */
export interface Endpoint {
  /** An IP, or a DNS name for ExternalName Services. */
  readonly host: string;
  readonly port: number;
}

/** Backend is a resolved Service port. */
export interface Backend {
  /** `namespace/service:port`, stable across rebuilds (round-robin state is kept per key). */
  readonly key: string;
  readonly namespace: string;
  readonly service: string;
  /** Ready endpoints; empty means 503. */
  readonly endpoints: readonly Endpoint[];
}

/** PathType of a compiled route (ImplementationSpecific compiles to Prefix). */
export type PathType = 'Exact' | 'Prefix';

/** Route is one host rule path. */
export interface Route {
  readonly path: string;
  readonly pathType: PathType;
  readonly backend: Backend;
  /** `namespace/name` of the Ingress the route came from. */
  readonly ingress: string;
  /** Set when the Ingress asks for regular-expression paths (ingress-annotations.ts); matched instead of `path`. */
  readonly regex?: RegExp;
  /** `rewrite-target`: the path the backend sees (with `regex`'s groups substituted). */
  readonly rewriteTarget?: string;
  /** How the proxy speaks to the endpoints. */
  readonly backendProtocol?: BackendProtocol;
}

/** RouteMatch is the outcome of a lookup. */
export interface RouteMatch {
  readonly backend: Backend;
  /** Undefined when the default backend answered. */
  readonly route?: Route;
}

interface Candidate extends Route {
  readonly order: string;
}

/** normalizeHost lower-cases a Host header and drops its port and a trailing dot. */
export function normalizeHost(hostHeader: string | undefined): string {
  let h = (hostHeader ?? '').trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** pathMatches tells whether a request path (no query) matches a rule path. */
export function pathMatches(pathType: PathType, rulePath: string, requestPath: string): boolean {
  if (pathType === 'Exact') return requestPath === rulePath;
  const prefix = rulePath.replace(/\/+$/, '');
  if (prefix === '') return true;
  return requestPath === prefix || requestPath.startsWith(`${prefix}/`);
}

/** RoutingTable answers which backend serves a host and path. */
export class RoutingTable {
  readonly #exact: ReadonlyMap<string, readonly Route[]>;
  readonly #wildcard: ReadonlyMap<string, readonly Route[]>;
  readonly #anyHost: readonly Route[];
  readonly #defaultBackend: Backend | undefined;

  constructor(exact: ReadonlyMap<string, readonly Route[]>, wildcard: ReadonlyMap<string, readonly Route[]>, anyHost: readonly Route[], defaultBackend: Backend | undefined) {
    this.#exact = exact;
    this.#wildcard = wildcard;
    this.#anyHost = anyHost;
    this.#defaultBackend = defaultBackend;
  }

  /** An empty table: every request is a 404. */
  static empty(): RoutingTable {
    return new RoutingTable(new Map(), new Map(), [], undefined);
  }

  /** match finds the backend of a request; undefined means 404. `host` is a raw Host header or SNI name. */
  match(host: string | undefined, requestPath: string): RouteMatch | undefined {
    const h = normalizeHost(host);
    const dot = h.indexOf('.');
    const groups = [this.#exact.get(h), dot > 0 ? this.#wildcard.get(h.slice(dot + 1)) : undefined, this.#anyHost];
    for (const routes of groups) {
      for (const route of routes ?? []) if (route.regex ? route.regex.test(requestPath) : pathMatches(route.pathType, route.path, requestPath)) return { backend: route.backend, route };
    }
    return this.#defaultBackend ? { backend: this.#defaultBackend } : undefined;
  }

  /** hosts lists the exact and wildcard hosts with rules (for logs and tests). */
  hosts(): string[] {
    return [...this.#exact.keys(), ...[...this.#wildcard.keys()].map((s) => `*.${s}`)];
  }
}

/** RoutingInputs are the informer caches the table is built from. */
export interface RoutingInputs {
  readonly ingresses: readonly KubeObject[];
  readonly services: readonly KubeObject[];
  readonly endpointSlices: readonly KubeObject[];
  readonly classes: ClassSelector;
}

/** objectKey is `namespace/name`. */
export function objectKey(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** handledIngresses lists the Ingresses this controller serves, oldest first (the conflict order). */
export function handledIngresses(ingresses: readonly KubeObject[], classes: ClassSelector): KubeObject[] {
  return ingresses
    .filter((i) => !i.metadata?.deletionTimestamp && classes.handles(i))
    .sort((a, b) => ingressOrder(a).localeCompare(ingressOrder(b)));
}

function ingressOrder(i: KubeObject): string {
  return `${i.metadata?.creationTimestamp ?? ''}|${objectKey(i)}`;
}

/** buildRoutingTable compiles the inputs. Invalid rules (no service backend) are skipped. */
export function buildRoutingTable(inputs: RoutingInputs): RoutingTable {
  const services = new Map(inputs.services.map((s) => [objectKey(s), s]));
  const slicesByService = new Map<string, KubeObject[]>();
  for (const slice of inputs.endpointSlices) {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${slice.metadata?.namespace ?? ''}/${svc}`;
    const list = slicesByService.get(key) ?? [];
    list.push(slice);
    slicesByService.set(key, list);
  }
  const resolve = (namespace: string, backendSpec: unknown): Backend | undefined => resolveBackend(namespace, backendSpec, services, slicesByService);

  const exact = new Map<string, Candidate[]>();
  const wildcard = new Map<string, Candidate[]>();
  const anyHost: Candidate[] = [];
  let defaultBackend: Backend | undefined;
  for (const ing of handledIngresses(inputs.ingresses, inputs.classes)) {
    const namespace = ing.metadata?.namespace ?? '';
    const spec = obj(ing['spec']);
    if (!defaultBackend && spec['defaultBackend'] !== undefined) defaultBackend = resolve(namespace, spec['defaultBackend']);
    const order = ingressOrder(ing);
    const options = ingressOptions(ing);
    for (const rule of objects(spec['rules'])) {
      const host = (str(rule['host']) ?? '').toLowerCase();
      let bucket: Candidate[];
      if (host === '') bucket = anyHost;
      else {
        const map = host.startsWith('*.') ? wildcard : exact;
        const key = host.startsWith('*.') ? host.slice(2) : host;
        bucket = map.get(key) ?? [];
        map.set(key, bucket);
      }
      for (const p of objects(obj(rule['http'])['paths'])) {
        const backend = resolve(namespace, p['backend']);
        if (!backend) continue;
        const pathType: PathType = str(p['pathType']) === 'Exact' ? 'Exact' : 'Prefix';
        const path = str(p['path']) || '/';
        // Regex paths (annotations): a path that does not compile matches nothing rather than everything.
        const regex = options.regexPaths && pathType === 'Prefix' ? (compilePathRegex(path) ?? /(?!)/) : undefined;
        bucket.push({
          path, pathType, backend, ingress: objectKey(ing), order,
          ...(regex ? { regex } : {}),
          ...(options.rewriteTarget !== undefined ? { rewriteTarget: options.rewriteTarget } : {}),
          ...(options.backendProtocol !== 'HTTP' ? { backendProtocol: options.backendProtocol } : {}),
        });
      }
    }
  }
  const sortRoutes = (routes: Candidate[]): Route[] =>
    routes
      .sort((a, b) => effectiveLength(b) - effectiveLength(a) || typeRank(a) - typeRank(b) || a.order.localeCompare(b.order))
      .map(({ order: _order, ...route }) => route);
  return new RoutingTable(
    new Map([...exact].map(([h, r]) => [h, sortRoutes(r)])),
    new Map([...wildcard].map(([h, r]) => [h, sortRoutes(r)])),
    sortRoutes(anyHost),
    defaultBackend,
  );
}

/** The length compared for "longest path": Prefix rules without their trailing slash. */
function effectiveLength(r: Route): number {
  return r.pathType === 'Prefix' ? r.path.replace(/\/+$/, '').length : r.path.length;
}

function typeRank(r: Route): number {
  return r.pathType === 'Exact' ? 0 : 1;
}

function resolveBackend(namespace: string, backendSpec: unknown, services: ReadonlyMap<string, KubeObject>, slicesByService: ReadonlyMap<string, readonly KubeObject[]>): Backend | undefined {
  const svcRef = obj(obj(backendSpec)['service']);
  const name = str(svcRef['name']);
  if (!name) return undefined; // resource backends are not served
  const portRef = obj(svcRef['port']);
  const portNumber = num(portRef['number']);
  const portName = str(portRef['name']);
  const key = `${namespace}/${name}:${portNumber ?? portName ?? ''}`;
  const svc = services.get(`${namespace}/${name}`);
  if (!svc) return { key, namespace, service: name, endpoints: [] };
  const spec = obj(svc['spec']);
  const svcPort = objects(spec['ports']).find((p) => (portNumber !== undefined ? num(p['port']) === portNumber : str(p['name']) === portName));
  if (spec['type'] === 'ExternalName') {
    const externalName = str(spec['externalName']);
    const port = portNumber ?? num(svcPort?.['port']);
    return { key, namespace, service: name, endpoints: externalName && port ? [{ host: externalName, port }] : [] };
  }
  if (!svcPort) return { key, namespace, service: name, endpoints: [] };
  const slicePortName = str(svcPort['name']) ?? '';
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slicesByService.get(`${namespace}/${name}`) ?? []) {
    // The IPv4 slices only: the server's host reaches pods through the node's IPv4 routes; a dual-stack Service
    // would otherwise send half its requests to IPv6 addresses that may not be routed from here.
    if (slice['addressType'] === 'IPv6') continue;
    const port = num(objects(slice['ports']).find((p) => (str(p['name']) ?? '') === slicePortName)?.['port']);
    if (port === undefined) continue;
    for (const ep of objects(slice['endpoints'])) {
      // Upstream: a nil `ready` means ready; terminating endpoints are not used for new connections.
      if (obj(ep['conditions'])['ready'] === false) continue;
      for (const host of strings(ep['addresses'])) {
        const id = `${host}:${port}`;
        if (seen.has(id)) continue;
        seen.add(id);
        endpoints.push({ host, port });
      }
    }
  }
  return { key, namespace, service: name, endpoints };
}
