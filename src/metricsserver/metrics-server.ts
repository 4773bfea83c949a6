/**
 * MetricsServer: the resource metrics pipeline of the server process (what metrics-server is in a kubeadm
 * cluster): Node and Pod informers name the targets, the Scraper reads the kubelets' Summaries every resolution,
 * the MetricsStore turns them into NodeMetrics and PodMetrics. The API server serves `nodes()` and `pods()` as
 * metrics.k8s.io/v1beta1 (boot/ hands this object to apiserver/metrics-apis/ as its source).
 */
import type { NodeMetrics, PodMetrics } from '../api/metrics/resource-metrics.js';
import { RealClock, type Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import { httpsSummaryFetcher, type KubeletTls, type SummaryFetcher } from './kubelet-summary.js';
import { MetricsStore } from './metrics-store.js';
import { Scraper } from './scraper.js';

/** DEFAULT_METRICS_RESOLUTION_MS is upstream metrics-server's `--metric-resolution` default. */
export const DEFAULT_METRICS_RESOLUTION_MS = 15_000;

/** MetricsServerConfig constructs a MetricsServer. */
export interface MetricsServerConfig {
  readonly informers: InformerFactory;
  /** How kubelets are called (client certificate and the CA that signed their serving certificates). */
  readonly kubeletTls: KubeletTls;
  /** @default DEFAULT_METRICS_RESOLUTION_MS */
  readonly resolutionMs?: number;
  readonly log: Logger;
  /** @default RealClock */
  readonly clock?: Clock;
  /** Replaces the HTTPS Summary fetch (tests). */
  readonly fetch?: SummaryFetcher;
}

/** MetricsServer scrapes kubelets and holds the resource metrics; see the file comment. */
export class MetricsServer {
  readonly #store = new MetricsStore();
  readonly #scraper: Scraper;

  constructor(config: MetricsServerConfig) {
    const resolutionMs = config.resolutionMs ?? DEFAULT_METRICS_RESOLUTION_MS;
    const nodes = config.informers.informerFor({ version: 'v1', resource: 'nodes' });
    const pods = config.informers.informerFor({ version: 'v1', resource: 'pods' });
    this.#scraper = new Scraper({
      targets: { nodes: () => nodes.store.list(), pod: (namespace, name) => pods.store.get(`${namespace}/${name}`) },
      // A kubelet gets at most one resolution (and never more than 10 s) to answer, so rounds keep their pace.
      fetch: config.fetch ?? httpsSummaryFetcher(config.kubeletTls, Math.min(10_000, Math.max(1_000, resolutionMs))),
      store: this.#store,
      clock: config.clock ?? new RealClock(),
      resolutionMs,
      log: config.log,
    });
  }

  start(): void {
    this.#scraper.start();
  }

  stop(): Promise<void> {
    return this.#scraper.stop();
  }

  /** nodes is the NodeMetrics of every scraped node. */
  nodes(): readonly NodeMetrics[] {
    return this.#store.nodes();
  }

  /** pods is the PodMetrics of every pod whose containers all have a rate. */
  pods(): readonly PodMetrics[] {
    return this.#store.pods();
  }
}
