/**
 * ProxyMetrics: the service proxy's Prometheus figures, under kube-proxy's metric names so dashboards and alerts
 * written for kube-proxy read them unchanged:
 *  - `kubeproxy_sync_proxy_rules_duration_seconds` (histogram, kube-proxy's buckets: 1 ms doubling to ~16 s): how
 *    long each successful sync of the rules took;
 *  - `kubeproxy_sync_proxy_rules_last_timestamp_seconds`: when the rules were last synced successfully;
 *  - `kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds`: when a change last asked for a sync (a queued
 *    time well after the last sync means the proxy is falling behind);
 *  - `kubeproxy_sync_proxy_rules_endpoint_changes_total` and `…_service_changes_total`: informer events seen;
 *  - `kubeproxy_sync_proxy_rules_errors_total{mode}` (ours: kube-proxy logs these), failed syncs, each retried.
 * The node agent appends `render()`'s text to the kubelet's `/metrics` (the proxy has no port of its own).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** kube-proxy's `prometheus.ExponentialBuckets(0.001, 2, 15)`. */
const DURATION_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

/** ProxyMetrics: see the file comment. */
export class ProxyMetrics {
  readonly #registry = new Registry();
  readonly #duration: Histogram<string>;
  readonly #lastSync: Gauge<string>;
  readonly #lastQueued: Gauge<string>;
  readonly #endpointChanges: Counter<string>;
  readonly #serviceChanges: Counter<string>;
  readonly #errors: Counter<string>;

  constructor() {
    const registers = [this.#registry];
    this.#duration = new Histogram({ name: 'kubeproxy_sync_proxy_rules_duration_seconds', help: 'SyncProxyRules latency in seconds', buckets: DURATION_BUCKETS, registers });
    this.#lastSync = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'The last time proxy rules were successfully synced', registers });
    this.#lastQueued = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', help: 'The last time a sync of proxy rules was queued', registers });
    this.#endpointChanges = new Counter({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total', help: 'Cumulative proxy rules EndpointSlice changes', registers });
    this.#serviceChanges = new Counter({ name: 'kubeproxy_sync_proxy_rules_service_changes_total', help: 'Cumulative proxy rules Service changes', registers });
    this.#errors = new Counter({ name: 'kubeproxy_sync_proxy_rules_errors_total', help: 'Failed syncs of the proxy rules (each is retried)', labelNames: ['mode'], registers });
  }

  /** queued records a change that asks for a sync, at `nowMs` (wall clock). */
  queued(kind: 'service' | 'endpoints', nowMs: number): void {
    (kind === 'service' ? this.#serviceChanges : this.#endpointChanges).inc();
    this.#lastQueued.set(nowMs / 1000);
  }

  /** synced records a successful sync that took `durationMs` and ended at `nowMs`. */
  synced(durationMs: number, nowMs: number): void {
    this.#duration.observe(durationMs / 1000);
    this.#lastSync.set(nowMs / 1000);
  }

  /** failed records a failed sync of the proxier of `mode`. */
  failed(mode: string): void {
    this.#errors.inc({ mode });
  }

  /** render is the Prometheus text of every family. */
  render(): Promise<string> {
    return this.#registry.metrics();
  }
}
