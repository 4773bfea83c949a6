/**
 * Fairness benchmark (issue 11 item 7): the overload suite's scenario as rounds of figures. A `tkube server` with
 * `--max-requests-inflight 4 --max-mutating-requests-inflight 2` (global-default 2 seats); user `flood` keeps 48 lists
 * of 20 ConfigMaps outstanding from a process in a session of its own (test/reliability/flood-process.ts says why);
 * user `other` reads one ConfigMap at a
 * time, first alone (unloaded) then during the flood (loaded), while three nodes renew their Lease and the controller
 * manager its leader-election Lease every 200 ms. Each round prints other's p50 / p99 unloaded and loaded, their
 * ratio, the flood's 200/s and 429/s, and the Lease writes (all must succeed). The bound: loaded p99 ≤ 2 ×
 * unloaded p99 — a ratio against a reference measured in the same round, so the machine's load matters less.
 * Run: node --import tsx bench/fairness.ts [--rounds N] [--baseline-seconds N] [--flood-seconds N]
 *      [--modes polite,eager] [--concurrency N] [--no-build] [--no-audit] [--same-session] [--other-own-level]
 * Rebuilds the bench bundle from the sources first (bench/server-bundle.ts) unless --no-build. `--no-audit` runs the
 * server with `--disable-audit-log`, to see what the audit log's writes cost; `--same-session` runs the flood client in
 * this session, where it takes its CPU from the server's share (what the suite did before it used FloodProcess);
 * `--other-own-level` makes `other` the scheduler's user (level workload-high), so it never waits for the flood's seats.
 * Each round also prints the server's event-loop delay (p99 and max of prom-client's 10 ms-resolution monitor, read
 * from /metrics at the start and end of each phase) and the CPU cores the server, the flood client and this process
 * used during the flood: on a shared machine they tell whether the server was short of CPU or of event loop.
 * To compare with another build in one session, build it elsewhere and pass it as TKUBE_BENCH_BUNDLE with --no-build.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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


if (!process.argv.includes('--no-build')) await buildServerBundle();
const dir = mkdtempSync(join(tmpdir(), 'tkube-bench-fairness-'));
const tokenFile = join(dir, 'tokens.csv');
writeFileSync(
  tokenFile,
  ['flood-token,flood,u1,', `other-token,${process.argv.includes('--other-own-level') ? 'system:kube-scheduler' : 'other'},u2,`, 'kcm-token,system:kube-controller-manager,u3,', ...NODES.map((n, i) => `node-token-${i},system:node:${n},n${i},"system:nodes"`), ''].join('\n'),
);
const server = await ServerProcess.start({
  serverArgs: [
    ...['--token-auth-file', tokenFile, '--authorization-mode', 'AlwaysAllow', '--max-requests-inflight', '4', '--max-mutating-requests-inflight', '2'],
    ...(process.argv.includes('--no-audit') ? ['--disable-audit-log'] : []),
  ],
});
const floods: FloodProcess[] = [];
const clients: BearerClient[] = [];
const agents: Agent[] = [];
try {
  const { ca } = server.credentials();
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca);
  const client = (token: string): BearerClient => {
    const b = new BearerClient(server.url, ca, token, 4);
    clients.push(b);
    return b;
  };
  const other = client('other-token');
  const kcm = client('kcm-token');
  const nodes = NODES.map((_, i) => client(`node-token-${i}`));

  // Seed as the admin (exempt from flow control): 100 ConfigMaps for the flood to list, the Leases to renew.
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

  const loadBefore = loadavg()[0] ?? 0;
  const summary: Record<string, number[]> = {};
  for (const mode of modes) {
    const flood = await FloodProcess.start({ url: server.url, token: 'flood-token', caFile, concurrency, mode, path: FLOOD_PATH, ownSession: !process.argv.includes('--same-session') });
    floods.push(flood);
    for (let round_ = 1; round_ <= rounds; round_++) {
      const baseline: number[] = [];
      const failures: string[] = [];
      await loopDelay();
      const baselineEnd = performance.now() + baselineMs;
      await reader(other, () => performance.now() > baselineEnd, baseline, failures);
      const baselineLoop = await loopDelay();

      let stop = false;
      const until = (): boolean => stop;
      const loaded: number[] = [];
      const leaseFailures: string[] = [];
      const renewals = { n: 0 };
      const elections = { n: 0 };
      const load = loadavg()[0] ?? 0;
      const cpu = { server: server.cpuSeconds(), flood: cpuSecondsOf(flood.pid), bench: process.cpuUsage() };
      const flooding = flood.flood(floodMs);
      const work = [
        ...NODES.map((n, i) => renewLease(nodes[i] as BearerClient, 'kube-node-lease', n, until, leaseFailures, renewals)),
        renewLease(kcm, 'kube-system', 'fairness-bench-election', until, leaseFailures, elections),
        // Let the flood fill the queues before measuring the other user.
        sleep(300).then(() => reader(other, until, loaded, failures)),
      ];
      const result = await flooding;
      stop = true;
      await Promise.all(work);
      const floodLoop = await loopDelay();
      const benchCpu = process.cpuUsage(cpu.bench);
      const cpuShare = (seconds: number): number => round(seconds / result.seconds, 2);
      // Let the flood's last answers and the server settle before the next baseline.
      await sleep(1_500);

      const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
      const base = sorted(baseline);
      const busy = sorted(loaded);
      const refused = sorted(result.refusedMs);
      const ratio = percentile(busy, 0.99) / percentile(base, 0.99);
      (summary[mode] ??= []).push(ratio);
      console.log(
        JSON.stringify({
          mode,
          round: round_,
          load: round(load, 1),
          otherUnloaded: { n: base.length, p50Ms: round(percentile(base, 0.5), 1), p99Ms: round(percentile(base, 0.99), 1) },
          otherLoaded: { n: busy.length, p50Ms: round(percentile(busy, 0.5), 1), p99Ms: round(percentile(busy, 0.99), 1) },
          p99Ratio: round(ratio, 2),
          flood200PerSec: Math.round(result.ok / result.seconds),
          flood429PerSec: Math.round(result.refused / result.seconds),
          flood429Ms: { p50: round(percentile(refused, 0.5)), p99: round(percentile(refused, 0.99)) },
          flood429WithoutRetryAfter: result.refusedWithoutRetryAfter,
          floodOtherAnswers: result.otherAnswers.slice(0, 3),
          otherFailures: failures.slice(0, 3),
          serverLoopDelayMs: { unloaded: baselineLoop, loaded: floodLoop },
          // CPU cores used during the flood (until its last answers): server, flood client, this process.
          cpuCores: { server: cpuShare(server.cpuSeconds() - cpu.server), flood: cpuShare(cpuSecondsOf(flood.pid) - cpu.flood), bench: cpuShare((benchCpu.user + benchCpu.system) / 1e6) },
          leaseWrites: { node: renewals.n, election: elections.n, failures: leaseFailures.slice(0, 3) },
        }),
      );
    }
    await flood.close();
  }
  const spread = Object.fromEntries(Object.entries(summary).map(([mode, rs]) => [mode, { min: round(Math.min(...rs), 2), median: round(percentile([...rs].sort((a, b) => a - b), 0.5), 2), max: round(Math.max(...rs), 2) }]));
  console.log(JSON.stringify({ summary: 'other p99 loaded / unloaded', bound: 2, loadBefore: round(loadBefore, 1), loadAfter: round(loadavg()[0] ?? 0, 1), ...spread }));
} finally {
  for (const f of floods) await f.close();
  for (const c of clients) c.close();
  for (const a of agents) a.destroy();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
