/**
 * UserspaceProxier: the proxy mode that needs no root. Every service port gets listeners in this process — a TCP
 * server (tcp-frontend.ts) for TCP ports, a UDP socket with per-client sessions (udp-frontend.ts) for UDP ports —
 * that copy bytes to an endpoint chosen round robin (endpoint-chooser.ts; sessionAffinity ClientIP honoured, an
 * unreachable endpoint skipped for the next).
 *
 * Where it listens. Without root the proxy cannot own a cluster IP, so the address is a policy, `addressFor`:
 * the default listens on the cluster IP and the service port when the cluster IP is an address of this machine
 * (someone with root put it on a dummy or loopback device), else on 127.0.0.1 on a free port. The bound addresses
 * are listed by `listeners()` and answered per Service by `serviceAddress()`, which is the kubelet's
 * ServiceAddressResolver in process-runtime mode: the `<SVC>_SERVICE_HOST/PORT` variables of host-network
 * processes point where this proxy listens. NodePorts listen on `nodePortAddresses` (default 0.0.0.0) at the
 * node port; external and load-balancer IPs only when they are local addresses. SCTP ports are skipped.
 *
 * Frontends follow externalTrafficPolicy/internalTrafficPolicy the way the kernel modes do: cluster-IP listeners
 * use clusterEndpoints, NodePort/external listeners externalEndpoints (the client address is never kept here: the
 * endpoint always sees the proxy as its peer). Load-balancer listeners admit only clients within
 * `loadBalancerSourceRanges` (a TCP connection from elsewhere is closed at once, a UDP datagram dropped).
 *
 * Sync is incremental: listeners whose (service port, kind, address) stay are kept and only their endpoint lists
 * are swapped in place, so established connections and UDP sessions are not disturbed; new ones are opened and
 * removed ones closed (established TCP streams of a removed service run to their end; `cleanup()` cuts them).
 * A cluster-IP listener that cannot be opened makes the sync fail with one line naming it; everything else is
 * applied and the next sync tries that one again. A NodePort, external-IP or load-balancer listener whose fixed
 * address and port are in use is not a failure: several process-runtime nodes on one machine share its addresses,
 * so the first node's proxy serves the port and the others log one warning each, list it in `unserved()`, retry
 * quietly at every sync, and take the port over (one info line) once it is free. Nodes given addresses of their
 * own (`--node-ip 127.0.0.2`, …) each serve their NodePorts on their own address. A fixed port below 1024 without
 * root (a load-balancer address's service port) is handled the same way.
 */
import { networkInterfaces } from 'node:os';
import type { Clock } from '../../base/clock/clock.js';
import { RealClock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { newLogger } from '../../base/log/logger.js';
import type { Proxier } from '../proxier.js';
import { type ProxyProtocol, type ProxyServicePort, type ProxySnapshot, clusterEndpoints, externalEndpoints } from '../proxy-state.js';
import { sourceRangeMatcher } from '../source-ranges.js';
import { EndpointChooser } from './endpoint-chooser.js';
import { TcpFrontend } from './tcp-frontend.js';
import { UdpFrontend } from './udp-frontend.js';

/** ListenAddress is where a frontend listens; port 0 means any free port (the bound one is in `listeners()`). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * AddressFor decides where the cluster-IP frontend of a service port listens, per cluster IP of the Service.
 * `local` is this machine's addresses as the current sync read them (reading them costs milliseconds on a host with
 * many interfaces, so a sync reads them once, not once per cluster IP).
 */
export type AddressFor = (servicePort: ProxyServicePort, clusterIP: string, local: ReadonlySet<string>) => ListenAddress;

/** FrontendKind says which Service address a listener stands for. */
export type FrontendKind = 'ClusterIP' | 'NodePort' | 'ExternalIP' | 'LoadBalancer';

/** UserspaceListener is one open listener, with the address it is bound to. */
export interface UserspaceListener {
  /** The service port's key (`<namespace>/<name>:<portName>`). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly portName: string;
  readonly protocol: ProxyProtocol;
  readonly kind: FrontendKind;
  /** The Service address this listener stands for (cluster IP, external IP, LB IP; the node port for NodePort). */
  readonly serviceAddress: string;
  /** The Service's port (for NodePort: the node port). */
  readonly servicePort: number;
  /** Where it is bound. */
  readonly host: string;
  readonly port: number;
}

/** UnservedListener is a fixed-port listener that could not be opened (see UserspaceProxier.unserved). */
export interface UnservedListener {
  readonly servicePort: string;
  readonly kind: FrontendKind;
  readonly host: string;
  readonly port: number;
  readonly protocol: ProxyProtocol;
  readonly reason: 'in use' | 'needs root';
}

/** UserspaceProxierConfig constructs a UserspaceProxier. */
export interface UserspaceProxierConfig {
  /** @default defaultAddressFor: the cluster IP if local, else 127.0.0.1 on a free port */
  readonly addressFor?: AddressFor;
  /** Where NodePorts listen. @default ['0.0.0.0'] */
  readonly nodePortAddresses?: readonly string[];
  /** A UDP session ends after this long without traffic. @default 30 s */
  readonly udpIdleTimeoutMs?: number;
  /** An endpoint that has not accepted a TCP connection within this long is skipped. @default 2 s */
  readonly dialTimeoutMs?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
}

/** localAddresses lists this machine's interface addresses. */
export function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

/**
 * defaultAddressFor: the cluster IP and service port when the cluster IP is local, else 127.0.0.1 on a free port.
 * `local` overrides the sync's view of the local addresses (tests).
 */
export function defaultAddressFor(local?: () => ReadonlySet<string>): AddressFor {
  return (sp, clusterIP, syncLocal) => ((local ? local() : syncLocal).has(clusterIP) ? { host: clusterIP, port: sp.port } : { host: '127.0.0.1', port: 0 });
}

interface PortState {
  sp: ProxyServicePort;
  /** loadBalancerSourceRanges as a test (undefined: everyone), asked by the LoadBalancer listeners. */
  lbAllow: ((ip: string) => boolean) | undefined;
  readonly cluster: EndpointChooser;
  readonly external: EndpointChooser;
}

interface Frontend {
  readonly listener: UserspaceListener;
  readonly impl: TcpFrontend | UdpFrontend;
}

/** Desired is one frontend a snapshot asks for, before it is opened. */
interface Desired {
  readonly id: string;
  readonly sp: ProxyServicePort;
  readonly kind: FrontendKind;
  readonly serviceAddress: string;
  readonly servicePort: number;
  readonly at: ListenAddress;
}

/** UserspaceProxier: see the file comment. */
export class UserspaceProxier implements Proxier {
  readonly mode = 'userspace' as const;
  readonly #addressFor: AddressFor;
  readonly #nodePortAddresses: readonly string[];
  readonly #udpIdleMs: number;
  readonly #dialMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #ports = new Map<string, PortState>();
  /** Open frontends by identity: `<key>|<protocol>|<kind>|<asked host>|<asked port>`. */
  readonly #frontends = new Map<string, Frontend>();
  /** Fixed-port frontends whose address was in use at the last try, by frontend identity (see inUse()). */
  readonly #taken = new Map<string, UnservedListener>();

  constructor(config: UserspaceProxierConfig = {}) {
    this.#addressFor = config.addressFor ?? defaultAddressFor();
    this.#nodePortAddresses = config.nodePortAddresses ?? ['0.0.0.0'];
    this.#udpIdleMs = config.udpIdleTimeoutMs ?? 30_000;
    this.#dialMs = config.dialTimeoutMs ?? 2_000;
    this.#clock = config.clock ?? new RealClock();
    this.#log = config.log ?? newLogger('userspace-proxier');
  }

  /**
   * unserved lists the NodePort, external-IP and load-balancer listeners this proxier wants but could not open:
   * the address and port are taken (another node's proxy on the same machine, or any other program), or the port
   * is below 1024 without root. They are retried at every sync.
   */
  unserved(): UnservedListener[] {
    return [...this.#taken.values()].sort((a, b) => (a.servicePort < b.servicePort ? -1 : a.servicePort > b.servicePort ? 1 : a.port - b.port));
  }

  /** listeners lists the open listeners with their bound addresses, ordered by service port key. */
  listeners(): UserspaceListener[] {
    return [...this.#frontends.values()].map((f) => f.listener).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * serviceAddress is where a client on this node reaches `<namespace>/<name>` port `port`/`protocol` through this
   * proxy (its first cluster-IP listener), or undefined when the proxy has none for it (yet). This makes the
   * proxier a ServiceAddressResolver for the kubelet's service environment variables.
   */
  serviceAddress(namespace: string, name: string, port: number, protocol: string): ListenAddress | undefined {
    for (const f of this.#frontends.values()) {
      const l = f.listener;
      if (l.kind === 'ClusterIP' && l.namespace === namespace && l.name === name && l.servicePort === port && l.protocol === protocol) return { host: l.host, port: l.port };
    }
    return undefined;
  }

  async sync(snapshot: ProxySnapshot): Promise<void> {
    const local = localAddresses();
    const desired = new Map<string, Desired>();
    const want = (sp: ProxyServicePort, kind: FrontendKind, serviceAddress: string, servicePort: number, at: ListenAddress): void => {
      const id = `${sp.key}|${sp.protocol}|${kind}|${serviceAddress}|${at.host}|${at.port}`;
      desired.set(id, { id, sp, kind, serviceAddress, servicePort, at });
    };
    const ports = new Map<string, ProxyServicePort>();
    for (const sp of snapshot.servicePorts) {
      if (sp.clusterIPs.length === 0) continue;
      if (sp.protocol === 'SCTP') {
        this.#log.debug('userspace proxy skips SCTP service port', { servicePort: sp.key });
        continue;
      }
      ports.set(sp.key, sp);
      for (const ip of sp.clusterIPs) want(sp, 'ClusterIP', ip, sp.port, this.#addressFor(sp, ip, local));
      if (sp.nodePort !== undefined) for (const host of this.#nodePortAddresses) want(sp, 'NodePort', host, sp.nodePort, { host, port: sp.nodePort });
      for (const ip of sp.externalIPs) if (local.has(ip)) want(sp, 'ExternalIP', ip, sp.port, { host: ip, port: sp.port });
      for (const ip of sp.loadBalancerIPs) if (local.has(ip)) want(sp, 'LoadBalancer', ip, sp.port, { host: ip, port: sp.port });
    }

    // Endpoint lists first (in place), so kept frontends serve the new endpoints from here on.
    for (const [key, sp] of ports) {
      let st = this.#ports.get(key);
      if (!st) {
        st = { sp, lbAllow: undefined, cluster: new EndpointChooser(this.#clock), external: new EndpointChooser(this.#clock) };
        this.#ports.set(key, st);
      }
      st.sp = sp;
      const ranges = sp.loadBalancerSourceRanges ?? [];
      st.lbAllow = ranges.length > 0 ? sourceRangeMatcher(ranges) : undefined;
      st.cluster.update(clusterEndpoints(sp), sp.sessionAffinitySeconds);
      st.external.update(externalEndpoints(sp), sp.sessionAffinitySeconds);
    }
    for (const key of [...this.#ports.keys()]) if (!ports.has(key)) this.#ports.delete(key);

    for (const [id, f] of this.#frontends) {
      if (desired.has(id)) {
        if (f.impl instanceof UdpFrontend) f.impl.prune();
        continue;
      }
      f.impl.close();
      this.#frontends.delete(id);
      this.#log.debug('userspace proxy closed listener', { servicePort: f.listener.key, kind: f.listener.kind, address: `${f.listener.host}:${f.listener.port}` });
    }

    const failures: string[] = [];
    for (const id of [...this.#taken.keys()]) if (!desired.has(id)) this.#taken.delete(id);
    await Promise.all(
      [...desired.values()].filter((d) => !this.#frontends.has(d.id)).map(async (d) => {
        try {
          await this.#open(d);
          if (this.#taken.delete(d.id)) this.#log.info('userspace proxy now serves a port that was in use', { servicePort: d.sp.key, kind: d.kind, address: `${d.at.host}:${d.at.port}/${d.sp.protocol}` });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (d.kind !== 'ClusterIP' && (code === 'EADDRINUSE' || code === 'EACCES')) {
            // A fixed port (NodePort, external or LB address) someone else holds — with several process nodes on
            // one machine sharing an address, the first node serves it — or below 1024 without root (an LB
            // address's service port). Not a sync failure (it would retry with back-off, warn forever and fail
            // every health check); one line, a quiet retry at every sync, one line when it is ours.
            const reason = code === 'EADDRINUSE' ? 'in use' : 'needs root';
            const address = `${d.at.host}:${d.at.port}/${d.sp.protocol}`;
            if (!this.#taken.has(d.id)) this.#log.warn(code === 'EADDRINUSE' ? 'userspace proxy port in use, not served by this node (another node on this machine may serve it)' : 'userspace proxy port below 1024 needs root, not served by this node', { servicePort: d.sp.key, kind: d.kind, address });
            this.#taken.set(d.id, { servicePort: d.sp.key, kind: d.kind, host: d.at.host, port: d.at.port, protocol: d.sp.protocol, reason });
            return;
          }
          failures.push(`${d.sp.key} ${d.kind} on ${d.at.host}:${d.at.port}/${d.sp.protocol} (${err instanceof Error ? err.message : String(err)})`);
        }
      }),
    );
    if (failures.length > 0) throw new Error(`Cannot open userspace proxy listeners: ${failures.sort().join('; ')}`);
  }

  async cleanup(): Promise<void> {
    for (const f of this.#frontends.values()) {
      if (f.impl instanceof TcpFrontend) f.impl.destroy();
      else f.impl.close();
    }
    this.#frontends.clear();
    this.#ports.clear();
    this.#taken.clear();
    return Promise.resolve();
  }

  async #open(d: Desired): Promise<void> {
    const st = this.#ports.get(d.sp.key);
    if (!st) return;
    const chooser = d.kind === 'ClusterIP' ? st.cluster : st.external;
    // Load-balancer listeners check the client against the Service's source ranges as they stand at each client.
    const firewall = d.kind === 'LoadBalancer' ? { allowClient: (ip: string): boolean => st.lbAllow?.(ip) ?? true } : {};
    let impl: TcpFrontend | UdpFrontend;
    let bound: { port: number };
    if (d.sp.protocol === 'UDP') {
      const udp = new UdpFrontend({ ...firewall, chooser, idleTimeoutMs: this.#udpIdleMs, clock: this.#clock, log: this.#log });
      bound = await udp.listen(d.at.host, d.at.port);
      impl = udp;
    } else {
      const tcp = new TcpFrontend({ ...firewall, chooser, dialTimeoutMs: this.#dialMs, log: this.#log });
      bound = await tcp.listen(d.at.host, d.at.port);
      impl = tcp;
    }
    const sp = d.sp;
    const listener: UserspaceListener = {
      key: sp.key, namespace: sp.namespace, name: sp.name, portName: sp.portName, protocol: sp.protocol, kind: d.kind,
      serviceAddress: d.serviceAddress, servicePort: d.servicePort, host: d.at.host, port: bound.port,
    };
    this.#frontends.set(d.id, { listener, impl });
    this.#log.debug('userspace proxy listening', { servicePort: sp.key, kind: d.kind, address: `${d.at.host}:${bound.port}/${sp.protocol}` });
  }
}
