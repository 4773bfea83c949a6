/**
 * Topology-aware routing: which zone each endpoint of a Service is meant to serve (EndpointSlice
 * `endpoints[].hints.forZones`), as upstream's EndpointSlice controller decides it. Pure functions; the
 * EndpointSlice reconciler feeds them its Service, pods and nodes.
 *
 * Two ways a Service asks for hints:
 *  - `service.kubernetes.io/topology-mode: Auto` (1.27+; the older `service.kubernetes.io/topology-aware-hints:
 *    auto` when the new one is absent). Endpoints are spread over zones in proportion to each zone's allocatable
 *    CPU (only Ready nodes count; control-plane nodes are left out), so no zone's endpoints take much more than
 *    their share. Hints are given only when that can be done safely: at least two zones with nodes, every such node
 *    with a zone label and CPU, at least as many ready endpoints as zones, each zone's minimum share reachable
 *    without overloading another by more than 20 %, every ready endpoint on a node with a zone, and every zone
 *    ending with at least one endpoint. Otherwise no endpoint carries hints and proxies use every endpoint.
 *  - `spec.trafficDistribution: PreferClose` (1.31+), when no topology annotation asks for Auto: every ready
 *    endpoint with a zone is hinted for its own zone, with no proportionality and no safeguards; a proxy still
 *    falls back to all endpoints when its zone has none.
 *
 * Endpoints that are not ready never carry hints (proxies only weigh ready ones).
 */
import type { KubeObject } from '../../api/meta/types.js';

export const TOPOLOGY_MODE_ANNOTATION = 'service.kubernetes.io/topology-mode';
/** The annotation topology-mode replaced; read only when topology-mode is absent. */
export const TOPOLOGY_AWARE_HINTS_ANNOTATION = 'service.kubernetes.io/topology-aware-hints';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Nodes carrying this label are not counted in zone capacity (upstream excludes control-plane nodes). */
const EXCLUDED_NODE_LABEL = 'node-role.kubernetes.io/control-plane';
/** How far above its proportional share a zone's endpoints may be loaded (upstream's fixed 20 %). */
export const OVERLOAD_THRESHOLD = 0.2;

/** The part of a Node the allocation reads. */
export interface TopologyNode extends KubeObject {
  status?: { allocatable?: Record<string, unknown>; conditions?: { type: string; status: string }[] };
}

/** HintsMode: how a Service wants its endpoints hinted. */
export type HintsMode = 'Auto' | 'PreferClose' | 'None';

/** hintsMode reads the Service's annotations and `spec.trafficDistribution`. */
export function hintsMode(annotations: Readonly<Record<string, string>> | undefined, trafficDistribution: string | undefined): HintsMode {
  const value = annotations?.[TOPOLOGY_MODE_ANNOTATION] ?? annotations?.[TOPOLOGY_AWARE_HINTS_ANNOTATION];
  if (value === 'Auto' || value === 'auto') return 'Auto';
  return trafficDistribution === 'PreferClose' ? 'PreferClose' : 'None';
}

/** ZoneShares: each zone's fraction of the allocatable CPU of the nodes that count, or why hints cannot be given. */
export type ZoneShares = { readonly shares: ReadonlyMap<string, number> } | { readonly problem: string };

function nodeReady(node: TopologyNode): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** cpuOf parses an allocatable CPU quantity ("4", "3500m") to cores; 0 when absent or unparseable. */
export function cpuOf(node: TopologyNode, parse: (q: unknown) => number | undefined): number {
  const cpu = parse(node.status?.allocatable?.['cpu']);
  return cpu !== undefined && cpu > 0 ? cpu : 0;
}

/** zoneShares computes the CPU share of every zone from the Ready, non-control-plane nodes. */
export function zoneShares(nodes: readonly TopologyNode[], parse: (q: unknown) => number | undefined): ZoneShares {
  const byZone = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    if (node.metadata?.labels?.[EXCLUDED_NODE_LABEL] !== undefined || !nodeReady(node)) continue;
    const zone = node.metadata?.labels?.[ZONE_LABEL] ?? '';
    const cpu = cpuOf(node, parse);
    // One node the allocation cannot place makes every share wrong: no hints rather than skewed ones.
    if (zone === '' || cpu === 0) return { problem: `insufficient node information: node ${node.metadata?.name ?? ''} has no zone label or no allocatable CPU` };
    byZone.set(zone, (byZone.get(zone) ?? 0) + cpu);
    total += cpu;
  }
  if (total === 0) return { problem: 'insufficient node information: no ready node with a zone' };
  if (byZone.size < 2) return { problem: 'ready nodes are in one zone only' };
  const shares = new Map<string, number>();
  for (const zone of [...byZone.keys()].sort()) shares.set(zone, (byZone.get(zone) ?? 0) / total);
  return { shares };
}

/** HintCandidate is one endpoint as the allocation sees it. */
export interface HintCandidate {
  readonly ready: boolean;
  /** The zone of the endpoint's node, when the node has one. */
  readonly zone?: string;
}

/** HintAllocation: the zone hint of each endpoint (by index; undefined = none), or why there are none. */
export type HintAllocation = { readonly hints: readonly (string | undefined)[] } | { readonly problem: string };

interface ZoneBudget {
  readonly minimum: number;
  readonly desired: number;
}

/**
 * allocateHints spreads the ready endpoints over the zones in proportion to their CPU shares: each endpoint first
 * serves its own zone; zones holding more than their rounded desired count then give endpoints to zones holding
 * fewer. Deterministic (zones in name order), so a repeated reconcile writes nothing.
 */
export function allocateHints(endpoints: readonly HintCandidate[], zones: ZoneShares): HintAllocation {
  if ('problem' in zones) return zones;
  const readyCount = endpoints.filter((e) => e.ready).length;
  if (readyCount < zones.shares.size) return { problem: `insufficient number of endpoints (${readyCount} endpoints, ${zones.shares.size} zones)` };
  const budgets = new Map<string, ZoneBudget>();
  let minimumTotal = 0;
  for (const [zone, share] of zones.shares) {
    const desired = share * readyCount;
    // The fewest endpoints this zone can have without each of them carrying more than 1.2× an even load.
    const minimum = Math.ceil(desired / (1 + OVERLOAD_THRESHOLD));
    budgets.set(zone, { minimum, desired: Math.max(desired, minimum) });
    minimumTotal += minimum;
    if (minimumTotal > readyCount) return { problem: `cannot give every zone its minimum of endpoints without exceeding the overload threshold (${readyCount} endpoints, ${zones.shares.size} zones)` };
  }
  const hints: (string | undefined)[] = [];
  const held = new Map<string, number>();
  for (const e of endpoints) {
    if (!e.ready) {
      hints.push(undefined);
      continue;
    }
    if (!e.zone) return { problem: 'one or more endpoints are on a node without a zone' };
    hints.push(e.zone);
    held.set(e.zone, (held.get(e.zone) ?? 0) + 1);
  }
  const giving = new Map<string, number>();
  const receiving = new Map<string, number>();
  for (const [zone, budget] of budgets) {
    const target = Math.round(budget.desired);
    const has = held.get(zone) ?? 0;
    if (has > target) giving.set(zone, has - target);
    else if (has < target) receiving.set(zone, target - has);
  }
  // Endpoints of zones without nodes that count (their nodes went NotReady) are surplus: given to zones short of
  // endpoints when some are; any left keep their own zone, as upstream leaves them.
  for (const [zone, has] of held) if (!budgets.has(zone)) giving.set(zone, has);
  for (let i = 0; i < endpoints.length && giving.size > 0 && receiving.size > 0; i++) {
    const from = hints[i];
    if (from === undefined) continue;
    const toGive = giving.get(from);
    if (toGive === undefined) continue;
    const to = [...receiving.keys()].sort()[0];
    if (to === undefined) break;
    hints[i] = to;
    if (toGive === 1) giving.delete(from);
    else giving.set(from, toGive - 1);
    const toReceive = receiving.get(to) ?? 0;
    if (toReceive <= 1) receiving.delete(to);
    else receiving.set(to, toReceive - 1);
    held.set(from, (held.get(from) ?? 0) - 1);
    held.set(to, (held.get(to) ?? 0) + 1);
  }
  for (const zone of budgets.keys()) if ((held.get(zone) ?? 0) === 0) return { problem: `no endpoints could be allocated to zone ${zone}` };
  return { hints };
}

/** preferCloseHints: PreferClose hints each ready endpoint for its own zone (none without a zone). */
export function preferCloseHints(endpoints: readonly HintCandidate[]): (string | undefined)[] {
  return endpoints.map((e) => (e.ready && e.zone ? e.zone : undefined));
}
