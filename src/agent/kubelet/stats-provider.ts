/**
 * StatsProvider: the kubelet's Summary API (`GET /stats/summary`, the stats/v1alpha1 `Summary` shape that
 * metrics-server and `kubectl top` read): the node's cpu, memory, filesystem and process ids, and for every
 * running pod its containers' cpu, memory, rootfs and logs, summed per pod, with the pod's ephemeral storage.
 *
 * CPU rate (`usageNanoCores`) is the difference of two cumulative readings over their time apart, so the provider
 * keeps the previous reading per container (and for the node): the first summary after a container starts has no
 * rate yet (as upstream, the field is then absent); any later one has it. Readings older than the containers
 * still running are dropped, so the memory kept is bounded by what runs.
 */
import { stat } from 'node:fs/promises';
import { formatTimestamp } from '../../api/meta/timestamp.js';
import type { ContainerStats, RuntimeService } from '../cri/runtime-service.js';
import type { FsStats, NodeStats, NodeStatsReader } from './node-stats.js';

const POD_UID_LABEL = 'io.kubernetes.pod.uid';
const POD_NAME_LABEL = 'io.kubernetes.pod.name';
const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';

/** CpuStats is stats/v1alpha1 CPUStats. */
export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds: number;
}

/** MemoryStats is stats/v1alpha1 MemoryStats. */
export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes: number;
  workingSetBytes: number;
  rssBytes?: number;
}

/** SummaryFsStats is stats/v1alpha1 FsStats. */
export interface SummaryFsStats {
  time: string;
  availableBytes: number;
  capacityBytes: number;
  usedBytes: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

/** SummaryContainerStats is stats/v1alpha1 ContainerStats. */
export interface SummaryContainerStats {
  name: string;
  startTime: string;
  cpu: CpuStats;
  memory: MemoryStats;
  rootfs: SummaryFsStats;
  logs: SummaryFsStats;
}

/** PodStats is stats/v1alpha1 PodStats. */
export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: SummaryContainerStats[];
  cpu: CpuStats;
  memory: MemoryStats;
  volume: unknown[];
  'ephemeral-storage': SummaryFsStats;
  process_stats?: { process_count: number };
}

/** Summary is stats/v1alpha1 Summary. */
export interface Summary {
  node: {
    nodeName: string;
    startTime: string;
    cpu: CpuStats;
    memory: MemoryStats;
    fs: SummaryFsStats;
    runtime: { imageFs: SummaryFsStats; containerFs: SummaryFsStats };
    rlimit: { time: string; maxpid: number; curproc: number };
  };
  pods: PodStats[];
}

/** StatsProviderConfig constructs a StatsProvider. */
export interface StatsProviderConfig {
  readonly nodeName: string;
  readonly runtime: RuntimeService;
  readonly node: NodeStatsReader;
  /** When the node (agent) started, ms since the epoch. */
  readonly startedAt: number;
}

/** PodUsage is what one pod's running containers use now. */
export interface PodUsage {
  memoryWorkingSetBytes: number;
  ephemeralBytes: number;
  /** Container name → memory working set bytes. */
  containers: Map<string, number>;
}

interface Reading {
  readonly cpuNs: number;
  readonly at: number;
}

/** rate is usageNanoCores between two cumulative readings, or undefined without a usable earlier one. */
export function nanoCores(prev: Reading | undefined, cur: Reading): number | undefined {
  if (!prev || cur.at <= prev.at || cur.cpuNs < prev.cpuNs) return undefined;
  return Math.round(((cur.cpuNs - prev.cpuNs) / (cur.at - prev.at)) * 1e3);
}

function fsOf(node: FsStats, time: string, usedBytes?: number): SummaryFsStats {
  return {
    time,
    availableBytes: node.availableBytes,
    capacityBytes: node.capacityBytes,
    usedBytes: usedBytes ?? node.usedBytes,
    ...(usedBytes === undefined ? { inodesFree: node.inodesFree, inodes: node.inodes, inodesUsed: node.inodesUsed } : {}),
  };
}

/** StatsProvider builds Summaries; see the file comment. */
export class StatsProvider {
  readonly #c: StatsProviderConfig;
  readonly #readings = new Map<string, Reading>();

  constructor(config: StatsProviderConfig) {
    this.#c = config;
  }

  /** #cpu turns a cumulative reading into CpuStats, remembering it for the next rate. */
  #cpu(key: string, cpuNs: number, at: number): CpuStats {
    const cur = { cpuNs, at };
    const rate = nanoCores(this.#readings.get(key), cur);
    this.#readings.set(key, cur);
    // Millisecond precision (RFC 3339 allows a fraction): the metrics server divides cumulative CPU by the time
    // between two readings, and whole seconds would make a 1 s scrape window read as 0 or 2 s.
    return { time: new Date(at).toISOString(), ...(rate !== undefined ? { usageNanoCores: rate } : {}), usageCoreNanoSeconds: cpuNs };
  }

  /** nodeStats reads the node alone (cheap; the eviction manager's view). */
  async nodeStats(): Promise<NodeStats> {
    return this.#c.node.read();
  }

  /** podUsage maps pod UID → the memory working set and ephemeral storage of its running containers (eviction). */
  async podUsage(): Promise<Map<string, PodUsage>> {
    const out = new Map<string, PodUsage>();
    for (const { uid, container, stats, logBytes } of await this.#containerStats()) {
      const cur = out.get(uid) ?? { memoryWorkingSetBytes: 0, ephemeralBytes: 0, containers: new Map<string, number>() };
      cur.memoryWorkingSetBytes += stats.memoryWorkingSetBytes;
      cur.ephemeralBytes += stats.writableLayerUsedBytes + logBytes;
      cur.containers.set(container, stats.memoryWorkingSetBytes);
      out.set(uid, cur);
    }
    return out;
  }

  async #containerStats(): Promise<{ uid: string; name: string; namespace: string; container: string; startedAt: number; stats: ContainerStats; logBytes: number }[]> {
    const running = await this.#c.runtime.listContainers({ state: 'CONTAINER_RUNNING' });
    const out = [];
    for (const c of running) {
      const stats = await this.#c.runtime.containerStats(c.id).catch(() => undefined);
      if (!stats) continue;
      const logBytes = await stat(c.logPath).then((s) => s.size, () => 0);
      out.push({ uid: c.labels[POD_UID_LABEL] ?? '', name: c.labels[POD_NAME_LABEL] ?? '', namespace: c.labels[POD_NAMESPACE_LABEL] ?? '', container: c.labels[CONTAINER_NAME_LABEL] ?? c.metadata.name, startedAt: c.startedAt, stats, logBytes });
    }
    return out;
  }

  /** summary builds the Summary. */
  async summary(): Promise<Summary> {
    const node = await this.#c.node.read();
    const time = formatTimestamp(node.timestamp);
    const containers = await this.#containerStats();
    const pods = new Map<string, PodStats>();
    const live = new Set<string>(['node']);
    for (const c of containers) {
      live.add(c.stats.id);
      let pod = pods.get(c.uid);
      if (!pod) {
        pod = {
          podRef: { name: c.name, namespace: c.namespace, uid: c.uid },
          startTime: formatTimestamp(c.startedAt),
          containers: [],
          cpu: { time, usageCoreNanoSeconds: 0 },
          memory: { time, usageBytes: 0, workingSetBytes: 0 },
          volume: [],
          'ephemeral-storage': fsOf(node.fs, time, 0),
        };
        pods.set(c.uid, pod);
      }
      const ctime = formatTimestamp(c.stats.timestamp);
      const cpu = this.#cpu(c.stats.id, c.stats.cpuUsageCoreNanoSeconds, c.stats.timestamp);
      pod.containers.push({
        name: c.container,
        startTime: formatTimestamp(c.startedAt),
        cpu,
        memory: { time: ctime, usageBytes: c.stats.memoryUsageBytes, workingSetBytes: c.stats.memoryWorkingSetBytes },
        rootfs: fsOf(node.fs, ctime, c.stats.writableLayerUsedBytes),
        logs: fsOf(node.fs, ctime, c.logBytes),
      });
      if (c.startedAt < Date.parse(pod.startTime)) pod.startTime = formatTimestamp(c.startedAt);
      pod.cpu.usageCoreNanoSeconds += cpu.usageCoreNanoSeconds;
      if (cpu.usageNanoCores !== undefined) pod.cpu.usageNanoCores = (pod.cpu.usageNanoCores ?? 0) + cpu.usageNanoCores;
      pod.memory.usageBytes += c.stats.memoryUsageBytes;
      pod.memory.workingSetBytes += c.stats.memoryWorkingSetBytes;
      pod['ephemeral-storage'].usedBytes += c.stats.writableLayerUsedBytes + c.logBytes;
    }
    for (const key of this.#readings.keys()) if (!live.has(key)) this.#readings.delete(key);
    const fs = fsOf(node.fs, time);
    return {
      node: {
        nodeName: this.#c.nodeName,
        startTime: formatTimestamp(this.#c.startedAt),
        cpu: this.#cpu('node', node.cpuUsageCoreNanoSeconds, node.timestamp),
        memory: { time, availableBytes: node.memory.availableBytes, usageBytes: node.memory.usageBytes, workingSetBytes: node.memory.workingSetBytes, rssBytes: node.memory.rssBytes },
        fs,
        runtime: { imageFs: fs, containerFs: fs },
        rlimit: { time, maxpid: node.pids.max, curproc: node.pids.running },
      },
      pods: [...pods.values()],
    };
  }
}
