/**
 * buildProxySnapshot: the pure step from API objects (Services, EndpointSlices) to the ProxySnapshot a Proxier
 * programs. No I/O, no clock: the ServiceProxy calls it with its informers' caches on every sync, and tests call
 * it with hand-made objects.
 *
 * What it decides (upstream kube-proxy's ServiceChangeTracker / EndpointsChangeTracker, in one pass):
 *  - Headless (`clusterIP: None`) and ExternalName Services get no ServicePort: nothing to proxy (DNS serves them).
 *  - Only the addresses of the snapshot's family are kept (`family`, IPv4 by default): cluster IPs, external and
 *    load-balancer IPs, and the EndpointSlices of that addressType. A dual-stack node builds a snapshot per family.
 *  - Endpoints come from the slices labelled `kubernetes.io/service-name` with the Service's name, matched to a
 *    Service port by port name (and protocol); an endpoint listed in two slices counts once.
 *  - A missing `ready` condition means ready (EndpointSlice API semantics); `serving` defaults to `ready`,
 *    `terminating` to false.
 *  - `isLocal` is `nodeName === this node`.
 *  - Topology-aware routing: each endpoint's `hints.forZones` is kept, and a Service port gets `topologyZone` when
 *    the node's zone (`topology.kubernetes.io/zone` of its Node) may filter its endpoints (topologyZoneFor).
 */
import type { KubeObject } from '../api/meta/types.js';
import { topologyZoneFor, type ProxyEndpoint, type ProxyProtocol, type ProxyServicePort, type ProxySnapshot } from './proxy-state.js';
import { isIPv6 } from 'node:net';
import { sourceRangesOf } from './source-ranges.js';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** ServiceObject is the part of a v1 Service the proxy reads. */
export interface ServiceObject extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    externalName?: string;
    ports?: { name?: string; protocol?: string; port?: number; nodePort?: number }[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    loadBalancerSourceRanges?: string[];
    healthCheckNodePort?: number;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/** EndpointSliceObject is the part of a discovery.k8s.io/v1 EndpointSlice the proxy reads. */
export interface EndpointSliceObject extends KubeObject {
  addressType?: string;
  endpoints?: {
    addresses?: string[];
    conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
    nodeName?: string;
    hints?: { forZones?: { name?: string }[] | null } | null;
  }[];
  ports?: { name?: string | null; protocol?: string; port?: number | null }[];
}

/** SnapshotInput is everything a snapshot is built from. */
export interface SnapshotInput {
  readonly nodeName: string;
  /** The node's `topology.kubernetes.io/zone` label, when it has one (topology-aware routing). */
  readonly nodeZone?: string;
  readonly nodeIPs: readonly string[];
  readonly clusterCidr: string;
  /** Which addresses this snapshot carries. @default "IPv4" */
  readonly family?: 'IPv4' | 'IPv6';
  readonly services: readonly ServiceObject[];
  readonly endpointSlices: readonly EndpointSliceObject[];
}

/** upstream's default ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10_800;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIPv4(s: string | undefined): s is string {
  const m = s ? IPV4.exec(s) : null;
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** ofFamily is the address test of a snapshot's family. */
function ofFamily(family: 'IPv4' | 'IPv6'): (s: string | undefined) => s is string {
  return family === 'IPv4' ? isIPv4 : (s): s is string => s !== undefined && isIPv6(s);
}

function protocolOf(p: string | undefined): ProxyProtocol | undefined {
  const v = p ?? 'TCP';
  return v === 'TCP' || v === 'UDP' || v === 'SCTP' ? v : undefined;
}

/** buildProxySnapshot turns Services and EndpointSlices into the node's ProxySnapshot (sorted by key: stable). */
export function buildProxySnapshot(input: SnapshotInput): ProxySnapshot {
  return new SnapshotBuilder().build(input);
}

/**
 * SnapshotBuilder builds snapshots like buildProxySnapshot, and hands back the same ProxyServicePort objects for a
 * Service whose object and slices kept their resourceVersions, so the next steps (the nftables fragments) can
 * skip unchanged Services by identity. Objects without a resourceVersion are always rebuilt.
 */
export class SnapshotBuilder {
  readonly #cache = new Map<string, { signature: string; ports: ProxyServicePort[] }>();

  build(input: SnapshotInput): ProxySnapshot {
    const family = input.family ?? 'IPv4';
    // Slices by "<namespace>/<service>", built once: the per-Service lookup is then O(its slices).
    const slicesByService = new Map<string, EndpointSliceObject[]>();
    for (const slice of input.endpointSlices) {
      const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!svc || (slice.addressType ?? 'IPv4') !== family) continue;
      const key = `${slice.metadata?.namespace ?? ''}/${svc}`;
      const list = slicesByService.get(key);
      if (list) list.push(slice);
      else slicesByService.set(key, [slice]);
    }
    const servicePorts: ProxyServicePort[] = [];
    const seen = new Set<string>();
    for (const svc of input.services) {
      const key = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
      const slices = slicesByService.get(key) ?? [];
      const signature = signatureOf(svc, slices, input.nodeName, input.nodeZone);
      const cached = this.#cache.get(key);
      let ports: ProxyServicePort[];
      if (signature !== undefined && cached?.signature === signature) ports = cached.ports;
      else {
        ports = servicePortsOf(svc, slices, input.nodeName, input.nodeZone, family);
        if (signature !== undefined) this.#cache.set(key, { signature, ports });
      }
      seen.add(key);
      servicePorts.push(...ports);
    }
    for (const key of this.#cache.keys()) if (!seen.has(key)) this.#cache.delete(key);
    servicePorts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { nodeName: input.nodeName, nodeIPs: [...input.nodeIPs], clusterCidr: input.clusterCidr, ...(family === 'IPv6' ? { family } : {}), servicePorts };
  }
}

/** signatureOf names a Service's inputs by resourceVersions (undefined when one has none). */
function signatureOf(svc: ServiceObject, slices: readonly EndpointSliceObject[], nodeName: string, nodeZone: string | undefined): string | undefined {
  const rv = svc.metadata?.resourceVersion;
  if (!rv) return undefined;
  const parts: string[] = [];
  for (const s of slices) {
    const srv = s.metadata?.resourceVersion;
    if (!srv) return undefined;
    parts.push(`${s.metadata?.name ?? ''}@${srv}`);
  }
  return `${nodeName}|${nodeZone ?? ''}|${rv}|${parts.sort().join(',')}`;
}

/** servicePortsOf turns one Service and its slices into its ServicePorts (none for headless and ExternalName). */
function servicePortsOf(svc: ServiceObject, slices: readonly EndpointSliceObject[], nodeName: string, nodeZone: string | undefined, family: 'IPv4' | 'IPv6'): ProxyServicePort[] {
  const out: ProxyServicePort[] = [];
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return [];
  const inFamily = ofFamily(family);
  const clusterIPs = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter(inFamily);
  if (clusterIPs.length === 0) return []; // headless ("None") or none of this family
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const nodePortType = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
  const loadBalancer = spec.type === 'LoadBalancer';
  const loadBalancerIPs = loadBalancer ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter(inFamily) : [];
  const sourceRanges = loadBalancer ? sourceRangesOf(spec.loadBalancerSourceRanges, svc.metadata?.annotations) : [];
  const healthCheckNodePort = loadBalancer && spec.externalTrafficPolicy === 'Local' && typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort > 0 ? spec.healthCheckNodePort : undefined;
  for (const port of spec.ports ?? []) {
    const protocol = protocolOf(port.protocol);
    if (!protocol || typeof port.port !== 'number') continue;
    const portName = port.name ?? '';
    const endpoints = endpointsFor(slices, portName, protocol, nodeName, inFamily);
    const topologyZone = topologyZoneFor(endpoints, nodeZone);
    out.push({
      key: `${namespace}/${name}:${portName}`,
      namespace,
      name,
      portName,
      protocol,
      clusterIPs,
      port: port.port,
      ...(nodePortType && port.nodePort ? { nodePort: port.nodePort } : {}),
      externalIPs: (spec.externalIPs ?? []).filter(inFamily),
      loadBalancerIPs,
      ...(sourceRanges.length > 0 ? { loadBalancerSourceRanges: sourceRanges } : {}),
      ...(healthCheckNodePort !== undefined ? { healthCheckNodePort } : {}),
      ...(affinity !== undefined ? { sessionAffinitySeconds: affinity } : {}),
      externalTrafficPolicyLocal: spec.externalTrafficPolicy === 'Local' && (nodePortType || (spec.externalIPs?.length ?? 0) > 0),
      internalTrafficPolicyLocal: spec.internalTrafficPolicy === 'Local',
      ...(topologyZone !== undefined ? { topologyZone } : {}),
      endpoints,
    });
  }
  return out;
}

/** endpointsFor collects a Service port's endpoints from its slices (by port name and protocol), once each. */
function endpointsFor(slices: readonly EndpointSliceObject[], portName: string, protocol: ProxyProtocol, nodeName: string, inFamily: (s: string | undefined) => s is string): ProxyEndpoint[] {
  const out: ProxyEndpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (protocolOf(p.protocol) ?? 'TCP') === protocol);
    if (!port || typeof port.port !== 'number') continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (!inFamily(ip)) continue;
      const id = `${ip}:${port.port}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const ready = ep.conditions?.ready ?? true;
      const serving = ep.conditions?.serving ?? ready;
      const terminating = ep.conditions?.terminating ?? false;
      const zoneHints = (ep.hints?.forZones ?? []).flatMap((z) => (z.name ? [z.name] : []));
      out.push({
        ip,
        port: port.port,
        ready: ready === true,
        serving: serving === true,
        terminating: terminating === true,
        ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
        isLocal: ep.nodeName === nodeName,
        ...(zoneHints.length > 0 ? { zoneHints } : {}),
      });
    }
  }
  out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
  return out;
}
