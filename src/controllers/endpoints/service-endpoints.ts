/**
 * What a Service's endpoints are, computed from its pods — shared by the Endpoints and EndpointSlice controllers so
 * both describe the same set (upstream's endpoint utilities):
 * - a pod counts once it has an IP and is not terminal; a pod being deleted counts only as terminating;
 * - it is ready when its Ready condition is True (or always, with publishNotReadyAddresses);
 * - each Service port maps to the pod's container port: a number as is, a name through the pod's named ports (a pod
 *   without that named port is left out of that port).
 */
import type { KubeObject } from '../../api/meta/types.js';

/** ServicePort is the part of a v1 ServicePort the controllers read. */
export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
  appProtocol?: string;
}

/** ServiceShape is the part of a v1 Service the controllers read. */
export interface ServiceShape extends KubeObject {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[]; publishNotReadyAddresses?: boolean; type?: string; clusterIP?: string; clusterIPs?: string[]; ipFamilies?: string[]; trafficDistribution?: string };
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** PodShape is the part of a v1 Pod the controllers read. */
export interface PodShape extends KubeObject {
  spec?: { nodeName?: string; hostname?: string; subdomain?: string; restartPolicy?: string; containers?: { ports?: ContainerPort[] }[] };
  status?: { phase?: string; podIP?: string; podIPs?: { ip?: string }[]; conditions?: { type: string; status: string }[] };
}

/** PodEndpoint is one pod's place in a Service's endpoints. */
export interface PodEndpoint {
  readonly pod: PodShape;
  /** The pod's primary IP (`status.podIP`). */
  readonly ip: string;
  /** Every IP of the pod (`status.podIPs`, at most one per family; the primary one first). */
  readonly ips: readonly string[];
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** The resolved target port for each Service port (by index); undefined when the pod lacks the named port. */
  readonly ports: readonly (number | undefined)[];
}

/** podIsReady reads the pod's Ready condition. */
export function podIsReady(pod: PodShape): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function resolvePort(pod: PodShape, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const asNumber = Number(target);
  if (target !== '' && Number.isInteger(asNumber)) return asNumber;
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** podEndpoints lists the pods that belong in a Service's endpoints, sorted by IP for stable output. */
export function podEndpoints(service: ServiceShape, pods: readonly PodShape[]): PodEndpoint[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const ports = service.spec?.ports ?? [];
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    if (!ip) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const terminating = Boolean(pod.metadata?.deletionTimestamp);
    const podReady = podIsReady(pod);
    const listed = (pod.status?.podIPs ?? []).map((p) => p.ip ?? '').filter((p) => p !== '');
    out.push({
      pod,
      ip,
      ips: listed.includes(ip) ? listed : [ip, ...listed],
      ready: publishNotReady || (podReady && !terminating),
      serving: publishNotReady || podReady,
      terminating,
      ports: ports.map((p) => resolvePort(pod, p)),
    });
  }
  return out.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

/**
 * serviceAddressTypes: the address families a Service's EndpointSlices carry, as upstream's
 * getAddressTypesForService: its `ipFamilies`; failing those the family of its cluster IP; a headless Service
 * without either gets both.
 */
export function serviceAddressTypes(service: ServiceShape): ('IPv4' | 'IPv6')[] {
  const families = (service.spec?.ipFamilies ?? []).filter((f): f is 'IPv4' | 'IPv6' => f === 'IPv4' || f === 'IPv6');
  if (families.length > 0) return [...new Set(families)];
  const ip = service.spec?.clusterIPs?.[0] ?? service.spec?.clusterIP ?? '';
  if (ip !== '' && ip !== 'None') return [ip.includes(':') ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** EndpointPort is one resolved port of an endpoint (Endpoints and EndpointSlices share the shape). */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/**
 * endpointPorts resolves the Service's ports for one pod; undefined when the Service has ports and the pod
 * offers none of them (such a pod is left out).
 */
export function endpointPorts(service: ServiceShape, e: PodEndpoint): EndpointPort[] | undefined {
  const declared = service.spec?.ports ?? [];
  const ports = declared.flatMap((p, i) => {
    const port = e.ports[i];
    if (port === undefined) return [];
    return [{ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }];
  });
  return declared.length > 0 && ports.length === 0 ? undefined : ports;
}

/** endpointTarget is where an endpoint lives and who it is: node, hostname (for the Service's subdomain) and pod. */
export function endpointTarget(service: ServiceShape, e: PodEndpoint): { nodeName?: string; hostname?: string; targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string } } {
  const md = e.pod.metadata ?? {};
  return {
    ...(e.pod.spec?.nodeName ? { nodeName: e.pod.spec.nodeName } : {}),
    ...(e.pod.spec?.hostname && e.pod.spec.subdomain === service.metadata?.name ? { hostname: e.pod.spec.hostname } : {}),
    targetRef: { kind: 'Pod', namespace: md.namespace ?? '', name: md.name ?? '', uid: md.uid ?? '' },
  };
}
