/**
 * podNatTable renders the node's one nftables table for the pod network: masquerade for pod traffic leaving the
 * cluster CIDR, and hostPort DNAT (node address:hostPort → pod IP:containerPort, CNI portmap's job). The text is
 * a whole `nft -f` script that creates the table if missing, flushes it and fills it again, so each change is a
 * single atomic transaction and the table always matches the pods the agent knows.
 */
import type { PortMapping } from '../cri/runtime-service.js';

/** HostPortPod is a pod with its address and port mappings (those without a hostPort are ignored). */
export interface HostPortPod {
  readonly ip: string;
  readonly portMappings: readonly PortMapping[];
}

/** PodNatTableSpec is what the table is built from. */
export interface PodNatTableSpec {
  /** nftables table name (family ip). */
  readonly table: string;
  /** Traffic from here to outside it is masqueraded. */
  readonly clusterCidr: string;
  readonly pods: readonly HostPortPod[];
}

const PROTOCOLS: Record<PortMapping['protocol'], string> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

/** podNatTable returns the `nft -f` script for `spec`. */
export function podNatTable(spec: PodNatTableSpec): string {
  const t = spec.table;
  const dnat: string[] = [];
  const hairpin: string[] = [];
  for (const pod of spec.pods) {
    let published = false;
    for (const pm of pod.portMappings) {
      if (!pm.hostPort) continue;
      const onAddress = pm.hostIP && pm.hostIP !== '0.0.0.0' ? `ip daddr ${pm.hostIP} ` : '';
      dnat.push(`\t\t${onAddress}${PROTOCOLS[pm.protocol]} dport ${pm.hostPort} dnat to ${pod.ip}:${pm.containerPort}`);
      published = true;
    }
    // A pod reaching its own hostPort must see the reply come from elsewhere than itself.
    if (published) hairpin.push(`\t\tip saddr ${pod.ip} ip daddr ${pod.ip} ct status dnat masquerade`);
  }
  return [
    `table ip ${t} {}`,
    `flush table ip ${t}`,
    `table ip ${t} {`,
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
    '\t\tip saddr 127.0.0.0/8 ct status dnat masquerade',
    `\t\tip saddr ${spec.clusterCidr} ip daddr != ${spec.clusterCidr} masquerade`,
    '\t}',
    '}',
    '',
  ].join('\n');
}
