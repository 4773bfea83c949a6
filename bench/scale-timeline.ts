/**
 * ScaleTimeline: where the create → scheduled → Running pipeline of bench/scale.ts spends its time.
 *
 * Two sources, both outside the server's own code paths so that the instrument does not change what it measures
 * (beyond one /metrics scrape a second):
 *  - per second, a scrape of the server's /metrics (request counts and latencies by verb and resource, the
 *    scheduler's queue, storage commits) and the server process's CPU from /proc, split into the main thread
 *    (the event loop, GC's foreground work) and the rest (libuv's pool: fsync; V8's helper threads);
 *  - at the end, every pod's own timestamps: creationTimestamp, the PodScheduled and Ready conditions'
 *    lastTransitionTime. Kubernetes timestamps have one-second resolution, so the stages are counted per second.
 *
 * `table()` renders one line per second: objects entering each stage, ADDED events seen by a pods watch of the
 * benchmark's own (outside the server: does the watch cache hand out new pods?), request rates and mean latencies,
 * CPU.
 */
import { readFileSync } from 'node:fs';

/** Sample is one second's scrape. */
interface Sample {
  readonly atMs: number;
  readonly cpuMain: number;
  readonly cpuAll: number;
  /** Counter values by series name (labels included), from /metrics. */
  readonly counters: ReadonlyMap<string, number>;
}

/** The request series the table follows: a short column name and the labels that pick it out of /metrics (verbs as HTTP methods). */
const REQUEST_SERIES: readonly { readonly column: string; readonly verb: string; readonly resource: string; readonly subresource: string }[] = [
  { column: 'create', verb: 'POST', resource: 'pods', subresource: '' },
  { column: 'bind', verb: 'POST', resource: 'pods', subresource: 'binding' },
  { column: 'status', verb: 'PATCH', resource: 'pods', subresource: 'status' },
  { column: 'event', verb: 'POST', resource: 'events', subresource: '' },
  { column: 'lease', verb: 'PATCH', resource: 'leases', subresource: '' },
  { column: 'nodeget', verb: 'GET', resource: 'nodes', subresource: '' },
];

/** threadTicks reads utime + stime (clock ticks) of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat. */
function threadTicks(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** parseCounters keeps the series of /metrics the timeline reads, by their full name with labels. */
function parseCounters(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (
      !line.startsWith('apiserver_request_total{') &&
      !line.startsWith('apiserver_request_duration_seconds_sum{') &&
      !line.startsWith('apiserver_request_duration_seconds_count{') &&
      !line.startsWith('scheduler_') &&
      !line.startsWith('tkube_informer_pending_events{') &&
      !line.startsWith('tkube_storage_commit')
    ) {
      continue;
    }
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** labelsOf reads `{a="b",…}` of a series name. */
function labelsOf(series: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of series.matchAll(/(\w+)="([^"]*)"/g)) out[m[1] ?? ''] = m[2] ?? '';
  return out;
}

/** sumSeries adds the series of one family whose labels match. */
function sumSeries(counters: ReadonlyMap<string, number>, family: string, match: Record<string, string>): number {
  let sum = 0;
  for (const [series, value] of counters) {
    if (!series.startsWith(`${family}{`)) continue;
    const labels = labelsOf(series);
    if (Object.entries(match).every(([k, v]) => (labels[k] ?? '') === v)) sum += value;
  }
  return sum;
}

/** PodTimes are one pod's stage timestamps (ms since the epoch, one-second resolution). */
export interface PodTimes {
  readonly created: number;
  readonly scheduled: number | undefined;
  readonly ready: number | undefined;
}

/** podTimesOf reads a pod's stage timestamps. */
export function podTimesOf(pod: Record<string, unknown>): PodTimes {
  const md = pod['metadata'] as { creationTimestamp?: string } | undefined;
  const conditions = (pod['status'] as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined)?.conditions ?? [];
  const at = (type: string): number | undefined => {
    const c = conditions.find((x) => x.type === type && x.status === 'True');
    return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
  };
  return { created: Date.parse(md?.creationTimestamp ?? ''), scheduled: at('PodScheduled'), ready: at('Ready') };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** StageSummary is the distribution of one stage's duration over the pods, in seconds. */
export interface StageSummary {
  readonly p50: number;
  readonly p90: number;
  readonly max: number;
}

function stage(durationsMs: number[]): StageSummary {
  const s = durationsMs.sort((a, b) => a - b).map((d) => d / 1000);
  return { p50: quantile(s, 0.5), p90: quantile(s, 0.9), max: s[s.length - 1] ?? NaN };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** podsBehind reads the in-process pods informer's lag (events) from a sample, if the server reports it. */
function podsBehind(sample: Sample): number | undefined {
  return sample.counters.get('tkube_informer_pending_events{group="",resource="pods"}');
}

/** ScaleTimeline samples a server process once a second until stopped. */
export class ScaleTimeline {
  readonly #pid: number;
  readonly #scrape: () => Promise<string>;
  readonly #samples: Sample[] = [];
  readonly #outsideAdds: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(pid: number, scrape: () => Promise<string>) {
    this.#pid = pid;
    this.#scrape = scrape;
  }

  /** sawOutsideAdd records an ADDED event of the benchmark's own pods watch (outside the server's process). */
  sawOutsideAdd(atMs: number): void {
    this.#outsideAdds.push(atMs);
  }

  /** start samples now and then every second. */
  start(): void {
    void this.#sample();
    this.#timer = setInterval(() => void this.#sample(), 1000);
  }

  /** stop ends the sampling (a last sample is taken). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    while (this.#busy) await new Promise((r) => setTimeout(r, 50));
    await this.#sample();
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const atMs = Date.now();
      const cpuAll = threadTicks(`/proc/${this.#pid}/stat`) / 100;
      const cpuMain = threadTicks(`/proc/${this.#pid}/task/${this.#pid}/stat`) / 100;
      const counters = parseCounters(await this.#scrape());
      this.#samples.push({ atMs, cpuMain, cpuAll, counters });
    } catch {
      // A scrape that failed (the server busy past the client's patience) leaves a gap in the table, nothing more.
    } finally {
      this.#busy = false;
    }
  }

  /**
   * table renders the run second by second from `fromMs`: pods created / scheduled / Ready in that second (from the
   * pods' timestamps), requests per second and their mean latency in ms, the scheduler's active queue, the pod events
   * the in-process pods informer is behind the watch cache (`podsBehind`; '-' for a server without the gauge), pod
   * watches opened so far, storage
   * commits per second, and the server's CPU (main thread / all threads, cores).
   */
  table(pods: readonly PodTimes[], fromMs: number): string {
    const second = (ms: number | undefined): number | undefined => (ms === undefined || Number.isNaN(ms) ? undefined : Math.floor((ms - Math.floor(fromMs / 1000) * 1000) / 1000));
    const stages = new Map<number, [number, number, number]>();
    const bump = (s: number | undefined, i: 0 | 1 | 2): void => {
      if (s === undefined) return;
      const row = stages.get(s) ?? [0, 0, 0];
      row[i]++;
      stages.set(s, row);
    };
    for (const p of pods) {
      bump(second(p.created), 0);
      bump(second(p.scheduled), 1);
      bump(second(p.ready), 2);
    }
    const outside = new Map<number, number>();
    for (const at of this.#outsideAdds) {
      const sec = second(at);
      if (sec !== undefined) outside.set(sec, (outside.get(sec) ?? 0) + 1);
    }
    const header = ['s', 'created', 'sched', 'ready', 'outsideAdded', ...REQUEST_SERIES.map((r) => `${r.column}/s(ms)`), 'activeQ', 'podsBehind', 'podWatches', 'commits/s', 'cpuMain', 'cpuAll'];
    const lines = [header.join('\t')];
    const bySecond = new Map<number, Sample>();
    for (const s of this.#samples) {
      const sec = second(s.atMs);
      if (sec !== undefined && !bySecond.has(sec)) bySecond.set(sec, s);
    }
    const secs = [...new Set([...stages.keys(), ...bySecond.keys()])].filter((s) => s >= 0);
    const last = Math.max(0, ...secs);
    let prev: Sample | undefined;
    for (let s = 0; s <= last; s++) {
      const row = stages.get(s) ?? [0, 0, 0];
      const cur = bySecond.get(s);
      const cells: (string | number)[] = [s, ...row, outside.get(s) ?? 0];
      if (cur && prev) {
        const dt = (cur.atMs - prev.atMs) / 1000;
        for (const r of REQUEST_SERIES) {
          const labels = { verb: r.verb, resource: r.resource, subresource: r.subresource };
          const n = sumSeries(cur.counters, 'apiserver_request_total', labels) - sumSeries(prev.counters, 'apiserver_request_total', labels);
          const sum = sumSeries(cur.counters, 'apiserver_request_duration_seconds_sum', labels) - sumSeries(prev.counters, 'apiserver_request_duration_seconds_sum', labels);
          cells.push(`${Math.round(n / dt)}(${n > 0 ? Math.round((sum / n) * 1000) : '-'})`);
        }
        cells.push(sumSeries(cur.counters, 'scheduler_pending_pods', { queue: 'active' }));
        // Pod events the server's watch cache holds that its in-process pods informer has not handed on yet.
        cells.push(podsBehind(cur) ?? '-');
        // Pod watches opened so far: a rise while pods stream in is an informer that fell behind and re-watched.
        cells.push(sumSeries(cur.counters, 'apiserver_request_total', { verb: 'WATCH', resource: 'pods' }));
        cells.push(Math.round(((cur.counters.get('tkube_storage_commits') ?? 0) - (prev.counters.get('tkube_storage_commits') ?? 0)) / dt));
        cells.push(((cur.cpuMain - prev.cpuMain) / dt).toFixed(2), ((cur.cpuAll - prev.cpuAll) / dt).toFixed(2));
      }
      if (cur) prev = cur;
      lines.push(cells.join('\t'));
    }
    return lines.join('\n');
  }

  /**
   * maxPodsBehind is the most pod events the in-process pods informer was behind the watch cache in any sample
   * (tkube_informer_pending_events; undefined for a server without the gauge).
   */
  maxPodsBehind(): number | undefined {
    const values = this.#samples.map(podsBehind).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : Math.max(...values);
  }

  /**
   * cpu is the server's CPU over the sampled span: seconds of the main thread (the event loop) and of the whole
   * process, against the span's wall seconds. Main-thread seconds over wall seconds near 1 mean the one event loop
   * was the limit; well below 1 on an idle machine means something else paced the pipeline.
   */
  cpu(): { wallSeconds: number; mainSeconds: number; allSeconds: number; mainBusy: number } {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last === first) return { wallSeconds: 0, mainSeconds: 0, allSeconds: 0, mainBusy: NaN };
    const wall = (last.atMs - first.atMs) / 1000;
    const main = last.cpuMain - first.cpuMain;
    return { wallSeconds: round2(wall), mainSeconds: round2(main), allSeconds: round2(last.cpuAll - first.cpuAll), mainBusy: round2(main / wall) };
  }

  /** stages summarizes created → scheduled and scheduled → Ready over the pods, in seconds. */
  static stages(pods: readonly PodTimes[]): { createdToScheduled: StageSummary; scheduledToReady: StageSummary } {
    const a: number[] = [];
    const b: number[] = [];
    for (const p of pods) {
      if (p.scheduled !== undefined) a.push(p.scheduled - p.created);
      if (p.scheduled !== undefined && p.ready !== undefined) b.push(p.ready - p.scheduled);
    }
    return { createdToScheduled: stage(a), scheduledToReady: stage(b) };
  }
}
