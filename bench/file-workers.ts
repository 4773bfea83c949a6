/**
 * File jobs off the event loop (issue 6, session 11): what a runtime record write (a ~600-byte JSON file written to a
 * temp file and renamed over the record) costs the event loop's thread, three ways, in the same run:
 *   - sync: writeFileSync + renameSync on the event loop (what main does);
 *   - pool: fs/promises writeFile + rename on libuv's thread pool (what fd3bad8 did), 16 at a time;
 *   - workers: one job per record on FileWorkers' threads (src/base/fs/file-workers.ts), 16 at a time.
 * Reported per record: wall time, the event loop thread's CPU (utime + stime of the main thread in /proc, so the
 * workers' and the pool's threads are not counted), and the process's CPU (every thread). The reference is `sync`.
 * Run: node --import tsx bench/file-workers.ts [--records 2000] [--rounds 3]. Prints one JSON line.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberArg } from './bench-args.js';
import { FileWorkers } from '../src/base/fs/file-workers.js';

const RECORDS = numberArg('--records', 2000);
const ROUNDS = numberArg('--rounds', 3);
const IN_FLIGHT = 16;
const TICK_MS = 1000 / 100; // USER_HZ

/** mainThreadCpuMs is the event loop thread's CPU so far (ms, 10 ms resolution). */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is [0], utime [11], stime [12].
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const record = JSON.stringify({ id: 'x'.repeat(64), config: { metadata: { name: 'pod', namespace: 'default', uid: 'u'.repeat(36) }, hostname: 'pod', logDirectory: '/var/log/pods/x' }, ips: ['10.252.0.7'], state: 'SANDBOX_READY', createdAt: Date.now(), pad: 'p'.repeat(300) });

async function inFlight(n: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) await one(next++);
    }),
  );
}

async function measure(dir: string, how: 'sync' | 'pool' | 'workers', workers: FileWorkers): Promise<{ wallMs: number; loopCpuMs: number; processCpuMs: number }> {
  const path = (i: number): string => join(dir, `r${i % 64}.json`);
  const t0 = performance.now();
  const l0 = mainThreadCpuMs();
  const p0 = processCpuMs();
  if (how === 'sync') {
    for (let i = 0; i < RECORDS; i++) {
      const tmp = `${path(i)}.${i}.tmp`;
      writeFileSync(tmp, record);
      renameSync(tmp, path(i));
    }
  } else if (how === 'pool') {
    await inFlight(RECORDS, async (i) => {
      const tmp = `${path(i)}.${i}.tmp`;
      await writeFile(tmp, record);
      await rename(tmp, path(i));
    });
  } else {
    await inFlight(RECORDS, (i) => workers.run([{ op: 'replace', path: path(i), data: record }]));
  }
  const per = (x: number): number => Math.round((x / RECORDS) * 1000) / 1000;
  return { wallMs: per(performance.now() - t0), loopCpuMs: per(mainThreadCpuMs() - l0), processCpuMs: per(processCpuMs() - p0) };
}

const dir = mkdtempSync(join(tmpdir(), 'tkube-bench-file-workers-'));
const workers = new FileWorkers();
try {
  const rounds: Record<string, unknown>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // The order turns each round, so no variant always runs first.
    const order = (['sync', 'pool', 'workers'] as const).map((_, i, a) => a[(i + r) % a.length] as 'sync' | 'pool' | 'workers');
    const round: Record<string, unknown> = {};
    for (const how of order) round[how] = await measure(dir, how, workers);
    rounds.push(round);
  }
  console.log(JSON.stringify({ records: RECORDS, perRecordMs: rounds, loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }));
} finally {
  await workers.close();
  rmSync(dir, { recursive: true, force: true });
}
