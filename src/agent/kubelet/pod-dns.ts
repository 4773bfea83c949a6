/**
 * A pod's DNS settings (its /etc/resolv.conf) and host name, by upstream's rules:
 *  - dnsPolicy ClusterFirst (the default): the cluster DNS server, search `<ns>.svc.<domain> svc.<domain> <domain>`
 *    then the node's searches, `options ndots:5`; with hostNetwork it behaves like Default;
 *  - ClusterFirstWithHostNet: ClusterFirst even with hostNetwork;
 *  - Default: the node's resolv.conf;
 *  - None: nothing but `dnsConfig`.
 * `dnsConfig` is then merged in: nameservers and searches appended without duplicates, options by name (the
 * pod's win). At most 3 nameservers and 32 search domains are kept, as the resolver reads no more.
 */
import type { DNSConfig } from '../cri/runtime-service.js';
import type { PodView } from '../pod-spec.js';

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** HostResolvConf is the node's resolver configuration. */
export interface HostResolvConf {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

/** parseResolvConf reads resolv.conf text (the last `search` line wins, as in the resolver). */
export function parseResolvConf(text: string): HostResolvConf {
  const servers: string[] = [];
  let searches: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') searches = rest.filter((s) => s !== '' && s !== '.');
    else if (key === 'options') options.push(...rest.filter((s) => s !== ''));
  }
  return { servers, searches, options };
}

/** DNSSettings are the node's DNS facts. */
export interface DNSSettings {
  /** The cluster DNS Service's IP; empty means none (ClusterFirst then falls back to the node's). */
  readonly clusterDNS: string;
  readonly clusterDomain: string;
  readonly host: HostResolvConf;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function mergeOptions(base: readonly string[], extra: readonly { name: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0] ?? o, o);
  for (const o of extra) byName.set(o.name, o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : o.name);
  return [...byName.values()];
}

/** podDNSConfig computes what the pod's resolv.conf says. */
export function podDNSConfig(pod: PodView, s: DNSSettings): DNSConfig {
  const spec = pod.spec ?? {};
  const ns = pod.metadata?.namespace ?? '';
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  let mode: 'cluster' | 'host' | 'none';
  if (policy === 'None') mode = 'none';
  else if (policy === 'ClusterFirstWithHostNet') mode = 'cluster';
  else if (policy === 'ClusterFirst') mode = spec.hostNetwork ? 'host' : 'cluster';
  else mode = 'host';
  if (mode === 'cluster' && s.clusterDNS === '') mode = 'host';
  let servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  if (mode === 'cluster') {
    servers = [s.clusterDNS];
    const d = s.clusterDomain;
    searches = unique([`${ns}.svc.${d}`, `svc.${d}`, d, ...s.host.searches]);
    options = ['ndots:5'];
  } else if (mode === 'host') {
    servers = [...s.host.servers];
    searches = [...s.host.searches];
    options = [...s.host.options];
  }
  const extra = spec.dnsConfig;
  if (extra) {
    servers = unique([...servers, ...(extra.nameservers ?? [])]);
    searches = unique([...searches, ...(extra.searches ?? [])]);
    options = mergeOptions(options, extra.options ?? []);
  }
  return { servers: servers.slice(0, MAX_NAMESERVERS), searches: searches.slice(0, MAX_SEARCHES), options };
}

/** podHostname is the pod's host name and, with a subdomain, its domain (upstream's rules; 63 characters at most). */
export function podHostname(pod: PodView, clusterDomain: string): { hostname: string; domain?: string } {
  const spec = pod.spec ?? {};
  let hostname = spec.hostname || (pod.metadata?.name ?? '');
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  if (!spec.subdomain) return { hostname };
  return { hostname, domain: `${spec.subdomain}.${pod.metadata?.namespace ?? ''}.svc.${clusterDomain}` };
}
