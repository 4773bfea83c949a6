/**
 * FaultSchedule: where in a run's stream of operations each fault lands, decided up front from a seed. Faults are
 * placed by operation count, not by wall time, so a run gets the same faults per operation on a quiet machine as on
 * a loaded one (a time-based schedule gave a loaded run three times the pauses of a quiet one), and a run's faults
 * are reproducible from its seed: the same kills, disks and pauses at the same operation counts. (Clients draw their
 * choices from the same seeded stream, but in the order their calls complete, which is the machine's.)
 */

/** seededRandom is mulberry32: a small deterministic generator in [0, 1), enough for test choices. */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * runSeed derives run `index`'s seed from a base seed (splitmix32 of the pair), so runs k..m of a shard get the
 * seeds they would get in one long process, and neighbouring indices get unrelated streams.
 */
export function runSeed(base: number, index: number): number {
  let z = (Math.imul(base | 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** PlannedFault is one fault, due once the run has settled `atOp` operations. */
export type PlannedFault =
  | { readonly atOp: number; readonly kind: 'kill'; readonly slowDisk: boolean }
  | { readonly atOp: number; readonly kind: 'pause'; readonly ms: number };

/** FaultPlanOptions say how many faults of each kind a run of `ops` operations gets. */
export interface FaultPlanOptions {
  readonly ops: number;
  /** kill -9 and restart, this many per run. */
  readonly kills: number;
  /** Share of restarts onto a slow disk (a stall before every fsync). */
  readonly slowDiskShare: number;
  /** SIGSTOP pauses per 1,000 operations (rounded up per run). */
  readonly pausesPerThousand: number;
  /** Pause length bounds in ms. */
  readonly pauseMs: readonly [number, number];
  /** Where kills may land, as fractions of the run. @default [0.05, 0.95] */
  readonly killSpan?: readonly [number, number];
  readonly random: () => number;
}

/**
 * planFaults spreads the faults over the run: kills and pauses at uniformly drawn operation counts in the middle 90 %
 * of the run (none before the workload is under way, none after its last operations; kills within `killSpan`), in
 * order of `atOp`.
 */
export function planFaults(o: FaultPlanOptions): PlannedFault[] {
  const at = (from = 0.05, to = 0.95): number => Math.floor(o.ops * (from + (to - from) * o.random()));
  const out: PlannedFault[] = [];
  const [killFrom, killTo] = o.killSpan ?? [0.05, 0.95];
  for (let i = 0; i < o.kills; i++) out.push({ atOp: at(killFrom, killTo), kind: 'kill', slowDisk: o.random() < o.slowDiskShare });
  const pauses = Math.ceil((o.ops * o.pausesPerThousand) / 1000);
  const [lo, hi] = o.pauseMs;
  for (let i = 0; i < pauses; i++) out.push({ atOp: at(), kind: 'pause', ms: Math.round(lo + (hi - lo) * o.random()) });
  return out.sort((a, b) => a.atOp - b.atOp);
}
