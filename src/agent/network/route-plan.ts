/**
 * The pure half of the routes between nodes (flannel's host-gw and VXLAN backends): which route each other
 * node's pod CIDR gets, and which `ip`/`bridge` batch lines turn the host's current state into that. No I/O here,
 * so every decision is unit-tested; NodeRouteController reads the state, calls these and runs the lines.
 *
 *  - host-gw: the other node's InternalIP is on a subnet this host has an address in → `<podCIDR> via <nodeIP>`.
 *  - VXLAN otherwise: one VXLAN device per node (VNI 1, UDP 8472, local = node IP) whose address is the first
 *    address of the node's own pod CIDR (/32: the node's VTEP). Per other node: `<podCIDR> via <its VTEP> dev
 *    <device> onlink`, a permanent neighbour entry VTEP → its device MAC (published in the Node annotation
 *    `tkube.io/vtep-mac`), and an FDB entry MAC → its node IP, so the kernel never has to learn or flood.
 *  - Dual-stack (nodes with an IPv6 `podCIDRs` entry): IPv6 pod CIDRs always go over the VXLAN device, whatever
 *    the IPv4 route kind, since Linux cannot route IPv6 via an IPv4 next hop and nodes have IPv4 addresses only.
 *    The device also carries an IPv6 VTEP address (the last address of the node's IPv6 pod CIDR, /128, never a
 *    pod's); per other node: `<its IPv6 podCIDR> via <its IPv6 VTEP> dev <device> onlink`, a permanent IPv6
 *    neighbour entry → its device MAC, and the same FDB entry MAC → its node IP as for IPv4.
 *  - Our routes carry their own protocol number, so stale ones are found and removed without touching anyone
 *    else's; only routes inside the cluster CIDR are ever removed.
 */
import { cidrContains, cidrSize, formatCidr, nthAddress, parseCidr as parseAnyCidr } from '../../base/net/cidr.js';
import { formatIP, parseIP } from '../../base/net/ip-address.js';
import { formatIPv4 } from '../pod-ip-allocator.js';

/** VTEP_MAC_ANNOTATION carries a node's VXLAN device MAC. */
export const VTEP_MAC_ANNOTATION = 'tkube.io/vtep-mac';
/** ROUTE_PROTOCOL tags the routes this controller owns (`ip route ... proto 116`). */
export const ROUTE_PROTOCOL = 116;
/** The VXLAN network identifier and UDP port (flannel's defaults; the Linux kernel's IANA default is 4789). */
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** Bytes a VXLAN packet adds (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
export const VXLAN_OVERHEAD = 50;

/** RouteNode is what planning needs of a Node. */
export interface RouteNode {
  readonly name: string;
  readonly podCidr: string | undefined;
  readonly internalIP: string | undefined;
  readonly vtepMac: string | undefined;
  /** The node's IPv6 pod CIDR (dual-stack), if it has one. */
  readonly podCidrV6?: string;
  /** Simulated nodes have made-up addresses: never route to them. */
  readonly simulated: boolean;
}

/** RoutePlanInput is this node and what it sees. */
export interface RoutePlanInput {
  readonly self: { readonly name: string; readonly nodeIP: string; readonly podCidr: string; readonly podCidrV6?: string };
  /** The subnets of this host's addresses (CIDRs such as 192.0.2.7/24), loopback and pod bridges excluded or not. */
  readonly connected: readonly string[];
  readonly nodes: readonly RouteNode[];
}

/** NodeRoute is the route to one other node's pods. */
export type NodeRoute =
  | { readonly kind: 'host-gw'; readonly node: string; readonly podCidr: string; readonly via: string }
  | { readonly kind: 'vxlan'; readonly node: string; readonly podCidr: string; readonly vtep: string; readonly mac: string; readonly nodeIP: string };

/** NodeRoute6 is the route to one other node's IPv6 pods: always through the VXLAN device. */
export interface NodeRoute6 {
  readonly node: string;
  readonly podCidr: string;
  readonly vtep: string;
  readonly mac: string;
  readonly nodeIP: string;
}

/** RoutePlan is the desired routes, and the nodes left out with why (logged once per change). */
export interface RoutePlan {
  readonly routes: readonly NodeRoute[];
  /** Dual-stack: the IPv6 routes (absent or empty on a single-stack node). */
  readonly routes6?: readonly NodeRoute6[];
  readonly skipped: readonly { readonly node: string; readonly reason: string }[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

/** parseCidr reads `a.b.c.d[/n]` (n ≤ 32, default 32) into its first address and size; throws when malformed. */
function parseCidr(cidr: string): { base: number; size: number } {
  const m = CIDR.exec(cidr);
  const octets = m?.slice(1, 5).map(Number) ?? [];
  const bits = Number(m?.[5] ?? 32);
  if (!m || octets.some((o) => o > 255) || bits > 32) throw new Error(`Cannot parse "${cidr}": want an IPv4 address or CIDR`);
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

/** inCidr tells whether the IPv4 address `ip` is inside `cidr` (false for anything unparsable). */
export function inCidr(ip: string, cidr: string): boolean {
  try {
    const { base, size } = parseCidr(cidr);
    const addr = parseCidr(ip).base;
    return addr >= base && addr < base + size;
  } catch {
    return false;
  }
}

/** cidrsOverlap tells whether two IPv4 CIDRs (or addresses) share an address; false when either is unparsable. */
export function cidrsOverlap(a: string, b: string): boolean {
  try {
    const x = parseCidr(a);
    const y = parseCidr(b);
    return x.base < y.base + y.size && y.base < x.base + x.size;
  } catch {
    return false;
  }
}

/** vtepAddress is a node's VTEP address: the first (network) address of its pod CIDR, as flannel uses. */
export function vtepAddress(podCidr: string): string {
  return formatIPv4(parseCidr(podCidr).base);
}

/** vtepAddress6 is a node's IPv6 VTEP address: the last address of its IPv6 pod CIDR (never handed to a pod). */
export function vtepAddress6(podCidrV6: string): string {
  const c = parseAnyCidr(podCidrV6);
  return formatIP(nthAddress(c, cidrSize(c) - 1n));
}

/** ipv6CidrsOverlap tells whether two IPv6 CIDRs share an address; false when either is not an IPv6 CIDR. */
function ipv6CidrsOverlap(a: string, b: string): boolean {
  try {
    const x = parseAnyCidr(a);
    const y = parseAnyCidr(b);
    if (x.family !== 'IPv6' || y.family !== 'IPv6') return false;
    return x.network < y.network + cidrSize(y) && y.network < x.network + cidrSize(x);
  } catch {
    return false;
  }
}

/** inIPv6Cidr tells whether the IPv6 route destination `dst` (a CIDR) lies inside `cidr`. */
function inIPv6Cidr(dst: string, cidr: string): boolean {
  try {
    const d = parseAnyCidr(dst);
    const c = parseAnyCidr(cidr);
    return d.family === 'IPv6' && c.family === 'IPv6' && d.bits >= c.bits && cidrContains(c, { family: d.family, value: d.network });
  } catch {
    return false;
  }
}

/** planNodeRoutes decides the route to every other node's pod CIDR. */
export function planNodeRoutes(input: RoutePlanInput): RoutePlan {
  const routes: NodeRoute[] = [];
  const routes6: NodeRoute6[] = [];
  const skipped: { node: string; reason: string }[] = [];
  const skip = (node: string, reason: string): void => void skipped.push({ node, reason });
  for (const n of [...input.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    if (n.name === input.self.name || n.simulated) continue;
    if (!n.podCidr) {
      skip(n.name, 'no podCIDR yet');
      continue;
    }
    if (!n.internalIP) {
      skip(n.name, 'no InternalIP');
      continue;
    }
    if (!isIPv4Cidr(n.podCidr)) {
      skip(n.name, `podCIDR ${n.podCidr} is not an IPv4 CIDR`);
      continue;
    }
    if (cidrsOverlap(n.podCidr, input.self.podCidr)) {
      skip(n.name, `podCIDR ${n.podCidr} overlaps this node's ${input.self.podCidr}`);
      continue;
    }
    if (n.internalIP === input.self.nodeIP || inCidr(n.internalIP, '127.0.0.0/8')) {
      // Nodes sharing this host's address (several test nodes on 127.0.0.1) cannot be told apart by routing.
      skip(n.name, `InternalIP ${n.internalIP} is this host's`);
      continue;
    }
    const mac = n.vtepMac?.toLowerCase();
    if (input.self.podCidrV6 && n.podCidrV6 && mac && MAC.test(mac) && !ipv6CidrsOverlap(n.podCidrV6, input.self.podCidrV6)) {
      routes6.push({ node: n.name, podCidr: formatCidr(parseAnyCidr(n.podCidrV6)), vtep: vtepAddress6(n.podCidrV6), mac, nodeIP: n.internalIP });
    }
    if (input.connected.some((c) => inCidr(n.internalIP ?? '', c))) {
      routes.push({ kind: 'host-gw', node: n.name, podCidr: n.podCidr, via: n.internalIP });
      continue;
    }
    if (!mac || !MAC.test(mac)) {
      skip(n.name, `not on a connected subnet and no ${VTEP_MAC_ANNOTATION} annotation yet`);
      continue;
    }
    routes.push({ kind: 'vxlan', node: n.name, podCidr: n.podCidr, vtep: vtepAddress(n.podCidr), mac, nodeIP: n.internalIP });
  }
  return routes6.length > 0 ? { routes, routes6, skipped } : { routes, skipped };
}

function isIPv4Cidr(cidr: string): boolean {
  try {
    parseCidr(cidr);
    return true;
  } catch {
    return false;
  }
}

/** HostRouteState is what the host has now: our routes, and the VXLAN device's neighbours and FDB entries. */
export interface HostRouteState {
  /** Routes with ROUTE_PROTOCOL (`ip -j route show proto 116`). */
  readonly routes: readonly { readonly dst: string; readonly gateway?: string; readonly dev?: string }[];
  /** Whether the VXLAN device exists. */
  readonly vxlanDevice: boolean;
  readonly neighbours: readonly { readonly dst: string; readonly lladdr?: string }[];
  readonly fdb: readonly { readonly mac: string; readonly dst?: string }[];
  /** Dual-stack: our IPv6 routes (`ip -6 -j route show proto 116`) and the device's IPv6 neighbours. */
  readonly routes6?: readonly { readonly dst: string; readonly gateway?: string; readonly dev?: string }[];
  readonly neighbours6?: readonly { readonly dst: string; readonly lladdr?: string }[];
}

/** RouteCommandOptions name the device and this node's part of the overlay. */
export interface RouteCommandOptions {
  readonly device: string;
  /** This node's VTEP MAC (the device is created with it). */
  readonly mac: string;
  readonly nodeIP: string;
  readonly podCidr: string;
  /** Only routes inside it are removed when stale. */
  readonly clusterCidr: string;
  /** Dual-stack: this node's IPv6 pod CIDR (its VTEP address) and the cluster's IPv6 range (stale IPv6 routes inside it go). */
  readonly podCidrV6?: string;
  readonly clusterCidrV6?: string;
  /** MTU of the VXLAN device. */
  readonly mtu: number;
}

/** RouteCommands are the batch lines for `ip -batch` and `bridge -batch` (either may be empty). */
export interface RouteCommands {
  readonly ip: readonly string[];
  readonly bridge: readonly string[];
}

/**
 * routeCommands turns `state` into `plan`: the device is made when a VXLAN route needs it, routes are replaced
 * (idempotent), stale routes, neighbours and FDB entries go. Returns no lines when nothing differs.
 */
export function routeCommands(plan: RoutePlan, state: HostRouteState, o: RouteCommandOptions): RouteCommands {
  const ip: string[] = [];
  const bridge: string[] = [];
  const vxlan = plan.routes.filter((r): r is Extract<NodeRoute, { kind: 'vxlan' }> => r.kind === 'vxlan');
  const routes6 = o.podCidrV6 ? (plan.routes6 ?? []) : [];
  const needDevice = vxlan.length > 0 || routes6.length > 0;
  const haveDevice = state.vxlanDevice || needDevice;
  if (!state.vxlanDevice && needDevice) {
    ip.push(
      `link add ${o.device} address ${o.mac} mtu ${o.mtu} type vxlan id ${VXLAN_VNI} local ${o.nodeIP} dstport ${VXLAN_PORT} nolearning`,
      `addr replace ${vtepAddress(o.podCidr)}/32 dev ${o.device}`,
      `link set ${o.device} up`,
    );
  }
  // The IPv6 VTEP address: replaced on every pass that routes IPv6 (cheap, idempotent; a device made before the
  // cluster had IPv6 peers lacks it).
  if (routes6.length > 0 && o.podCidrV6) ip.push(`addr replace ${vtepAddress6(o.podCidrV6)}/128 dev ${o.device} nodad`);
  const current = new Map(state.routes.map((r) => [r.dst, r]));
  const wanted = new Set<string>();
  for (const r of plan.routes) {
    wanted.add(r.podCidr);
    const have = current.get(r.podCidr);
    if (r.kind === 'host-gw') {
      if (have?.gateway !== r.via || have.dev === o.device) ip.push(`route replace ${r.podCidr} via ${r.via} proto ${ROUTE_PROTOCOL}`);
    } else if (have?.gateway !== r.vtep || have.dev !== o.device) {
      ip.push(`route replace ${r.podCidr} via ${r.vtep} dev ${o.device} onlink proto ${ROUTE_PROTOCOL}`);
    }
  }
  for (const r of state.routes) {
    if (!wanted.has(r.dst) && inClusterCidr(r.dst, o.clusterCidr)) ip.push(`route del ${r.dst} proto ${ROUTE_PROTOCOL}`);
  }
  const current6 = new Map((state.routes6 ?? []).map((r) => [r.dst, r]));
  const wanted6 = new Set<string>();
  for (const r of routes6) {
    wanted6.add(r.podCidr);
    const have = current6.get(r.podCidr);
    if (have?.gateway !== r.vtep || have.dev !== o.device) ip.push(`route replace ${r.podCidr} via ${r.vtep} dev ${o.device} onlink proto ${ROUTE_PROTOCOL}`);
  }
  for (const r of state.routes6 ?? []) {
    if (!wanted6.has(r.dst) && o.clusterCidrV6 && inIPv6Cidr(r.dst, o.clusterCidrV6)) ip.push(`route del ${r.dst} proto ${ROUTE_PROTOCOL}`);
  }
  if (haveDevice) {
    const neighbours = new Map(state.neighbours.map((n) => [n.dst, n.lladdr?.toLowerCase()]));
    const neighbours6 = new Map((state.neighbours6 ?? []).map((n) => [n.dst, n.lladdr?.toLowerCase()]));
    const fdb = new Map(state.fdb.filter((f) => f.dst !== undefined && f.mac !== '00:00:00:00:00:00').map((f) => [f.mac.toLowerCase(), f.dst]));
    const fdbWanted = new Map<string, string>();
    for (const r of vxlan) {
      if (neighbours.get(r.vtep) !== r.mac) ip.push(`neigh replace ${r.vtep} lladdr ${r.mac} dev ${o.device} nud permanent`);
      fdbWanted.set(r.mac, r.nodeIP);
    }
    for (const r of routes6) {
      if (neighbours6.get(r.vtep) !== r.mac) ip.push(`neigh replace ${r.vtep} lladdr ${r.mac} dev ${o.device} nud permanent`);
      fdbWanted.set(r.mac, r.nodeIP);
    }
    for (const [mac, dst] of fdbWanted) if (fdb.get(mac) !== dst) bridge.push(`fdb replace ${mac} dev ${o.device} dst ${dst} self permanent`);
    const vteps = new Set(vxlan.map((r) => r.vtep));
    const vteps6 = new Set(routes6.map((r) => r.vtep));
    for (const dst of neighbours.keys()) if (!vteps.has(dst)) ip.push(`neigh del ${dst} dev ${o.device}`);
    // Only stale peer VTEPs (inside the cluster's IPv6 range) go; link-local neighbours are the kernel's.
    for (const [dst, lladdr] of neighbours6) if (!vteps6.has(dst) && lladdr !== undefined && isOurVtep6(dst, o.clusterCidrV6)) ip.push(`neigh del ${dst} dev ${o.device}`);
    for (const mac of fdb.keys()) if (!fdbWanted.has(mac)) bridge.push(`fdb del ${mac} dev ${o.device} self`);
  }
  return { ip, bridge };
}

/** isOurVtep6: an IPv6 neighbour inside the cluster's IPv6 range (a peer's VTEP), not a link-local one. */
function isOurVtep6(dst: string, clusterCidrV6: string | undefined): boolean {
  const a = parseIP(dst);
  if (!a || !clusterCidrV6) return false;
  try {
    return cidrContains(parseAnyCidr(clusterCidrV6), a);
  } catch {
    return false;
  }
}

function inClusterCidr(dst: string, clusterCidr: string): boolean {
  const [addr] = dst.split('/');
  return addr !== undefined && isIPv4Cidr(dst) && inCidr(addr, clusterCidr);
}

/** vtepMac is this node's VTEP MAC: locally administered, unicast, derived from the node name (stable across restarts). */
export function vtepMac(digest: Uint8Array): string {
  const b = [...digest.slice(0, 6)];
  b[0] = ((b[0] ?? 0) & 0xfc) | 0x02;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
