/**
 * The nftables proxy table as data, and its text: `buildNftablesTable(snapshot)` is a pure function from a
 * ProxySnapshot to a NftablesTable (chains, verdict-map elements, affinity sets); `renderTable` writes it as one
 * `nft -f` script that replaces the table whole, and `renderTableDiff` as one that turns a previous table into the
 * next by touching only what changed (a single endpoint change rewrites one or two chains). Both scripts are one
 * nft transaction: a packet sees the old rules or the new ones.
 *
 * Layout (upstream kube-proxy's nftables mode, in our own words):
 *  - nat: `nat-prerouting` and `nat-output` (dstnat) jump to `services`, which looks up
 *    `ip daddr . meta l4proto . th dport` in the `service-ips` verdict map (cluster IPs, external IPs, load-balancer
 *    IPs) and, for local destinations (`fib daddr type local`, 127.0.0.1 included), `meta l4proto . th dport` in
 *    `service-nodeports`.
 *  - Per Service port: `svc-…` picks an endpoint with `numgen random mod N vmap` (after ClientIP affinity sets
 *    have had their say); `ext-…` is the entry for external traffic (masquerade unless externalTrafficPolicy is
 *    Local); `sve-…` holds the external endpoints when they differ from the cluster ones (traffic policies).
 *  - The DNAT itself is `numgen random mod N offset <base>` looked up in the table's one `endpoints` map (see
 *    endpointBase), so moving an endpoint changes map elements only; only Services with ClientIP affinity get an
 *    endpoint chain `sep-…` each, which refreshes the affinity set and DNATs.
 *  - Masquerade is a mark (0x4000) set in nat chains and acted on in `nat-postrouting`; hairpin traffic (an
 *    endpoint reaching itself through its Service) is masqueraded there through the `hairpin-endpoints` set.
 *  - filter: new connections to a Service with no usable endpoints are rejected (TCP reset / ICMP port
 *    unreachable) from `no-endpoint-services` / `no-endpoint-nodeports`; external traffic to a Service that has
 *    endpoints but no local ones under externalTrafficPolicy Local is dropped.
 *  - Families: a table holds one family's addresses (`ip`, or `ip6` for a dual-stack node's IPv6 snapshot, in a
 *    second table of the same name): the same layout with `ip6` matches, `ipv6_addr` keys and `[addr]:port` DNAT.
 *  - firewall: `loadBalancerSourceRanges` — new connections to a load-balancer IP and port listed in `firewall-ips`
 *    go to that Service's `fw-…` chain, which drops clients outside the ranges. It runs in prerouting and output
 *    before DNAT (priority -110), so it sees the load-balancer address, as upstream's `firewall-check`.
 */
import { createHash } from 'node:crypto';
import { clusterEndpoints, externalEndpoints, type ProxyEndpoint, type ProxyServicePort, type ProxySnapshot } from '../proxy-state.js';

/** The meta mark bit that asks `nat-postrouting` to masquerade (upstream's 0x4000). */
export const MASQUERADE_MARK = 0x4000;

/** The table's maps and their declarations (ADDR: the family's address type, FAMILY: `ip` or `ip6`). */
const MAPS = {
  'service-ips': 'type ADDR . inet_proto . inet_service : verdict',
  'service-nodeports': 'type inet_proto . inet_service : verdict',
  'no-endpoint-services': 'type ADDR . inet_proto . inet_service : verdict',
  'no-endpoint-nodeports': 'type inet_proto . inet_service : verdict',
  'firewall-ips': 'type ADDR . inet_proto . inet_service : verdict',
  // Every Service's endpoints, keyed by `numgen random mod N offset <base>`: see endpointBase.
  endpoints: 'typeof numgen random mod 1 : FAMILY daddr . tcp dport',
} as const;

/**
 * Endpoint lists live in the one `endpoints` map rather than in an anonymous map per Service: nft loads every set
 * of the table (anonymous ones included) before any change, so 1,000 anonymous maps cost every sync, and an
 * endpoint that moves is then two element changes instead of a rewritten chain. Each Service port gets a slot
 * (0–65535, from a hash of its name, the next free one on a collision); its cluster endpoints are keys
 * `slot·65536 + i` and its external ones (when they differ) `slot·65536 + 32768 + i`.
 */
const SLOTS = 65_536;
const LIST_SIZE = 32_768;

function endpointBase(slot: number, external: boolean): number {
  return slot * SLOTS + (external ? LIST_SIZE : 0);
}

/** wantedSlot: FNV-1a of the Service port's id, cut to a slot (cached by object like the fragments). */
const wantedSlots = new WeakMap<ProxyServicePort, number>();
function wantedSlot(sp: ProxyServicePort): number {
  let w = wantedSlots.get(sp);
  if (w === undefined) {
    let h = 0x811c9dc5;
    for (const c of servicePortId(sp)) h = Math.imul(h ^ (c.codePointAt(0) ?? 0), 0x01000193);
    w = (h >>> 0) % SLOTS;
    wantedSlots.set(sp, w);
  }
  return w;
}

/** NftFamily is the nftables family of a table: `ip` (IPv4) or `ip6`. */
export type NftFamily = 'ip' | 'ip6';

/** nftFamilyOf is the table family of a snapshot. */
export function nftFamilyOf(snapshot: ProxySnapshot): NftFamily {
  return snapshot.family === 'IPv6' ? 'ip6' : 'ip';
}

/** addrType is nft's address type of a family (map keys and sets). */
function addrType(family: NftFamily): string {
  return family === 'ip' ? 'ipv4_addr' : 'ipv6_addr';
}

/** hostPort writes an address and port as a DNAT target: `10.0.0.1:80`, `[fd00::1]:80`. */
function hostPort(family: NftFamily, ip: string, port: number): string {
  return family === 'ip' ? `${ip}:${port}` : `[${ip}]:${port}`;
}

/** MapName is one of the table's maps. */
export type MapName = keyof typeof MAPS;

/**
 * NftablesTable is the whole table as data: the Service ports' fragments in snapshot order, and (computed on first
 * use, for whole writes and tests) everything merged and keyed by name. A diff needs only the fragments: see
 * TableState.
 */
export class NftablesTable {
  readonly name: string;
  /** The table's family: its matches, address types and the `nft` table it replaces. */
  readonly family: NftFamily;
  /** Everything that is the same for any snapshot (base chains, helper chains). */
  readonly staticText: string;
  /** What each Service port adds, in snapshot order (unchanged Service ports keep their Fragment object). */
  readonly fragments: readonly Fragment[];
  #merged: Merged | undefined;

  constructor(name: string, family: NftFamily, fragments: readonly Fragment[]) {
    this.name = name;
    this.family = family;
    this.staticText = staticChains(family);
    this.fragments = fragments;
  }

  /** Per-Service and per-endpoint chains: name → rules (one per line, no indentation). */
  get chains(): ReadonlyMap<string, string> {
    return this.#merge().chains;
  }
  /** Map elements: map → key → value (a verdict, or an endpoint `addr . port`). */
  get maps(): ReadonlyMap<MapName, ReadonlyMap<string, string>> {
    return this.#merge().maps;
  }
  /** ClientIP affinity sets: name → timeout in seconds. */
  get sets(): ReadonlyMap<string, number> {
    return this.#merge().sets;
  }
  /** Elements of the `hairpin-endpoints` set (`ip . ip` per endpoint): an endpoint reaching itself is masqueraded. */
  get hairpin(): ReadonlySet<string> {
    return this.#merge().hairpin;
  }

  #merge(): Merged {
    if (this.#merged) return this.#merged;
    const m: Merged = { chains: new Map(), sets: new Map(), hairpin: new Set(), maps: new Map(Object.keys(MAPS).map((k) => [k as MapName, new Map<string, string>()])) };
    for (const f of this.fragments) {
      for (const [k, v] of f.chains) m.chains.set(k, v);
      for (const [k, v] of f.sets) m.sets.set(k, v);
      for (const e of f.hairpin) m.hairpin.add(e);
      for (const [map, key, value] of f.elements) {
        const elements = m.maps.get(map);
        // Two Services claiming the same address and port: the first wins, as a map cannot hold both.
        if (elements && !elements.has(key)) elements.set(key, value);
      }
    }
    this.#merged = m;
    return m;
  }
}

interface Merged {
  readonly chains: Map<string, string>;
  readonly maps: Map<MapName, Map<string, string>>;
  readonly sets: Map<string, number>;
  readonly hairpin: Set<string>;
}

const PROTO = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const;

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 8).replace(/[-_]/g, 'x');
}

/**
 * chainSuffix: a hash (unique) plus the readable key (for people reading `nft list`), within nft's identifier
 * alphabet and well inside its 256-byte name limit.
 */
function chainSuffix(key: string): string {
  return `${shortHash(key)}-${key.replace(/[^A-Za-z0-9/_.-]/g, '_').slice(0, 180)}`;
}

function servicePortId(sp: ProxyServicePort): string {
  return `${sp.namespace}/${sp.name}/${PROTO[sp.protocol]}/${sp.portName || String(sp.port)}`;
}

/** Fragment is what one Service port adds to the table (opaque outside this file). */
export interface Fragment {
  readonly cidr: string;
  readonly family: NftFamily;
  /** The `endpoints` slot it was rendered with (undefined: no slot free, anonymous maps inline). */
  readonly slot: number | undefined;
  readonly chains: Map<string, string>;
  readonly sets: Map<string, number>;
  readonly hairpin: Set<string>;
  readonly elements: [MapName, string, string][];
}

/**
 * Fragments by ServicePort object: the ServiceProxy's snapshot builder hands the same object back for a Service
 * that did not change, so a sync after one endpoint change re-renders one Service, not a thousand.
 */
const fragments = new WeakMap<ProxyServicePort, Fragment>();

/** buildNftablesTable turns a snapshot into the table `name` (pure; stable for equal snapshots). */
export function buildNftablesTable(name: string, snapshot: ProxySnapshot): NftablesTable {
  const cidr = snapshot.clusterCidr;
  const family = nftFamilyOf(snapshot);
  const out: Fragment[] = [];
  const usedSlots = new Set<number>();
  for (const sp of snapshot.servicePorts) {
    if (sp.clusterIPs.length === 0) continue;
    let slot: number | undefined;
    if (usedSlots.size < SLOTS) {
      slot = wantedSlot(sp);
      while (usedSlots.has(slot)) slot = (slot + 1) % SLOTS;
      usedSlots.add(slot);
    }
    let f = fragments.get(sp);
    if (f?.cidr !== cidr || f.slot !== slot || f.family !== family) {
      f = fragmentOf(sp, cidr, family, slot);
      fragments.set(sp, f);
    }
    out.push(f);
  }
  return new NftablesTable(name, family, out);
}

/** fragmentOf renders one Service port. */
function fragmentOf(sp: ProxyServicePort, cidr: string, family: NftFamily, slot: number | undefined): Fragment {
  const fragment: Fragment = { cidr, family, slot, chains: new Map(), sets: new Map(), hairpin: new Set(), elements: [] };
  const { chains, sets, hairpin } = fragment;
  const element = (map: MapName, key: string, verdict: string): void => void fragment.elements.push([map, key, verdict]);
  const id = servicePortId(sp);
  const suffix = chainSuffix(id);
  const proto = PROTO[sp.protocol];
  const cluster = clusterEndpoints(sp);
  const external = externalEndpoints(sp);
  const epChain = (ep: ProxyEndpoint): string => `sep-${chainSuffix(`${id}__${ep.ip}/${ep.port}`)}`;
  const affinitySet = (ep: ProxyEndpoint): string => `aff-${shortHash(`${id}__${ep.ip}/${ep.port}`)}`;
  for (const ep of [...cluster, ...external]) hairpin.add(`${ep.ip} . ${ep.ip}`);
  const affinity = sp.sessionAffinitySeconds;
  // Endpoint chains only where ClientIP affinity needs a place to remember the choice; otherwise the DNAT map
  // sits in the Service's own chain (an endpoint chain each would be 10× the chains, and nft's time grows with them).
  if (affinity !== undefined) {
    for (const ep of [...cluster, ...external]) {
      sets.set(affinitySet(ep), affinity);
      chains.set(epChain(ep), `update @${affinitySet(ep)} { ${family} saddr }\nmeta l4proto ${proto} dnat to ${hostPort(family, ep.ip, ep.port)}`);
    }
  }
  const pick = (eps: readonly ProxyEndpoint[], list: 'cluster' | 'external'): string[] => {
    if (affinity !== undefined) {
      const rules = eps.map((ep) => `${family} saddr @${affinitySet(ep)} goto ${epChain(ep)}`);
      if (eps.length === 1) rules.push(`goto ${epChain(eps[0] as ProxyEndpoint)}`);
      else rules.push(`numgen random mod ${eps.length} vmap { ${eps.map((ep, i) => `${i} : goto ${epChain(ep)}`).join(', ')} }`);
      return rules;
    }
    if (eps.length === 1) return [`meta l4proto ${proto} dnat to ${hostPort(family, eps[0]?.ip ?? '', eps[0]?.port ?? 0)}`];
    if (slot !== undefined && eps.length <= LIST_SIZE) {
      const base = endpointBase(slot, list === 'external');
      eps.forEach((ep, i) => element('endpoints', String(base + i), `${ep.ip} . ${ep.port}`));
      return [`meta l4proto ${proto} dnat ${family} addr . port to numgen random mod ${eps.length} offset ${base} map @endpoints`];
    }
    return [`meta l4proto ${proto} dnat ${family} addr . port to numgen random mod ${eps.length} map { ${eps.map((ep, i) => `${i} : ${ep.ip} . ${ep.port}`).join(', ')} }`];
  };
  const svcChain = `svc-${suffix}`;
  const ips = sp.clusterIPs.length === 1 ? (sp.clusterIPs[0] as string) : `{ ${sp.clusterIPs.join(', ')} }`;
  if (cluster.length > 0) {
    // Traffic from outside the pod network (the node itself, other hosts) is masqueraded so replies come back here.
    chains.set(svcChain, [`${family} daddr ${ips} ${family} saddr != ${cidr} jump mark-for-masquerade`, ...pick(cluster, 'cluster')].join('\n'));
    for (const ip of sp.clusterIPs) element('service-ips', `${ip} . ${proto} . ${sp.port}`, `goto ${svcChain}`);
  } else {
    for (const ip of sp.clusterIPs) element('no-endpoint-services', `${ip} . ${proto} . ${sp.port}`, 'goto reject-chain');
  }
  const externalAddrs = [...sp.externalIPs, ...sp.loadBalancerIPs];
  const ranges = sp.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0 && sp.loadBalancerIPs.length > 0) {
    const fwChain = `fw-${suffix}`;
    chains.set(fwChain, `${family} saddr != { ${ranges.join(', ')} } drop`);
    for (const ip of sp.loadBalancerIPs) element('firewall-ips', `${ip} . ${proto} . ${sp.port}`, `goto ${fwChain}`);
  }
  if (externalAddrs.length === 0 && sp.nodePort === undefined) return fragment;
  const extChain = `ext-${suffix}`;
  if (external.length > 0) {
    const sameAsCluster = external.length === cluster.length && external.every((e, i) => e === cluster[i]);
    const target = sameAsCluster ? svcChain : `sve-${suffix}`;
    if (!sameAsCluster) chains.set(target, pick(external, 'external').join('\n'));
    const rules: string[] = [];
    if (sp.externalTrafficPolicyLocal) {
      // Client addresses are kept; but pods and the node itself may use any endpoint (masqueraded for the node),
      // as upstream does, so that in-cluster clients are not black-holed on nodes without a local endpoint.
      if (cluster.length > 0) rules.push(`${family} saddr ${cidr} goto ${svcChain}`, 'fib saddr type local jump mark-for-masquerade', `fib saddr type local goto ${svcChain}`);
      rules.push(`goto ${target}`);
    } else {
      rules.push('jump mark-for-masquerade', `goto ${target}`);
    }
    chains.set(extChain, rules.join('\n'));
    for (const ip of externalAddrs) element('service-ips', `${ip} . ${proto} . ${sp.port}`, `goto ${extChain}`);
    if (sp.nodePort !== undefined) element('service-nodeports', `${proto} . ${sp.nodePort}`, `goto ${extChain}`);
  } else {
    // No endpoint at all: reject as for cluster IPs; endpoints elsewhere but none here (policy Local): drop.
    const verdict = cluster.length === 0 ? 'goto reject-chain' : 'drop';
    for (const ip of externalAddrs) element('no-endpoint-services', `${ip} . ${proto} . ${sp.port}`, verdict);
    if (sp.nodePort !== undefined) element('no-endpoint-nodeports', `${proto} . ${sp.nodePort}`, verdict);
  }
  return fragment;
}

/** staticChains: the base chains and helpers, the same for every snapshot. */
function staticChains(family: NftFamily): string {
  const chain = (name: string, rules: readonly string[]): string => `\tchain ${name} {\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n`;
  return [
    chain('nat-prerouting', ['type nat hook prerouting priority -100; policy accept;', 'jump services']),
    chain('nat-output', ['type nat hook output priority -100; policy accept;', 'jump services']),
    chain('nat-postrouting', ['type nat hook postrouting priority 100; policy accept;', `ct status dnat ${family} saddr . ${family} daddr @hairpin-endpoints masquerade`, 'jump masquerading']),
    chain('services', [`${family} daddr . meta l4proto . th dport vmap @service-ips`, 'fib daddr type local meta l4proto . th dport vmap @service-nodeports']),
    chain('mark-for-masquerade', [`meta mark set meta mark | ${hex(MASQUERADE_MARK)}`]),
    chain('masquerading', [`meta mark & ${hex(MASQUERADE_MARK)} == 0 return`, `meta mark set meta mark ^ ${hex(MASQUERADE_MARK)}`, 'masquerade fully-random']),
    // Filter chains run before DNAT (priority -110 < -100), so they see the Service address.
    chain('filter-input', ['type filter hook input priority -110; policy accept;', 'ct state new jump nodeport-endpoints-check', 'ct state new jump service-endpoints-check']),
    chain('filter-forward', ['type filter hook forward priority -110; policy accept;', 'ct state new jump service-endpoints-check']),
    chain('filter-prerouting', ['type filter hook prerouting priority -110; policy accept;', 'ct state new jump firewall-check']),
    chain('filter-output', ['type filter hook output priority -110; policy accept;', 'ct state new jump firewall-check', 'ct state new jump service-endpoints-check', 'ct state new jump nodeport-endpoints-check']),
    chain('firewall-check', [`${family} daddr . meta l4proto . th dport vmap @firewall-ips`]),
    chain('service-endpoints-check', [`${family} daddr . meta l4proto . th dport vmap @no-endpoint-services`]),
    chain('nodeport-endpoints-check', ['fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports']),
    chain('reject-chain', ['meta l4proto tcp reject with tcp reset', 'reject']),
  ].join('');
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function setDecl(family: NftFamily, timeoutSeconds: number): string {
  return `type ${addrType(family)}; flags dynamic,timeout; timeout ${timeoutSeconds}s;`;
}

/**
 * renderTable: the `nft -f` script that replaces table `t` whole — create it if missing (so the delete cannot
 * fail), delete it, write it again — in one transaction.
 */
export function renderTable(t: NftablesTable): string {
  const f = t.family;
  const out: string[] = [`table ${f} ${t.name} {}`, `delete table ${f} ${t.name}`, `table ${f} ${t.name} {`];
  for (const [map, decl] of Object.entries(MAPS) as [MapName, string][]) {
    const elements = t.maps.get(map);
    out.push(`\tmap ${map} {`, `\t\t${decl.replace('ADDR', addrType(f)).replace('FAMILY', f)}`);
    if (elements && elements.size > 0 && map !== 'endpoints') out.push(`\t\telements = { ${[...elements].map(([k, v]) => `${k} : ${v}`).join(',\n\t\t\t')} }`);
    out.push('\t}');
  }
  out.push('\tset hairpin-endpoints {', `\t\ttype ${addrType(f)} . ${addrType(f)}`);
  if (t.hairpin.size > 0) out.push(`\t\telements = { ${[...t.hairpin].join(',\n\t\t\t')} }`);
  out.push('\t}');
  for (const [set, timeout] of t.sets) out.push(`\tset ${set} { ${setDecl(f, timeout)} }`);
  out.push(t.staticText.trimEnd());
  for (const [chain, rules] of t.chains) out.push(`\tchain ${chain} {\n\t\t${rules.replace(/\n/g, '\n\t\t')}\n\t}`);
  out.push('}');
  // The endpoints go in after the rules that use them, still in the same transaction: the kernel checks a map's
  // elements each time a rule in another chain starts using it, so with 10,000 elements in place first, 1,000
  // Service chains cost 10 million element visits (measured: 0.8 s of system time against 0.25 s this way).
  const endpoints = t.maps.get('endpoints');
  if (endpoints && endpoints.size > 0) out.push(`add element ${f} ${t.name} endpoints { ${[...endpoints].map(([k, v]) => `${k} : ${v}`).join(',\n\t')} }`);
  out.push('');
  return out.join('\n');
}

/**
 * renderTableDiff: the `nft -f` script that turns table `prev` (as last written) into `next`, or undefined when
 * they differ where a diff cannot go (name, static part, a set's timeout), so the caller writes the whole table. An
 * empty string means nothing changed. (One-off form of TableState.diffTo.)
 */
export function renderTableDiff(prev: NftablesTable, next: NftablesTable): string | undefined {
  return new TableState(prev).diffTo(next);
}

/** A map element's providers: the fragments that put this key in, with the value each wants. */
type Providers = { readonly fragment: Fragment; readonly value: string }[];

/**
 * TableState: what the kernel holds, as last written, indexed so the next diff costs time in proportion to the
 * Service ports that changed, not to the table (a warm endpoint change on 1,000 Services touches one fragment).
 *
 * Contracts:
 *  - `diffTo(next)` returns the script from the current state to `next` (same rules as renderTableDiff) and moves
 *    the state to `next`, or returns undefined and leaves the state alone. After a failed nft run the caller must
 *    drop the state (the kernel's content is then unknown) and write whole.
 *  - Fragments are compared by object: the table builder hands back the same Fragment for an unchanged Service
 *    port. Keys several fragments share (hairpin elements of an endpoint behind two Services, two Services
 *    claiming one address) are counted, so one of them leaving does not remove what the other still needs, and a
 *    map key goes to the first provider in snapshot order, as a whole write does.
 *  - Order inside the transaction: sets and chains exist before rules and map elements point at them; elements
 *    and rules stop pointing at chains and sets before those are deleted.
 */
export class TableState {
  #table: NftablesTable;
  #present: Set<Fragment>;
  /** map → key → providers; the written value is that of the first provider in snapshot order. */
  readonly #providers = new Map<MapName, Map<string, Providers>>();
  readonly #written = new Map<MapName, Map<string, string>>();
  /** hairpin element → how many fragments want it. */
  readonly #hairpin = new Map<string, number>();

  constructor(table: NftablesTable) {
    this.#table = table;
    this.#present = new Set(table.fragments);
    for (const map of Object.keys(MAPS) as MapName[]) {
      this.#providers.set(map, new Map());
      this.#written.set(map, new Map());
    }
    for (const f of table.fragments) this.#index(f, +1);
  }

  /** The table as last written. */
  get table(): NftablesTable {
    return this.#table;
  }

  diffTo(next: NftablesTable): string | undefined {
    const prev = this.#table;
    if (prev.name !== next.name || prev.family !== next.family || prev.staticText !== next.staticText) return undefined;
    const nextSet = new Set(next.fragments);
    const removed = prev.fragments.filter((f) => !nextSet.has(f));
    const added = next.fragments.filter((f) => !this.#present.has(f));
    const t = `${next.family} ${next.name}`;
    const out: string[] = [];
    const oldChains = new Map<string, string>();
    const oldSets = new Map<string, number>();
    for (const f of removed) {
      for (const [k, v] of f.chains) oldChains.set(k, v);
      for (const [k, v] of f.sets) oldSets.set(k, v);
    }
    const newChains = new Map<string, string>();
    const newSets = new Map<string, number>();
    for (const f of added) {
      for (const [k, v] of f.chains) newChains.set(k, v);
      for (const [k, v] of f.sets) newSets.set(k, v);
    }
    for (const [set, timeout] of newSets) {
      const old = oldSets.get(set);
      if (old === undefined) out.push(`add set ${t} ${set} { ${setDecl(next.family, timeout)} }`);
      else if (old !== timeout) return undefined; // a set's timeout cannot be changed in place
    }
    // `add rule` lines rather than a `table { chain { … } }` block: nft parses them with a smaller cache.
    for (const [chain, rules] of newChains) {
      const old = oldChains.get(chain);
      if (old === rules) continue;
      out.push(old === undefined ? `add chain ${t} ${chain}` : `flush chain ${t} ${chain}`);
      for (const rule of rules.split('\n')) out.push(`add rule ${t} ${chain} ${rule}`);
    }
    // From here on the state moves to `next`.
    const touched = new Map<MapName, Set<string>>();
    /** hairpin element → how many fragments wanted it before this diff. */
    const hairpinTouched = new Map<string, number>();
    for (const f of removed) this.#index(f, -1, touched, hairpinTouched);
    for (const f of added) this.#index(f, +1, touched, hairpinTouched);
    let position: Map<Fragment, number> | undefined;
    const first = (providers: Providers): string | undefined => {
      if (providers.length <= 1) return providers[0]?.value;
      position ??= new Map(next.fragments.map((f, i) => [f, i]));
      let best = providers[0];
      for (const p of providers) if ((position.get(p.fragment) ?? Infinity) < (position.get(best?.fragment as Fragment) ?? Infinity)) best = p;
      return best?.value;
    };
    for (const map of Object.keys(MAPS) as MapName[]) {
      if (map === 'endpoints') {
        this.#endpointsDiff(t, removed, added, out);
        continue;
      }
      const keys = touched.get(map);
      if (!keys) continue;
      const written = this.#written.get(map) ?? new Map<string, string>();
      const providers = this.#providers.get(map);
      const gone: string[] = [];
      const set: string[] = [];
      for (const key of keys) {
        const before = written.get(key);
        const after = first(providers?.get(key) ?? []);
        if (before === after) continue;
        if (before !== undefined) gone.push(key);
        if (after === undefined) written.delete(key);
        else {
          written.set(key, after);
          set.push(`${key} : ${after}`);
        }
      }
      if (gone.length > 0) out.push(`delete element ${t} ${map} { ${gone.join(', ')} }`);
      if (set.length > 0) out.push(`add element ${t} ${map} { ${set.join(', ')} }`);
    }
    const hairpinGone: string[] = [];
    const hairpinNew: string[] = [];
    for (const [e, before] of hairpinTouched) {
      const now = this.#hairpin.get(e) ?? 0;
      if (now === 0 && before > 0) hairpinGone.push(e);
      else if (now > 0 && before === 0) hairpinNew.push(e);
    }
    if (hairpinGone.length > 0) out.push(`delete element ${t} hairpin-endpoints { ${hairpinGone.join(', ')} }`);
    if (hairpinNew.length > 0) out.push(`add element ${t} hairpin-endpoints { ${hairpinNew.join(', ')} }`);
    const goneChains = [...oldChains.keys()].filter((c) => !newChains.has(c));
    for (const chain of goneChains) out.push(`flush chain ${t} ${chain}`);
    for (const chain of goneChains) out.push(`delete chain ${t} ${chain}`);
    for (const set of oldSets.keys()) if (!newSets.has(set)) out.push(`delete set ${t} ${set}`);
    this.#table = next;
    this.#present = nextSet;
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }

  /**
   * #endpointsDiff: the `endpoints` map needs no index, as each of its keys belongs to one Service port's slot and
   * slots are unique within a table: a key can only move between a removed fragment and an added one.
   */
  #endpointsDiff(t: string, removed: readonly Fragment[], added: readonly Fragment[], out: string[]): void {
    const before = new Map<string, string>();
    const after = new Map<string, string>();
    for (const f of removed) for (const [map, key, value] of f.elements) if (map === 'endpoints') before.set(key, value);
    for (const f of added) for (const [map, key, value] of f.elements) if (map === 'endpoints') after.set(key, value);
    const gone = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    const set = [...after].filter(([k, v]) => before.get(k) !== v);
    if (gone.length > 0) out.push(`delete element ${t} endpoints { ${gone.join(', ')} }`);
    if (set.length > 0) out.push(`add element ${t} endpoints { ${set.map(([k, v]) => `${k} : ${v}`).join(', ')} }`);
  }

  /** #index adds (+1) or removes (-1) a fragment's map elements and hairpin elements, noting the keys it touched. */
  #index(f: Fragment, sign: 1 | -1, touched?: Map<MapName, Set<string>>, hairpinTouched?: Map<string, number>): void {
    for (const [map, key, value] of f.elements) {
      if (map === 'endpoints') continue; // see #endpointsDiff
      const byKey = this.#providers.get(map);
      if (!byKey) continue;
      let providers = byKey.get(key);
      if (sign > 0) {
        if (providers?.some((p) => p.fragment === f)) continue; // the same key twice in one fragment: the first counts
        if (!providers) byKey.set(key, (providers = []));
        providers.push({ fragment: f, value });
        // Building from a whole table: fragments come in snapshot order, so the first provider is what was written.
        if (!touched && providers.length === 1) this.#written.get(map)?.set(key, value);
      } else if (providers) {
        const rest = providers.filter((p) => p.fragment !== f);
        if (rest.length === 0) byKey.delete(key);
        else byKey.set(key, rest);
      }
      if (touched) {
        let keys = touched.get(map);
        if (!keys) touched.set(map, (keys = new Set()));
        keys.add(key);
      }
    }
    for (const e of f.hairpin) {
      const was = this.#hairpin.get(e) ?? 0;
      if (hairpinTouched && !hairpinTouched.has(e)) hairpinTouched.set(e, was);
      if (was + sign > 0) this.#hairpin.set(e, was + sign);
      else this.#hairpin.delete(e);
    }
  }
}
