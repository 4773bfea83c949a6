/**
 * Stale UDP flows: conntrack keeps a UDP "connection" (and its DNAT) while packets keep coming, so a client that
 * keeps sending to a Service (DNS is the usual case) would keep reaching an endpoint that is gone. A rejected flow
 * has the same problem the other way round: it stays rejected after the Service gets endpoints. After each sync a
 * proxier deletes those entries, as upstream kube-proxy does. TCP needs none of this: a gone endpoint resets the
 * connection, and the client opens a new one.
 *
 * `staleUdpFlows` is pure (what to delete, from two snapshots); `deleteConntrackFlows` runs `conntrack -D`.
 */
import { spawn } from 'node:child_process';
import { clusterEndpoints, externalEndpoints, type ProxyServicePort, type ProxySnapshot } from './proxy-state.js';

/** ConntrackFilter selects UDP flows to delete (all given fields must match). */
export interface ConntrackFilter {
  /** The original destination: a Service address. Unset for NodePorts (any local address). */
  readonly origDst?: string;
  /** The original destination port. */
  readonly dport?: number;
  /** The reply source: the endpoint the flow was DNATed to. */
  readonly replySrc?: string;
}

function usedEndpointIPs(sp: ProxyServicePort): Set<string> {
  return new Set([...clusterEndpoints(sp), ...externalEndpoints(sp)].map((e) => e.ip));
}

/** staleUdpFlows lists the UDP flows that `next` makes stale after `prev` was programmed. */
export function staleUdpFlows(prev: ProxySnapshot | undefined, next: ProxySnapshot): ConntrackFilter[] {
  if (!prev) return [];
  const nextByKey = new Map(next.servicePorts.filter((sp) => sp.protocol === 'UDP').map((sp) => [sp.key, sp]));
  const prevByKey = new Map(prev.servicePorts.filter((sp) => sp.protocol === 'UDP').map((sp) => [sp.key, sp]));
  const out: ConntrackFilter[] = [];
  const addresses = (sp: ProxyServicePort): string[] => [...sp.clusterIPs, ...sp.externalIPs, ...sp.loadBalancerIPs];
  for (const [key, before] of prevByKey) {
    const after = nextByKey.get(key);
    const had = usedEndpointIPs(before);
    const has = after ? usedEndpointIPs(after) : new Set<string>();
    for (const ip of had) {
      if (has.has(ip)) continue;
      for (const addr of addresses(before)) out.push({ origDst: addr, dport: before.port, replySrc: ip });
      if (before.nodePort !== undefined) out.push({ dport: before.nodePort, replySrc: ip });
    }
  }
  for (const [key, after] of nextByKey) {
    const before = prevByKey.get(key);
    if (!before || usedEndpointIPs(before).size > 0 || usedEndpointIPs(after).size === 0) continue;
    // From no endpoint to some: flows that were rejected go.
    for (const addr of addresses(after)) out.push({ origDst: addr, dport: after.port });
    if (after.nodePort !== undefined) out.push({ dport: after.nodePort });
  }
  return out;
}

/**
 * deleteConntrackFlows runs `conntrack -D -p udp …` once per filter, in `netns` if given. No matching flow is fine
 * (conntrack then exits 1 with "0 flow entries"). Resolves with the failures, one line each. A machine without
 * conntrack gives one failure per filter; the caller logs them.
 */
export async function deleteConntrackFlows(filters: readonly ConntrackFilter[], netns?: string): Promise<string[]> {
  const failures: string[] = [];
  for (const f of filters) {
    const args = ['-D', '-p', 'udp', ...(f.origDst ? ['--orig-dst', f.origDst] : []), ...(f.dport !== undefined ? ['--dport', String(f.dport)] : []), ...(f.replySrc ? ['--reply-src', f.replySrc] : [])];
    const [cmd, argv] = netns ? ['ip', ['netns', 'exec', netns, 'conntrack', ...args]] : ['conntrack', args];
    const result = await new Promise<string | undefined>((resolve) => {
      const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', (err) => resolve(`conntrack: ${err.message}`));
      child.once('close', (code) => resolve(code === 0 || /0 flow entries/.test(stderr) ? undefined : `conntrack ${args.join(' ')}: ${stderr.trim() || `exit ${String(code)}`}`));
    });
    if (result) failures.push(result);
  }
  return failures;
}
