/**
 * ServiceAllocation: the StoreHooks of the services store that give Services their cluster IP and node ports,
 * and return them when a Service goes away.
 *  - ClusterIP, NodePort, LoadBalancer: a cluster IP from the range unless `clusterIP: None` (headless); a
 *    requested IP must be in the range and free (422 otherwise, upstream's message).
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
import { ClusterIpAllocator, IpAllocationError } from './ip-allocator.js';
import { NodePortAllocator, PortAllocationError } from './port-allocator.js';

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
  [field: string]: unknown;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  [field: string]: unknown;
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

/** ServiceAllocation owns the cluster IP and node port allocators of the services store. */
export class ServiceAllocation {
  readonly ips: ClusterIpAllocator;
  readonly ports: NodePortAllocator;

  constructor(ips: ClusterIpAllocator, ports: NodePortAllocator) {
    this.ips = ips;
    this.ports = ports;
  }

  /** rebuild marks everything the stored Services hold as allocated (at start, from a list of all Services). */
  rebuild(services: readonly KubeObject[]): void {
    this.ips.reset();
    this.ports.reset();
    for (const svc of services) {
      const spec = specOf(structuredClone(svc));
      for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
        if (ip !== 'None' && !this.ips.has(ip)) {
          try {
            this.ips.allocateSpecific(ip);
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
    for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
      if (ip === 'None' || this.ips.has(ip)) continue;
      try {
        this.ips.allocateSpecific(ip);
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
    for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) if (ip !== 'None') this.ips.release(ip);
    for (const port of nodePortsHeld(spec)) this.ports.release(port);
  }

  #allocate(svc: KubeObject, old: KubeObject | undefined): Undo {
    const name = svc.metadata?.name ?? '';
    const spec = specOf(svc);
    const oldSpec = old ? specOf(structuredClone(old)) : undefined;
    const taken: { ips: string[]; ports: number[] } = { ips: [], ports: [] };
    const undo: Undo = () => {
      for (const ip of taken.ips) this.ips.release(ip);
      for (const p of taken.ports) this.ports.release(p);
    };
    const oldIp = oldSpec && needsIp(oldSpec) ? oldSpec.clusterIP : undefined;
    try {
      // Cluster IP.
      if (needsIp(spec)) {
        if (!spec.clusterIP && spec.clusterIPs?.[0]) spec.clusterIP = spec.clusterIPs[0];
        if (!spec.clusterIP && oldIp) spec.clusterIP = oldIp;
        if (!spec.clusterIP) {
          const ip = this.ips.allocate();
          taken.ips.push(ip);
          spec.clusterIP = ip;
        } else if (spec.clusterIP !== oldIp) {
          try {
            this.ips.allocateSpecific(spec.clusterIP);
          } catch (err) {
            if (!(err instanceof IpAllocationError)) throw err;
            const ip = spec.clusterIP;
            throw invalid('Service', '', name, [
              { reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: ${err.message}` },
            ]);
          }
          taken.ips.push(spec.clusterIP);
        }
        spec.clusterIPs = [spec.clusterIP];
      } else if (typeOf(spec) === 'ExternalName') {
        delete spec.clusterIP;
        delete spec.clusterIPs;
      } else {
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
        if (oldIp && oldIp !== spec.clusterIP) this.ips.release(oldIp);
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
