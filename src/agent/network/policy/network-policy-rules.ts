/**
 * networkPolicyRules: the pure heart of NetworkPolicy enforcement — from the cluster's NetworkPolicies, pods and
 * namespaces, and the addresses of this node's pods, the `nft -f` script of the node's policy table.
 *
 * Semantics (upstream's, see docs/network.md "NetworkPolicy"):
 *  - A pod is isolated for ingress (egress) when some policy of its namespace selects it and has Ingress (Egress)
 *    among its effective policyTypes. A pod no policy selects is not isolated: everything reaches it.
 *  - Traffic to (from) an isolated pod is allowed when any rule of any of those policies allows it — rules only
 *    add. A policy with no rules in a direction it isolates denies everything in that direction.
 *  - A rule allows traffic when it matches one of its peers (absent or empty `from`/`to`: any peer) and one of its
 *    ports (absent or empty `ports`: any port of any protocol).
 *  - Peers: `podSelector` alone = pods of the policy's namespace; `namespaceSelector` alone = all pods of the
 *    selected namespaces; both = the selected pods of the selected namespaces; `ipBlock` = its CIDR minus `except`;
 *    an empty peer `{}` = anything.
 *  - Ports: protocol TCP unless said; `port` a number, a range with `endPort`, or the name of a container port,
 *    resolved on the pod the traffic goes to (the isolated pod for ingress, each destination pod for egress); a
 *    name no such pod declares allows nothing.
 *  - Replies and related traffic of allowed connections pass (conntrack), so isolation applies to new connections
 *    and a connection open before a policy came keeps working, as with upstream's plugins.
 *  - The node enforces the ingress side for its own pods and the egress side for its own pods; traffic between two
 *    of its pods is checked for both. Traffic from the node itself to its pods never crosses the forward hook
 *    (it leaves through output), so probes and `kubectl port-forward` are never blocked, as upstream documents.
 *  - Host-network pods are peers by their address (their node's), never targets: a peer selecting one matches
 *    traffic from or to that node (its kubelet, its host processes), like an ipBlock naming the node's address.
 *
 * The table is checked in the forward hook at filter priority, which comes after the nat prerouting hook: a
 * packet sent to a Service address is judged by the pod it was DNATed to, as upstream. Bridged pod-to-pod frames
 * reach the hook only with `net.bridge.bridge-nf-call-iptables=1` (the controller sets it). Pod traffic to the
 * node's own addresses (the API server, the cluster DNS, a hostNetwork pod here, also through their Services)
 * goes to the input hook instead; the same egress chains judge it there, so an egress policy covers the node as
 * it covers any other destination. Replies to the node's own connections (probes) are established and pass.
 *
 * Dual-stack: one builder per address family writes the same rules twice, an `ip` table from the pods' IPv4
 * addresses and IPv4 ipBlocks and an `ip6` table of the same name from their IPv6 addresses (`status.podIPs`) and
 * IPv6 ipBlocks; an ipBlock of the other family matches nothing in a table, as upstream. Local pods are known by
 * their IPv4 address (the pod network always has one), so isolation is decided once and holds in both tables.
 * The `ip6` table also accepts ICMPv6 neighbour discovery (and multicast listener queries and reports, which
 * announce the solicited-node groups it uses) before any pod chain: conntrack does not track them (never
 * "established"), and without them an isolated pod could not answer its neighbours' solicitations, so even allowed
 * IPv6 peers (and the node, its gateway) would lose it. The `ip6` table exists only while some isolated local pod
 * has an IPv6 address, so a single-stack node never has one.
 *
 * The script deletes and recreates the table in one transaction (`nft -f` applies a file atomically), so stale
 * per-pod chains never survive and a packet sees either the old rules or the new.
 */
import { createHash } from 'node:crypto';
import { cidrContains, parseCidr as parseAnyCidr, type Cidr } from '../../../base/net/cidr.js';
import { formatIP, parseIP, type IPFamily } from '../../../base/net/ip-address.js';
import { labelSelectorFromObject, type LabelSelector, type LabelSelectorObject } from '../../../api/meta/labels.js';
import { effectivePolicyTypes, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type PolicyProtocol } from './network-policy.js';
import type { PolicyNamespace, PolicyPod } from './policy-pod.js';

/** NetworkPolicyRulesSpec is everything the table is built from. */
export interface NetworkPolicyRulesSpec {
  /** nftables table name (an `ip` table, and an `ip6` one of the same name on dual-stack nodes). */
  readonly table: string;
  readonly policies: readonly NetworkPolicy[];
  /** Every pod on the pod network, on any node: the peers policies select. */
  readonly pods: readonly PolicyPod[];
  readonly namespaces: readonly PolicyNamespace[];
  /** The (IPv4) addresses of this node's pods: the only pods whose traffic the tables filter. */
  readonly localPodIPs: ReadonlySet<string>;
}

/** NetworkPolicyRules is the script and what was noticed while building it. */
export interface NetworkPolicyRules {
  /** The whole `nft -f -` script. */
  readonly script: string;
  /** Local pods isolated for ingress / egress, as `namespace/name`. */
  readonly isolatedIngress: readonly string[];
  readonly isolatedEgress: readonly string[];
  /** Parts of policies that could not be enforced as written (bad selector, bad CIDR), one line each. */
  readonly problems: readonly string[];
}

const PROTOCOLS: Readonly<Record<PolicyProtocol, string>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const TABLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const DNS_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/** NftFamily is a table's nftables family; its match keyword (`ip saddr`, `ip6 saddr`) is the same word. */
type NftFamily = 'ip' | 'ip6';
const ADDRESS_FAMILY: Readonly<Record<NftFamily, IPFamily>> = { ip: 'IPv4', ip6: 'IPv6' };

/** A resolved peer: anything, some pods, or an address block of the table's family. */
type Peer = { readonly kind: 'any' } | { readonly kind: 'pods'; readonly pods: readonly PolicyPod[] } | { readonly kind: 'block'; readonly cidr: Cidr; readonly except: readonly Cidr[] };

type Direction = 'ingress' | 'egress';

/** networkPolicyRules builds the table script for `spec`. */
export function networkPolicyRules(spec: NetworkPolicyRulesSpec): NetworkPolicyRules {
  if (!TABLE_NAME.test(spec.table)) throw new Error(`Cannot use "${spec.table}" as the nftables table: want up to 64 letters, digits, "-" or "_"`);
  // One list for both builds: a bad selector or CIDR is one problem, whichever family meets it first.
  const problems = new Set<string>();
  const v4 = new RuleBuilder(spec, 'ip', problems).build();
  const v6 = new RuleBuilder(spec, 'ip6', problems).build();
  return { script: [...v4.lines, ...v6.lines, ''].join('\n'), isolatedIngress: v4.isolatedIngress, isolatedEgress: v4.isolatedEgress, problems: [...problems] };
}

/** RuleBuilder builds one family's table, holding the indexes a build needs (namespace labels, compiled selectors). */
class RuleBuilder {
  readonly #spec: NetworkPolicyRulesSpec;
  readonly #family: NftFamily;
  readonly #nsLabels = new Map<string, Readonly<Record<string, string>>>();
  readonly #pods: readonly PolicyPod[];
  readonly #problems: Set<string>;

  constructor(spec: NetworkPolicyRulesSpec, family: NftFamily, problems: Set<string>) {
    this.#spec = spec;
    this.#family = family;
    this.#problems = problems;
    for (const ns of spec.namespaces) this.#nsLabels.set(ns.name, ns.labels);
    this.#pods = [...spec.pods].sort((a, b) => key(a).localeCompare(key(b)));
  }

  /** #addr is a pod's address of this table's family, if it has one. */
  #addr(pod: PolicyPod): string | undefined {
    return this.#family === 'ip' ? pod.ip : pod.ip6;
  }

  build(): { lines: string[]; isolatedIngress: string[]; isolatedEgress: string[] } {
    const f = this.#family;
    const t = this.#spec.table;
    const chains: string[] = [];
    const ingressJumps = new Map<string, string>();
    const egressJumps = new Map<string, string>();
    const isolatedIngress: string[] = [];
    const isolatedEgress: string[] = [];
    const policies = this.#spec.policies
      .map((p) => ({ policy: p, target: this.#selector(p.spec?.podSelector ?? {}, `${policyName(p)}: spec.podSelector`) }))
      .filter((p): p is { policy: NetworkPolicy; target: LabelSelector } => p.target !== undefined)
      .sort((a, b) => policyName(a.policy).localeCompare(policyName(b.policy)));
    for (const pod of this.#pods) {
      if (pod.hostNetwork || !this.#spec.localPodIPs.has(pod.ip)) continue;
      const addr = this.#addr(pod);
      if (addr === undefined) continue; // no address of this family: nothing to filter here
      const selecting = policies.filter((p) => p.policy.metadata?.namespace === pod.namespace && p.target.matches(pod.labels)).map((p) => p.policy);
      for (const direction of ['ingress', 'egress'] as const) {
        const type = direction === 'ingress' ? 'Ingress' : 'Egress';
        const applying = selecting.filter((p) => effectivePolicyTypes(p.spec ?? {}).has(type));
        if (applying.length === 0) continue;
        const jumps = direction === 'ingress' ? ingressJumps : egressJumps;
        if (jumps.has(addr)) {
          this.#problems.add(`${key(pod)}: address ${addr} is also another local pod's; only the first is isolated`);
          continue;
        }
        const chain = chainName(direction, pod);
        jumps.set(addr, chain);
        (direction === 'ingress' ? isolatedIngress : isolatedEgress).push(key(pod));
        chains.push(...this.#podChain(direction, pod, chain, applying));
      }
    }
    // Create-then-delete makes the delete succeed whether or not the table existed; the new table follows in the
    // same transaction.
    const lines = [`table ${f} ${t} {}`, `delete table ${f} ${t}`];
    // IPv6 only where it is needed (see the file comment); IPv4 always, as single-stack nodes had it.
    if (f === 'ip6' && ingressJumps.size === 0 && egressJumps.size === 0) return { lines, isolatedIngress, isolatedEgress };
    // Neighbour discovery (and the multicast listener messages it relies on) is untracked and must reach isolated
    // pods both ways (file comment).
    const nd = f === 'ip6' ? ['\t\ticmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query, mld-listener-report, mld2-listener-report } accept'] : [];
    const egressVmap = egressJumps.size > 0 ? [`\t\t${f} saddr vmap { ${vmapElements(egressJumps)} }`] : [];
    lines.push(
      `table ${f} ${t} {`,
      ...chains,
      '\tchain forward {',
      '\t\ttype filter hook forward priority filter; policy accept;',
      '\t\tct state established,related accept',
      ...nd,
      // Egress first: a packet between two local pods must pass its sender's egress chain (which returns) and then
      // its receiver's ingress chain.
      ...egressVmap,
      ...(ingressJumps.size > 0 ? [`\t\t${f} daddr vmap { ${vmapElements(ingressJumps)} }`] : []),
      '\t}',
      // Pods reaching the node itself: the egress chains again (an allowed packet returns to the accept policy).
      '\tchain input {',
      '\t\ttype filter hook input priority filter; policy accept;',
      '\t\tct state established,related accept',
      ...nd,
      ...egressVmap,
      '\t}',
      '}',
    );
    return { lines, isolatedIngress, isolatedEgress };
  }

  /** #podChain renders one isolated pod's chain: an allow line per (peer, port) pair of every rule, then drop. */
  #podChain(direction: Direction, pod: PolicyPod, chain: string, policies: readonly NetworkPolicy[]): string[] {
    // Allowed ingress is final for this hook; allowed egress returns so the receiver's ingress chain still runs.
    const verdict = direction === 'ingress' ? 'accept' : 'return';
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const policy of policies) {
      const rules = (direction === 'ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? [];
      rules.forEach((rule, i) => {
        const where = `${policyName(policy)} ${direction}[${i}]`;
        const rawPeers = direction === 'ingress' ? (rule as { from?: NetworkPolicyPeer[] }).from : (rule as { to?: NetworkPolicyPeer[] }).to;
        const peers: Peer[] = rawPeers && rawPeers.length > 0 ? rawPeers.map((p, j) => this.#peer(policy, p, `${where}.peer[${j}]`)).filter((p): p is Peer => p !== undefined) : [{ kind: 'any' }];
        const ports: (NetworkPolicyPort | undefined)[] = rule.ports && rule.ports.length > 0 ? rule.ports : [undefined];
        for (const peer of peers) {
          for (const port of ports) {
            const match = this.#match(direction, pod, peer, port, where);
            if (match === undefined) continue;
            const line = `\t\t${match}${match ? ' ' : ''}${verdict} comment "${where}"`;
            const dedupKey = `${match} ${verdict}`;
            if (seen.has(dedupKey)) continue;
            seen.add(dedupKey);
            lines.push(line);
          }
        }
      });
    }
    return [`\tchain ${chain} {`, ...lines, '\t\tdrop', '\t}'];
  }

  /**
   * #match renders the match of one (peer, port) pair, '' for "everything", or undefined when the pair can match
   * nothing (no pod selected, a named port nobody declares).
   */
  #match(direction: Direction, pod: PolicyPod, peer: Peer, port: NetworkPolicyPort | undefined, where: string): string | undefined {
    const addr = direction === 'ingress' ? 'saddr' : 'daddr';
    const protocol = port?.protocol && PROTOCOLS[port.protocol] ? port.protocol : 'TCP';
    const l4 = PROTOCOLS[protocol];
    if (port !== undefined && typeof port.port === 'string') {
      if (direction === 'ingress') {
        const n = resolveNamedPort(pod, port.port, protocol);
        if (n === undefined) return undefined;
        return join(this.#peerMatch(addr, peer), `${l4} dport ${n}`);
      }
      // Egress: the name means a different number on each destination pod.
      const name = port.port;
      const pairs = this.#peerPods(peer)
        .map((p) => ({ ip: this.#addr(p), n: resolveNamedPort(p, name, protocol) }))
        .filter((x): x is { ip: string; n: number } => x.ip !== undefined && x.n !== undefined);
      if (pairs.length === 0) return undefined;
      const elements = [...new Set(pairs.map((x) => `${x.ip} . ${x.n}`))].sort(compareAddrPort);
      return `${this.#family} daddr . ${l4} dport { ${elements.join(', ')} }`;
    }
    const peerMatch = this.#peerMatch(addr, peer);
    if (peerMatch === undefined) return undefined;
    if (port === undefined) return peerMatch;
    if (port.port === undefined) return join(peerMatch, `meta l4proto ${l4}`);
    const start = port.port;
    if (!validPort(start)) {
      this.#problems.add(`${where}: port ${String(start)} is not a port number`);
      return undefined;
    }
    if (port.endPort !== undefined && port.endPort !== start) {
      if (!validPort(port.endPort) || port.endPort < start) {
        this.#problems.add(`${where}: endPort ${String(port.endPort)} does not end a range from ${start}`);
        return undefined;
      }
      return join(peerMatch, `${l4} dport ${start}-${port.endPort}`);
    }
    return join(peerMatch, `${l4} dport ${start}`);
  }

  /** #peerMatch renders an address match for a peer: '' for any, undefined when it selects no pod. */
  #peerMatch(addr: 'saddr' | 'daddr', peer: Peer): string | undefined {
    if (peer.kind === 'any') return '';
    const f = this.#family;
    if (peer.kind === 'block') {
      const except = peer.except.filter((e) => e.bits >= peer.cidr.bits && cidrContains(peer.cidr, { family: e.family, value: e.network }));
      return `${f} ${addr} ${formatBlock(peer.cidr)}` + (except.length > 0 ? ` ${f} ${addr} != { ${except.map(formatBlock).join(', ')} }` : '');
    }
    const ips = [...new Set(peer.pods.map((p) => this.#addr(p)).filter((ip): ip is string => ip !== undefined))].sort(compareIP);
    if (ips.length === 0) return undefined;
    return `${f} ${addr} { ${ips.join(', ')} }`;
  }

  /** #peerPods lists the known pods a peer covers (for resolving named egress ports). */
  #peerPods(peer: Peer): readonly PolicyPod[] {
    if (peer.kind === 'pods') return peer.pods;
    if (peer.kind === 'any') return this.#pods;
    return this.#pods.filter((p) => {
      const ip = parseIP(this.#addr(p) ?? '');
      return ip !== undefined && cidrContains(peer.cidr, ip) && !peer.except.some((e) => cidrContains(e, ip));
    });
  }

  /** #peer resolves a peer of `policy`; undefined (and a problem noted) when it cannot be enforced as written. */
  #peer(policy: NetworkPolicy, peer: NetworkPolicyPeer, where: string): Peer | undefined {
    if (peer.ipBlock) {
      const cidr = parseBlock(peer.ipBlock.cidr);
      // A block of the other family can match none of this table's packets (upstream: it matches nothing there).
      if (cidr !== undefined && cidr.family !== ADDRESS_FAMILY[this.#family]) return undefined;
      if (cidr === undefined) {
        this.#problems.add(`${where}: ipBlock.cidr "${peer.ipBlock.cidr}" is not a CIDR`);
        return undefined;
      }
      const except: Cidr[] = [];
      for (const e of peer.ipBlock.except ?? []) {
        const c = parseBlock(e);
        if (c !== undefined && c.family !== cidr.family) continue; // cannot take anything out of this block
        if (c === undefined) {
          // Failing closed: without the exception the block would allow more than written.
          this.#problems.add(`${where}: ipBlock.except "${e}" is not a CIDR`);
          return undefined;
        }
        except.push(c);
      }
      return { kind: 'block', cidr, except };
    }
    if (!peer.podSelector && !peer.namespaceSelector) return { kind: 'any' };
    const podSel = peer.podSelector ? this.#selector(peer.podSelector, `${where}.podSelector`) : undefined;
    const nsSel = peer.namespaceSelector ? this.#selector(peer.namespaceSelector, `${where}.namespaceSelector`) : undefined;
    if ((peer.podSelector && !podSel) || (peer.namespaceSelector && !nsSel)) return undefined;
    const home = policy.metadata?.namespace ?? '';
    const pods = this.#pods.filter((p) => (nsSel ? nsSel.matches(this.#nsLabels.get(p.namespace) ?? {}) : p.namespace === home) && (podSel ? podSel.matches(p.labels) : true));
    return { kind: 'pods', pods };
  }

  #selector(sel: LabelSelectorObject, where: string): LabelSelector | undefined {
    try {
      return labelSelectorFromObject(sel);
    } catch (err) {
      this.#problems.add(`${where}: ${(err as Error).message}`);
      return undefined;
    }
  }
}

function key(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

function policyName(p: NetworkPolicy): string {
  return `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`.replace(/[^\w./-]/g, '_');
}

/**
 * chainName: `ingress_<namespace>_<pod>` (names are DNS names, so `_` cannot occur in them and the split is
 * unambiguous) — readable in `nft list`; a hash when the names are odd or too long for nftables (256).
 */
function chainName(direction: Direction, pod: PolicyPod): string {
  const readable = `${direction}_${pod.namespace}_${pod.name}`;
  if (DNS_NAME.test(pod.namespace) && DNS_NAME.test(pod.name) && readable.length <= 200) return readable;
  return `${direction}_${createHash('sha256').update(key(pod)).digest('hex').slice(0, 16)}`;
}

function vmapElements(jumps: ReadonlyMap<string, string>): string {
  return [...jumps.keys()]
    .sort(compareIP)
    .map((ip) => `${ip} : jump ${jumps.get(ip) ?? ''}`)
    .join(', ');
}

function join(a: string | undefined, b: string): string | undefined {
  if (a === undefined) return undefined;
  return a ? `${a} ${b}` : b;
}

function resolveNamedPort(pod: PolicyPod, name: string, protocol: PolicyProtocol): number | undefined {
  return pod.ports.find((p) => p.name === name && p.protocol === protocol)?.containerPort;
}

function validPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * parseBlock reads an ipBlock CIDR of either family (a plain address counts as a single-address block; host bits
 * are cleared, as upstream's plugins do); undefined when it is no CIDR.
 */
function parseBlock(text: string): Cidr | undefined {
  const s = text.trim();
  const withBits = s.includes('/') ? s : `${s}/${s.includes(':') ? 128 : 32}`;
  try {
    return parseAnyCidr(withBits);
  } catch {
    return undefined;
  }
}

/** formatBlock writes a block for nft: a single address bare, a range as `network/bits`. */
function formatBlock(c: Cidr): string {
  const ip = formatIP({ family: c.family, value: c.network });
  return c.bits === (c.family === 'IPv4' ? 32 : 128) ? ip : `${ip}/${c.bits}`;
}

/** compareIP orders addresses numerically (IPv4 before IPv6), so scripts are stable. */
function compareIP(a: string, b: string): number {
  const x = parseIP(a);
  const y = parseIP(b);
  if (!x || !y) return a.localeCompare(b);
  if (x.family !== y.family) return x.family === 'IPv4' ? -1 : 1;
  return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
}

function compareAddrPort(a: string, b: string): number {
  const [ia = '', pa = '0'] = a.split(' . ');
  const [ib = '', pb = '0'] = b.split(' . ');
  return compareIP(ia, ib) || Number(pa) - Number(pb);
}
