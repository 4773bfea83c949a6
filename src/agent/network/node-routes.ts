/**
 * NodeRouteController: routes from this node to the pod CIDRs of the other nodes (host-gw where they share a link,
 * VXLAN where they do not; see route-plan.ts for the decisions). It watches Nodes through an informer and, on any
 * change and every `resyncMs`, reads the host's state with `ip -j`, plans, and applies only the difference with one
 * `ip -batch` (and one `bridge -batch` for FDB entries). Level-based and idempotent: a restarted agent, a route
 * someone deleted or a node that went away are all repaired by the next pass.
 *
 * Contracts:
 *  - `start` publishes this node's VTEP MAC in the `tkube.io/vtep-mac` annotation before the first pass, so other
 *    nodes can reach it by VXLAN.
 *  - Routes stay when the agent stops (pods outlive the agent, as the bridge does); `destroy` removes the routes
 *    it owns inside the cluster CIDR and the VXLAN device.
 *  - A failed pass is logged and retried at the next event or resync; it never stops the agent.
 */
import { createHash } from 'node:crypto';
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { KubeObject } from '../../api/meta/types.js';
import { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { bridgeBatch, ipBatch, ipJson, linkExists } from './ip-command.js';
import { planNodeRoutes, ROUTE_PROTOCOL, routeCommands, VTEP_MAC_ANNOTATION, vtepMac, VXLAN_OVERHEAD, type HostRouteState, type RouteNode } from './route-plan.js';

/** NodeRouteControllerConfig configures the routes of one node. */
export interface NodeRouteControllerConfig {
  readonly client: RestClient;
  readonly nodeName: string;
  /** This node's InternalIP: the VXLAN device's local address. */
  readonly nodeIP: string;
  readonly podCidr: string;
  readonly clusterCidr: string;
  /** Dual-stack: this node's IPv6 pod CIDR and the cluster's IPv6 range (IPv6 pod CIDRs are routed over VXLAN). */
  readonly podCidrV6?: string;
  readonly clusterCidrV6?: string;
  /** @default "tkube.1" */
  readonly vxlanDevice?: string;
  /** MTU of the link between nodes; the VXLAN device gets 50 bytes less. @default 1500 */
  readonly mtu?: number;
  /** @default 30000 */
  readonly resyncMs?: number;
  readonly clock: Clock;
  readonly log: Logger;
}

interface NodeShape extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: { type: string; address: string }[] };
}

interface AddrJson {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** podCidrV6Of is a Node's IPv6 `podCIDRs` entry (dual-stack), if any. */
function podCidrV6Of(n: NodeShape): string | undefined {
  return n.spec?.podCIDRs?.find((c) => c.includes(':'));
}

/** toRouteNode reads what planning needs from a Node. */
export function toRouteNode(node: KubeObject): RouteNode {
  const n = node as NodeShape;
  const labels = n.metadata?.labels ?? {};
  return {
    name: n.metadata?.name ?? '',
    podCidr: n.spec?.podCIDR,
    internalIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
    vtepMac: n.metadata?.annotations?.[VTEP_MAC_ANNOTATION],
    ...(podCidrV6Of(n) ? { podCidrV6: podCidrV6Of(n) } : {}),
    simulated: labels['node.tkube.io/runtime'] === 'simulated' || labels['node.tkube.io/simulated'] === 'true',
  };
}

/** NodeRouteController keeps the routes to other nodes' pods. */
export class NodeRouteController {
  readonly device: string;
  readonly mac: string;
  readonly #c: NodeRouteControllerConfig;
  readonly #informer: SharedInformer;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #pass: Promise<void> = Promise.resolve();
  #queued = false;
  #resync: Timer | undefined;
  #lastSkipped = '';
  #stopped = false;

  constructor(config: NodeRouteControllerConfig) {
    this.#c = config;
    this.device = config.vxlanDevice ?? 'tkube.1';
    this.mac = vtepMac(createHash('sha256').update(`vtep/${config.nodeName}`).digest());
    this.#informer = new SharedInformer({ client: config.client, path: { version: 'v1', resource: 'nodes' }, clock: config.clock, log: config.log });
  }

  /** start publishes the VTEP MAC, starts watching Nodes and runs the first pass once the Node list is in. */
  async start(): Promise<void> {
    await this.#c.client.patch({ version: 'v1', resource: 'nodes', name: this.#c.nodeName }, 'merge', { metadata: { annotations: { [VTEP_MAC_ANNOTATION]: this.mac } } });
    const wake = (): void => this.#enqueue();
    // Status heartbeats update every Node every few seconds; only a change of what routing reads needs a pass.
    const changed = (a: KubeObject, b: KubeObject): void => void (JSON.stringify(toRouteNode(a)) !== JSON.stringify(toRouteNode(b)) && wake());
    this.#informer.addEventHandler({ onAdd: wake, onUpdate: changed, onDelete: wake });
    this.#running = this.#informer.run(this.#abort.signal);
    await this.#informer.waitForSync(this.#abort.signal);
    this.#enqueue();
    await this.#pass;
  }

  /** stop ends the watch; the routes stay. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#resync?.cancel();
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
    await this.#pass;
  }

  /** destroy stops and removes this controller's routes (inside the cluster CIDR) and its VXLAN device. */
  async destroy(): Promise<void> {
    await this.stop();
    await destroyNodeRoutes({ device: this.device, clusterCidr: this.#c.clusterCidr, ...(this.#c.clusterCidrV6 ? { clusterCidrV6: this.#c.clusterCidrV6 } : {}) });
  }

  /** #enqueue coalesces wake-ups: at most one pass runs and one more waits. */
  #enqueue(): void {
    if (this.#stopped || this.#queued) return;
    this.#queued = true;
    this.#pass = this.#pass.then(async () => {
      this.#queued = false;
      if (this.#stopped) return;
      try {
        await this.sync();
      } catch (err) {
        this.#c.log.warn('Cannot update routes to other nodes; retrying at the next change', { err: err instanceof Error ? err.message : String(err) });
      }
      this.#resync?.cancel();
      if (!this.#stopped) this.#resync = this.#c.clock.setTimer(this.#c.resyncMs ?? 30_000, () => this.#enqueue());
    });
  }

  /** sync runs one pass: read the host, plan, apply the difference. */
  async sync(): Promise<void> {
    const c = this.#c;
    const plan = planNodeRoutes({
      self: { name: c.nodeName, nodeIP: c.nodeIP, podCidr: c.podCidr, ...(c.podCidrV6 ? { podCidrV6: c.podCidrV6 } : {}) },
      connected: await connectedSubnets(this.device),
      nodes: this.#informer.store.list().map(toRouteNode),
    });
    const skipped = JSON.stringify(plan.skipped);
    if (skipped !== this.#lastSkipped && plan.skipped.length > 0) c.log.info('Not routing to some nodes yet', { nodes: plan.skipped });
    this.#lastSkipped = skipped;
    const state = await hostRouteState(this.device, c.podCidrV6 !== undefined);
    const commands = routeCommands(plan, state, {
      device: this.device,
      mac: this.mac,
      nodeIP: c.nodeIP,
      podCidr: c.podCidr,
      clusterCidr: c.clusterCidr,
      ...(c.podCidrV6 ? { podCidrV6: c.podCidrV6 } : {}),
      ...(c.clusterCidrV6 ? { clusterCidrV6: c.clusterCidrV6 } : {}),
      mtu: (c.mtu ?? 1500) - VXLAN_OVERHEAD,
    });
    if (commands.ip.length === 0 && commands.bridge.length === 0) return;
    await ipBatch(undefined, commands.ip);
    await bridgeBatch(commands.bridge);
    const routes6 = (plan.routes6 ?? []).map((r) => `${r.podCidr} vxlan ${r.nodeIP} (${r.node})`);
    c.log.info('Updated routes to other nodes', { routes: [...plan.routes.map((r) => `${r.podCidr} ${r.kind} ${r.kind === 'host-gw' ? r.via : r.nodeIP} (${r.node})`), ...routes6], changes: commands.ip.length + commands.bridge.length });
  }
}

/** connectedSubnets lists the subnets of this host's IPv4 addresses (as `address/prefix`), the VXLAN device's excluded. */
async function connectedSubnets(device: string): Promise<string[]> {
  const links = await ipJson<AddrJson>('ip', ['-4', 'addr', 'show']);
  const out: string[] = [];
  for (const l of links) {
    if (l.ifname === device || l.ifname === 'lo') continue;
    for (const a of l.addr_info ?? []) if (a.family === 'inet' && a.local && a.prefixlen !== undefined) out.push(`${a.local}/${a.prefixlen}`);
  }
  return out;
}

/** hostRouteState reads our routes and the VXLAN device's neighbours and FDB entries (IPv6 ones too when `ipv6`). */
async function hostRouteState(device: string, ipv6 = false): Promise<HostRouteState> {
  const routes = await ipJson<{ dst: string; gateway?: string; dev?: string }>('ip', ['-4', 'route', 'show', 'proto', String(ROUTE_PROTOCOL)]);
  const routes6 = ipv6 ? await ipJson<{ dst: string; gateway?: string; dev?: string }>('ip', ['-6', 'route', 'show', 'proto', String(ROUTE_PROTOCOL)]) : [];
  const vxlanDevice = linkExists(device);
  if (!vxlanDevice) return { routes, vxlanDevice, neighbours: [], fdb: [], ...(ipv6 ? { routes6 } : {}) };
  const neighbours = (await ipJson<{ dst: string; lladdr?: string }>('ip', ['-4', 'neigh', 'show', 'dev', device])).filter((n) => n.lladdr !== undefined);
  const neighbours6 = ipv6 ? (await ipJson<{ dst: string; lladdr?: string }>('ip', ['-6', 'neigh', 'show', 'dev', device])).filter((n) => n.lladdr !== undefined) : [];
  const fdb = await ipJson<{ mac: string; dst?: string }>('bridge', ['fdb', 'show', 'dev', device]);
  return { routes, vxlanDevice, neighbours, fdb, ...(ipv6 ? { routes6, neighbours6 } : {}) };
}

/**
 * destroyNodeRoutes removes the routes of ROUTE_PROTOCOL inside `clusterCidr` (and `clusterCidrV6`, dual-stack) and
 * the VXLAN device (missing parts are fine).
 */
export async function destroyNodeRoutes(o: { device: string; clusterCidr: string; clusterCidrV6?: string }): Promise<void> {
  const state = await hostRouteState(o.device, o.clusterCidrV6 !== undefined).catch(() => undefined);
  if (!state) return;
  const { ip } = routeCommands({ routes: [], skipped: [] }, { ...state, vxlanDevice: false }, { device: o.device, mac: '', nodeIP: '', podCidr: '', clusterCidr: o.clusterCidr, ...(o.clusterCidrV6 ? { clusterCidrV6: o.clusterCidrV6 } : {}), mtu: 0 });
  const lines = [...ip, ...(state.vxlanDevice ? [`link del ${o.device}`] : [])];
  // Route by route: one already gone must not stop the others.
  for (const line of lines) await ipBatch(undefined, [line]).catch(() => undefined);
}
