/**
 * Create cost: the server's CPU per API create and how its group commit batches, under 64 clients. Unlike the
 * throughput ratio (bench/creates.ts), CPU per create barely depends on how many other processes share the machine,
 * so it shows whether a change to the write path helped even when the ratio is buried in noise.
 * Run: node --import tsx bench/create-cost.ts [--seconds N] [--cpu-prof DIR]
 *
 * 64 keep-alive HTTPS clients POST ~2 KiB Pods (as bench/creates.ts) for N seconds after a warm-up. Server CPU is
 * utime + stime from /proc/<pid>/stat; the storage figures are deltas of the server's /metrics gauges over the same
 * window: writes per commit (transaction), commits per fsync, mean fsync time. With --cpu-prof the server writes a
 * V8 CPU profile into DIR when it stops. Prints one JSON line; `netCpuMsPerCreate` leaves out the CPU the server
 * spends idle (sampled for 3 s before the run), which a loaded machine would otherwise spread over fewer creates.
 */
import { readFileSync } from 'node:fs';

import { benchPod } from './bench-pod.js';
import { runClosedLoop } from './closed-loop.js';
import { round } from './latency-summary.js';
import { ServerProcess } from './server-process.js';

const CONCURRENCY = 64;
const NAMESPACE = 'bench';
/** How long the server's idle CPU is sampled before the measured run. */
const IDLE_MS = 3000;
const STORAGE_GAUGES = ['tkube_storage_current_revision', 'tkube_storage_commits', 'tkube_storage_fsyncs', 'tkube_storage_fsync_seconds_sum'] as const;

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('--seconds') ?? 10);
const profileDir = arg('--cpu-prof');

const server = await ServerProcess.start(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {});
try {
  const agent = server.agent(CONCURRENCY);
  await server.createNamespace(agent, NAMESPACE);
  let failures = 0;
  let firstFailure = '';
  const create = async (i: number): Promise<void> => {
    const reply = await server.call(agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(`p-${i}`, NAMESPACE));
    if (reply.status !== 201) {
      failures++;
      firstFailure ||= `HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`;
    }
  };
  const gauges = async (): Promise<Record<string, number>> => {
    const text = (await server.call(agent, 'GET', '/metrics')).body.toString('utf8');
    const out: Record<string, number> = {};
    for (const name of STORAGE_GAUGES) out[name] = Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
    return out;
  };
  const next = { i: 0 };
  await runClosedLoop(2, CONCURRENCY, next, create);
  // The server's CPU while no request arrives (timers, controllers, metrics), subtracted from the run's CPU in
  // `netCpuMsPerCreate`: on a loaded machine the creates/s fall and this fixed cost would be spread over fewer creates.
  const idleStart = 1000 * server.cpuSeconds();
  const idleStartedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const idleCores = (1000 * server.cpuSeconds() - idleStart) / (performance.now() - idleStartedAt);
  const before = await gauges();
  const cpuBefore = 1000 * server.cpuSeconds();
  const run = await runClosedLoop(seconds, CONCURRENCY, next, create);
  const cpuAfter = 1000 * server.cpuSeconds();
  const after = await gauges();
  agent.destroy();
  if (failures > 0) throw new Error(`Cannot measure create cost: ${failures} creates failed, first: ${firstFailure}`);
  const delta = (name: (typeof STORAGE_GAUGES)[number]): number => (after[name] ?? Number.NaN) - (before[name] ?? Number.NaN);
  const writes = delta('tkube_storage_current_revision');
  const commits = delta('tkube_storage_commits');
  const fsyncs = delta('tkube_storage_fsyncs');
  process.stdout.write(`${JSON.stringify({
    bench: 'create-cost',
    concurrency: CONCURRENCY,
    seconds: round(run.seconds),
    createsPerSec: round(run.perSecond),
    serverCpuMsPerCreate: round((cpuAfter - cpuBefore) / run.completed, 3),
    serverCores: round((cpuAfter - cpuBefore) / 1000 / run.seconds, 2),
    netCpuMsPerCreate: round((cpuAfter - cpuBefore - idleCores * run.seconds * 1000) / run.completed, 3),
    idleCores: round(idleCores, 3),
    writesPerCommit: round(writes / commits, 2),
    commitsPerFsync: round(commits / fsyncs, 2),
    fsyncMeanMs: round((1000 * delta('tkube_storage_fsync_seconds_sum')) / fsyncs, 1),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  })}\n`);
} finally {
  await server.stop();
}
