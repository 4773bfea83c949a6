/**
 * Service URLs for ExternalMetricSources: a source may name an in-cluster Service the way a pod would,
 * `http://<service>.<namespace>.svc[.<cluster domain>][:port]/path`. The collector runs in the server process, on
 * the host, where cluster IPs are not programmed (the service proxy programs the nodes) and cluster DNS names do
 * not resolve; so it resolves the name itself, as upstream's API server does for its service proxy: the Service's
 * port, then a ready endpoint of its EndpointSlices, then that pod's IP and target port. An ExternalName Service
 * resolves to its external name.
 *
 * `resolveServiceUrl` is pure (it reads a ServiceDirectory); `serviceResolvingFetcher` puts it in front of a
 * MetricsFetcher. A URL that is not a service name passes through unchanged; a service name that cannot be
 * resolved (no such Service or port, no ready endpoint) is a fetch error naming why, which the collector reports in
 * the source's status.lastError.
 */
import type { KubeObject } from '../api/meta/types.js';
import type { MetricsFetcher } from './metrics-fetcher.js';

/** ServiceDirectory is the cluster's Services and EndpointSlices, as informers hold them. */
export interface ServiceDirectory {
  service(namespace: string, name: string): KubeObject | undefined;
  /** The EndpointSlices labelled `kubernetes.io/service-name: <name>` in the namespace. */
  endpointSlices(namespace: string, name: string): readonly KubeObject[];
}

/** ServiceUrlResolution: the URL to fetch instead, why there is none, or `undefined` for "not a service URL". */
export type ServiceUrlResolution = { readonly url: string } | { readonly error: string } | undefined;

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
}

interface SliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

interface SlicePort {
  name?: string;
  port?: number;
  protocol?: string;
}

/** serviceNameOf splits `<svc>.<ns>.svc` or `<svc>.<ns>.svc.<domain>`; undefined for any other host name. */
function serviceNameOf(hostname: string, clusterDomain: string): { namespace: string; name: string } | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const labels = host.split('.');
  if (labels.length < 3 || labels[2] !== 'svc') return undefined;
  const rest = labels.slice(3).join('.');
  if (rest !== '' && rest !== clusterDomain.toLowerCase()) return undefined;
  const [name, namespace] = labels;
  if (!name || !namespace) return undefined;
  return { namespace, name };
}

/**
 * resolveServiceUrl maps a service URL to an endpoint URL. `pick` chooses among the ready endpoints' addresses
 * (the caller rotates, so repeated scrapes spread over replicas); it gets at least one.
 */
export function resolveServiceUrl(url: string, directory: ServiceDirectory, clusterDomain: string, pick: (count: number) => number = () => 0): ServiceUrlResolution {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const ref = serviceNameOf(parsed.hostname, clusterDomain);
  if (!ref) return undefined;
  const where = `service ${ref.namespace}/${ref.name}`;
  const svc = directory.service(ref.namespace, ref.name);
  if (!svc) return { error: `${where} not found` };
  const spec = (svc.spec ?? {}) as { type?: string; externalName?: string; ports?: ServicePort[] };
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) return { error: `${where} is ExternalName without an externalName` };
    const out = new URL(parsed.href);
    out.hostname = spec.externalName;
    return { url: out.href };
  }
  const tcpPorts = (spec.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  const wanted = parsed.port !== '' ? Number(parsed.port) : undefined;
  const defaultPort = parsed.protocol === 'https:' ? 443 : 80;
  const svcPort =
    wanted !== undefined ? tcpPorts.find((p) => p.port === wanted) : (tcpPorts.find((p) => p.port === defaultPort) ?? (tcpPorts.length === 1 ? tcpPorts[0] : undefined));
  if (!svcPort) return { error: `${where} has no TCP port ${wanted ?? defaultPort}` };
  const portName = svcPort.name ?? '';
  const candidates: { address: string; port: number }[] = [];
  for (const slice of directory.endpointSlices(ref.namespace, ref.name)) {
    const s = slice as KubeObject & { addressType?: string; endpoints?: SliceEndpoint[]; ports?: SlicePort[] };
    if (s.addressType !== undefined && s.addressType !== 'IPv4') continue;
    const port = (s.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP')?.port;
    if (port === undefined) continue;
    for (const ep of s.endpoints ?? []) {
      // Ready is what a Service routes to; an absent condition means ready (EndpointSlice API semantics).
      if (ep.conditions?.ready === false) continue;
      const address = ep.addresses?.[0];
      if (address) candidates.push({ address, port });
    }
  }
  if (candidates.length === 0) return { error: `${where} has no ready endpoint for port ${svcPort.port ?? portName}` };
  candidates.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  const chosen = candidates[Math.abs(pick(candidates.length)) % candidates.length] ?? candidates[0];
  if (!chosen) return { error: `${where} has no ready endpoint` };
  const out = new URL(parsed.href);
  out.hostname = chosen.address;
  out.port = String(chosen.port);
  return { url: out.href };
}

/** serviceResolvingFetcher resolves service URLs before fetching; other URLs go to `inner` unchanged. */
export function serviceResolvingFetcher(inner: MetricsFetcher, directory: ServiceDirectory, clusterDomain: string): MetricsFetcher {
  let turn = 0;
  return async (url, options) => {
    const resolved = resolveServiceUrl(url, directory, clusterDomain, (count) => turn++ % count);
    if (resolved === undefined) return inner(url, options);
    if ('error' in resolved) return { error: `GET ${url}: ${resolved.error}` };
    return inner(resolved.url, options);
  };
}
