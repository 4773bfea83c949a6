/**
 * podNatTable renders the node's nftables tables for the pod network: masquerade for pod traffic leaving the
 * cluster CIDR, and hostPort DNAT (node address:hostPort → pod IP:containerPort, CNI portmap's job). The text is
 * a whole `nft -f` script that creates each table if missing, flushes it and fills it again, so each change is a
 * single atomic transaction and the tables always match the pods the agent knows.
 *
 * Dual-stack (an IPv6 cluster CIDR given): an `ip6` table of the same name does the same for IPv6 — masquerade of
 * pod traffic leaving the IPv6 cluster range, hostPorts on the node's IPv6 addresses DNATed to the pod's IPv6
 * address, hairpin. A hostPort with a `hostIP` is published in that address's family only; without one (or with
 * 0.0.0.0 / ::) in both, as CNI portmap does. There is no IPv6 counterpart of the 127.0.0.1 case: the kernel
 * never routes ::1 off the node, so a hostPort is not reachable on [::1] (the same with portmap). On a
 * single-stack node the script deletes any `ip6` table of that name.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { PortMapping } from '../cri/runtime-service.js';

/** HostPortPod is a pod with its addresses and port mappings (those without a hostPort are ignored). */
export interface HostPortPod {
  readonly ip: string;
  /** The pod's IPv6 address on a dual-stack node. */
  readonly ip6?: string;
  readonly portMappings: readonly PortMapping[];
}

/** PodNatTableSpec is what the tables are built from. */
export interface PodNatTableSpec {
  /** nftables table name (family ip, and ip6 on a dual-stack node). */
  readonly table: string;
  /** Traffic from here to outside it is masqueraded. */
  readonly clusterCidr: string;
  /** The cluster's IPv6 pod range on a dual-stack node: the same for IPv6. */
  readonly clusterCidrV6?: string;
  readonly pods: readonly HostPortPod[];
}

const PROTOCOLS: Record<PortMapping['protocol'], string> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

type Family = 'ip' | 'ip6';

/** podNatTable returns the `nft -f` script for `spec`. */
export function podNatTable(spec: PodNatTableSpec): string {
  const t = spec.table;
  const v6 = spec.clusterCidrV6 === undefined ? [`table ip6 ${t} {}`, `delete table ip6 ${t}`] : familyTable('ip6', t, spec.clusterCidrV6, spec.pods);
  return [...familyTable('ip', t, spec.clusterCidr, spec.pods), ...v6, ''].join('\n');
}

/** familyTable renders one family's table. */
function familyTable(f: Family, t: string, clusterCidr: string, pods: readonly HostPortPod[]): string[] {
  const dnat: string[] = [];
  const hairpin: string[] = [];
  for (const pod of pods) {
    const ip = f === 'ip' ? pod.ip : pod.ip6;
    if (ip === undefined) continue;
    let published = false;
    for (const pm of pod.portMappings) {
      if (!pm.hostPort) continue;
      const any = !pm.hostIP || pm.hostIP === '0.0.0.0' || pm.hostIP === '::';
      if (!any && !(f === 'ip' ? isIPv4(pm.hostIP ?? '') : isIPv6(pm.hostIP ?? ''))) continue; // the other family's
      const onAddress = any ? '' : `${f} daddr ${pm.hostIP ?? ''} `;
      const to = f === 'ip' ? `${ip}:${pm.containerPort}` : `[${ip}]:${pm.containerPort}`;
      dnat.push(`\t\t${onAddress}${PROTOCOLS[pm.protocol]} dport ${pm.hostPort} dnat to ${to}`);
      published = true;
    }
    // A pod reaching its own hostPort must see the reply come from elsewhere than itself.
    if (published) hairpin.push(`\t\t${f} saddr ${ip} ${f} daddr ${ip} ct status dnat masquerade`);
  }
  return [
    `table ${f} ${t} {}`,
    `flush table ${f} ${t}`,
    `table ${f} ${t} {`,
    '\tchain hostports {',
    ...dnat,
    '\t}',
    '\tchain prerouting {',
    '\t\ttype nat hook prerouting priority -100; policy accept;',
    '\t\tfib daddr type local jump hostports',
    '\t}',
    '\tchain output {',
    '\t\ttype nat hook output priority -100; policy accept;',
    '\t\tfib daddr type local jump hostports',
    '\t}',
    '\tchain postrouting {',
    '\t\ttype nat hook postrouting priority 100; policy accept;',
    ...hairpin,
    // hostPort reached on 127.0.0.1 from the node: the reply must come back to an address the pod can route to.
    ...(f === 'ip' ? ['\t\tip saddr 127.0.0.0/8 ct status dnat masquerade'] : []),
    `\t\t${f} saddr ${clusterCidr} ${f} daddr != ${clusterCidr} masquerade`,
    '\t}',
    '}',
  ];
}
