/**
 * Scraper: the metrics server's loop (upstream metrics-server's scraper). Every resolution it reads the Summary of
 * each Ready node's kubelet, in parallel, records them in the MetricsStore and publishes. Nodes and pods come from
 * the API (informers), never from storage. A node that cannot be scraped (down, no kubelet yet, simulated) is
 * left out of that round and its samples forgotten, so `kubectl top` shows no stale figures for it; the failure is
 * logged once per node until it recovers. The next round starts a resolution after the previous one began (or at
 * once, when a round took longer), so slow kubelets never stack rounds.
 */
import type { KubeObject } from '../api/meta/types.js';
import type { Clock, Timer } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { KubeletAddress, SummaryFetcher } from './kubelet-summary.js';
import type { MetricsStore, PodInfo } from './metrics-store.js';

/** ScrapeTargets is the scraper's view of the cluster (informer caches in production). */
export interface ScrapeTargets {
  nodes(): readonly KubeObject[];
  pod(namespace: string, name: string): KubeObject | undefined;
}

/** ScraperConfig constructs a Scraper. */
export interface ScraperConfig {
  readonly targets: ScrapeTargets;
  readonly fetch: SummaryFetcher;
  readonly store: MetricsStore;
  readonly clock: Clock;
  /** Time between rounds (`--metrics-resolution`). */
  readonly resolutionMs: number;
  readonly log: Logger;
}

interface NodeShape extends KubeObject {
  status?: {
    conditions?: { type?: string; status?: string }[];
    addresses?: { type?: string; address?: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
}

/**
 * kubeletAddressOf says where a node's kubelet is, or why it is not scraped: not Ready, simulated (no kubelet
 * behind its made-up address) or no InternalIP.
 */
export function kubeletAddressOf(node: KubeObject): KubeletAddress | string {
  const n = node as NodeShape;
  if (n.metadata?.labels?.['node.tkube.io/runtime'] === 'simulated') return 'the node is simulated';
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return 'the node is not Ready';
  const address = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!address) return 'the node reports no InternalIP address';
  return { host: address.includes(':') ? `[${address}]` : address, port: n.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250 };
}

/** Scraper runs the rounds; see the file comment. */
export class Scraper {
  readonly #c: ScraperConfig;
  readonly #failing = new Set<string>();
  #timer: Timer | undefined;
  #abort: AbortController | undefined;
  #stopped = true;
  #round: Promise<void> | undefined;

  constructor(config: ScraperConfig) {
    this.#c = config;
  }

  /** start runs a round now and then every resolution until stop(). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#next(0);
  }

  #next(delayMs: number): void {
    this.#timer = this.#c.clock.setTimer(delayMs, () => {
      const began = this.#c.clock.now();
      this.#round = this.scrapeOnce().then(() => {
        if (!this.#stopped) this.#next(Math.max(0, this.#c.resolutionMs - (this.#c.clock.now() - began)));
      });
    });
  }

  /** scrapeOnce runs one round: every scrapable node, then publish. Never rejects. */
  async scrapeOnce(): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    const { store, targets } = this.#c;
    const scraped = new Set<string>();
    await Promise.all(
      targets.nodes().map(async (node) => {
        const name = node.metadata?.name ?? '';
        const address = kubeletAddressOf(node);
        if (typeof address === 'string') return;
        try {
          const summary = await this.#c.fetch(address, abort.signal);
          if (abort.signal.aborted) return;
          store.record(name, summary, { ...(node.metadata?.labels ? { labels: node.metadata.labels } : {}) }, (ns, podName): PodInfo | undefined => {
            const pod = targets.pod(ns, podName);
            return pod ? { ...(pod.metadata?.labels ? { labels: pod.metadata.labels } : {}) } : undefined;
          });
          scraped.add(name);
          if (this.#failing.delete(name)) this.#c.log.info('Scraping the kubelet again', { node: name });
        } catch (err) {
          if (abort.signal.aborted) return;
          if (!this.#failing.has(name)) {
            this.#failing.add(name);
            this.#c.log.warn('Cannot scrape the kubelet', { node: name, err: err instanceof Error ? err.message : String(err) });
          }
        }
      }),
    );
    if (abort.signal.aborted) return;
    store.retain(scraped);
    store.publish();
  }

  /** stop ends the loop and abandons a round in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#abort?.abort();
    await this.#round;
  }
}
