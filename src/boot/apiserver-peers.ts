/**
 * ApiServerPeers: with several servers, the `kubernetes` Endpoints (and EndpointSlice) in `default` list every live
 * API server, as upstream's lease endpoint reconciler does. Each server keeps a Lease
 * `kube-system/apiserver-<identity>` (label `apiserver.kubernetes.io/identity: kube-apiserver`, as upstream's
 * apiserver identity leases) whose annotation says where it serves, renews it every `intervalMs`, and rewrites the
 * Endpoints from the Leases renewed within `3 × intervalMs`. A server stopped gracefully deletes its Lease and
 * takes itself out at once; a killed one drops out when its Lease goes stale. Peers compare renewTime with their
 * own clock, so servers' clocks must roughly agree (within the interval), as they must for upstream's.
 * Agents learn the servers from these Endpoints (server-load-balancer.ts); pods reach them through the Service.
 * Every server runs this (it is not elected): each one vouches only for itself.
 */
import type { KubeObject } from '../api/meta/types.js';
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import { stableJson } from '../apiserver/registry/stable-json.js';

const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-system' } as const;
const ENDPOINTS = { version: 'v1', resource: 'endpoints', namespace: 'default', name: 'kubernetes' } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: 'default', name: 'kubernetes' } as const;
/** IDENTITY_LABEL marks API server identity Leases (upstream's label and value). */
export const IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
/** ADDRESS_ANNOTATION holds `ip:port` of the server a Lease belongs to. */
export const ADDRESS_ANNOTATION = 'tkube.io/apiserver-address';

/**
 * INGRESS_ANNOTATION holds the comma-separated addresses this server's Ingress proxy serves on, when it runs one:
 * the Ingress status writer (one server, under a Lease: boot/ingress.ts) lists every live server's.
 */
export const INGRESS_ANNOTATION = 'tkube.io/ingress-addresses';

/** ETCD_ANNOTATION holds the client URL of the etcd member a `--cluster-init` server runs (what joining servers dial). */
export const ETCD_ANNOTATION = 'tkube.io/etcd-client-url';

/** ApiServerAddress is where one server serves. */
export interface ApiServerAddress {
  readonly ip: string;
  readonly port: number;
}

/** ApiServerPeersConfig configures the reconciler of one server. */
export interface ApiServerPeersConfig {
  readonly client: RestClient;
  /** This server's candidate identity (leader-election.ts's serverIdentity). */
  readonly identity: string;
  readonly self: ApiServerAddress;
  /** The client URL of this server's own etcd member, when it runs one. */
  readonly etcdClientUrl?: string;
  /** The addresses this server's Ingress proxy serves on, when it runs one (INGRESS_ANNOTATION). */
  readonly ingressAddresses?: readonly string[];
  /** @default 10000 */
  readonly intervalMs?: number;
  readonly clock: Clock;
  readonly log: Logger;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** leaseNameOf makes a DNS-label-safe Lease name from an identity. */
function leaseNameOf(identity: string): string {
  return `apiserver-${identity.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

/** endpointsSubsets groups addresses by port (servers on different ports get one subset each), sorted for stable output. */
export function endpointsSubsets(addresses: readonly ApiServerAddress[]): unknown[] {
  const byPort = new Map<number, Set<string>>();
  for (const a of addresses) byPort.set(a.port, (byPort.get(a.port) ?? new Set()).add(a.ip));
  return [...byPort.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([port, ips]) => ({ addresses: [...ips].sort().map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] }));
}

/** leaseIsFresh: a server identity Lease renewed within its duration, by the reader's clock. */
function leaseIsFresh(lease: KubeObject, nowMs: number): boolean {
  const spec = (lease['spec'] ?? {}) as Record<string, unknown>;
  const renew = typeof spec['renewTime'] === 'string' ? Date.parse(spec['renewTime']) : NaN;
  const duration = typeof spec['leaseDurationSeconds'] === 'number' ? spec['leaseDurationSeconds'] * 1000 : 0;
  return renew + duration > nowMs;
}

/**
 * liveIngressAddresses: the Ingress proxy addresses of every server whose identity Lease is fresh, deduplicated and
 * sorted (so every writer computes the same list and status does not flap).
 */
export function liveIngressAddresses(leases: readonly KubeObject[], nowMs: number): string[] {
  const out = new Set<string>();
  for (const lease of leases) {
    if (lease.metadata?.labels?.[IDENTITY_LABEL] !== 'kube-apiserver' || !leaseIsFresh(lease, nowMs)) continue;
    for (const a of (lease.metadata.annotations?.[INGRESS_ANNOTATION] ?? '').split(',')) if (a.trim() !== '') out.add(a.trim());
  }
  return [...out].sort();
}

/** parseAddress reads `ip:port` (IPv6 in brackets). */
export function parseAddress(text: unknown): ApiServerAddress | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  return m[1] && port > 0 && port < 65536 ? { ip: m[1], port } : undefined;
}

/** ApiServerPeers keeps this server's Lease and the `kubernetes` Endpoints. */
export class ApiServerPeers {
  readonly #c: ApiServerPeersConfig;
  readonly #intervalMs: number;
  readonly #leaseName: string;
  #timer: { cancel(): void } | undefined;
  #stopped = false;
  #tick: Promise<void> = Promise.resolve();

  constructor(config: ApiServerPeersConfig) {
    this.#c = config;
    this.#intervalMs = config.intervalMs ?? 10_000;
    this.#leaseName = leaseNameOf(config.identity);
  }

  /** start renews and reconciles once (awaited), then every interval. */
  async start(): Promise<void> {
    await this.#run();
  }

  /** stop deletes this server's Lease and rewrites the Endpoints without it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#tick;
    try {
      await this.#c.client.delete({ ...LEASES, name: this.#leaseName });
    } catch (err) {
      if (!isNotFound(err)) this.#c.log.warn('Cannot delete the API server lease', { err: err instanceof Error ? err.message : String(err) });
    }
    await this.#reconcile(false).catch((err: unknown) => this.#c.log.warn('Cannot take this server out of the kubernetes Endpoints', { err: err instanceof Error ? err.message : String(err) }));
  }

  #run(): Promise<void> {
    this.#tick = (async () => {
      try {
        await this.#renew();
        await this.#reconcile(true);
      } catch (err) {
        this.#c.log.warn('Cannot reconcile the kubernetes Endpoints', { err: err instanceof Error ? err.message : String(err) });
      }
      if (!this.#stopped) this.#timer = this.#c.clock.setTimer(this.#intervalMs, () => void this.#run());
    })();
    return this.#tick;
  }

  async #renew(): Promise<void> {
    const now = this.#c.clock.now();
    const address = `${this.#c.self.ip.includes(':') ? `[${this.#c.self.ip}]` : this.#c.self.ip}:${this.#c.self.port}`;
    const spec = { holderIdentity: this.#c.identity, leaseDurationSeconds: Math.max(1, Math.ceil((3 * this.#intervalMs) / 1000)), renewTime: microTime(now) };
    const ingress = this.#c.ingressAddresses && this.#c.ingressAddresses.length > 0 ? this.#c.ingressAddresses.join(',') : undefined;
    const annotations = { [ADDRESS_ANNOTATION]: address, ...(this.#c.etcdClientUrl ? { [ETCD_ANNOTATION]: this.#c.etcdClientUrl } : {}), ...(ingress ? { [INGRESS_ANNOTATION]: ingress } : {}) };
    const metadata = { labels: { [IDENTITY_LABEL]: 'kube-apiserver' }, annotations };
    try {
      // null removes the Ingress addresses of a server restarted without its Ingress proxy.
      await this.#c.client.patch({ ...LEASES, name: this.#leaseName }, 'merge', { metadata: { ...metadata, annotations: { [INGRESS_ANNOTATION]: null, ...annotations } }, spec });
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const lease: KubeObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#leaseName, namespace: 'kube-system', ...metadata }, spec };
    try {
      await this.#c.client.create(LEASES, lease);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  /** #live lists the addresses of servers whose Lease is fresh (this one included when `includeSelf`). */
  async #live(includeSelf: boolean): Promise<ApiServerAddress[]> {
    const list = await this.#c.client.list(LEASES, { labelSelector: `${IDENTITY_LABEL}=kube-apiserver` });
    const now = this.#c.clock.now();
    const out: ApiServerAddress[] = [];
    for (const lease of list.items) {
      const spec = (lease['spec'] ?? {}) as Record<string, unknown>;
      const mine = spec['holderIdentity'] === this.#c.identity;
      if (mine && !includeSelf) continue;
      if (!mine && !leaseIsFresh(lease, now)) continue;
      const address = parseAddress(lease.metadata?.annotations?.[ADDRESS_ANNOTATION]);
      if (address) out.push(address);
    }
    if (includeSelf && !out.some((a) => a.ip === this.#c.self.ip && a.port === this.#c.self.port)) out.push(this.#c.self);
    return out;
  }

  async #reconcile(includeSelf: boolean): Promise<void> {
    const live = await this.#live(includeSelf);
    if (live.length === 0) return;
    const subsets = endpointsSubsets(live);
    const client = this.#c.client;
    const current = await client.get(ENDPOINTS);
    if (stableJson(current['subsets']) !== stableJson(subsets)) {
      try {
        await client.update(ENDPOINTS, { ...current, subsets } as KubeObject);
      } catch (err) {
        // Another server rewrote them meanwhile: the next tick looks again.
        if (!isConflict(err)) throw err;
      }
    }
    // The EndpointSlice has one port list: it lists the servers of the first subset (all of them when they share a port).
    const first = (subsets[0] ?? {}) as { addresses?: { ip: string }[]; ports?: unknown[] };
    const endpoints = (first.addresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: true } }));
    let slice: KubeObject;
    try {
      slice = await client.get(SLICES);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (stableJson(slice['endpoints']) !== stableJson(endpoints) || stableJson(slice['ports']) !== stableJson(first.ports)) {
      try {
        await client.update(SLICES, { ...slice, endpoints, ports: first.ports } as KubeObject);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }
}
