/**
 * Reads a pod start trace (TKUBE_POD_START_TRACE=<file> set for `bench/pod-start.ts`; see
 * src/agent/pod-start-trace.ts) and prints, for the pods whose name starts with --prefix (default `burst-`):
 *  - per step, how long it took (p50 / p90 / max) and how many pods were inside it at once (mean over the burst's
 *    wall time, and the most at any moment): a step that never holds more than one pod while its duration grows is
 *    a queue;
 *  - the host commands (`cmd` steps: ip, runc …, setsid, mount) alike, over the same window;
 *  - per pod, the gaps between steps: posted → create answered → seen by the kubelet → its sync started → status written → seen
 *    Running by the bench;
 *  - a timeline, a line per --bucket ms, of how many pods were in each step.
 * Run: node --import tsx bench/pod-start-trace.ts <trace file> [--prefix burst-] [--bucket 1000]
 */
import { readFileSync } from 'node:fs';

import { round, summarizeLatencies } from './latency-summary.js';
import { numberArg } from './bench-args.js';

interface Rec {
  readonly k: string;
  readonly s: string;
  readonly t0: number;
  readonly t1: number;
  readonly n?: string;
}

const file = process.argv[2];
if (file === undefined || file.startsWith('--')) {
  process.stderr.write('usage: node --import tsx bench/pod-start-trace.ts <trace file> [--prefix burst-] [--bucket 1000]\n');
  process.exit(2);
}
const prefixAt = process.argv.indexOf('--prefix');
const PREFIX = prefixAt > 0 ? (process.argv[prefixAt + 1] ?? 'burst-') : 'burst-';
const BUCKET = numberArg('--bucket', 1000);

const recs: Rec[] = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Rec);
// The pods of the burst: their UIDs by the name the kubelet saw.
const nameOf = new Map<string, string>();
for (const r of recs) if (r.s === 'seen' && r.n?.startsWith(PREFIX)) nameOf.set(r.k, r.n);
const bench = recs.filter((r) => r.k === 'bench' && r.n?.startsWith(PREFIX));
const posted = new Map(bench.filter((r) => r.s === 'posted').map((r) => [r.n ?? '', r.t0]));
const created = new Map(bench.filter((r) => r.s === 'created').map((r) => [r.n ?? '', r.t0]));
const running = new Map(bench.filter((r) => r.s === 'running').map((r) => [r.n ?? '', r.t0]));
const podSteps = recs.filter((r) => nameOf.has(r.k));
const from = Math.min(...(posted.size > 0 ? [...posted.values()] : podSteps.map((r) => r.t0)));
const to = Math.max(...(running.size > 0 ? [...running.values()] : podSteps.map((r) => r.t1)));
const cmdSteps = recs.filter((r) => r.k === 'cmd' && r.t1 >= from && r.t0 <= to);
process.stdout.write(`${nameOf.size} pods, window ${round((to - from) / 1000, 2)} s\n`);

/** table prints per step: count, p50/p90/max duration, mean and peak concurrency over [from, to]. */
function table(title: string, steps: readonly Rec[]): void {
  const byStep = new Map<string, Rec[]>();
  for (const r of steps) byStep.set(r.s, [...(byStep.get(r.s) ?? []), r]);
  process.stdout.write(`\n${title}\n${'step'.padEnd(14)}${'count'.padStart(7)}${'p50 ms'.padStart(9)}${'p90 ms'.padStart(9)}${'max ms'.padStart(9)}${'sum s'.padStart(8)}${'mean in'.padStart(9)}${'peak in'.padStart(9)}\n`);
  for (const [step, rs] of [...byStep].sort((a, b) => Math.min(...a[1].map((r) => r.t0)) - Math.min(...b[1].map((r) => r.t0)))) {
    const d = summarizeLatencies(rs.map((r) => r.t1 - r.t0));
    const busy = rs.reduce((sum, r) => sum + Math.max(0, Math.min(r.t1, to) - Math.max(r.t0, from)), 0);
    // Peak: sweep the start and end points.
    const points = rs.flatMap((r) => [[r.t0, 1], [r.t1, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let peak = 0;
    for (const [, delta] of points) peak = Math.max(peak, (now += delta));
    process.stdout.write(`${step.padEnd(14)}${String(rs.length).padStart(7)}${String(round(d.p50, 1)).padStart(9)}${String(round(d.p90, 1)).padStart(9)}${String(round(d.max, 1)).padStart(9)}${String(round(busy / 1000, 1)).padStart(8)}${String(round(busy / (to - from), 2)).padStart(9)}${String(peak).padStart(9)}\n`);
  }
}

table('pod steps (kubelet and runtime)', podSteps.filter((r) => r.t1 > r.t0));
table('host commands in the window', cmdSteps);

// Per pod gaps: posted → create answered → seen → first sync → status written → Running seen by the bench.
const gaps: Record<string, number[]> = { 'posted→created': [], 'created→seen': [], 'posted→seen': [], 'seen→sync': [], 'sync→status end': [], 'status end→running': [], 'posted→running': [] };
for (const [uid, name] of nameOf) {
  const mine = podSteps.filter((r) => r.k === uid);
  const seen = mine.find((r) => r.s === 'seen')?.t0;
  const sync = mine.filter((r) => r.s === 'sync').sort((a, b) => a.t0 - b.t0)[0]?.t0;
  const status = mine.filter((r) => r.s === 'status').sort((a, b) => a.t0 - b.t0)[0]?.t1;
  const p = posted.get(name);
  const r = running.get(name);
  const c = created.get(name);
  if (p !== undefined && c !== undefined) gaps['posted→created']?.push(c - p);
  if (c !== undefined && seen !== undefined) gaps['created→seen']?.push(seen - c);
  if (p !== undefined && seen !== undefined) gaps['posted→seen']?.push(seen - p);
  if (seen !== undefined && sync !== undefined) gaps['seen→sync']?.push(sync - seen);
  if (sync !== undefined && status !== undefined) gaps['sync→status end']?.push(status - sync);
  if (status !== undefined && r !== undefined) gaps['status end→running']?.push(r - status);
  if (p !== undefined && r !== undefined) gaps['posted→running']?.push(r - p);
}
process.stdout.write(`\nper pod gaps${''.padEnd(14)}${'p50 ms'.padStart(9)}${'p90 ms'.padStart(9)}${'max ms'.padStart(9)}\n`);
for (const [gap, values] of Object.entries(gaps)) {
  if (values.length === 0) continue;
  const d = summarizeLatencies(values);
  process.stdout.write(`${gap.padEnd(26)}${String(round(d.p50, 1)).padStart(9)}${String(round(d.p90, 1)).padStart(9)}${String(round(d.max, 1)).padStart(9)}\n`);
}

// Timeline: pods inside each step, sampled at the middle of each bucket; and pods Running by its end.
const steps = [...new Set(podSteps.filter((r) => r.t1 > r.t0).map((r) => r.s))];
const cmds = [...new Set(cmdSteps.map((r) => r.s))];
process.stdout.write(`\ntimeline (pods in each step, mid-bucket; cmds in flight)\n${'t s'.padEnd(7)}${steps.map((s) => s.slice(0, 8).padStart(9)).join('')}${cmds.map((s) => s.slice(0, 10).padStart(11)).join('')}${'running'.padStart(9)}\n`);
for (let t = from; t < to; t += BUCKET) {
  const mid = t + BUCKET / 2;
  const inside = (rs: readonly Rec[], s: string): number => rs.filter((r) => r.s === s && r.t0 <= mid && r.t1 > mid).length;
  const done = [...running.values()].filter((v) => v <= t + BUCKET).length;
  process.stdout.write(`${String(round((t - from) / 1000, 1)).padEnd(7)}${steps.map((s) => String(inside(podSteps, s)).padStart(9)).join('')}${cmds.map((s) => String(inside(cmdSteps, s)).padStart(11)).join('')}${String(done).padStart(9)}\n`);
}
