/**
 * Load shapes shared by the write benchmarks: a closed loop of N concurrent clients (each sends its next request
 * when the previous one answered) and a sequential latency sampler.
 */

/** ClosedLoopResult counts what a closed loop completed. */
export interface ClosedLoopResult {
  readonly completed: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/**
 * runClosedLoop runs `concurrency` clients for `seconds`, each calling op(i) with a run-unique i until time is up.
 * `next` is the first i handed out, so successive phases can continue a name sequence.
 */
export async function runClosedLoop(seconds: number, concurrency: number, next: { i: number }, op: (i: number) => Promise<void>): Promise<ClosedLoopResult> {
  let completed = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      await op(next.i++);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => client()));
  const elapsed = (performance.now() - start) / 1000;
  return { completed, seconds: elapsed, perSecond: completed / elapsed };
}

/** sampleSequential calls op(i) `count` times one after another and returns each call's latency in ms. */
export async function sampleSequential(count: number, next: { i: number }, op: (i: number) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let k = 0; k < count; k++) {
    const i = next.i++;
    const t = performance.now();
    await op(i);
    samples.push(performance.now() - t);
  }
  return samples;
}
