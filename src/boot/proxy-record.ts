/**
 * The service proxy's record in the agent dir (`<data-dir>/agent/proxy/proxy.json`): what the node's proxy made on
 * the host, so that `tkube down/delete` can remove it after the node process is gone.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * ProxyRecord names the proxy's host state: the nftables table (family ip, and its ip6 namesake on a dual-stack
 * node), or the node name the prefix of the iptables chains (and of a dual-stack node's ip6tables chains) is derived
 * from. The userspace mode leaves nothing on the host, so it writes no record.
 */
export type ProxyRecord =
  | { readonly mode: 'nftables'; readonly table: string }
  /** `routeLocalnetSet`: the proxy turned net.ipv4.conf.all.route_localnet on, so the clean-up turns it off. */
  | { readonly mode: 'iptables'; readonly nodeName: string; readonly routeLocalnetSet?: boolean };

/** writeProxyRecord saves the record under `dir` (atomically). */
export function writeProxyRecord(dir: string, record: ProxyRecord): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'proxy.json');
  writeFileSync(`${path}.tmp`, JSON.stringify(record));
  renameSync(`${path}.tmp`, path);
}

/** readProxyRecord reads the record under `dir`, if there is a valid one. */
export function readProxyRecord(dir: string): ProxyRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, 'proxy.json'), 'utf8')) as { mode?: unknown; table?: unknown; nodeName?: unknown; routeLocalnetSet?: unknown };
    if (r.mode === 'nftables' && typeof r.table === 'string') return { mode: 'nftables', table: r.table };
    if (r.mode === 'iptables' && typeof r.nodeName === 'string') return { mode: 'iptables', nodeName: r.nodeName, ...(r.routeLocalnetSet === true ? { routeLocalnetSet: true } : {}) };
    return undefined;
  } catch {
    return undefined;
  }
}
