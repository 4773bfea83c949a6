/**
 * MetricsStore: the last two samples of every node and container, and the NodeMetrics/PodMetrics computed from
 * them (metrics-server's storage). A CPU rate needs two cumulative readings of the same series: usage is
 * (cpu₂ − cpu₁) / (t₂ − t₁), in nanocores; memory is the latest working set. A series whose counter went backwards
 * or whose container restarted (another start time) starts over from its latest sample and has no rate until the
 * next one. A pod is published only when every container it reported has a rate, so a pod never shows a
 * partial sum. Series of nodes no longer scraped, and containers no longer reported, are forgotten at once:
 * memory stays bounded by what runs.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import { cpuQuantity, goDuration, memoryQuantity, METRICS_API_VERSION, type ContainerMetrics, type NodeMetrics, type PodMetrics } from '../api/metrics/resource-metrics.js';
import type { KubeletSummary, SummaryCpu, SummaryMemory } from './kubelet-summary.js';

/** Sample is one reading of a series. */
export interface Sample {
  /** ms since the epoch of the CPU reading. */
  readonly at: number;
  /** Cumulative CPU time, ns. */
  readonly cpuNs: number;
  readonly memoryBytes: number;
  /** When the measured thing (container, node) started; a change means the counter restarted. */
  readonly startedAt?: string;
}

/** Usage is a rate over a window. */
export interface Usage {
  readonly nanoCores: number;
  readonly memoryBytes: number;
  /** ms since the epoch of the later sample. */
  readonly at: number;
  readonly windowMs: number;
}

/**
 * usageBetween computes the usage between two samples of one series, or undefined when they give none: no
 * earlier sample, the same or an earlier time, a counter that went backwards, or a restart in between.
 */
export function usageBetween(prev: Sample | undefined, cur: Sample): Usage | undefined {
  if (!prev || cur.at <= prev.at || cur.cpuNs < prev.cpuNs || prev.startedAt !== cur.startedAt) return undefined;
  const windowMs = cur.at - prev.at;
  return { nanoCores: ((cur.cpuNs - prev.cpuNs) / windowMs) * 1e3, memoryBytes: cur.memoryBytes, at: cur.at, windowMs };
}

/** Series keeps the two latest samples. */
class Series {
  prev: Sample | undefined;
  cur: Sample;
  constructor(first: Sample) {
    this.cur = first;
  }
  add(s: Sample): void {
    if (s.at === this.cur.at) {
      // The kubelet answered from the same reading (cached stats): nothing new.
      return;
    }
    if (s.at < this.cur.at || s.cpuNs < this.cur.cpuNs || s.startedAt !== this.cur.startedAt) {
      this.prev = undefined;
      this.cur = s;
      return;
    }
    this.prev = this.cur;
    this.cur = s;
  }
  usage(): Usage | undefined {
    return usageBetween(this.prev, this.cur);
  }
}

/** PodInfo is what the store publishes of a pod besides its usage: its labels (for label selectors). */
export interface PodInfo {
  readonly labels?: Readonly<Record<string, string>>;
}

/** NodeInfo is what the store publishes of a node besides its usage. */
export interface NodeInfo {
  readonly labels?: Readonly<Record<string, string>>;
}

interface NodeEntry {
  info: NodeInfo;
  series: Series | undefined;
  /** key `namespace/name` → container name → series */
  pods: Map<string, { info: PodInfo; containers: Map<string, Series> }>;
}

function sampleOf(cpu: SummaryCpu | undefined, memory: SummaryMemory | undefined, startedAt: string | undefined): Sample | undefined {
  const cpuNs = cpu?.usageCoreNanoSeconds;
  const time = Date.parse(cpu?.time ?? '');
  if (typeof cpuNs !== 'number' || !Number.isFinite(cpuNs) || Number.isNaN(time)) return undefined;
  return { at: time, cpuNs, memoryBytes: memory?.workingSetBytes ?? 0, ...(startedAt !== undefined ? { startedAt } : {}) };
}

/** MetricsStore holds the samples; see the file comment. */
export class MetricsStore {
  readonly #nodes = new Map<string, NodeEntry>();
  #nodeMetrics: readonly NodeMetrics[] = [];
  #podMetrics: readonly PodMetrics[] = [];

  /**
   * record adds one node's Summary. `podInfo` returns what is known of a pod (by namespace and name), or undefined
   * for a pod the cluster no longer has: it is then left out.
   */
  record(nodeName: string, summary: KubeletSummary, nodeInfo: NodeInfo, podInfo: (namespace: string, name: string) => PodInfo | undefined): void {
    let entry = this.#nodes.get(nodeName);
    if (!entry) {
      entry = { info: nodeInfo, series: undefined, pods: new Map() };
      this.#nodes.set(nodeName, entry);
    }
    entry.info = nodeInfo;
    const nodeSample = sampleOf(summary.node.cpu, summary.node.memory, summary.node.startTime);
    if (nodeSample) {
      if (entry.series) entry.series.add(nodeSample);
      else entry.series = new Series(nodeSample);
    }
    const seen = new Set<string>();
    for (const pod of summary.pods ?? []) {
      const key = `${pod.podRef.namespace}/${pod.podRef.name}`;
      const info = podInfo(pod.podRef.namespace, pod.podRef.name);
      if (!info) continue;
      seen.add(key);
      let p = entry.pods.get(key);
      if (!p) {
        p = { info, containers: new Map() };
        entry.pods.set(key, p);
      }
      p.info = info;
      const live = new Set<string>();
      for (const c of pod.containers ?? []) {
        const s = sampleOf(c.cpu, c.memory, c.startTime);
        if (!s) continue;
        live.add(c.name);
        const series = p.containers.get(c.name);
        if (series) series.add(s);
        else p.containers.set(c.name, new Series(s));
      }
      for (const name of p.containers.keys()) if (!live.has(name)) p.containers.delete(name);
    }
    for (const key of entry.pods.keys()) if (!seen.has(key)) entry.pods.delete(key);
  }

  /** retain forgets every node not in `nodeNames` (deleted, no longer ready, or no longer answering). */
  retain(nodeNames: ReadonlySet<string>): void {
    for (const name of this.#nodes.keys()) if (!nodeNames.has(name)) this.#nodes.delete(name);
  }

  /** publish recomputes the served objects from the samples; call after a round of record/retain. */
  publish(): void {
    const nodes: NodeMetrics[] = [];
    const pods: PodMetrics[] = [];
    for (const [nodeName, entry] of this.#nodes) {
      const u = entry.series?.usage();
      if (u) {
        nodes.push({
          kind: 'NodeMetrics',
          apiVersion: METRICS_API_VERSION,
          metadata: { name: nodeName, creationTimestamp: formatTimestamp(u.at), ...(entry.info.labels ? { labels: { ...entry.info.labels } } : {}) },
          timestamp: formatTimestamp(u.at),
          window: goDuration(u.windowMs),
          usage: { cpu: cpuQuantity(u.nanoCores), memory: memoryQuantity(u.memoryBytes) },
        });
      }
      for (const [key, p] of entry.pods) {
        const slash = key.indexOf('/');
        const containers: ContainerMetrics[] = [];
        let latest = 0;
        let windowMs = 0;
        let complete = p.containers.size > 0;
        for (const [name, series] of p.containers) {
          const cu = series.usage();
          if (!cu) {
            complete = false;
            break;
          }
          if (cu.at > latest) {
            latest = cu.at;
            windowMs = cu.windowMs;
          }
          containers.push({ name, usage: { cpu: cpuQuantity(cu.nanoCores), memory: memoryQuantity(cu.memoryBytes) } });
        }
        if (!complete) continue;
        containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        pods.push({
          kind: 'PodMetrics',
          apiVersion: METRICS_API_VERSION,
          metadata: { name: key.slice(slash + 1), namespace: key.slice(0, slash), creationTimestamp: formatTimestamp(latest), ...(p.info.labels ? { labels: { ...p.info.labels } } : {}) },
          timestamp: formatTimestamp(latest),
          window: goDuration(windowMs),
          containers,
        });
      }
    }
    const byName = (a: { metadata?: { name?: string; namespace?: string } }, b: { metadata?: { name?: string; namespace?: string } }): number => {
      const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
      const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    };
    this.#nodeMetrics = nodes.sort(byName);
    this.#podMetrics = pods.sort(byName);
  }

  /** nodes returns the NodeMetrics of the last publish, sorted by name. */
  nodes(): readonly NodeMetrics[] {
    return this.#nodeMetrics;
  }

  /** pods returns the PodMetrics of the last publish, sorted by namespace and name. */
  pods(): readonly PodMetrics[] {
    return this.#podMetrics;
  }
}
