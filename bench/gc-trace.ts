/**
 * gc-trace: what the garbage collector did in each phase of a benchmark, from a server's `--trace-gc-nvp` output.
 *
 * Bytes copied and promoted per scavenge do not depend on the machine's load, unlike latencies, so they compare builds
 * on a shared machine: `new_space_survived` is what a scavenge copied because it was still alive (objects that had
 * survived one scavenge before are promoted instead: `promoted`), `allocated` what was allocated since the previous
 * collection. Phases are cut at the `# mark <pid> <wall ms> <phase>-start|end <labels>` lines ServerProcess.mark writes
 * into the same file (bench/fairness.ts marks each round's baseline and flood); lines of several servers may
 * interleave, so both kinds of line are matched by the server's pid.
 * Run: TKUBE_BENCH_NODE_ARGS="--trace-gc-nvp" TKUBE_BENCH_SERVER_LOG=FILE node --import tsx bench/fairness.ts …, then
 *      node --import tsx bench/gc-trace.ts FILE [--phase flood] [--skip N]
 * It prints one JSON line per phase: its labels, seconds, scavenges per second, their mean and largest pause, mean
 * bytes allocated, copied and promoted per scavenge (KB), their totals and rates per second, and the mark-compacts' count
 * and pauses.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { round } from './latency-summary.js';

/** GcPhase is one marked phase of one server's GC trace, summarised. */
export interface GcPhase {
  readonly pid: number;
  /** The mark's phase name (e.g. "flood") and its labels, e.g. "build=new mode=eager round=1". */
  readonly phase: string;
  readonly labels: string;
  readonly seconds: number;
  readonly scavenges: number;
  readonly scavengesPerSec: number;
  readonly scavengePauseMs: { readonly mean: number; readonly max: number };
  /** Means per scavenge, in KB (1,000 bytes). */
  readonly allocatedKB: number;
  readonly survivedKB: number;
  readonly promotedKB: number;
  /** Totals over the phase's scavenges, in MB. */
  readonly totalMB: { readonly allocated: number; readonly survived: number; readonly promoted: number };
  /**
   * MB per second from the scavenges after the first one counted, over the time since that one (each scavenge
   * reports what was allocated since the one before): divided by the requests per second, what one request costs,
   * without the error of dividing totals by all the phase's requests (some of which come after the last scavenge).
   * NaN with fewer than two scavenges.
   */
  readonly perSecondMB: { readonly allocated: number; readonly survived: number; readonly promoted: number };
  readonly markCompacts: number;
  readonly markCompactPauseMs: { readonly mean: number; readonly max: number };
}

interface Collection {
  readonly kind: string;
  /** When it happened, in ms since the isolate started. */
  readonly atMs: number;
  readonly pauseMs: number;
  readonly allocated: number;
  readonly survived: number;
  readonly promoted: number;
}

interface OpenPhase {
  readonly phase: string;
  readonly labels: string;
  readonly startMs: number;
  readonly collections: Collection[];
}

const MARK = /^# mark (\d+) (\d+) (\S+)-(start|end)(?: (.*))?$/;
const NVP = /^\[(\d+):0x[0-9a-f]+\]\s+([\d.]+) ms: (.*)$/;

/** field reads `name=value` from an nvp line's fields (0 when absent). */
function field(fields: string, name: string): number {
  const m = new RegExp(`(?:^| )${name.replace(/\./g, '\\.')}=([-\\d.]+)`).exec(fields);
  return m ? Number(m[1]) : 0;
}

/** rates: MB per second allocated, copied and promoted, from scavenges[1..] over the time since scavenges[0]. */
function rates(scavenges: readonly Collection[]): GcPhase['perSecondMB'] {
  const first = scavenges[0];
  const last = scavenges[scavenges.length - 1];
  if (scavenges.length < 2 || !first || !last || last.atMs <= first.atMs) return { allocated: NaN, survived: NaN, promoted: NaN };
  const seconds = (last.atMs - first.atMs) / 1000;
  const rest = scavenges.slice(1);
  const rate = (f: (c: Collection) => number): number => round(rest.reduce((a, c) => a + f(c), 0) / 1e6 / seconds, 3);
  return { allocated: rate((c) => c.allocated), survived: rate((c) => c.survived), promoted: rate((c) => c.promoted) };
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * summariseGcTrace cuts `text` (a server log with marks) into its marked phases and summarises each, leaving out each
 * phase's first `skip` scavenges (the first ones of a flood also copy what the young generation held before it).
 */
export function summariseGcTrace(text: string, skip = 0): GcPhase[] {
  const open = new Map<number, OpenPhase>();
  const out: GcPhase[] = [];
  for (const line of text.split('\n')) {
    const mark = MARK.exec(line);
    if (mark) {
      const pid = Number(mark[1]);
      const at = Number(mark[2]);
      const [phase, edge, labels] = [mark[3] ?? '', mark[4], mark[5] ?? ''];
      if (edge === 'start') {
        open.set(pid, { phase, labels, startMs: at, collections: [] });
        continue;
      }
      const p = open.get(pid);
      if (!p || p.phase !== phase) continue;
      open.delete(pid);
      const seconds = (at - p.startMs) / 1000;
      const scavenges = p.collections.filter((c) => c.kind === 's').slice(skip);
      const compacts = p.collections.filter((c) => c.kind === 'mc');
      const kb = (xs: readonly number[]): number => round(mean(xs) / 1000, 0);
      const mb = (xs: readonly number[]): number => round(xs.reduce((a, b) => a + b, 0) / 1e6, 1);
      out.push({
        pid,
        phase,
        labels,
        seconds: round(seconds, 1),
        scavenges: scavenges.length,
        scavengesPerSec: round(scavenges.length / seconds, 2),
        scavengePauseMs: { mean: round(mean(scavenges.map((c) => c.pauseMs)), 2), max: round(Math.max(0, ...scavenges.map((c) => c.pauseMs)), 1) },
        allocatedKB: kb(scavenges.map((c) => c.allocated)),
        survivedKB: kb(scavenges.map((c) => c.survived)),
        promotedKB: kb(scavenges.map((c) => c.promoted)),
        totalMB: { allocated: mb(scavenges.map((c) => c.allocated)), survived: mb(scavenges.map((c) => c.survived)), promoted: mb(scavenges.map((c) => c.promoted)) },
        perSecondMB: rates(scavenges),
        markCompacts: compacts.length,
        markCompactPauseMs: { mean: round(mean(compacts.map((c) => c.pauseMs)), 2), max: round(Math.max(0, ...compacts.map((c) => c.pauseMs)), 1) },
      });
      continue;
    }
    const gc = NVP.exec(line);
    if (!gc) continue;
    const p = open.get(Number(gc[1]));
    const fields = gc[3] ?? '';
    const kind = /(?:^| )gc=(\w+)/.exec(fields)?.[1];
    if (!p || kind === undefined) continue;
    p.collections.push({ kind, atMs: Number(gc[2]), pauseMs: field(fields, 'pause'), allocated: field(fields, 'allocated'), survived: field(fields, 'new_space_survived'), promoted: field(fields, 'promoted') });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('Usage: node --import tsx bench/gc-trace.ts FILE [--phase NAME]');
  const at = process.argv.indexOf('--phase');
  const only = at >= 0 ? process.argv[at + 1] : undefined;
  const skipAt = process.argv.indexOf('--skip');
  for (const p of summariseGcTrace(readFileSync(file, 'utf8'), skipAt >= 0 ? Number(process.argv[skipAt + 1]) : 0)) {
    if (only === undefined || p.phase === only) console.log(JSON.stringify(p));
  }
}
