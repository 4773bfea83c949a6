/**
 * The pod's /etc/hosts as upstream's kubelet writes it (`etc-hosts` in the pod's directory, bind-mounted into every
 * container): localhost and the IPv6 names, the pod's own IPs with `<hostname>.<subdomain>.<ns>.svc.<domain>` and
 * the short name, then the pod's hostAliases. A hostNetwork pod gets the node's own hosts file plus its aliases.
 */
import type { PodView } from '../pod-spec.js';

const HEADER = '# Kubernetes-managed hosts file.\n';
const HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

function aliases(pod: PodView): string {
  const list = pod.spec?.hostAliases ?? [];
  if (list.length === 0) return '';
  return `\n# Entries added by HostAliases.\n${list.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}`;
}

/** hostsFile renders the file; `nodeHosts` is the node's /etc/hosts (for hostNetwork pods). */
export function hostsFile(pod: PodView, podIPs: readonly string[], name: { hostname: string; domain?: string }, nodeHosts: string): string {
  if (pod.spec?.hostNetwork) return `${HEADER_HOST_NETWORK}${nodeHosts}${nodeHosts.endsWith('\n') || nodeHosts === '' ? '' : '\n'}${aliases(pod)}`;
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  for (const ip of podIPs) lines.push(name.domain ? `${ip}\t${name.hostname}.${name.domain}\t${name.hostname}` : `${ip}\t${name.hostname}`);
  return `${HEADER}${lines.join('\n')}\n${aliases(pod)}`;
}
