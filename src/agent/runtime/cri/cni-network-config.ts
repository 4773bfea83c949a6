/**
 * The CNI network a containerd node gives its pods: the node's pod network in CNI plugins' terms (Debian's
 * containernetworking-plugins 1.1), so that containerd pods sit where runc pods sit.
 *
 *  - `bridge` plugin on the bridge the runc backend uses (`tkube0` or `--pod-bridge-name`), `isGateway`: the bridge
 *    carries the first address of each range, as BridgeNetwork's gateway does. No `ipMasq` (the node's own nftables
 *    table masquerades, as for runc pods: no iptables rules left behind), hairpin on (a pod reaching itself through a
 *    Service).
 *  - `host-local` IPAM with one range per pod CIDR of the Node (IPv4 first, IPv6 second on a dual-stack node) and a
 *    default route per family via the bridge (cluster IPs are reached through the node's service proxy, and other
 *    nodes' pods through the node's routes).
 *  - `loopback`.
 *
 * Two renderings of the same network:
 *  - `cniConfTemplate`: a Go text/template for containerd's CRI `cni.conf_template`. containerd renders it into
 *    `<conf_dir>/10-containerd-net.conflist` when the kubelet calls CRI `UpdateRuntimeConfig` with the Node's pod
 *    CIDRs and no network config is loaded yet (upstream's kubelet → containerd path). The fields it fills are
 *    `.PodCIDRRanges` (the CIDRs, in the order given) and `.Routes` (`0.0.0.0/0` and/or `::/0`), both in containerd
 *    1.6.
 *  - `cniConfList`: the conflist for known CIDRs, for a containerd without a kubelet (tests, benchmarks).
 * Both come from one object, so they cannot drift apart.
 */

/** CNI_CONFIG_FILE is the file containerd renders the template into (its fixed name). */
export const CNI_CONFIG_FILE = '10-containerd-net.conflist';

/** CniNetworkSpec is what the network is made of, apart from its ranges. */
export interface CniNetworkSpec {
  /** The CNI network name; host-local keeps its leases under `<ipamDataDir>/<name>`, so keep it stable. */
  readonly name: string;
  /** The Linux bridge (≤ 15 characters). */
  readonly bridge: string;
  /** host-local's state directory. */
  readonly ipamDataDir: string;
}

// Placeholders swapped for the ranges and routes after JSON.stringify: JSON cannot hold a Go template loop.
const RANGES = '@@RANGES@@';
const ROUTES = '@@ROUTES@@';

function skeleton(spec: CniNetworkSpec): string {
  const network = {
    cniVersion: '1.0.0',
    name: spec.name,
    plugins: [
      {
        type: 'bridge',
        bridge: spec.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: RANGES, routes: ROUTES, dataDir: spec.ipamDataDir },
      },
      { type: 'loopback' },
    ],
  };
  return JSON.stringify(network, null, 2) + '\n';
}

/** cniConfTemplate is the conf_template text (see the file comment). */
export function cniConfTemplate(spec: CniNetworkSpec): string {
  // `{{if $i}}` is false for the first element: commas go between elements only. text/template does no escaping.
  return skeleton(spec)
    .replace(`"${RANGES}"`, '[{{range $i, $r := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$r}}"}]{{end}}]')
    .replace(`"${ROUTES}"`, '[{{range $i, $r := .Routes}}{{if $i}}, {{end}}{"dst": "{{$r}}"}{{end}}]');
}

/** cniConfList is the network for `podCidrs` (one per family, primary first), as containerd would render it. */
export function cniConfList(spec: CniNetworkSpec, podCidrs: readonly string[]): string {
  if (podCidrs.length === 0) throw new Error('Cannot write the CNI network: no pod CIDR');
  const ranges = podCidrs.map((subnet) => [{ subnet }]);
  // containerd's order: the IPv4 default route first when there is an IPv4 range, then the IPv6 one.
  const routes = [...(podCidrs.some((c) => !c.includes(':')) ? ['0.0.0.0/0'] : []), ...(podCidrs.some((c) => c.includes(':')) ? ['::/0'] : [])].map((dst) => ({ dst }));
  return skeleton(spec).replace(`"${RANGES}"`, JSON.stringify(ranges)).replace(`"${ROUTES}"`, JSON.stringify(routes));
}
