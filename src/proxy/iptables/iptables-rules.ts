/**
 * The iptables rule set for a ProxySnapshot, in `iptables-restore` form: kube-proxy's iptables design under our own
 * chain prefix, so that two nodes' proxiers on one machine (or one network namespace) never touch each other.
 *
 * nat table (entered from PREROUTING and OUTPUT through `<P>-SERVICES`, from POSTROUTING through `<P>-POSTROUTING`):
 *   <P>-SERVICES    one dispatch rule per frontend: cluster IP, external IP, load-balancer IP → the service's
 *                   chain; last, `-m addrtype --dst-type LOCAL` → <P>-NODEPORTS
 *   <P>-NODEPORTS   `--dport <nodePort>` → <P>-EXT-<h>
 *   <P>-SVC-<h>     endpoint choice over every usable endpoint (the "Cluster" policy): one `recent --rcheck` rule
 *                   per endpoint when sessionAffinity is ClientIP, then `statistic --mode random` rules with
 *                   probabilities 1/n, 1/(n-1), …, the last endpoint unconditional
 *   <P>-SVL-<h>     the same over this node's endpoints only (internalTrafficPolicy / externalTrafficPolicy Local)
 *   <P>-EXT-<h>     external traffic (NodePort, external and LB IPs): Cluster policy → mark for masquerade, then
 *                   SVC; Local policy → pods and the node itself still use the cluster chain (masqueraded when from
 *                   the node), everyone else SVL with the client address kept
 *   <P>-FW-<h>      loadBalancerSourceRanges: `-s <range>` → EXT for each range; the rest is not DNATed and is
 *                   dropped by <P>-FILTER (`-d <lb ip> --dport <port> -j DROP`)
 *   <P>-SEP-<h>     one endpoint: hairpin traffic (from the endpoint itself) marked for masquerade, then DNAT
 *   <P>-MARK-MASQ   sets the masquerade mark; <P>-POSTROUTING masquerades marked packets (and clears the mark)
 * filter table (from INPUT, FORWARD and OUTPUT for new connections): <P>-FILTER rejects traffic to frontends that
 * have no endpoint. Those rules only see packets that were not DNATed, so they cannot hit served traffic.
 *
 * Families: one proxier per family. The IPv4 one (`iptables`) renders the IPv4 addresses of a snapshot; a
 * dual-stack node's second proxier renders its IPv6 snapshot the same way for `ip6tables` (`family: 'IPv6'`:
 * `/128` hosts, `[addr]:port` DNAT, a 128-bit mask for the affinity lists, no localhost NodePorts). Both use the
 * same chain names, in their own family's tables.
 *
 * Cluster-IP traffic from outside the pod range (`clusterCidr`) is masqueraded, as upstream does without
 * `--masquerade-all`. Chains are named `<P>-<kind>-<hash>` with a 12-hex-digit hash of the service port (and
 * endpoint), within iptables' 28-character limit for prefixes of up to 9 characters.
 */
import { createHash } from 'node:crypto';
import { type ProxyEndpoint, type ProxyServicePort, type ProxySnapshot, clusterEndpoints, externalEndpoints } from '../proxy-state.js';

/** IptablesTable is a table we own chains in. */
export type IptablesTable = 'nat' | 'filter';

/** IptablesState is what an `iptables-save` shows of one proxier: its chains and the built-in chains' jumps to them. */
export interface IptablesState {
  /** Our chains that exist, per table. */
  readonly chains: Record<IptablesTable, ReadonlySet<string>>;
  /** Rules in built-in chains that jump to one of our chains, per table, as iptables-save prints them (`-A …`). */
  readonly jumps: Record<IptablesTable, readonly string[]>;
}

/** RenderOptions are the fixed settings of one proxier. */
export interface RenderOptions {
  /** The chain prefix (≤ 9 characters), e.g. `TK1a2b`. */
  readonly prefix: string;
  /** The masquerade mark bit, as a hex mask (upstream: 0x4000). */
  readonly masqueradeMark: string;
  /**
   * NodePorts answer on 127.0.0.1 too (upstream's `--iptables-localhost-nodeports`, default on). The proxier then
   * sets `route_localnet`, and the rules drop new connections to 127.0.0.0/8 from other sources that were not
   * DNATed (martians the sysctl would otherwise let in), as upstream does. @default false (render only)
   */
  readonly localhostNodePorts?: boolean;
  /** The address family rendered: IPv6 for `ip6tables-restore` (a dual-stack node's second proxier). @default 'IPv4' */
  readonly family?: 'IPv4' | 'IPv6';
}

/** EMPTY_STATE is a namespace with none of our chains. */
export const EMPTY_STATE: IptablesState = { chains: { nat: new Set(), filter: new Set() }, jumps: { nat: [], filter: [] } };

/** chainPrefixFor derives a node's chain prefix: `TK` + 4 hex digits of its name. */
export function chainPrefixFor(nodeName: string): string {
  return `TK${createHash('sha256').update(nodeName).digest('hex').slice(0, 4)}`;
}

/** jumpRules are the rules our chains hang from, in iptables-save's canonical spelling (so they compare as text). */
export function jumpRules(o: RenderOptions): Record<IptablesTable, string[]> {
  const c = `-m comment --comment "tkube proxy ${o.prefix}"`;
  return {
    nat: [`-A PREROUTING ${c} -j ${o.prefix}-SERVICES`, `-A OUTPUT ${c} -j ${o.prefix}-SERVICES`, `-A POSTROUTING ${c} -j ${o.prefix}-POSTROUTING`],
    filter: ['INPUT', 'FORWARD', 'OUTPUT'].map((b) => `-A ${b} -m conntrack --ctstate NEW ${c} -j ${o.prefix}-FILTER`),
  };
}

/**
 * parseIptablesSave reads `iptables-save` output for the chains named `<prefix>-…` and the built-in chains' rules
 * that jump to them.
 */
export function parseIptablesSave(text: string, prefix: string): IptablesState {
  const chains: Record<IptablesTable, Set<string>> = { nat: new Set(), filter: new Set() };
  const jumps: Record<IptablesTable, string[]> = { nat: [], filter: [] };
  let table: IptablesTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const t = line.slice(1).trim();
      table = t === 'nat' || t === 'filter' ? t : undefined;
      continue;
    }
    if (!table) continue;
    if (line.startsWith(`:${prefix}-`)) chains[table].add(line.slice(1).split(' ')[0] ?? '');
    else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1] ?? '';
      if (!chain.startsWith(`${prefix}-`) && line.includes(` -j ${prefix}-`)) jumps[table].push(line.trim());
    }
  }
  return { chains, jumps };
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12).toUpperCase();
}

/** familyTest: does an address (or range) belong to the family rendered? Others are the other proxier's. */
function familyTest(o: RenderOptions): (ip: string) => boolean {
  return o.family === 'IPv6' ? (ip) => ip.includes(':') : (ip) => ip !== '' && !ip.includes(':');
}

/** The `recent` module's source mask: the whole address. */
function fullMask(o: RenderOptions): string {
  return o.family === 'IPv6' ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : '255.255.255.255';
}

function hostCidr(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

function hostPort(ep: ProxyEndpoint): string {
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '')}"`;
}

/** Rules collects one table's chains (declared in order) and rules. */
class TableRules {
  readonly chains: string[] = [];
  readonly rules: string[] = [];
  chain(name: string): string {
    if (!this.chains.includes(name)) this.chains.push(name);
    return name;
  }
  add(rule: string): void {
    this.rules.push(rule);
  }
}

/** EndpointSet is one endpoint-choice chain to render. */
interface EndpointSet {
  readonly chain: string;
  readonly endpoints: readonly ProxyEndpoint[];
}

/**
 * renderRules turns a snapshot into the rules of both tables (without the jumps from built-in chains). Services
 * without a cluster IP and SCTP ports are skipped (iptables can DNAT SCTP, but our endpoints never serve it yet).
 */
function renderRules(snapshot: ProxySnapshot, o: RenderOptions): { nat: TableRules; filter: TableRules } {
  const P = o.prefix;
  const nat = new TableRules();
  const filter = new TableRules();
  const services = nat.chain(`${P}-SERVICES`);
  const nodePorts = nat.chain(`${P}-NODEPORTS`);
  const post = nat.chain(`${P}-POSTROUTING`);
  const markMasq = nat.chain(`${P}-MARK-MASQ`);
  const filt = filter.chain(`${P}-FILTER`);
  const isV4 = familyTest(o); // "of the rendered family" (the name from when only IPv4 was rendered)
  nat.add(`-A ${post} -m mark ! --mark ${o.masqueradeMark}/${o.masqueradeMark} -j RETURN`);
  nat.add(`-A ${post} -j MARK --xor-mark ${o.masqueradeMark}`);
  nat.add(`-A ${post} -m comment --comment "tkube service traffic requiring SNAT" -j MASQUERADE --random-fully`);
  nat.add(`-A ${markMasq} -j MARK --or-mark ${o.masqueradeMark}`);
  let anyNodePort = false;

  const ports = [...snapshot.servicePorts].filter((sp) => sp.clusterIPs.some(isV4) && sp.protocol !== 'SCTP').sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const sp of ports) {
    const h = hash(P, sp.key, sp.protocol);
    const proto = sp.protocol.toLowerCase();
    const match = `-p ${proto} -m ${proto}`;
    const comment = `-m comment --comment ${quote(sp.key)}`;
    const clusterEps = clusterEndpoints(sp).filter((e) => isV4(e.ip));
    const externalEps = externalEndpoints(sp).filter((e) => isV4(e.ip));
    // The "Cluster" chain over all usable endpoints and the "Local" chain over this node's, each rendered only
    // when some frontend uses it. clusterEndpoints/externalEndpoints already apply the policy's locality.
    const svc: EndpointSet = { chain: `${P}-SVC-${h}`, endpoints: !sp.internalTrafficPolicyLocal ? clusterEps : !sp.externalTrafficPolicyLocal ? externalEps : [] };
    const svl: EndpointSet = { chain: `${P}-SVL-${h}`, endpoints: sp.internalTrafficPolicyLocal ? clusterEps : sp.externalTrafficPolicyLocal ? externalEps : [] };
    const internal = sp.internalTrafficPolicyLocal ? svl : svc;
    const sets = new Set<EndpointSet>();

    // Cluster IPs.
    for (const ip of sp.clusterIPs.filter(isV4)) {
      const dst = `-d ${hostCidr(ip)} ${match} --dport ${sp.port}`;
      if (internal.endpoints.length === 0) {
        filter.add(`-A ${filt} ${comment} ${dst} -j REJECT`);
        continue;
      }
      sets.add(internal);
      if (snapshot.clusterCidr !== '' && isV4(snapshot.clusterCidr)) nat.add(`-A ${services} ${comment} ! -s ${snapshot.clusterCidr} ${dst} -j ${markMasq}`);
      nat.add(`-A ${services} ${comment} ${dst} -j ${internal.chain}`);
    }

    // External frontends: NodePort, external IPs, load-balancer IPs, all through one EXT chain.
    const external = [...sp.externalIPs, ...sp.loadBalancerIPs].filter(isV4);
    if (external.length > 0 || sp.nodePort !== undefined) {
      const ranges = sp.loadBalancerSourceRanges ?? [];
      if (ranges.length > 0) {
        for (const ip of sp.loadBalancerIPs.filter(isV4)) filter.add(`-A ${filt} -m comment --comment ${quote(`${sp.key} traffic not accepted by the load-balancer source ranges`)} -d ${hostCidr(ip)} ${match} --dport ${sp.port} -j DROP`);
      }
      if (externalEps.length === 0) {
        for (const ip of external) filter.add(`-A ${filt} ${comment} -d ${hostCidr(ip)} ${match} --dport ${sp.port} -j REJECT`);
        if (sp.nodePort !== undefined) filter.add(`-A ${filt} ${comment} -m addrtype --dst-type LOCAL ${match} --dport ${sp.nodePort} -j REJECT`);
      } else {
        const ext = nat.chain(`${P}-EXT-${h}`);
        const ranges = sp.loadBalancerSourceRanges ?? [];
        const lbIPs = new Set(ranges.length > 0 ? sp.loadBalancerIPs : []);
        for (const ip of external) nat.add(`-A ${services} ${comment} -d ${hostCidr(ip)} ${match} --dport ${sp.port} -j ${lbIPs.has(ip) ? `${P}-FW-${h}` : ext}`);
        if (lbIPs.size > 0) {
          // loadBalancerSourceRanges: allowed clients go on to EXT (and are DNATed); the others fall out of the
          // chain undNATed and meet the DROP below in the filter table, as upstream's firewall chain does.
          const fw = nat.chain(`${P}-FW-${h}`);
          for (const range of ranges) nat.add(`-A ${fw} ${comment} -s ${range} -j ${ext}`);
        }
        if (sp.nodePort !== undefined) {
          anyNodePort = true;
          nat.add(`-A ${nodePorts} ${comment} ${match} --dport ${sp.nodePort} -j ${ext}`);
        }
        if (!sp.externalTrafficPolicyLocal) {
          sets.add(svc);
          nat.add(`-A ${ext} -m comment --comment "masquerade traffic for ${sp.key.replace(/"/g, '')} external destinations" -j ${markMasq}`);
          nat.add(`-A ${ext} -j ${svc.chain}`);
        } else {
          // Pods and the node itself reaching an external address get cluster behaviour (upstream's short-circuit);
          // when internal traffic has no endpoint they fall through to the local chain.
          if (internal.endpoints.length > 0) {
            sets.add(internal);
            if (snapshot.clusterCidr !== '' && isV4(snapshot.clusterCidr)) nat.add(`-A ${ext} -s ${snapshot.clusterCidr} -j ${internal.chain}`);
            nat.add(`-A ${ext} -m addrtype --src-type LOCAL -j ${markMasq}`);
            nat.add(`-A ${ext} -m addrtype --src-type LOCAL -j ${internal.chain}`);
          }
          sets.add(svl);
          nat.add(`-A ${ext} -j ${svl.chain}`);
        }
      }
    }

    for (const set of sets) renderEndpointChain(nat, set, sp, P, fullMask(o));
  }
  if (anyNodePort) nat.add(`-A ${services} -m comment --comment "tkube service nodeports" -m addrtype --dst-type LOCAL -j ${nodePorts}`);
  if (o.localhostNodePorts === true && o.family !== 'IPv6') filter.add(`-A ${filt} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`);
  return { nat, filter };
}

function renderEndpointChain(nat: TableRules, set: EndpointSet, sp: ProxyServicePort, P: string, mask: string): void {
  const chain = nat.chain(set.chain);
  const proto = sp.protocol.toLowerCase();
  const seps = set.endpoints.map((ep) => ({ ep, chain: `${P}-SEP-${hash(P, sp.key, sp.protocol, ep.ip, String(ep.port))}` }));
  const affinity = sp.sessionAffinitySeconds;
  if (affinity !== undefined) {
    for (const s of seps) nat.add(`-A ${chain} -m comment --comment ${quote(`${sp.key} -> ${hostPort(s.ep)}`)} -m recent --name ${s.chain} --mask ${mask} --rsource --rcheck --seconds ${affinity} --reap -j ${s.chain}`);
  }
  seps.forEach((s, i) => {
    const left = seps.length - i;
    const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
    nat.add(`-A ${chain} -m comment --comment ${quote(`${sp.key} -> ${hostPort(s.ep)}`)}${stat} -j ${s.chain}`);
  });
  for (const s of seps) {
    // An endpoint chain can be shared by the SVC and SVL chains (a local endpoint is in both): render it once.
    if (nat.chains.includes(s.chain)) continue;
    nat.chain(s.chain);
    const comment = `-m comment --comment ${quote(sp.key)}`;
    nat.add(`-A ${s.chain} ${comment} -s ${hostCidr(s.ep.ip)} -j ${P}-MARK-MASQ`);
    const recent = affinity !== undefined ? ` -m recent --name ${s.chain} --mask ${mask} --rsource --set` : '';
    nat.add(`-A ${s.chain} ${comment} -p ${proto}${recent} -m ${proto} -j DNAT --to-destination ${hostPort(s.ep)}`);
  }
}

/**
 * renderRestore is the `iptables-restore --noflush` input that takes a namespace from `existing` to the rules of
 * `snapshot` in one transaction per table: our chains are declared (which flushes them) and refilled, chains of
 * ours that are no longer needed are flushed and deleted, and the jumps from built-in chains are added unless
 * present exactly (stale spellings are deleted). With `snapshot` undefined it is the cleanup: everything of ours
 * goes.
 */
export function renderRestore(snapshot: ProxySnapshot | undefined, o: RenderOptions, existing: IptablesState): string {
  const rendered = snapshot ? renderRules(snapshot, o) : { nat: new TableRules(), filter: new TableRules() };
  const wantJumps = snapshot ? jumpRules(o) : { nat: [], filter: [] };
  const out: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const t = rendered[table];
    const stale = [...existing.chains[table]].filter((c) => !t.chains.includes(c)).sort();
    const have = existing.jumps[table];
    const missing = wantJumps[table].filter((j) => !have.includes(j));
    const unwanted = have.filter((j) => !wantJumps[table].includes(j));
    if (t.chains.length === 0 && stale.length === 0 && unwanted.length === 0 && missing.length === 0) continue;
    out.push(`*${table}`);
    for (const c of [...t.chains, ...stale]) out.push(`:${c} - [0:0]`);
    for (const j of unwanted) out.push(`-D${j.slice(2)}`);
    // Inserted at the top, as upstream does, so other software's rules in the built-in chains do not shadow ours.
    for (const j of missing) out.push(`-I${j.slice(2).replace(/^ (\S+)/, ' $1 1')}`);
    out.push(...t.rules);
    for (const c of stale) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
