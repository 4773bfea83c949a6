/**
 * ServiceAllocation: the StoreHooks of the services store that give Services their cluster IPs and node ports,
 * and return them when a Service goes away.
 *  - IP families first (ip-families.ts, upstream's initIPFamilyFields): `ipFamilyPolicy` (SingleStack unless
 *    given; kept from the stored Service on update) and `ipFamilies` from the requested IPs, the policy and the
 *    cluster's service ranges (one per family, the first is the default family); 422 with upstream's messages for
 *    what the cluster cannot give (RequireDualStack on a single-stack cluster, a family it has no range for).
 *  - ClusterIP, NodePort, LoadBalancer: one cluster IP per family in `ipFamilies`, from that family's range,
 *    unless `clusterIP: None` (headless); a requested IP must be in its range and free (422 otherwise, upstream's
 *    message). An update that adds a family allocates the secondary IP; one that drops it (SingleStack) releases it.
 *  - NodePort, LoadBalancer: a node port per port unless requested; requested ports must be in range and free.
 *  - ExternalName: neither.
 *  - LoadBalancer with `allocateLoadBalancerNodePorts: false`: node ports only where requested (or already held),
 *    none allocated automatically — for load balancers that send traffic straight to endpoints.
 *  - LoadBalancer with `externalTrafficPolicy: Local`: a `healthCheckNodePort` from the same range unless requested
 *    (then it must be in range and free), as upstream; it goes back to the pool when the Service stops needing it.
 * Updates keep the IP and node ports already allocated when the new object leaves them out (as upstream does for
 * `kubectl apply`), allocate what a type change needs, and release what it no longer uses.
 */
import { invalid } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { StoreHooks, Undo } from './generic-store.js';
import type { IPFamily } from '../../base/net/ip-address.js';
import { ClusterIpAllocator, IpAllocationError } from './ip-allocator.js';
import { initIPFamilyFields, type IPFamilySpec } from './ip-families.js';
import { NodePortAllocator, PortAllocationError } from './port-allocator.js';

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
  [field: string]: unknown;
}

/** The spec fields allocation reads and writes: the IP family fields, and the ports. */
interface ServiceSpec extends IPFamilySpec {
  ports?: ServicePort[];
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
}

function specOf(svc: KubeObject): ServiceSpec {
  const s = svc['spec'];
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    const fresh: ServiceSpec = {};
    svc['spec'] = fresh;
    return fresh;
  }
  return s as ServiceSpec;
}

function typeOf(spec: ServiceSpec): string {
  return spec.type ?? 'ClusterIP';
}

function needsIp(spec: ServiceSpec): boolean {
  return typeOf(spec) !== 'ExternalName' && spec.clusterIP !== 'None';
}

function needsNodePorts(spec: ServiceSpec): boolean {
  const t = typeOf(spec);
  return t === 'NodePort' || t === 'LoadBalancer';
}

/** needsHealthCheck: upstream's NeedsHealthCheck — a LoadBalancer whose external traffic stays on its node. */
function needsHealthCheck(spec: ServiceSpec): boolean {
  return typeOf(spec) === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** nodePortsHeld: the node ports a stored Service holds, its health check port included. */
function nodePortsHeld(spec: ServiceSpec): number[] {
  const out: number[] = [];
  for (const p of spec.ports ?? []) if (typeof p.nodePort === 'number') out.push(p.nodePort);
  if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort > 0) out.push(spec.healthCheckNodePort);
  return out;
}

function portKey(p: ServicePort): string {
  return `${p.name ?? ''}/${p.port ?? ''}/${p.protocol ?? 'TCP'}`;
}

/** heldIPs: the cluster IPs a stored Service holds ("None" is none). */
function heldIPs(spec: ServiceSpec): string[] {
  const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  return ips.filter((ip) => ip !== '' && ip !== 'None');
}

/** goStrings prints a list as Go's %#v of a []string, as upstream's messages show it. */
function goStrings(list: readonly string[]): string {
  return `[]string{${list.map((s) => JSON.stringify(s)).join(', ')}}`;
}

/** ServiceAllocation owns the cluster IP and node port allocators of the services store. */
export class ServiceAllocation {
  /** The allocator of the cluster's primary (default) family: the first `--service-cidr` range. */
  readonly ips: ClusterIpAllocator;
  /** One allocator per configured family. */
  readonly ipsByFamily: ReadonlyMap<IPFamily, ClusterIpAllocator>;
  readonly ports: NodePortAllocator;

  /** `ips`: one allocator, or one per family (at most two, of different families), the default family first. */
  constructor(ips: ClusterIpAllocator | readonly ClusterIpAllocator[], ports: NodePortAllocator) {
    const list = Array.isArray(ips) ? (ips as readonly ClusterIpAllocator[]) : [ips as ClusterIpAllocator];
    const first = list[0];
    if (!first) throw new Error('ServiceAllocation needs at least one cluster IP range');
    const byFamily = new Map<IPFamily, ClusterIpAllocator>();
    for (const a of list) {
      if (byFamily.has(a.family)) throw new Error(`Cannot use two ${a.family} service ranges: at most one per family`);
      byFamily.set(a.family, a);
    }
    this.ips = first;
    this.ipsByFamily = byFamily;
    this.ports = ports;
  }

  /** #allocatorFor is the allocator whose range takes `ip` (by family), if the cluster has one. */
  #allocatorFor(ip: string): ClusterIpAllocator | undefined {
    return this.ipsByFamily.get(ip.includes(':') ? 'IPv6' : 'IPv4');
  }

  /** rebuild marks everything the stored Services hold as allocated (at start, from a list of all Services). */
  rebuild(services: readonly KubeObject[]): void {
    for (const a of this.ipsByFamily.values()) a.reset();
    this.ports.reset();
    for (const svc of services) {
      const spec = specOf(structuredClone(svc));
      for (const ip of heldIPs(spec)) {
        const ips = this.#allocatorFor(ip);
        if (ips && !ips.has(ip)) {
          try {
            ips.allocateSpecific(ip);
          } catch {
            // A stored IP outside today's range (the range was changed) stays with its Service but is not tracked.
          }
        }
      }
      for (const port of nodePortsHeld(spec)) {
        if (!this.ports.has(port)) {
          try {
            this.ports.allocateSpecific(port);
          } catch {
            // Out of today's range: see above.
          }
        }
      }
    }
  }

  /**
   * observe marks what a stored Service holds as allocated, if it is not yet: fed by the Services watch, so
   * addresses and ports handed out by *other* API servers sharing the datastore are not handed out again here.
   * It never releases (a late event of a Service deleted here meanwhile would free an address now held by another
   * Service); an address freed by another server stays taken on this one until it restarts — a leak, never a
   * duplicate.
   */
  observe(svc: KubeObject): void {
    const spec = specOf(structuredClone(svc));
    for (const ip of heldIPs(spec)) {
      const ips = this.#allocatorFor(ip);
      if (!ips || ips.has(ip)) continue;
      try {
        ips.allocateSpecific(ip);
      } catch {
        // Outside this server's range: not tracked (see rebuild).
      }
    }
    for (const port of nodePortsHeld(spec)) {
      if (this.ports.has(port)) continue;
      try {
        this.ports.allocateSpecific(port);
      } catch {
        // Out of range: see rebuild.
      }
    }
  }

  /** hooks returns the StoreHooks to give the services GenericStore. */
  hooks(): StoreHooks {
    return {
      beforeCreate: (svc) => this.#allocate(svc, undefined),
      beforeUpdate: (svc, old) => this.#allocate(svc, old),
      afterDelete: (svc) => this.#releaseAll(specOf(structuredClone(svc))),
    };
  }

  #releaseAll(spec: ServiceSpec): void {
    for (const ip of heldIPs(spec)) this.#allocatorFor(ip)?.release(ip);
    for (const port of nodePortsHeld(spec)) this.ports.release(port);
  }

  #allocate(svc: KubeObject, old: KubeObject | undefined): Undo {
    const name = svc.metadata?.name ?? '';
    const spec = specOf(svc);
    const oldSpec = old ? specOf(structuredClone(old)) : undefined;
    const taken: { ips: string[]; ports: number[] } = { ips: [], ports: [] };
    const undo: Undo = () => {
      for (const ip of taken.ips) this.#allocatorFor(ip)?.release(ip);
      for (const p of taken.ports) this.ports.release(p);
    };
    const oldIPs = oldSpec && needsIp(oldSpec) ? heldIPs(oldSpec) : [];
    try {
      // IP families, then cluster IPs: one per family.
      const families = initIPFamilyFields(spec, oldSpec, { families: [...this.ipsByFamily.keys()], name });
      if (needsIp(spec)) {
        if (!spec.clusterIP && spec.clusterIPs?.[0]) spec.clusterIP = spec.clusterIPs[0];
        if (!spec.clusterIP && oldIPs[0]) spec.clusterIP = oldIPs[0];
        const wanted = spec.clusterIPs && spec.clusterIPs[0] === spec.clusterIP ? [...spec.clusterIPs] : spec.clusterIP ? [spec.clusterIP] : [];
        const result: string[] = [];
        families.forEach((family, i) => {
          const ips = this.ipsByFamily.get(family as IPFamily);
          // initIPFamilyFields refused families without a range.
          if (!ips) return;
          const asked = wanted[i] ?? '';
          if (asked === '') {
            const ip = ips.allocate();
            taken.ips.push(ip);
            result.push(ip);
            return;
          }
          if (!oldIPs.includes(asked)) {
            try {
              ips.allocateSpecific(asked);
            } catch (err) {
              if (!(err instanceof IpAllocationError)) throw err;
              throw invalid('Service', '', name, [
                { reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: ${goStrings(wanted)}: failed to allocate IP ${asked}: ${err.message}` },
              ]);
            }
            taken.ips.push(asked);
          }
          result.push(asked);
        });
        spec.clusterIPs = result;
        if (result[0] !== undefined) spec.clusterIP = result[0];
      } else if (typeOf(spec) === 'ExternalName') {
        delete spec.clusterIP;
        delete spec.clusterIPs;
      } else {
        spec.clusterIP = 'None';
        spec.clusterIPs = ['None'];
      }

      // Node ports.
      const oldPorts = new Map<string, number>();
      if (oldSpec && needsNodePorts(oldSpec)) {
        for (const p of oldSpec.ports ?? []) if (typeof p.nodePort === 'number') oldPorts.set(portKey(p), p.nodePort);
      }
      const kept = new Set<number>();
      const ports = spec.ports ?? [];
      if (needsNodePorts(spec)) {
        const autoAllocate = !(typeOf(spec) === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] === false);
        ports.forEach((p, i) => {
          if (p.nodePort === undefined || p.nodePort === 0) {
            if (!autoAllocate) {
              delete p.nodePort;
              return;
            }
            const prior = oldPorts.get(portKey(p));
            if (prior !== undefined && !kept.has(prior)) {
              p.nodePort = prior;
              kept.add(prior);
              return;
            }
            const port = this.ports.allocate();
            taken.ports.push(port);
            p.nodePort = port;
            return;
          }
          if ([...oldPorts.values()].includes(p.nodePort) && !kept.has(p.nodePort)) {
            kept.add(p.nodePort);
            return;
          }
          try {
            this.ports.allocateSpecific(p.nodePort);
          } catch (err) {
            if (!(err instanceof PortAllocationError)) throw err;
            throw invalid('Service', '', name, [
              { reason: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${p.nodePort}: ${err.message}` },
            ]);
          }
          taken.ports.push(p.nodePort);
        });
      } else {
        for (const p of ports) delete p.nodePort;
      }

      // Health check node port (LoadBalancer + Local).
      const oldHealth = oldSpec && needsHealthCheck(oldSpec) && typeof oldSpec.healthCheckNodePort === 'number' && oldSpec.healthCheckNodePort > 0 ? oldSpec.healthCheckNodePort : undefined;
      let keptHealth = false;
      if (needsHealthCheck(spec)) {
        const asked = spec.healthCheckNodePort;
        if (asked === undefined || asked === 0) {
          const port = this.ports.allocate();
          taken.ports.push(port);
          spec.healthCheckNodePort = port;
        } else if (asked === oldHealth) {
          keptHealth = true;
        } else {
          try {
            this.ports.allocateSpecific(asked);
          } catch (err) {
            if (!(err instanceof PortAllocationError)) throw err;
            throw invalid('Service', '', name, [
              { reason: 'FieldValueInvalid', field: 'spec.healthCheckNodePort', message: `Invalid value: ${asked}: failed to allocate requested HealthCheck NodePort ${asked}: ${err.message}` },
            ]);
          }
          taken.ports.push(asked);
        }
      }

      // What the old object held and the new one no longer uses goes back to the pools.
      if (oldSpec) {
        const now = needsIp(spec) ? heldIPs(spec) : [];
        for (const ip of oldIPs) if (!now.includes(ip)) this.#allocatorFor(ip)?.release(ip);
        for (const port of oldPorts.values()) if (!kept.has(port)) this.ports.release(port);
        if (oldHealth !== undefined && !keptHealth) this.ports.release(oldHealth);
      }
    } catch (err) {
      undo();
      throw err;
    }
    return undo;
  }
}
