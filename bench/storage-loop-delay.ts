// Storage event-loop delay: how long SqliteStorage's writes (and the WAL checkpoints inside them) hold the event loop.
// Run: node --import tsx bench/storage-loop-delay.ts [--seconds N]
// 64 concurrent callers create ~4 KB values for N seconds (default 8) on a temp file; meanwhile the event loop's delay
// is sampled (perf_hooks, 1 ms resolution) and the WAL file's size every 50 ms. Prints one JSON line: writes per
// second, the process's CPU ms per write (all threads, so work moved to another thread still counts), the loop delay's
// p99 and max, and the WAL's largest size. A store-alone figure: compare two builds by running them one after the
// other, alternately, several times (docs/benchmarks.md, "Issue 3, session 13").
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

const WRITERS = 64;
const VALUE_BYTES = 4000;

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 8;

const dir = mkdtempSync(join(tmpdir(), 'tkube-loop-delay-'));
try {
  const store = await SqliteStorage.open({ path: join(dir, 'state.db') });
  const value = new Uint8Array(VALUE_BYTES).fill(0x61);
  let writes = 0;
  let walMax = 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const sampleWal = (): void => {
    try {
      walMax = Math.max(walMax, statSync(join(dir, 'state.db-wal')).size);
    } catch {
      // No WAL at this instant (just truncated): nothing to count.
    }
  };
  const sampler = setInterval(sampleWal, 50);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  delay.enable();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      while (performance.now() < deadline) await store.create(`/registry/pods/bench/p-${w}-${writes++}`, value);
    }),
  );
  delay.disable();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = (performance.now() - started) / 1000;
  await store.close();
  console.log(
    JSON.stringify({
      bench: 'storage-loop-delay',
      seconds,
      writesPerSec: Math.round(writes / elapsed),
      cpuMsPerWrite: Number(((cpu.user + cpu.system) / 1000 / writes).toFixed(4)),
      loopDelayP99Ms: Number((delay.percentile(99) / 1e6).toFixed(2)),
      loopDelayMaxMs: Number((delay.max / 1e6).toFixed(1)),
      walMaxMiB: Number((walMax / 1024 / 1024).toFixed(1)),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
