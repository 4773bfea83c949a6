/**
 * NodeStats: what the node itself uses and has left — memory (from /proc/meminfo: working set = total − available,
 * as the kernel estimates what can be had without swapping), CPU time (/proc/stat), the filesystem holding the
 * kubelet's root dir (statfs) and process ids (pid_max against live processes). Read fresh each call; the
 * eviction manager and the Summary API both use it. A reader is injected so tests can fake pressure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';

/** FsStats are a filesystem's sizes (bytes) and inodes. */
export interface FsStats {
  readonly capacityBytes: number;
  readonly availableBytes: number;
  readonly usedBytes: number;
  readonly inodes: number;
  readonly inodesFree: number;
  readonly inodesUsed: number;
}

/** NodeStats is one observation of the node. */
export interface NodeStats {
  readonly timestamp: number;
  readonly memory: { readonly capacityBytes: number; readonly availableBytes: number; readonly workingSetBytes: number; readonly usageBytes: number; readonly rssBytes: number };
  /** Cumulative CPU time of the whole node, in nanoseconds. */
  readonly cpuUsageCoreNanoSeconds: number;
  readonly fs: FsStats;
  readonly pids: { readonly max: number; readonly running: number };
}

/** NodeStatsReader observes the node. */
export interface NodeStatsReader {
  read(): Promise<NodeStats>;
}

/** USER_HZ: /proc/stat counts in 1/100 s on Linux. */
const TICK_NS = 10_000_000;

function meminfo(): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+)(?: kB)?$/.exec(line.trim());
    if (m) out.set(m[1] ?? '', Number(m[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return out;
}

function cpuNanos(): number {
  const first = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal ...: busy time is everything but idle and iowait.
  const f = first.trim().split(/\s+/).slice(1).map(Number);
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy * TICK_NS;
}

/** hostNodeStats reads the real node; `fsPath` is the directory whose filesystem counts as nodefs. */
export function hostNodeStats(fsPath: string): NodeStatsReader {
  return {
    async read(): Promise<NodeStats> {
      const mem = meminfo();
      const total = mem.get('MemTotal') ?? 0;
      const available = mem.get('MemAvailable') ?? mem.get('MemFree') ?? 0;
      const s = await statfs(fsPath);
      const capacity = s.blocks * s.bsize;
      let running = 0;
      for (const name of readdirSync('/proc')) if (/^\d+$/.test(name)) running++;
      let max = 32768;
      try {
        max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || max;
      } catch {
        // Not Linux-like: keep the kernel's historical default.
      }
      return {
        timestamp: Date.now(),
        memory: { capacityBytes: total, availableBytes: available, workingSetBytes: total - available, usageBytes: total - (mem.get('MemFree') ?? 0), rssBytes: (mem.get('AnonPages') ?? 0) },
        cpuUsageCoreNanoSeconds: cpuNanos(),
        fs: { capacityBytes: capacity, availableBytes: s.bavail * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize, inodes: s.files, inodesFree: s.ffree, inodesUsed: s.files - s.ffree },
        pids: { max, running },
      };
    },
  };
}
