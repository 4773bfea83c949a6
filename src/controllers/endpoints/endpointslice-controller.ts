/**
 * EndpointSlice controller: keeps discovery.k8s.io/v1 EndpointSlices for each selector Service (upstream's
 * "endpointslice" controller). A dual-stack Service gets one set of slices per address family (`addressType`
 * IPv4 / IPv6, from its `ipFamilies`), each listing the pods' IPs of that family. Endpoints are grouped by their
 * resolved ports (a slice has one port list) and cut into slices of at most 100; each endpoint carries ready/serving/terminating, its node and its pod. Slices are
 * labelled `kubernetes.io/service-name` and managed-by this controller, owned by the Service (so they go with it),
 * and reused in place before new ones are created or extra ones deleted.
 *
 * Each endpoint also carries its node's `topology.kubernetes.io/zone` as `zone`, and — when the Service asks for
 * topology-aware routing (topology-hints.ts) — `hints.forZones`. The reconciler remembers per Service whether it
 * gave hints, so TopologyAwareHintsEnabled / TopologyAwareHintsDisabled events mark changes only.
 */
import { semanticJson } from '../../api/meta/semantic-json.js';
import type { KubeObject } from '../../api/meta/types.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { Reconciler } from '../reconciler.js';
import { endpointPorts, endpointTarget, podEndpoints, serviceAddressTypes, type EndpointPort, type PodShape, type ServiceShape } from './service-endpoints.js';
import { selects, servicesSelecting } from './service-pod-index.js';
import { allocateHints, cpuOf, hintsMode, preferCloseHints, ZONE_LABEL, zoneShares, type HintsMode, type TopologyNode, type ZoneShares } from './topology-hints.js';

const SERVICES = { version: 'v1', resource: 'services' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;
const NODES = { version: 'v1', resource: 'nodes' } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } as const;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'endpointslice-controller.k8s.io';
const MAX_ENDPOINTS_PER_SLICE = 100;

interface SliceContent {
  addressType: 'IPv4' | 'IPv6';
  ports: EndpointPort[];
  endpoints: Record<string, unknown>[];
}

/** SliceTopology is what hints are computed from: the nodes' zones and the zones' CPU shares. */
export interface SliceTopology {
  /** The zone label of the named node; undefined when the node is unknown or has none. */
  zoneOf(nodeName: string | undefined): string | undefined;
  readonly zones: ZoneShares;
}

/** HintsOutcome: what desiredSlices did about hints (the reconciler turns changes into events). */
export type HintsOutcome = { readonly mode: HintsMode; readonly problem?: string };

type SliceEndpoint = Record<string, unknown> & { conditions: { ready: boolean; serving: boolean; terminating: boolean }; zone?: string; hints?: { forZones: { name: string }[] } };

/** desiredSlices computes the content of a Service's slices from its pods (with zones and hints when given a topology). */
export function desiredSlices(service: ServiceShape, pods: readonly PodShape[], topology?: SliceTopology): SliceContent[] {
  return desiredSlicesWithHints(service, pods, topology).slices;
}

/**
 * desiredSlicesWithHints is desiredSlices that also says what it did about topology hints. Slices come per address
 * family, per port list; hints are spread over every endpoint of one family, whichever slice it lands in (upstream
 * computes them per address type too). The outcome reported is the primary family's.
 */
export function desiredSlicesWithHints(service: ServiceShape, pods: readonly PodShape[], topology?: SliceTopology): { slices: SliceContent[]; hints: HintsOutcome } {
  const families = serviceAddressTypes(service);
  const endpoints = podEndpoints(service, pods);
  const out: SliceContent[] = [];
  let hints: HintsOutcome | undefined;
  for (const addressType of families) {
    const groups = new Map<string, { ports: EndpointPort[]; endpoints: SliceEndpoint[] }>();
    for (const e of endpoints) {
      const ip = e.ips.find((a) => a.includes(':') === (addressType === 'IPv6'));
      if (ip === undefined) continue;
      const resolved = endpointPorts(service, e);
      if (!resolved) continue;
      // Slice ports always carry a name ("" for an unnamed port), as upstream writes them.
      const ports = resolved.map(({ name, ...rest }) => ({ name: name ?? '', ...rest }));
      const zone = topology?.zoneOf(e.pod.spec?.nodeName);
      const endpoint: SliceEndpoint = {
        addresses: [ip],
        conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
        ...endpointTarget(service, e),
        ...(zone ? { zone } : {}),
      };
      const signature = semanticJson(ports);
      let g = groups.get(signature);
      if (!g) groups.set(signature, (g = { ports, endpoints: [] }));
      g.endpoints.push(endpoint);
    }
    const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const all: SliceEndpoint[] = [];
    for (const [, g] of ordered) {
      // Within a family, by address (podEndpoints sorts by the primary IP).
      const first = (e: Record<string, unknown>): string => (e['addresses'] as string[])[0] ?? '';
      g.endpoints.sort((x, y) => (first(x) < first(y) ? -1 : first(x) > first(y) ? 1 : 0));
      all.push(...g.endpoints);
    }
    const outcome = addHints(service, all, topology);
    hints ??= outcome;
    for (const [, g] of ordered) {
      for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) out.push({ addressType, ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
    }
  }
  // A Service with no endpoints still has one (empty) slice of its primary family, as upstream keeps a placeholder.
  if (out.length === 0) out.push({ addressType: families[0] ?? 'IPv4', ports: [], endpoints: [] });
  return { slices: out, hints: hints ?? addHints(service, [], topology) };
}

/** addHints sets `hints.forZones` on the endpoints as the Service's mode asks, or on none. */
function addHints(service: ServiceShape, endpoints: SliceEndpoint[], topology: SliceTopology | undefined): HintsOutcome {
  const mode = hintsMode(service.metadata?.annotations, service.spec?.trafficDistribution);
  if (mode === 'None' || !topology) return { mode: 'None' };
  const candidates = endpoints.map((e) => ({ ready: e.conditions.ready, ...(e.zone ? { zone: e.zone } : {}) }));
  let zones: readonly (string | undefined)[];
  if (mode === 'PreferClose') zones = preferCloseHints(candidates);
  else {
    const allocation = allocateHints(candidates, topology.zones);
    if ('problem' in allocation) return { mode, problem: allocation.problem };
    zones = allocation.hints;
  }
  endpoints.forEach((e, i) => {
    const zone = zones[i];
    if (zone !== undefined) e.hints = { forZones: [{ name: zone }] };
  });
  return { mode };
}

/** EndpointSliceReconciler converges the slices of one Service (key `namespace/name`). */
export class EndpointSliceReconciler implements Reconciler {
  /** Per Service key: "enabled" once hints were given, else the last reason they were not (events on change only). */
  readonly #hintState = new Map<string, string>();

  constructor(
    readonly client: RestClient,
    readonly services: SharedInformer<ServiceShape>,
    readonly pods: SharedInformer<PodShape>,
    readonly slices: SharedInformer,
    readonly nodes?: SharedInformer<TopologyNode>,
    readonly events?: EventRecorder,
  ) {}

  /** topology reads the nodes' zones and CPU shares from the node cache (none without a node informer). */
  #topology(): SliceTopology | undefined {
    const nodes = this.nodes;
    if (!nodes) return undefined;
    let shares: ZoneShares | undefined;
    return {
      zoneOf: (name) => (name ? nodes.store.get(name)?.metadata?.labels?.[ZONE_LABEL] : undefined) || undefined,
      get zones() {
        return (shares ??= zoneShares(nodes.store.list(), parseQuantity));
      },
    };
  }

  /** #reportHints records TopologyAwareHintsEnabled/Disabled when the Service's hint state changed. */
  #reportHints(key: string, svc: ServiceShape | undefined, outcome: HintsOutcome | undefined): void {
    const before = this.#hintState.get(key);
    if (!svc || !outcome || outcome.mode !== 'Auto') {
      this.#hintState.delete(key);
      if (svc && before === 'enabled') void this.events?.record(svc, 'Warning', 'TopologyAwareHintsDisabled', 'Topology aware hints disabled: the Service no longer asks for them');
      return;
    }
    const after = outcome.problem ?? 'enabled';
    if (after === before) return;
    this.#hintState.set(key, after);
    if (outcome.problem === undefined) void this.events?.record(svc, 'Normal', 'TopologyAwareHintsEnabled', 'Topology aware hints enabled');
    else void this.events?.record(svc, 'Warning', 'TopologyAwareHintsDisabled', `Topology aware hints disabled: ${outcome.problem}`);
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.services.store.get(key);
    const existing = this.slices.store
      .byIndex(NAMESPACE_INDEX, namespace)
      .filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels[MANAGED_BY_LABEL] === MANAGED_BY)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const selector = svc?.spec?.selector;
    if (!svc || !selector || Object.keys(selector).length === 0) {
      // Gone, or no longer selecting: slices we made are stale (the garbage collector also removes them with the Service).
      this.#reportHints(key, svc, undefined);
      for (const s of existing) await this.#delete(s);
      return;
    }
    const pods = this.pods.store.byIndex(NAMESPACE_INDEX, namespace).filter((p) => selects(svc, p.metadata?.labels));
    const { slices: wanted, hints } = desiredSlicesWithHints(svc, pods, this.#topology());
    this.#reportHints(key, svc, hints);
    const labels = { ...(svc.metadata?.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
    const owner = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
    // addressType is immutable: a slice is reused only for content of its own family.
    const unused = new Map<string, KubeObject[]>();
    for (const s of existing) {
      const family = String(s['addressType'] ?? 'IPv4');
      unused.set(family, [...(unused.get(family) ?? []), s]);
    }
    for (const content of wanted) {
      const current = unused.get(content.addressType)?.shift();
      const body: KubeObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: current ? { ...current.metadata, labels, ownerReferences: [owner] } : { generateName: `${name}-`, namespace, labels, ownerReferences: [owner] },
        addressType: content.addressType,
        endpoints: content.endpoints,
        ports: content.ports,
      };
      if (!current) {
        await this.client.create({ ...SLICES, namespace }, body);
        continue;
      }
      const same =
        semanticJson(current['endpoints'] ?? []) === semanticJson(content.endpoints) &&
        semanticJson(current['ports'] ?? []) === semanticJson(content.ports) &&
        semanticJson(current.metadata?.labels ?? {}) === semanticJson(labels) &&
        current.metadata?.ownerReferences?.[0]?.uid === owner.uid;
      if (same) continue;
      try {
        await this.client.update({ ...SLICES, namespace, name: current.metadata?.name }, body);
      } catch (err) {
        if (isConflict(err)) throw new Error(`Cannot update endpoint slice ${current.metadata?.name ?? ''}: it changed meanwhile; retrying`);
        if (!isNotFound(err)) throw err;
      }
    }
    for (const extra of [...unused.values()].flat()) await this.#delete(extra);
  }

  async #delete(slice: KubeObject): Promise<void> {
    try {
      await this.client.delete({ ...SLICES, namespace: slice.metadata?.namespace, name: slice.metadata?.name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** newEndpointSliceController builds the controller: Services by key; pods and slices mapped to their Service. */
export function newEndpointSliceController(ctx: ControllerContext): Controller {
  const services = ctx.informers.informerFor<ServiceShape>(SERVICES);
  const pods = ctx.informers.informerFor<PodShape>(PODS);
  const slices = ctx.informers.informerFor(SLICES);
  const nodes = ctx.informers.informerFor<TopologyNode>(NODES);
  const events = new EventRecorder({ client: ctx.client, component: 'endpoint-slice-controller', clock: ctx.clock, log: ctx.log });
  const controller = new Controller({
    name: 'endpointslice',
    reconciler: new EndpointSliceReconciler(ctx.client, services, pods, slices, nodes, events),
    clock: ctx.clock,
    log: ctx.log,
    workers: 5,
  });
  const enqueue = (o: KubeObject): void => controller.enqueue(metaNamespaceKey(o));
  services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
  const onPod = (oldPod: KubeObject | undefined, pod: KubeObject): void => {
    for (const key of servicesSelecting(services, pod, oldPod?.metadata?.labels, pod.metadata?.labels)) controller.enqueue(key);
  };
  pods.addEventHandler({ onAdd: (p) => onPod(undefined, p), onUpdate: (o, p) => onPod(o, p), onDelete: (p) => onPod(undefined, p) });
  const onSlice = (s: KubeObject): void => {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (svc && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) controller.enqueue(`${s.metadata.namespace ?? ''}/${svc}`);
  };
  // Adds too: two reconciles racing ahead of the informer (each seeing the other's slices not yet) can both create,
  // and only an event for the extra slice brings the Service back to converge (delete the surplus). Seen in CI as
  // four slices for three endpoints that stayed.
  slices.addEventHandler({ onAdd: onSlice, onUpdate: (_o, s) => onSlice(s), onDelete: onSlice });
  // A node's zone goes into its endpoints, and zones' CPU into hints: when what topology reads of a node changes,
  // every selecting Service is looked at again (rare: heartbeats change none of it).
  const onNode = (before: TopologyNode | undefined, after: TopologyNode | undefined): void => {
    if (before && after && topologyFacts(before) === topologyFacts(after)) return;
    for (const svc of services.store.list()) if (svc.spec?.selector && Object.keys(svc.spec.selector).length > 0) controller.enqueue(metaNamespaceKey(svc));
  };
  nodes.addEventHandler({ onAdd: (n) => onNode(undefined, n), onUpdate: (o, n) => onNode(o, n), onDelete: (n) => onNode(n, undefined) });
  return controller;
}

/** topologyFacts is what hints read of a node, as one comparable string. */
function topologyFacts(node: TopologyNode): string {
  const labels = node.metadata?.labels ?? {};
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return JSON.stringify([labels[ZONE_LABEL] ?? '', labels['node-role.kubernetes.io/control-plane'] ?? null, ready, cpuOf(node, parseQuantity)]);
}

/** ENDPOINTSLICE_CONTROLLER is the table row of the EndpointSlice controller. */
export const ENDPOINTSLICE_CONTROLLER: ControllerDescriptor = { name: 'endpointslice', enabledByDefault: true, create: newEndpointSliceController };
