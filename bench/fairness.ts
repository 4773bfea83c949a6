/**
 * Fairness benchmark (issue 11 item 7): the overload suite's scenario as rounds of figures. A `tkube server` with
 * `--max-requests-inflight 4 --max-mutating-requests-inflight 2` (global-default 2 seats); user `flood` keeps 48 lists
 * of 20 ConfigMaps outstanding from a process in a session of its own (test/reliability/flood-process.ts says why);
 * user `other` reads one ConfigMap at a
 * time, first alone (unloaded) then during the flood (loaded), while three nodes renew their Lease and the controller
 * manager its leader-election Lease every 200 ms. Each round prints other's p50 / p99 unloaded and loaded, their
 * ratio, the flood's 200/s and 429/s, and the Lease writes (all must succeed). The bound: loaded p99 ≤ 2 ×
 * unloaded p99 — a ratio against a reference measured in the same round, so the machine's load matters less. The
 * summary also gives the p99s over all rounds' reads pooled (per build and mode) and their ratio: with a few
 * hundred reads a phase, one round's p99 is its few slowest reads, and rounds of one build swing 1.1–2.7.
 * Run: node --import tsx bench/fairness.ts [--rounds N] [--baseline-seconds N] [--flood-seconds N]
 *      [--modes polite,eager] [--concurrency N] [--no-build] [--no-audit] [--same-session] [--other-own-level]
 *      [--base BUNDLE] [--flood-idle] [--flood-rr N]
 * Rebuilds the bench bundle from the sources first (bench/server-bundle.ts) unless --no-build. `--no-audit` runs the
 * server with `--disable-audit-log`, to see what the audit log's writes cost; `--same-session` runs the flood client in
 * this session, where it takes its CPU from the server's share (what the suite did before it used FloodProcess);
 * `--other-own-level` makes `other` the scheduler's user (level workload-high), so it never waits for the flood's seats.
 * `--flood-idle` runs the flood client under SCHED_IDLE (it gets only CPU nobody else wants, as a client on another
 * machine would take none of this one's). With TKUBE_BENCH_SERVER_LOG set, the servers' output goes to that file with a
 * line marking the start and end of each phase (`# mark …`): with `--trace-gc-nvp` in TKUBE_BENCH_NODE_ARGS,
 * `bench/gc-trace.ts FILE` summarises the garbage collector's work per phase. Each round also prints the flood's admitted-list latency (`flood200Ms`).
 * On a machine shared with other work, `chrt -r 10 node --import tsx bench/fairness.ts …` runs the benchmark, its
 * servers and its clients under SCHED_RR, ahead of everything else: together they use under one core of the two, so
 * the figures are those of a quiet machine (docs/benchmarks.md, "Running them"). With SCHED_RR, the flood client,
 * the server and the measuring client share one priority, and a real-time task is not preempted by another of the
 * same priority until its 100 ms slice ends: the measuring client then waits behind the flood client for a core.
 * `--flood-rr N` (N below the bench's) puts the flood client under the server and the measuring client but above
 * everything else: `chrt -r 10 node --import tsx bench/fairness.ts --flood-rr 5 …`.
 * Each round also prints the server's event-loop delay (p99 and max of prom-client's 10 ms-resolution monitor, read
 * from /metrics at the start and end of each phase) and the CPU cores the server, the flood client and this process
 * used during the flood: on a shared machine they tell whether the server was short of CPU or of event loop.
 * To compare with another build, build it (`node hack/build.mjs --outdir bench/results/dist-base` in a checkout of it,
 * with this repository's node_modules) and pass `--base bench/results/dist-base/tkube.mjs`: both servers run, one at
 * a time, the builds taking turns every round (swapping which goes first), so both see the machine's load of the
 * same minutes; each line then says its `build` (new or base) and the summary has one spread per build and mode.
 * (TKUBE_BENCH_BUNDLE with --no-build replaces the new build instead.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { BearerClient, leasePath, microTime, renewLease } from '../test/reliability/bearer-client.js';
import { FloodProcess } from '../test/reliability/flood-process.js';
import { percentile, round } from './latency-summary.js';
import { buildServerBundle } from './server-bundle.js';
import { ServerProcess } from './server-process.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('--rounds', 3);
const baselineMs = arg('--baseline-seconds', 3) * 1000;
const floodMs = arg('--flood-seconds', 6) * 1000;
const concurrency = arg('--concurrency', 48);
const floodIdle = process.argv.includes('--flood-idle');
const floodRr = arg('--flood-rr', 0);
const modesAt = process.argv.indexOf('--modes');
const modes = (modesAt >= 0 ? (process.argv[modesAt + 1] ?? '') : 'polite,eager').split(',').filter((m): m is 'polite' | 'eager' => m === 'polite' || m === 'eager');

const NODES = ['fb-0', 'fb-1', 'fb-2'];
const CMS = '/api/v1/namespaces/default/configmaps';
const FLOOD_PATH = `${CMS}?limit=20`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** cpuSecondsOf reads a process's CPU time (user + system) from /proc/<pid>/stat. */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** LoopDelay is the server's event-loop delay since the previous scrape (prom-client resets it on each scrape). */
interface LoopDelay {
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** reader measures the other user's GETs, one at a time 20 ms apart, until `until`. */
async function reader(other: BearerClient, until: () => boolean, latencies: number[], failures: string[]): Promise<void> {
  while (!until()) {
    const a = await other.send('GET', `${CMS}/cm-7`);
    if (a.status === 200) latencies.push(a.ms);
    else failures.push(`${a.status} ${a.body.slice(0, 200)}`);
    await sleep(20);
  }
}


const baseAt = process.argv.indexOf('--base');
const baseBundle = baseAt >= 0 ? process.argv[baseAt + 1] : undefined;
if (baseAt >= 0 && (baseBundle === undefined || !existsSync(baseBundle))) throw new Error(`Cannot compare with --base ${baseBundle ?? ''}: no such bundle`);

/** Target is one server under test with its users' clients: the build measured, and with --base the one compared. */
interface Target {
  readonly build: 'new' | 'base';
  readonly server: ServerProcess;
  readonly caFile: string;
  readonly other: BearerClient;
  readonly kcm: BearerClient;
  readonly nodes: readonly BearerClient[];
  readonly loopDelay: () => Promise<LoopDelay>;
}

/** setFloodPolicy gives every thread of the flood client a scheduling policy (`chrt -a -p`), or throws naming it. */
function setFloodPolicy(pid: number, policy: readonly [string, string], name: string): void {
  const r = spawnSync('chrt', ['-a', policy[0], '-p', policy[1], String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Cannot make the flood client ${name}: ${r.stderr.trim()}`);
}

/** startServer starts a server from `bundle` (the bench bundle when undefined). */
function startServer(bundle: string | undefined, args: readonly string[]): Promise<ServerProcess> {
  return ServerProcess.start({ serverArgs: args, ...(bundle === undefined ? {} : { bundle }) });
}

if (!process.argv.includes('--no-build')) await buildServerBundle();
const dir = mkdtempSync(join(tmpdir(), 'tkube-bench-fairness-'));
const tokenFile = join(dir, 'tokens.csv');
writeFileSync(
  tokenFile,
  ['flood-token,flood,u1,', `other-token,${process.argv.includes('--other-own-level') ? 'system:kube-scheduler' : 'other'},u2,`, 'kcm-token,system:kube-controller-manager,u3,', ...NODES.map((n, i) => `node-token-${i},system:node:${n},n${i},"system:nodes"`), ''].join('\n'),
);
const serverArgs = [
  ...['--token-auth-file', tokenFile, '--authorization-mode', 'AlwaysAllow', '--max-requests-inflight', '4', '--max-mutating-requests-inflight', '2'],
  ...(process.argv.includes('--no-audit') ? ['--disable-audit-log'] : []),
];
const servers: ServerProcess[] = [];
const floods: FloodProcess[] = [];
const clients: BearerClient[] = [];
const agents: Agent[] = [];

/** setUp starts a server of `build` and seeds it as the admin (exempt from flow control): the ConfigMaps, the Leases. */
async function setUp(build: Target['build'], bundle: string | undefined): Promise<Target> {
  const server = await startServer(bundle, serverArgs);
  servers.push(server);
  const { ca } = server.credentials();
  const caFile = join(dir, `ca-${build}.crt`);
  writeFileSync(caFile, ca);
  const client = (token: string): BearerClient => {
    const b = new BearerClient(server.url, ca, token, 4);
    clients.push(b);
    return b;
  };
  const admin = server.agent(8);
  agents.push(admin);
  for (let i = 0; i < 100; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, k) => {
        const r = await server.call(admin, 'POST', CMS, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i + k}` }, data: { v: 'x'.repeat(200) } }));
        if (r.status !== 201) throw new Error(`Cannot seed cm-${i + k}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
      }),
    );
  }
  const lease = (ns: string, name: string): string =>
    JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: ns }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() } });
  for (const [ns, name] of [...NODES.map((n) => ['kube-node-lease', n] as const), ['kube-system', 'fairness-bench-election'] as const]) {
    const r = await server.call(admin, 'POST', leasePath(ns), lease(ns, name));
    if (r.status !== 201) throw new Error(`Cannot create Lease ${ns}/${name}: HTTP ${r.status}`);
  }
  // prom-client's nodejs_eventloop_lag_* figures cover the time since the previous scrape: one scrape starts a
  // phase, the next one reads it.
  const loopDelay = async (): Promise<LoopDelay> => {
    const r = await server.call(admin, 'GET', '/metrics');
    const text = r.body.toString('utf8');
    const gauge = (name: string): number => round(Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000, 1);
    return { p99Ms: gauge('nodejs_eventloop_lag_p99_seconds'), maxMs: gauge('nodejs_eventloop_lag_max_seconds') };
  };
  return { build, server, caFile, other: client('other-token'), kcm: client('kcm-token'), nodes: NODES.map((_, i) => client(`node-token-${i}`)), loopDelay };
}

/** summaryKey names a build and mode's line in the summary ("new eager" with --base, else just the mode). */
const summaryKey = (t: Target, mode: string): string => (baseBundle !== undefined ? `${t.build} ${mode}` : mode);
/** sorted is a sorted copy, for percentile(). */
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** pooled keeps every round's reads per build and mode, for the p99 over all rounds (steadier than one round's). */
const pooled: Record<string, { unloaded: number[]; loaded: number[] }> = {};

/** runRound measures one round on `t`: other alone, then other beside the flood, Leases renewed meanwhile. */
async function runRound(t: Target, flood: FloodProcess, mode: 'polite' | 'eager', round_: number): Promise<number> {
  const { server, other, kcm, nodes, loopDelay } = t;
  const baseline: number[] = [];
  const failures: string[] = [];
  await loopDelay();
  server.mark(`baseline-start build=${t.build} mode=${mode} round=${round_}`);
  const baselineEnd = performance.now() + baselineMs;
  await reader(other, () => performance.now() > baselineEnd, baseline, failures);
  server.mark(`baseline-end build=${t.build} mode=${mode} round=${round_}`);
  const baselineLoop = await loopDelay();

  let stop = false;
  const until = (): boolean => stop;
  const loaded: number[] = [];
  const leaseFailures: string[] = [];
  const renewals = { n: 0 };
  const elections = { n: 0 };
  const load = loadavg()[0] ?? 0;
  const cpu = { server: server.cpuSeconds(), flood: cpuSecondsOf(flood.pid), bench: process.cpuUsage() };
  // Phase marks in the server's log (TKUBE_BENCH_SERVER_LOG), for bench/gc-trace.ts.
  const phase = `build=${t.build} mode=${mode} round=${round_}`;
  server.mark(`flood-start ${phase}`);
  const flooding = flood.flood(floodMs);
  const work = [
    ...NODES.map((n, i) => renewLease(nodes[i] as BearerClient, 'kube-node-lease', n, until, leaseFailures, renewals)),
    renewLease(kcm, 'kube-system', 'fairness-bench-election', until, leaseFailures, elections),
    // Let the flood fill the queues before measuring the other user.
    sleep(300).then(() => reader(other, until, loaded, failures)),
  ];
  const result = await flooding;
  server.mark(`flood-end ${phase}`);
  stop = true;
  await Promise.all(work);
  const floodLoop = await loopDelay();
  const benchCpu = process.cpuUsage(cpu.bench);
  const cpuShare = (seconds: number): number => round(seconds / result.seconds, 2);
  // Let the flood's last answers and the server settle before the next baseline.
  await sleep(1_500);

  const base = sorted(baseline);
  const busy = sorted(loaded);
  const refused = sorted(result.refusedMs);
  const admitted = sorted(result.okMs);
  const ratio = percentile(busy, 0.99) / percentile(base, 0.99);
  const pool = (pooled[summaryKey(t, mode)] ??= { unloaded: [], loaded: [] });
  pool.unloaded.push(...base);
  pool.loaded.push(...busy);
  console.log(
    JSON.stringify({
      ...(baseBundle !== undefined ? { build: t.build } : {}),
      mode,
      round: round_,
      load: round(load, 1),
      otherUnloaded: { n: base.length, p50Ms: round(percentile(base, 0.5), 1), p99Ms: round(percentile(base, 0.99), 1) },
      otherLoaded: { n: busy.length, p50Ms: round(percentile(busy, 0.5), 1), p99Ms: round(percentile(busy, 0.99), 1) },
      p99Ratio: round(ratio, 2),
      flood200PerSec: Math.round(result.ok / result.seconds),
      flood429PerSec: Math.round(result.refused / result.seconds),
      flood429Ms: { p50: round(percentile(refused, 0.5)), p99: round(percentile(refused, 0.99)) },
      flood200Ms: { p50: round(percentile(admitted, 0.5)), p99: round(percentile(admitted, 0.99)) },
      flood429WithoutRetryAfter: result.refusedWithoutRetryAfter,
      floodOtherAnswers: result.otherAnswers.slice(0, 3),
      otherFailures: failures.slice(0, 3),
      serverLoopDelayMs: { unloaded: baselineLoop, loaded: floodLoop },
      // CPU cores used during the flood (until its last answers): server, flood client, this process.
      cpuCores: { server: cpuShare(server.cpuSeconds() - cpu.server), flood: cpuShare(cpuSecondsOf(flood.pid) - cpu.flood), bench: cpuShare((benchCpu.user + benchCpu.system) / 1e6) },
      leaseWrites: { node: renewals.n, election: elections.n, failures: leaseFailures.slice(0, 3) },
    }),
  );
  return ratio;
}

try {
  const targets = [await setUp('new', undefined), ...(baseBundle !== undefined ? [await setUp('base', baseBundle)] : [])];
  const loadBefore = loadavg()[0] ?? 0;
  const summary: Record<string, number[]> = {};
  for (const mode of modes) {
    const flooders = new Map<Target, FloodProcess>();
    for (const t of targets) {
      const flood = await FloodProcess.start({ url: t.server.url, token: 'flood-token', caFile: t.caFile, concurrency, mode, path: FLOOD_PATH, ownSession: !process.argv.includes('--same-session') });
      floods.push(flood);
      flooders.set(t, flood);
      // SCHED_IDLE: the flood client runs only on CPU the server and the measuring client leave free, which is what a
      // client on another machine costs the server's machine (nothing). SCHED_RR N: below the bench's own priority
      // (see --flood-rr in the header).
      if (floodIdle) setFloodPolicy(flood.pid, ['-i', '0'], 'SCHED_IDLE');
      if (floodRr > 0) setFloodPolicy(flood.pid, ['-r', String(floodRr)], `SCHED_RR ${floodRr}`);
    }
    for (let round_ = 1; round_ <= rounds; round_++) {
      // With --base the builds take turns, the first one swapping every round, so neither always runs first.
      const order = round_ % 2 === 1 ? targets : [...targets].reverse();
      for (const t of order) {
        const ratio = await runRound(t, flooders.get(t) as FloodProcess, mode, round_);
        (summary[summaryKey(t, mode)] ??= []).push(ratio);
      }
    }
    for (const f of flooders.values()) await f.close();
  }
  const pooledP99 = (key: string): Record<string, number> => {
    const p = pooled[key];
    if (!p) return {};
    const u = percentile(sorted(p.unloaded), 0.99);
    const l = percentile(sorted(p.loaded), 0.99);
    return { pooledUnloadedP99Ms: round(u, 2), pooledLoadedP99Ms: round(l, 2), pooledRatio: round(l / u, 2), pooledReads: p.unloaded.length + p.loaded.length };
  };
  const spread = Object.fromEntries(Object.entries(summary).map(([key, rs]) => [key, { min: round(Math.min(...rs), 2), median: round(percentile(sorted(rs), 0.5), 2), max: round(Math.max(...rs), 2), ...pooledP99(key) }]));
  console.log(JSON.stringify({ summary: 'other p99 loaded / unloaded', bound: 2, loadBefore: round(loadBefore, 1), loadAfter: round(loadavg()[0] ?? 0, 1), ...spread }));
} finally {
  for (const f of floods) await f.close();
  for (const c of clients) c.close();
  for (const a of agents) a.destroy();
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
}
