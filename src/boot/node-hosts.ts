/**
 * Node hosts: several nodes on one machine, each in a network namespace of its own standing in for a host, with its
 * own address, all joined to one bridge in the root namespace (`tkube dev cluster`, multi-node tests).
 *
 *  - The bridge carries the first address of every hosts subnet: the gateway of the hosts in that subnet, and the
 *    address the server listens on so agents can reach it.
 *  - Host i gets a netns, a veth whose root end joins the bridge and whose other end is `eth0` inside, an address in
 *    `subnets[i % subnets.length]`, lo up and a default route via its subnet's gateway.
 *  - One subnet: all hosts share a link, so the pod network routes host-gw. Several subnets: hosts reach each other
 *    only through the root namespace's routing (which must forward), so the pod network uses VXLAN.
 *  - An agent runs in a host with `nsenter --net=/run/netns/<host>` (nodeHostEnter): only the network namespace
 *    changes, so it keeps the machine's /sys/fs/cgroup and /run/netns (its pods' namespaces stay visible to clean-up
 *    and to a restarted agent). `ip netns exec` would remount /sys and hide the cgroup hierarchies runc needs.
 *
 * planNodeHosts is pure (names and addresses); createNodeHosts/destroyNodeHosts do the work and are idempotent.
 */
import { createHash } from 'node:crypto';
import { formatIPv4 } from '../agent/pod-ip-allocator.js';
import { ipBatch, ipJson, linkExists, runWithInput } from '../agent/network/ip-command.js';
import { cidrsOverlap } from '../agent/network/route-plan.js';

/** NodeHostsSpec describes the hosts to make. */
export interface NodeHostsSpec {
  /** Names the bridge, namespaces and veths: letters, digits and "-", at most 40. */
  readonly name: string;
  /** Hosts subnets (CIDR, /16 to /29); host i takes an address in `subnets[i % subnets.length]`. */
  readonly subnets: readonly string[];
  readonly count: number;
  /** @default 1500 */
  readonly mtu?: number;
}

/** NodeHost is one host: its namespace, address and link. */
export interface NodeHost {
  readonly index: number;
  /** The network namespace, under /run/netns. */
  readonly netns: string;
  readonly address: string;
  readonly prefix: number;
  readonly gateway: string;
  /** The veth's end in the root namespace (on the bridge). */
  readonly veth: string;
}

/** NodeHostsPlan is everything createNodeHosts makes; keep it (JSON) to destroy them later. */
export interface NodeHostsPlan {
  readonly bridge: string;
  readonly mtu: number;
  /** Gateway addresses with prefix, e.g. 10.199.0.1/24. */
  readonly gateways: readonly string[];
  readonly hosts: readonly NodeHost[];
}

const NAME = /^[A-Za-z0-9-]{1,40}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** nodeHostEnter is the command prefix that runs a program inside a host's network namespace. */
export function nodeHostEnter(host: NodeHost): string[] {
  return ['nsenter', `--net=/run/netns/${host.netns}`, '--'];
}

function parseSubnet(cidr: string): { base: number; prefix: number } {
  const m = CIDR.exec(cidr);
  const octets = m?.slice(1, 5).map(Number) ?? [];
  const prefix = Number(m?.[5]);
  if (!m || octets.some((o) => o > 255) || prefix < 16 || prefix > 29) throw new Error(`Cannot use "${cidr}" as a hosts subnet: want an IPv4 CIDR from /16 to /29, e.g. 10.199.0.0/24`);
  const size = 2 ** (32 - prefix);
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base: ip - (ip % size), prefix };
}

/** planNodeHosts names the bridge, namespaces and veths and hands out addresses (throws on a bad spec). */
export function planNodeHosts(spec: NodeHostsSpec): NodeHostsPlan {
  if (!NAME.test(spec.name)) throw new Error(`Cannot use "${spec.name}" as a cluster name: want up to 40 letters, digits or "-"`);
  if (spec.subnets.length === 0) throw new Error('Cannot make node hosts: give at least one hosts subnet');
  if (!Number.isInteger(spec.count) || spec.count < 1 || spec.count > 64) throw new Error(`Cannot make ${spec.count} node hosts: want 1 to 64`);
  const subnets = spec.subnets.map(parseSubnet);
  // Interface names have 15 characters: a hash of the name keeps clusters apart.
  const tag = createHash('sha256').update(spec.name).digest('hex').slice(0, 8);
  const hosts: NodeHost[] = [];
  const used = new Map<number, number>();
  for (let i = 0; i < spec.count; i++) {
    const k = i % subnets.length;
    const s = subnets[k] ?? { base: 0, prefix: 24 };
    const j = used.get(k) ?? 0;
    used.set(k, j + 1);
    const n = j + 2; // .1 is the gateway
    if (n >= 2 ** (32 - s.prefix) - 1) throw new Error(`Cannot fit ${spec.count} node hosts into ${spec.subnets[k] ?? ''}`);
    hosts.push({ index: i, netns: `tkube-${spec.name}-h${i}`, address: formatIPv4(s.base + n), prefix: s.prefix, gateway: formatIPv4(s.base + 1), veth: `tkh${tag}h${i}` });
  }
  return { bridge: `tkh${tag}`, mtu: spec.mtu ?? 1500, gateways: subnets.map((s) => `${formatIPv4(s.base + 1)}/${s.prefix}`), hosts };
}

/** createNodeHosts makes the bridge and the hosts (what exists already is kept). */
export async function createNodeHosts(plan: NodeHostsPlan): Promise<void> {
  // A subnet this machine already routes elsewhere (another cluster's hosts, a real network) would be shadowed.
  const routes = await ipJson<{ dst?: string; dev?: string }>('ip', ['-4', 'route', 'show']);
  for (const gw of plan.gateways) {
    const clash = routes.find((r) => r.dev !== plan.bridge && r.dst !== undefined && r.dst !== 'default' && cidrsOverlap(r.dst, gw));
    if (clash) throw new Error(`Cannot use hosts subnet ${gw}: this machine already routes ${clash.dst ?? ''} via ${clash.dev ?? '?'} (pick another)`);
  }
  const root: string[] = [];
  if (!linkExists(plan.bridge)) root.push(`link add ${plan.bridge} mtu ${plan.mtu} type bridge`);
  for (const gw of plan.gateways) root.push(`addr replace ${gw} dev ${plan.bridge}`);
  root.push(`link set ${plan.bridge} up`);
  await ipBatch(undefined, root);
  // Hosts on different subnets talk through this namespace's routing.
  if (plan.gateways.length > 1) await runWithInput('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  const existing = new Set((await runWithInput('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]));
  for (const h of plan.hosts) {
    if (!existing.has(h.netns)) await ipBatch(undefined, [`netns add ${h.netns}`]);
    if (!linkExists(h.veth)) await ipBatch(undefined, [`link add ${h.veth} mtu ${plan.mtu} master ${plan.bridge} up type veth peer name eth0 mtu ${plan.mtu} netns ${h.netns}`]);
    await ipBatch(h.netns, ['link set lo up', `addr replace ${h.address}/${h.prefix} dev eth0`, 'link set eth0 up', `route replace default via ${h.gateway} dev eth0`]);
  }
}

/** PodCidrRoute is one node's pod CIDR and the host address that routes it. */
export interface PodCidrRoute {
  readonly cidr: string;
  readonly via: string;
}

/**
 * routePodCidrs routes nodes' pod CIDRs from the root namespace via their hosts, so programs on the machine itself
 * (the dev cluster's server: metrics scrapes, kubectl proxy to pods) reach pods as a control-plane host on the node
 * network does. A destination this machine already routes through another link (a `./tkube up` cluster's bridge)
 * is left alone and returned, for the caller to report. The routes go away with the bridge (destroyNodeHosts).
 */
export async function routePodCidrs(plan: NodeHostsPlan, routes: readonly PodCidrRoute[]): Promise<PodCidrRoute[]> {
  const existing = await ipJson<{ dst?: string; dev?: string }>('ip', ['-4', 'route', 'show']);
  const skipped: PodCidrRoute[] = [];
  const cmds: string[] = [];
  for (const r of routes) {
    if (!CIDR.test(r.cidr)) {
      skipped.push(r);
      continue;
    }
    const clash = existing.find((e) => e.dev !== plan.bridge && e.dst !== undefined && e.dst !== 'default' && cidrsOverlap(e.dst, r.cidr));
    if (clash) skipped.push(r);
    else cmds.push(`route replace ${r.cidr} via ${r.via} dev ${plan.bridge}`);
  }
  if (cmds.length > 0) await ipBatch(undefined, cmds);
  return skipped;
}

/** destroyNodeHosts deletes the hosts' namespaces (their veths go with them) and the bridge; missing parts are fine. */
export async function destroyNodeHosts(plan: NodeHostsPlan): Promise<void> {
  for (const h of plan.hosts) {
    await ipBatch(undefined, [`netns delete ${h.netns}`]).catch(() => undefined);
    if (linkExists(h.veth)) await ipBatch(undefined, [`link del ${h.veth}`]).catch(() => undefined);
  }
  if (linkExists(plan.bridge)) await ipBatch(undefined, [`link del ${plan.bridge}`]).catch(() => undefined);
}
