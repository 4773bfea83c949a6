/**
 * The service proxy's model: what every Proxier (nftables, iptables, userspace) programs, built from Services and
 * EndpointSlices by the ServiceProxy and handed over whole on every sync.
 *
 * A ProxySnapshot is the complete desired state of one node's proxy. Proxiers never read the API themselves; they
 * turn a snapshot into rules (or listeners), so each can be tested from hand-made snapshots.
 */

/** ProxyProtocol is a Service port's protocol. */
export type ProxyProtocol = 'TCP' | 'UDP' | 'SCTP';

/** ProxyEndpoint is one address behind a Service port (from an EndpointSlice). */
export interface ProxyEndpoint {
  readonly ip: string;
  readonly port: number;
  /** EndpointConditions: ready (serving and not terminating), serving, terminating. */
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** The endpoint's node (`nodeName` in the slice), when known. */
  readonly nodeName?: string;
  /** True when the endpoint runs on this proxy's node. */
  readonly isLocal: boolean;
  /** `hints.forZones`: the zones whose proxies should use this endpoint (topology-aware routing); absent: none. */
  readonly zoneHints?: readonly string[];
}

/** ProxyServicePort is one port of one Service, with everything a proxier needs to program it. */
export interface ProxyServicePort {
  /** `<namespace>/<name>:<portName>` (portName may be empty): unique within a snapshot, stable across syncs. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly portName: string;
  readonly protocol: ProxyProtocol;
  /** The Service's cluster IPs (none for headless and ExternalName Services, which proxiers skip). */
  readonly clusterIPs: readonly string[];
  readonly port: number;
  /** Set for NodePort and LoadBalancer Services. */
  readonly nodePort?: number;
  readonly externalIPs: readonly string[];
  /** `status.loadBalancer.ingress[].ip`: served like externalIPs. */
  readonly loadBalancerIPs: readonly string[];
  /**
   * `spec.loadBalancerSourceRanges` (or the older `service.beta.kubernetes.io/load-balancer-source-ranges`
   * annotation), IPv4 CIDRs normalised to their network address: when non-empty, only these clients reach the
   * load-balancer IPs (not the cluster IP, NodePort or external IPs, as upstream). Absent or empty: everyone.
   */
  readonly loadBalancerSourceRanges?: readonly string[];
  /**
   * `spec.healthCheckNodePort` (LoadBalancer with externalTrafficPolicy Local): the node answers HTTP there with
   * its count of local endpoints, for load balancers to skip nodes without any (the same on every port of a Service).
   */
  readonly healthCheckNodePort?: number;
  /** `sessionAffinity: ClientIP`: the same client goes to the same endpoint for this long. */
  readonly sessionAffinitySeconds?: number;
  /** `externalTrafficPolicy: Local`: NodePort/LB/external traffic only to local endpoints, client IP kept. */
  readonly externalTrafficPolicyLocal: boolean;
  /** `internalTrafficPolicy: Local`: cluster IP traffic only to local endpoints. */
  readonly internalTrafficPolicyLocal: boolean;
  /**
   * Topology-aware routing: set to this node's zone when every ready endpoint carries zone hints and at least one
   * is hinted for this zone; then traffic policy Cluster uses only the ready endpoints hinted for it. Absent: all.
   */
  readonly topologyZone?: string;
  readonly endpoints: readonly ProxyEndpoint[];
}

/** ProxySnapshot is the whole desired state of one node's service proxy. */
export interface ProxySnapshot {
  readonly nodeName: string;
  /** The node's own addresses: where NodePorts are served. */
  readonly nodeIPs: readonly string[];
  /** The cluster's pod range (`--cluster-cidr`) of this snapshot's family: traffic from outside it to a Service is masqueraded. */
  readonly clusterCidr: string;
  /**
   * The address family of every address in the snapshot. A dual-stack node builds one snapshot per family and
   * programs each into its own proxier (upstream's meta-proxier). @default "IPv4"
   */
  readonly family?: 'IPv4' | 'IPv6';
  readonly servicePorts: readonly ProxyServicePort[];
}

/**
 * clusterEndpoints: the endpoints cluster-IP traffic may go to. Ready endpoints (only those hinted for this node's
 * zone when `topologyZone` is set); when none is ready, the serving terminating ones (upstream's
 * ProxyTerminatingEndpoints); with internalTrafficPolicy Local, only this node's, whatever the hints say.
 * Empty means the proxier rejects the traffic (ICMP port unreachable / TCP reset), as upstream does.
 */
export function clusterEndpoints(sp: ProxyServicePort): ProxyEndpoint[] {
  return sp.internalTrafficPolicyLocal ? usable(sp.endpoints.filter((e) => e.isLocal)) : usable(sp.endpoints, sp.topologyZone);
}

/**
 * externalEndpoints: the endpoints NodePort, load-balancer and external-IP traffic may go to: as
 * clusterEndpoints, but externalTrafficPolicy decides locality (Local: this node's only, and the client's source
 * address is kept — no masquerade). Policy Cluster follows topology hints, as upstream's cluster endpoints do.
 */
export function externalEndpoints(sp: ProxyServicePort): ProxyEndpoint[] {
  return sp.externalTrafficPolicyLocal ? usable(sp.endpoints.filter((e) => e.isLocal)) : usable(sp.endpoints, sp.topologyZone);
}

function usable(endpoints: readonly ProxyEndpoint[], zone?: string): ProxyEndpoint[] {
  const ready = endpoints.filter((e) => e.ready && (zone === undefined || (e.zoneHints?.includes(zone) ?? false)));
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving && e.terminating);
}

/**
 * topologyZoneFor decides whether a Service port's endpoints are filtered by zone on a node in `nodeZone`
 * (kube-proxy's safeguards): only when the node has a zone, every ready endpoint carries hints, and one of them is
 * hinted for this zone. Otherwise every endpoint is used: a half-hinted set or a zone nobody serves must not
 * strand traffic.
 */
export function topologyZoneFor(endpoints: readonly ProxyEndpoint[], nodeZone: string | undefined): string | undefined {
  if (!nodeZone) return undefined;
  let forZone = false;
  for (const e of endpoints) {
    if (!e.ready) continue;
    if (!e.zoneHints || e.zoneHints.length === 0) return undefined;
    if (e.zoneHints.includes(nodeZone)) forZone = true;
  }
  return forZone ? nodeZone : undefined;
}
