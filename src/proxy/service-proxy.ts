/**
 * ServiceProxy: kube-proxy's control loop for one node. Informers on Services and EndpointSlices only mark the
 * state dirty; a SyncRunner batches those marks into syncs no closer than `minSyncPeriodMs` (plus a periodic
 * resync), each of which builds the whole ProxySnapshot from the caches and hands it to the Proxier. A failed sync
 * is retried with back-off; the Proxier rebuilds from the snapshot, so nothing partial is trusted.
 *
 * After each successful sync the snapshot also goes to the ServiceHealthServer (health check node ports), and a
 * failed sync marks every health check unhealthy until the next success, as kube-proxy's healthz does.
 *
 * Nothing is programmed before both informers have synced: a snapshot from half-filled caches would briefly
 * remove Services that still exist.
 *
 * The proxy also watches Nodes for its own node's `topology.kubernetes.io/zone` label (topology-aware routing, as
 * kube-proxy watches its Node). That cache is not waited for: until it has the node, endpoints of every zone are used.
 */
import { RealClock, type Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import type { ServiceHealthServer } from './healthcheck/service-health-server.js';
import type { Proxier } from './proxier.js';
import { ProxyMetrics } from './proxy-metrics.js';
import type { ProxySnapshot } from './proxy-state.js';
import { SnapshotBuilder, type EndpointSliceObject, type ServiceObject } from './snapshot-builder.js';
import { SyncRunner } from './sync-runner.js';
import type { KubeObject } from '../api/meta/types.js';

/** The Node label naming its zone (topology-aware routing). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** The part of a Node the proxy reads: its labels. */
type NodeObject = KubeObject;

/** ServiceProxyConfig constructs a ServiceProxy. */
export interface ServiceProxyConfig {
  /** Informers for the node (Services and EndpointSlices of every namespace are taken from it). */
  readonly informers: InformerFactory;
  readonly proxier: Proxier;
  /** Serves the health check ports of LoadBalancer Services with externalTrafficPolicy Local; fed after each sync. */
  readonly healthChecks?: ServiceHealthServer;
  readonly nodeName: string;
  readonly nodeIPs: readonly string[];
  readonly clusterCidr: string;
  /**
   * A dual-stack node: the IPv6 snapshot (IPv6 cluster IPs and IPv6 EndpointSlices) goes to this second proxier,
   * with the cluster's IPv6 pod range for masquerade decisions, as upstream's meta-proxier does per family.
   */
  readonly ipv6?: { readonly proxier: Proxier; readonly clusterCidr: string };
  /** `--proxy-min-sync-period`: the least time between two syncs. @default 100 */
  readonly minSyncPeriodMs?: number;
  /** `--proxy-sync-period`: a sync at least this often even without changes. @default 30000 */
  readonly syncPeriodMs?: number;
  /** @default RealClock */
  readonly clock?: Clock;
  readonly log: Logger;
}

/** ServiceProxy keeps a Proxier in step with the cluster's Services and EndpointSlices. */
export class ServiceProxy {
  readonly #c: ServiceProxyConfig;
  readonly #services: SharedInformer<ServiceObject>;
  readonly #slices: SharedInformer<EndpointSliceObject>;
  readonly #nodes: SharedInformer<NodeObject>;
  readonly #runner: SyncRunner;
  readonly #stop = new AbortController();
  /** Reuses the ServicePorts of unchanged Services, so a proxier can skip them by identity. */
  readonly #builder = new SnapshotBuilder();
  readonly #builderV6 = new SnapshotBuilder();
  #lastError = '';
  /** Wall time of the last successful sync and how long its proxier call took (metrics, benchmarks). */
  lastSync: { at: number; durationMs: number; servicePorts: number } | undefined;
  /** kube-proxy's figures (proxy-metrics.ts), for the node's /metrics. */
  readonly metrics = new ProxyMetrics();

  constructor(config: ServiceProxyConfig) {
    this.#c = config;
    const clock = config.clock ?? new RealClock();
    this.#services = config.informers.informerFor<ServiceObject>({ version: 'v1', resource: 'services' });
    this.#slices = config.informers.informerFor<EndpointSliceObject>({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' });
    this.#nodes = config.informers.informerFor<NodeObject>({ version: 'v1', resource: 'nodes' });
    this.#runner = new SyncRunner({
      run: () => this.#sync(clock),
      clock,
      minIntervalMs: config.minSyncPeriodMs ?? 100,
      periodicIntervalMs: config.syncPeriodMs ?? 30_000,
      onError: (err) => {
        this.metrics.failed(config.proxier.mode);
        config.healthChecks?.setProxyHealthy(false);
        const message = err instanceof Error ? err.message : String(err);
        // One warning per distinct failure: a proxier failing every retry should not flood the log.
        if (message !== this.#lastError) config.log.warn('Service proxy sync failed; retrying', { mode: config.proxier.mode, error: message });
        this.#lastError = message;
      },
    });
    const dirty = (kind: 'service' | 'endpoints') => {
      const changed = (): void => {
        this.metrics.queued(kind, clock.now());
        this.#runner.request();
      };
      return { onAdd: changed, onUpdate: changed, onDelete: changed };
    };
    this.#services.addEventHandler(dirty('service'));
    this.#slices.addEventHandler(dirty('endpoints'));
    // Only this node's zone matters: other nodes' heartbeats wake nothing.
    const zoneOf = (n: NodeObject): string | undefined => n.metadata?.labels?.[ZONE_LABEL];
    const ours = (n: NodeObject): boolean => n.metadata?.name === config.nodeName;
    this.#nodes.addEventHandler({
      onAdd: (n) => ours(n) && zoneOf(n) !== undefined && this.#runner.request(),
      onUpdate: (o, n) => ours(n) && zoneOf(o) !== zoneOf(n) && this.#runner.request(),
      onDelete: (n) => ours(n) && this.#runner.request(),
    });
  }

  /** snapshot builds the snapshot the next sync would program (from the informers' caches). */
  snapshot(): ProxySnapshot {
    const zone = this.#nodes.store.get(this.#c.nodeName)?.metadata?.labels?.[ZONE_LABEL];
    return this.#builder.build({
      nodeName: this.#c.nodeName,
      ...(zone ? { nodeZone: zone } : {}),
      nodeIPs: this.#c.nodeIPs,
      clusterCidr: this.#c.clusterCidr,
      services: this.#services.store.list(),
      endpointSlices: this.#slices.store.list(),
    });
  }

  /** snapshotV6 builds the IPv6 snapshot of a dual-stack node (undefined on a single-stack one). */
  snapshotV6(): ProxySnapshot | undefined {
    const v6 = this.#c.ipv6;
    if (!v6) return undefined;
    return this.#builderV6.build({
      nodeName: this.#c.nodeName,
      nodeIPs: this.#c.nodeIPs,
      clusterCidr: v6.clusterCidr,
      family: 'IPv6',
      services: this.#services.store.list(),
      endpointSlices: this.#slices.store.list(),
    });
  }

  /** start asks for the first sync (it waits for the informers; the factory must be started by the caller). */
  start(): void {
    this.#runner.request();
  }

  /** stop ends syncing; the rules stay (connections keep working while the node agent restarts). */
  stop(): void {
    this.#runner.stop();
    this.#stop.abort();
  }

  /** idle resolves once no sync is pending or running (tests, benchmarks). */
  idle(): Promise<void> {
    return this.#runner.idle();
  }

  async #sync(clock: Clock): Promise<void> {
    if (!(await this.#services.waitForSync(this.#stop.signal)) || !(await this.#slices.waitForSync(this.#stop.signal))) return;
    const started = clock.now();
    const snapshot = this.snapshot();
    await this.#c.proxier.sync(snapshot);
    const v6 = this.snapshotV6();
    if (v6) await this.#c.ipv6?.proxier.sync(v6);
    // After the rules: a health check says 200 only for endpoints the node already forwards to.
    await this.#c.healthChecks?.sync(snapshot);
    if (this.#lastError) this.#c.log.info('Service proxy sync recovered', { mode: this.#c.proxier.mode });
    this.#lastError = '';
    this.lastSync = { at: clock.now(), durationMs: clock.now() - started, servicePorts: snapshot.servicePorts.length };
    this.metrics.synced(this.lastSync.durationMs, this.lastSync.at);
  }
}
