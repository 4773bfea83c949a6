/**
 * BridgeNetwork: the node's pod network on one Linux bridge (CNI bridge + host-local + portmap's roles).
 *
 *  - The bridge (`tkube0` by default) carries the pod CIDR's first address as the pods' gateway. The node
 *    forwards (`net.ipv4.ip_forward=1`) and, on the bridge only, accepts 127.0.0.0/8 sources on the wire
 *    (`route_localnet`), so a hostPort reached on 127.0.0.1 can be forwarded to a pod.
 *  - Per pod: a veth pair whose host end joins the bridge and whose other end is `eth0` in the pod's netns, an
 *    address from HostLocalIpam, and a default route via the gateway. Two `ip -batch` runs per pod (one per
 *    namespace), which also create the namespace when the runtime asks (`createNetns`): `ip` costs ≈ 20 ms a
 *    call here (50–70 ms under load) and pod start latency matters.
 *  - Dual-stack (the Node has an IPv6 `podCIDRs` entry too): the bridge also carries that range's first address
 *    (`nodad`: no duplicate-address wait, the address is ours alone), the node forwards IPv6
 *    (`net.ipv6.conf.all.forwarding=1`), and each pod gets an IPv6 address from a second HostLocalIpam with a
 *    default route via the bridge; the pod's IPs are reported IPv4 first. With the cluster's IPv6 range
 *    (`clusterCidrV6`) an `ip6` table of the same name masquerades IPv6 leaving it and publishes hostPorts on IPv6.
 *  - IPv4 only (no IPv6 pod CIDR): the pods' interfaces make no IPv6 link-local address (`addrgenmode none`, both
 *    ends of each veth). With one, every interface coming up sends duplicate-address probes, multicast listener
 *    reports and router solicitations, which the bridge floods to every other pod: work in the kernel that grows
 *    with the square of the pods (≈ 4 ms of kernel-thread CPU a pod in a 200-pod burst, docs/benchmarks.md issue 6
 *    session 15). Loopback keeps ::1. Docker does the same for containers of networks without IPv6.
 *  - One nftables table of our own (podNatTable) for masquerade and hostPorts, rewritten whole with `nft -f`.
 *  - A warm pool (warm-netns-pool.ts) of a few namespaces whose veth is already on the bridge: a sandbox that asks
 *    for a new namespace takes one and only gets loopback up, its addresses and routes (one `ip` run); when the pool
 *    is empty the sandbox waits for its next refill, one `ip` run for all the entries it lacks and all the sandboxes
 *    then waiting (it makes its namespace as above only when the pool cannot). The pool's namespaces are named
 *    `tkw-<hash of bridge and table>-<random>`
 *    (warmNetnsPrefix), so destroyBridgeNetwork finds them by name; `stop` deletes the free ones.
 *  - State lives under `dir`: the IPAM record, a JSON file per connected sandbox, and `network.json` naming the
 *    bridge and table (what a clean-up needs to find them).
 * The table and bridge stay when the agent stops (pods outlive the agent); `destroy` removes both.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { dirEntries } from '../../base/fs/dir-entries.js';
import { readJson, writeJsonAtomic } from '../../base/fs/json-file.js';
import type { Logger } from '../../base/log/logger.js';
import type { PortMapping } from '../cri/runtime-service.js';
import { nthAddress, parseCidr } from '../../base/net/cidr.js';
import { formatIP } from '../../base/net/ip-address.js';
import { formatIPv4, parseIPv4Cidr } from '../pod-ip-allocator.js';
import { HostLocalIpam } from './host-local-ipam.js';
import { linkExists, linkNames, runWithInput } from './ip-command.js';
import { podNatTable } from './pod-nat-table.js';
import type { PodNetwork, PodNetworkRequest, PodNetworkResult } from './pod-network.js';
import { netnsExists, WarmNetnsPool, type WarmNetns } from './warm-netns-pool.js';

/** BridgeNetworkConfig configures one node's bridge network. */
export interface BridgeNetworkConfig {
  /** Where the network keeps its state (under the agent dir). */
  readonly dir: string;
  /**
   * Where the records that live as long as the pods' namespaces go: each pod's record (`pods/`) and its address
   * leases (`ipam/`). The node gives a tmpfs (no inode allocation on disk per pod, see VolumeManagerConfig.volatileDir;
   * namespaces do not outlive the machine either). A node whose records are on disk already (`<dir>/pods` or
   * `<dir>/ipam` hold entries: pods started before this setting) keeps them there. @default dir
   */
  readonly recordsDir?: string;
  /** The node's `spec.podCIDR`, e.g. 10.42.0.0/24. */
  readonly podCidr: string;
  /** The node's IPv6 pod CIDR (its `spec.podCIDRs` entry of that family, e.g. fd00:42:0:ff::/64): dual-stack pods. */
  readonly podCidrV6?: string;
  /** The cluster's IPv4 pod range: traffic from it to outside it is masqueraded. */
  readonly clusterCidr: string;
  /** The cluster's IPv6 pod range on a dual-stack node: IPv6 masquerade, and hostPorts on IPv6 (see podNatTable). */
  readonly clusterCidrV6?: string;
  /** @default "tkube0" (at most 15 characters) */
  readonly bridgeName?: string;
  /** The nftables table (family ip, and ip6 on a dual-stack node) of this network, e.g. `tkube-<node>`. */
  readonly table: string;
  /** @default 1500 */
  readonly mtu?: number;
  /** Free namespaces kept in the warm pool (0: none, every namespace is made on demand). @default 4 */
  readonly warmNetns?: number;
  readonly log: Logger;
}

/** PodRecord is what the network remembers of a connected sandbox. */
interface PodRecord {
  readonly ip: string;
  /** The pod's IPv6 address on a dual-stack node. */
  readonly ip6?: string;
  /** Absent for a pod another plugin connected (publishHostPorts): only its hostPorts are ours. */
  readonly hostVeth?: string;
  readonly portMappings: readonly PortMapping[];
}

/** NetworkRecord names what the network made on the host, for a clean-up that runs without the agent. */
export interface NetworkRecord {
  readonly bridge: string;
  readonly table: string;
  readonly podCidr: string;
  readonly podCidrV6?: string;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const TABLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** BridgeNetwork connects pod sandboxes to the node's bridge. */
export class BridgeNetwork implements PodNetwork {
  readonly name = 'bridge';
  readonly bridge: string;
  readonly table: string;
  /** The bridge's address: the pods' gateway and the node as pods see it. */
  readonly gateway: string;
  /** The bridge's IPv6 address on a dual-stack node: the pods' IPv6 gateway. */
  readonly gateway6: string | undefined;
  readonly #c: BridgeNetworkConfig;
  readonly #prefix: number;
  readonly #prefix6: number;
  readonly #mtu: number;
  /**
   * Whether the pods' interfaces get no IPv6 link-local address: an IPv4-only network on a host with IPv6 (where
   * IPv6 is off, `addrgenmode` is refused, and there is nothing to quieten).
   */
  readonly #quietIPv6: boolean;
  /** Where the pod records and leases are (BridgeNetworkConfig.recordsDir, or `dir` for records already on disk). */
  readonly #records: string;
  readonly #ipam: HostLocalIpam;
  readonly #ipam6: HostLocalIpam | undefined;
  readonly #pool: WarmNetnsPool | undefined;
  #ready: Promise<void> | undefined;
  /** nft rewrites run one at a time, each from the records as they are when it starts. */
  #tableWrite: Promise<void> = Promise.resolve();

  /** Throws on a bad CIDR, bridge or table name (clear messages; nothing is touched yet). */
  constructor(config: BridgeNetworkConfig) {
    this.#c = config;
    this.bridge = config.bridgeName ?? 'tkube0';
    if (!IFNAME.test(this.bridge)) throw new Error(`Cannot use "${this.bridge}" as the pod bridge: want up to 15 letters, digits, "-", "_" or "."`);
    if (!TABLE_NAME.test(config.table)) throw new Error(`Cannot use "${config.table}" as the nftables table: want up to 64 letters, digits, "-" or "_"`);
    this.table = config.table;
    const { base } = parseIPv4Cidr(config.podCidr);
    parseIPv4Cidr(config.clusterCidr);
    this.#prefix = Number(config.podCidr.split('/')[1]);
    this.gateway = formatIPv4(base + 1);
    this.#mtu = config.mtu ?? 1500;
    this.#quietIPv6 = config.podCidrV6 === undefined && existsSync('/proc/sys/net/ipv6/conf/default');
    this.#records = config.recordsDir !== undefined && dirEntries(join(config.dir, 'pods')).length === 0 && dirEntries(join(config.dir, 'ipam')).length === 0 ? config.recordsDir : config.dir;
    this.#ipam = new HostLocalIpam(join(this.#records, 'ipam'), config.podCidr);
    if (config.podCidrV6 !== undefined) {
      const v6 = parseCidr(config.podCidrV6);
      if (v6.family !== 'IPv6') throw new Error(`Cannot use "${config.podCidrV6}" as the node's IPv6 pod CIDR: it is not an IPv6 range`);
      this.gateway6 = formatIP(nthAddress(v6, 1));
      this.#prefix6 = v6.bits;
      this.#ipam6 = new HostLocalIpam(join(this.#records, 'ipam'), config.podCidrV6);
      if (config.clusterCidrV6 !== undefined && parseCidr(config.clusterCidrV6).family !== 'IPv6') throw new Error(`Cannot use "${config.clusterCidrV6}" as the cluster's IPv6 pod range: it is not an IPv6 range`);
    } else {
      this.gateway6 = undefined;
      this.#prefix6 = 0;
      this.#ipam6 = undefined;
    }
    mkdirSync(join(this.#records, 'pods'), { recursive: true });
    const warm = config.warmNetns ?? 4;
    this.#pool =
      warm > 0
        ? new WarmNetnsPool({
            dir: join(config.dir, 'warm'),
            prefix: warmNetnsPrefix(this.bridge, this.table),
            size: warm,
            hostVethOf: hostVethName,
            make: (entries) => this.#makeWarm(entries),
            destroy: (e) => destroyWarm(e),
            exists: (e) => netnsExists(e.netns) && linkExists(e.hostVeth),
            log: config.log.child('warm-netns'),
          })
        : undefined;
  }

  /** start makes the bridge, the sysctls and the table (idempotent; also done by the first setUp). */
  start(): Promise<void> {
    this.#ready ??= this.#start().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async #start(): Promise<void> {
    const record: NetworkRecord = { bridge: this.bridge, table: this.table, podCidr: this.#c.podCidr, ...(this.#c.podCidrV6 ? { podCidrV6: this.#c.podCidrV6 } : {}) };
    writeJsonAtomic(join(this.#c.dir, 'network.json'), record);
    const fresh = !linkExists(this.bridge);
    if (fresh) await ipBatch(undefined, [`link add ${this.bridge} mtu ${this.#mtu} type bridge`]);
    if (this.gateway6 !== undefined) {
      // A bridge made where IPv6 is off by default would refuse the address.
      writeFileSync(`/proc/sys/net/ipv6/conf/${this.bridge}/disable_ipv6`, '0');
    }
    const lines = [`addr replace ${this.gateway}/${this.#prefix} dev ${this.bridge}`];
    if (this.gateway6 !== undefined) lines.push(`addr replace ${this.gateway6}/${this.#prefix6} dev ${this.bridge} nodad`);
    lines.push(`link set ${this.bridge} up`);
    await ipBatch(undefined, lines);
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    writeFileSync(`/proc/sys/net/ipv4/conf/${this.bridge}/route_localnet`, '1');
    if (this.gateway6 !== undefined) writeFileSync('/proc/sys/net/ipv6/conf/all/forwarding', '1');
    await this.#writeTable();
    await this.#pool?.start();
    this.#c.log.info('Pod network ready', { bridge: this.bridge, gateway: this.gateway, podCIDR: this.#c.podCidr, ...(this.#c.podCidrV6 ? { podCIDRv6: this.#c.podCidrV6 } : {}), table: this.table });
  }

  async setUp(request: PodNetworkRequest): Promise<PodNetworkResult> {
    await this.start();
    const id = request.sandboxId;
    const known = readJson<PodRecord>(this.#podPath(id));
    if (known?.hostVeth !== undefined && linkExists(known.hostVeth)) return { ips: known.ip6 ? [known.ip, known.ip6] : [known.ip] };
    // A sandbox that wants a new namespace takes a warm one when there is one: the runtime records its name.
    // In a burst it waits for the pool's next make rather than make a namespace alone (warm-netns-pool.ts).
    const warm = request.createNetns ? await this.#pool?.acquire() : undefined;
    const hostVeth = warm?.hostVeth ?? hostVethName(id);
    const ip = this.#ipam.allocate(id);
    let ip6: string | undefined;
    try {
      ip6 = this.#ipam6?.allocate(id);
      const v6 = ip6 !== undefined && this.gateway6 !== undefined ? [`addr add ${ip6}/${this.#prefix6} dev eth0 nodad`] : [];
      const v6Route = ip6 !== undefined && this.gateway6 !== undefined ? [`route add default via ${this.gateway6} dev eth0`] : [];
      const addresses = [`addr add ${ip}/${this.#prefix} dev eth0`, ...v6, ...(this.#quietIPv6 ? ['link set eth0 addrgenmode none'] : []), 'link set eth0 up', `route add default via ${this.gateway} dev eth0`, ...v6Route];
      if (warm) {
        // Loopback too: a warm namespace is made in one `ip` run, which cannot reach into the namespace it made.
        await ipBatch(warm.netns, ['link set lo up', ...addresses]);
      } else {
        // A veth left by an attempt that died half-way goes first, so `link add` below cannot clash.
        if (linkExists(hostVeth)) await ipBatch(undefined, [`link del ${hostVeth}`]);
        const netns = netnsName(request.netnsPath);
        await ipBatch(undefined, this.#vethLines(netns, hostVeth, request.createNetns === true));
        await ipBatch(netns, [...(request.createNetns ? ['link set lo up'] : []), ...addresses]);
      }
      writeJsonAtomic(this.#podPath(id), { ip, ...(ip6 !== undefined ? { ip6 } : {}), hostVeth, portMappings: request.portMappings } satisfies PodRecord);
      if (request.portMappings.some((pm) => pm.hostPort)) await this.#writeTable();
    } catch (err) {
      // A warm namespace is the network's to delete (the runtime never learnt its name); deleting it deletes its veth.
      if (warm) await destroyWarm(warm).catch(() => undefined);
      else await ipBatch(undefined, [`link del ${hostVeth}`]).catch(() => undefined);
      rmSync(this.#podPath(id), { force: true });
      this.#ipam.release(id);
      this.#ipam6?.release(id);
      throw err;
    }
    return { ips: ip6 !== undefined ? [ip, ip6] : [ip], ...(warm ? { netnsPath: `/run/netns/${warm.netns}` } : {}) };
  }

  /**
   * #vethLines makes the veth pair: the host end on the bridge, `eth0` in `netns` (made first when `create`).
   * Hairpin: a pod's packets sent to a node address and DNATed back to itself (its own hostPort, later its own
   * Service) must be allowed out of the bridge port they came in on. `netns add` in a batch leaves the lines after
   * it in the host's namespace (iproute2 restores it).
   */
  #vethLines(netns: string, hostVeth: string, create: boolean): string[] {
    return [
      ...(create ? [`netns add ${netns}`] : []),
      `link add ${hostVeth} mtu ${this.#mtu} master ${this.bridge} type veth peer name eth0 mtu ${this.#mtu} netns /run/netns/${netns}`,
      // Before it is up, or it makes its link-local address at once (see the file comment).
      ...(this.#quietIPv6 ? [`link set ${hostVeth} addrgenmode none`] : []),
      `link set ${hostVeth} up`,
      `link set ${hostVeth} type bridge_slave hairpin on`,
    ];
  }

  /**
   * #makeWarm makes warm pool entries: their namespaces and veth pairs on the bridge, all in one `ip` run (a run
   * from the host's namespace cannot set links inside the namespaces it made: `lo` and `eth0` come up with the pod's
   * addresses, in setUp's run in the namespace).
   */
  async #makeWarm(entries: readonly WarmNetns[]): Promise<void> {
    await this.start();
    // The link table is read once for the batch: it has a line per pod, and a burst's batch has dozens of entries.
    const links = linkNames();
    await ipBatch(undefined, entries.flatMap((e) => [...(links.has(e.hostVeth) ? [`link del ${e.hostVeth}`] : []), ...this.#vethLines(e.netns, e.hostVeth, true)]));
  }

  /** stop deletes the warm pool's free namespaces (the bridge, the table and the pods' network stay). */
  async stop(): Promise<void> {
    await this.#pool?.stop();
  }

  /** warmNetns is the number of free warm namespaces now (for tests). */
  get warmNetns(): number {
    return this.#pool?.size ?? 0;
  }

  /** warmFilled resolves once the warm pool's refill under way, if any, has ended (for tests). */
  warmFilled(): Promise<void> {
    return this.#pool?.filled() ?? Promise.resolve();
  }

  async tearDown(request: PodNetworkRequest): Promise<void> {
    const id = request.sandboxId;
    const known = readJson<PodRecord>(this.#podPath(id));
    const hostVeth = known?.hostVeth ?? hostVethName(id);
    if (linkExists(hostVeth)) await ipBatch(undefined, [`link del ${hostVeth}`]).catch((err: unknown) => this.#c.log.warn('Cannot delete veth', { veth: hostVeth, error: String(err) }));
    rmSync(this.#podPath(id), { force: true });
    this.#ipam.release(id);
    this.#ipam6?.release(id);
    if (known?.portMappings.some((pm) => pm.hostPort)) await this.#writeTable();
  }

  /**
   * publishHostPorts adds the hostPort DNAT of a pod this network did not connect — containerd's CNI bridge plugin
   * put it on this bridge — to the same table (and record) as our own pods' ports, so hostPorts behave alike on
   * every runtime. IPv4 only, like the table. Idempotent; `unpublishHostPorts` (or `tearDown`) removes them.
   */
  async publishHostPorts(sandboxId: string, ip: string, portMappings: readonly PortMapping[]): Promise<void> {
    await this.start();
    writeJsonAtomic(this.#podPath(sandboxId), { ip, portMappings } satisfies PodRecord);
    await this.#writeTable();
  }

  /** unpublishHostPorts removes what publishHostPorts added (a no-op for unknown IDs). */
  async unpublishHostPorts(sandboxId: string): Promise<void> {
    const known = readJson<PodRecord>(this.#podPath(sandboxId));
    if (!known) return;
    rmSync(this.#podPath(sandboxId), { force: true });
    await this.#writeTable();
  }

  /** destroy deletes the bridge and the table (tests, uninstall); pods still attached lose their network. */
  async destroy(): Promise<void> {
    await destroyBridgeNetwork({ bridge: this.bridge, table: this.table, podCidr: this.#c.podCidr });
    this.#ready = undefined;
  }

  #podPath(id: string): string {
    return join(this.#records, 'pods', `${id.replace(/[^\w-]/g, '_')}.json`);
  }

  #writeTable(): Promise<void> {
    const next = this.#tableWrite.then(async () => {
      const pods = readdirSync(join(this.#records, 'pods'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => readJson<PodRecord>(join(this.#records, 'pods', f)))
        .filter((r): r is PodRecord => r !== undefined);
      // IPv6 NAT needs both the pods' IPv6 addresses (a node IPv6 pod CIDR) and the cluster range to masquerade from.
      const v6 = this.gateway6 !== undefined && this.#c.clusterCidrV6 !== undefined ? { clusterCidrV6: this.#c.clusterCidrV6 } : {};
      await runWithInput('nft', ['-f', '-'], podNatTable({ table: this.table, clusterCidr: this.#c.clusterCidr, ...v6, pods }));
    });
    this.#tableWrite = next.catch(() => undefined);
    return next;
  }
}

/**
 * destroyBridgeNetwork removes what a BridgeNetwork made on the host (missing parts are fine), the warm pool's
 * namespaces included: free or taken by a sandbox, they are found by their names' prefix.
 */
export async function destroyBridgeNetwork(record: NetworkRecord): Promise<void> {
  const prefix = warmNetnsPrefix(record.bridge, record.table);
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    // No /run/netns: no namespace to delete.
  }
  // -force: a namespace deleted meanwhile does not stop the batch.
  if (names.length > 0) await runWithInput('ip', ['-force', '-batch', '-'], names.map((n) => `netns delete ${n}\n`).join('')).catch(() => undefined);
  const t = record.table;
  if (TABLE_NAME.test(t)) await runWithInput('nft', ['-f', '-'], `table ip ${t} {}\ndelete table ip ${t}\ntable ip6 ${t} {}\ndelete table ip6 ${t}\n`).catch(() => undefined);
  if (IFNAME.test(record.bridge) && linkExists(record.bridge)) await ipBatch(undefined, [`link del ${record.bridge}`]).catch(() => undefined);
}

/** readNetworkRecord reads `network.json` of a BridgeNetwork dir, if there is one. */
export function readNetworkRecord(dir: string): NetworkRecord | undefined {
  return readJson<NetworkRecord>(join(dir, 'network.json'));
}

/**
 * warmNetnsPrefix starts the names of a network's warm namespaces: from its bridge and table, which are the
 * node's own (two nodes of one host, even in separate network namespaces, share /run/netns).
 */
export function warmNetnsPrefix(bridge: string, table: string): string {
  return `tkw-${createHash('sha256').update(`${bridge}\u0000${table}`).digest('hex').slice(0, 10)}-`;
}

/** destroyWarm deletes a warm namespace (and so its veth pair) and the host end should it be left alone. */
async function destroyWarm(entry: WarmNetns): Promise<void> {
  if (netnsExists(entry.netns)) await ipBatch(undefined, [`netns delete ${entry.netns}`]);
  if (linkExists(entry.hostVeth)) await ipBatch(undefined, [`link del ${entry.hostVeth}`]);
}

/** hostVethName is the host end's name: fixed per sandbox (so a retry finds it) and within IFNAMSIZ. */
function hostVethName(sandboxId: string): string {
  return `veth${createHash('sha256').update(sandboxId).digest('hex').slice(0, 11)}`;
}

/** netnsName is what `ip -n` wants: the name of a namespace under /run/netns. */
function netnsName(path: string): string {
  if (dirname(path) !== '/run/netns') throw new Error(`Cannot connect network namespace ${path}: want one under /run/netns`);
  return basename(path);
}

/** ipBatch runs `ip [-n netns] -batch -` with one command per line: one process for several changes. */
async function ipBatch(netns: string | undefined, lines: readonly string[]): Promise<void> {
  await runWithInput('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], lines.join('\n') + '\n');
}

