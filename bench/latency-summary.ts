/**
 * LatencySummary: order statistics of a set of latency samples, in milliseconds. Benchmarks compare these
 * against a reference measured in the same run, never against fixed numbers.
 */

/** LatencySummary holds the usual percentiles of a sample set (all in milliseconds). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** percentile returns the nearest-rank q-quantile (0 < q ≤ 1) of samples sorted ascending; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

/** summarizeLatencies sorts a copy of samples and returns its percentiles, rounded to 0.01 ms. */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 0.5), 2),
    p90: round(percentile(sorted, 0.9), 2),
    p99: round(percentile(sorted, 0.99), 2),
    max: round(sorted[sorted.length - 1] ?? NaN, 2),
  };
}

/** round keeps `digits` decimals, so JSON output stays readable. */
export function round(x: number, digits = 0): number {
  return Number(x.toFixed(digits));
}

/** wallClockMs is a sub-millisecond wall clock comparable across processes on one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
