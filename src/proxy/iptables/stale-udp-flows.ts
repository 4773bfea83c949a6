/**
 * Stale UDP flows: UDP has no connection to end, so when an endpoint leaves a service port, conntrack keeps sending
 * an existing client flow to the old endpoint (already DNATed) until the entry times out — a restarted DNS pod
 * would stay unreachable for its clients for up to two minutes. Upstream deletes those entries after each sync;
 * this computes which ones, as `conntrack -D` argument lists (filters on the service address and port and the
 * endpoint the flow was DNATed to, so unrelated flows to the same pod stay).
 */
import { type ProxyServicePort, type ProxySnapshot, clusterEndpoints, externalEndpoints } from '../proxy-state.js';

function endpointIPs(sp: ProxyServicePort, v6: boolean): Set<string> {
  return new Set([...clusterEndpoints(sp), ...externalEndpoints(sp)].map((e) => e.ip).filter((ip) => ip.includes(':') === v6));
}

/**
 * staleUdpFlowFilters lists the `conntrack` argument lists that delete UDP flows to endpoints `prev` had and `next`
 * lacks, for the snapshot's family (an IPv6 snapshot's with `-f ipv6`: conntrack looks at IPv4 flows unless told).
 */
export function staleUdpFlowFilters(prev: ProxySnapshot | undefined, next: ProxySnapshot): string[][] {
  if (!prev) return [];
  const v6 = next.family === 'IPv6';
  const family = v6 ? ['-f', 'ipv6'] : [];
  const nextByKey = new Map(next.servicePorts.filter((sp) => sp.protocol === 'UDP').map((sp) => [sp.key, sp]));
  const out: string[][] = [];
  for (const sp of prev.servicePorts) {
    if (sp.protocol !== 'UDP' || sp.clusterIPs.length === 0) continue;
    const still = nextByKey.get(sp.key);
    const keep = still ? endpointIPs(still, v6) : new Set<string>();
    for (const ep of [...endpointIPs(sp, v6)].filter((ip) => !keep.has(ip)).sort()) {
      for (const ip of [...sp.clusterIPs, ...sp.externalIPs, ...sp.loadBalancerIPs].filter((a) => a.includes(':') === v6)) {
        out.push(['-D', ...family, '-p', 'udp', '--orig-dst', ip, '--orig-port-dst', String(sp.port), '--dst-nat', ep]);
      }
      if (sp.nodePort !== undefined) out.push(['-D', ...family, '-p', 'udp', '--orig-port-dst', String(sp.nodePort), '--dst-nat', ep]);
    }
  }
  return out;
}
