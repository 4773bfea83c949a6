/**
 * Runs the foundation benchmarks, one child process each, one after another.
 * Run: node --import tsx bench/run.ts [--only NAME[,NAME…]] (NAME: storage, etcd-storage, creates, create-cost, list, watch, watch-latency, authz, audit,
 * ssa, cold-start, up, idle, operator-harness, join, scheduler-1000, scheduler-5000, rollout, pod-start, kubedirector, proxy-sync, proxy-stream, proxy-throughput, scale, dns, dashboard, hpa-reaction)
 *
 * Every benchmark measures its reference in the same run and reports a ratio; this runner adds the targets,
 * prints one JSON line per benchmark (its figures plus `checks`), then a human summary, and records them in
 * bench/results/latest.json (an `--only` run replaces just its own entries; each entry carries its date). The
 * server bundle is rebuilt once at the start (bench/results/dist/).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

import { BENCH_RESULTS_DIR, REPO_ROOT, buildServerBundle } from './server-bundle.js';

/** Check is one target: the figure at `path` (dot-separated) compared with `target`. */
interface Check {
  readonly label: string;
  readonly path: string;
  readonly op: '>=' | '<=';
  readonly target: number;
}

/** Benchmark names a script, its arguments, its time limit and its targets. */
interface Benchmark {
  readonly name: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
  readonly checks: readonly Check[];
}

/** CheckResult is a Check with the measured value and its verdict. */
interface CheckResult extends Check {
  readonly value: number | null;
  readonly met: boolean;
}

const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'storage', script: 'storage.ts', args: [], timeoutMs: 90_000,
    checks: [{ label: 'SqliteStorage creates/s vs raw better-sqlite3 batched inserts/s', path: 'ratio', op: '>=', target: 0.25 }],
  },
  {
    // Issue 8: EtcdStorage over the etcd3 client it is built on, against Debian's etcd.
    name: 'etcd-storage', script: 'etcd-storage.ts', args: [], timeoutMs: 90_000,
    checks: [
      { label: 'EtcdStorage creates/s vs raw etcd3 puts/s (64 callers)', path: 'ratio', op: '>=', target: 0.8 },
      { label: 'sequential EtcdStorage create p50 vs raw put p50', path: 'latencyRatio', op: '<=', target: 1.3 },
    ],
  },
  {
    name: 'creates', script: 'creates.ts', args: [], timeoutMs: 120_000,
    checks: [
      { label: 'API creates/s vs etcd puts/s (64 clients)', path: 'ratio', op: '>=', target: 1.0 },
      { label: 'sequential create p50 vs etcd put p50', path: 'latencyRatio', op: '<=', target: 1.5 },
    ],
  },
  // Server CPU per create and group-commit batching: the figures behind the creates ratio (no target of its own).
  { name: 'create-cost', script: 'create-cost.ts', args: [], timeoutMs: 90_000, checks: [] },
  {
    name: 'list', script: 'list.ts', args: [], timeoutMs: 150_000,
    checks: [
      { label: 'LIST 10k pods p50 vs raw HTTPS transfer p50', path: 'ratio', op: '<=', target: 1.5 },
    ],
  },
  {
    name: 'watch', script: 'watch-fanout.ts', args: [], timeoutMs: 150_000,
    checks: [
      { label: 'fan-out to 1,000 watchers vs raw chunked HTTPS fan-out', path: 'ratio', op: '>=', target: 0.7 },
      { label: 'commit-to-last-watcher p99 at 100 writes/s, 1,000 watchers (ms)', path: 'apiCommitToLastWatcherMs.p99', op: '<=', target: 10 },
    ],
  },
  {
    name: 'watch-latency', script: 'watch-fanout.ts', args: ['--watchers', '100', '--paced', '300'], timeoutMs: 120_000,
    checks: [{ label: 'commit-to-last-watcher p99 at 100 writes/s, 100 watchers (ms)', path: 'apiCommitToLastWatcherMs.p99', op: '<=', target: 10 }],
  },
  {
    name: 'authz', script: 'authz.ts', args: [], timeoutMs: 240_000,
    checks: [{ label: 'creates/s with RBAC (RoleBinding user) vs authorization off', path: 'ratio', op: '>=', target: 0.9 }],
  },
  {
    name: 'audit', script: 'audit.ts', args: [], timeoutMs: 240_000,
    checks: [{ label: 'creates/s with the default audit log vs --disable-audit-log', path: 'ratio', op: '>=', target: 0.9 }],
  },
  {
    name: 'ssa', script: 'ssa.ts', args: [], timeoutMs: 150_000,
    checks: [
      { label: 'server-side apply p50 vs merge patch p50, 200-container Deployment', path: 'deployment200.ratio', op: '<=', target: 3 },
      { label: 'server-side apply p50 vs merge patch p50, 1 MiB object', path: 'configMap1MiB.ratio', op: '<=', target: 3 },
    ],
  },
  {
    name: 'cold-start', script: 'cold-start.ts', args: [], timeoutMs: 120_000,
    checks: [
      { label: 'exec to /readyz 200 p50 vs node -e 0 p50', path: 'ratio', op: '<=', target: 10 },
      { label: 'exec to /readyz 200 p50 (ms, aim)', path: 'readyMs.p50', op: '<=', target: 1000 },
      { label: 'idle server RSS after 10 s (MB)', path: 'idleRssMb', op: '<=', target: 150 },
    ],
  },
  {
    // Issue 8: `tkube up` (the bundle, as ./tkube runs it) from exec to a Ready node, from an empty data dir.
    name: 'up', script: 'up.ts', args: [], timeoutMs: 240_000,
    checks: [
      { label: 'tkube up to node Ready p50 (ms)', path: 'upToNodeReadyMs.p50', op: '<=', target: 5000 },
      { label: 'idle server RSS after 10 s (MB)', path: 'idleRssMb', op: '<=', target: 256 },
    ],
  },
  {
    // Issue 8: an idle `up` cluster's CPU and RSS over 60 s, beside etcd's, containerd's and an idle node process's.
    name: 'idle', script: 'idle.ts', args: [], timeoutMs: 300_000,
    checks: [
      { label: 'idle server + node CPU (% of a core)', path: 'server.cpuPercentOfCore', op: '<=', target: 2.5 },
      { label: 'idle server + node RSS (MB)', path: 'server.rssMb', op: '<=', target: 256 },
    ],
  },
  {
    // Issue 9: the operator SDK's test harness, start to the first reconcile (envtest takes several seconds).
    name: 'operator-harness', script: 'operator-harness.ts', args: [], timeoutMs: 180_000,
    checks: [{ label: 'test harness start to first reconcile p50 (ms, modules loaded)', path: 'startToFirstReconcileMs.p50', op: '<=', target: 1000 }],
  },
  {
    name: 'join', script: 'join.ts', args: [], timeoutMs: 300_000,
    checks: [{ label: 'tkube join to node Ready p50 (ms)', path: 'joinToReadyMs.p50', op: '<=', target: 3000 }],
  },
  {
    name: 'scheduler-1000', script: 'scheduler.ts', args: ['--nodes', '1000', '--initial', '1000', '--measured', '10000'], timeoutMs: 900_000,
    checks: [{ label: 'pods scheduled/s, 1,000 nodes (bindings durable)', path: 'podsScheduledPerSec', op: '>=', target: 1000 }],
  },
  {
    name: 'scheduler-5000', script: 'scheduler.ts', args: ['--nodes', '5000', '--initial', '1000', '--measured', '10000'], timeoutMs: 900_000,
    checks: [{ label: 'pods scheduled/s, 5,000 nodes (bindings durable)', path: 'podsScheduledPerSec', op: '>=', target: 680 }],
  },
  {
    name: 'rollout', script: 'rollout.ts', args: ['--replicas', '1000', '--nodes', '50'], timeoutMs: 1_800_000,
    checks: [],
  },
  {
    // Issue 10: metric crossing its target → new replica count written, against one sync period (scrape interval 0).
    name: 'hpa-reaction', script: 'hpa-reaction.ts', args: ['--sync-period-ms', '5000', '--trials', '10'], timeoutMs: 300_000,
    checks: [{ label: 'HPA reaction max / sync period (write included)', path: 'maxOverSyncPeriod', op: '<=', target: 1.05 }],
  },
  {
    // Issue 6: a real runc node in the server (root, runc, busybox-static; containerd for the ctr reference).
    name: 'pod-start', script: 'pod-start.ts', args: [], timeoutMs: 900_000,
    checks: [
      { label: 'pod start p50 vs overlay + runc create + runc start p50', path: 'podStartP50Ratio', op: '<=', target: 2.0 },
      { label: 'pod start p50 vs containerd `ctr run -d` p50', path: 'podStartVsCtrRunP50Ratio', op: '<=', target: 1.0 },
      { label: 'pod start p99 (ms)', path: 'podStartMs.p99', op: '<=', target: 250 },
      { label: '200 pods to Running vs `xargs -P 4 runc run` throughput', path: 'burstThroughputRatio', op: '>=', target: 0.8 },
      { label: 'idle node RSS: server with node minus server without (MB)', path: 'nodeRssShareMb', op: '<=', target: 80 },
    ],
  },
  {
    // Issue 9: a KubeDirectorCluster of 3 roles × 5 members on a runc node (root, runc, busybox-static). No target
    // in the issue: the figures are recorded (create to all Running, the operator's share).
    name: 'kubedirector', script: 'kubedirector.ts', args: [], timeoutMs: 300_000,
    checks: [],
  },
  {
    // Issue 7: the nftables service proxy (root, nft, ip; a network namespace of its own).
    name: 'proxy-sync', script: 'proxy-sync.ts', args: [], timeoutMs: 300_000,
    checks: [
      { label: 'proxy sync of 1,000 Services × 10 endpoints (ms)', path: 'fullSyncMs', op: '<=', target: 1000 },
      { label: 'proxy sync after one endpoint change on that set (ms)', path: 'endpointChangeMs', op: '<=', target: 50 },
      { label: 'proxy sync after one endpoint change on that set, p90 (ms)', path: 'endpointChangeP90Ms', op: '<=', target: 50 },
    ],
  },
  {
    name: 'proxy-stream', script: 'proxy-stream.ts', args: [], timeoutMs: 300_000,
    checks: [{ label: 'TCP stream through a ClusterIP vs the same stream to the pod IP', path: 'ratio', op: '>=', target: 0.9 }],
  },
  {
    // Issue 7: one TCP stream through a Service address vs straight to the endpoint. The iptables half needs root
    // (network namespaces); the userspace proxy's figure is recorded beside it, without a target.
    name: 'proxy-throughput', script: 'proxy-throughput.ts', args: [], timeoutMs: 300_000,
    checks: [{ label: 'TCP stream through a ClusterIP (iptables DNAT) vs to the pod IP directly', path: 'iptables.ratio', op: '>=', target: 0.9 }],
  },
  {
    // The issue's shape is 100,000 pods held 10 minutes; the default run is smaller to fit a session (see docs).
    name: 'scale', script: 'scale.ts', args: ['--nodes', '1000', '--first-pods', '10000', '--pods', '30000', '--hold-seconds', '120'], timeoutMs: 3_600_000,
    checks: [
      { label: 'nodes + pods created and running per second (1,000 nodes, 10,000 pods)', path: 'firstObjectsPerSec', op: '>=', target: 1000 },
      { label: 'control plane CPU while holding (cores)', path: 'holdCpuCores', op: '<=', target: 1 },
      { label: 'control plane peak RSS while holding (MB)', path: 'holdPeakRssMb', op: '<=', target: 1024 },
    ],
  },
  {
    // Issue 7: the cluster DNS server vs dnsmasq (Debian dnsmasq-base) answering the same names from a hosts file.
    name: 'dns', script: 'dns.ts', args: [], timeoutMs: 120_000,
    checks: [
      { label: 'DNS queries/s for Service names vs dnsmasq (hosts file)', path: 'qpsRatio', op: '>=', target: 0.5 },
      { label: 'DNS p99 for Service names vs dnsmasq p99', path: 'p99Ratio', op: '<=', target: 2 },
    ],
  },
  {
    // Issue 10: the web dashboard in headless Chromium (Debian's chromium), 1,000 pods.
    name: 'dashboard', script: 'dashboard.ts', args: [], timeoutMs: 300_000,
    checks: [
      { label: 'dashboard first meaningful paint, 1,000 pods, p50 (ms)', path: 'firstPaintMs.p50', op: '<=', target: 1000 },
      { label: 'pod creates/s the open page kept up with', path: 'changesPerSec', op: '>=', target: 100 },
      { label: 'page caught up after the last create (ms)', path: 'catchUpMs', op: '<=', target: 1000 },
      { label: 'JavaScript sent, gzipped (bytes)', path: 'jsGzipBytes', op: '<=', target: 300_000 },
      { label: 'JavaScript with every on-demand chunk (editor, terminal), gzipped (bytes)', path: 'jsAllGzipBytes', op: '<=', target: 300_000 },
    ],
  },
];

/** valueAt reads a number at a dot-separated path of a result, or null. */
function valueAt(result: unknown, path: string): number | null {
  let cur: unknown = result;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return null;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : null;
}

/** The running benchmark's process group, signalled if the runner itself is interrupted. */
let runningGroup: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    try {
      if (runningGroup !== undefined) process.kill(-runningGroup, 'SIGTERM');
    } catch {
      // the group is already gone
    }
    process.exit(130);
  });
}

/** runScript runs bench/<script> with tsx and resolves with its last JSON stdout line (or an error description). */
function runScript(b: Benchmark): Promise<{ result?: Record<string, unknown>; error?: string; seconds: number }> {
  const start = performance.now();
  return new Promise((done) => {
    // detached: the benchmark leads its own process group, so on a timeout the group (the benchmark and every server
    // and helper it started) can be signalled by that group's id.
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', b.script), ...b.args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT, detached: true });
    runningGroup = child.pid;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // the group is already gone
      }
    };
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    // Normally the benchmark's finally blocks stop what it started. Past its time limit, SIGTERM goes to the whole
    // group (servers shut down cleanly; temp dirs may stay behind), and SIGKILL is the last resort.
    const term = setTimeout(() => signalGroup('SIGTERM'), b.timeoutMs);
    const kill = setTimeout(() => signalGroup('SIGKILL'), b.timeoutMs + 15_000);
    child.on('close', (code, signal) => {
      runningGroup = undefined;
      clearTimeout(term);
      clearTimeout(kill);
      const seconds = (performance.now() - start) / 1000;
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code === 0 && line !== undefined) {
        try {
          done({ result: JSON.parse(line) as Record<string, unknown>, seconds });
          return;
        } catch {
          // fall through: report the unparsable output
        }
      }
      done({ error: `exited with ${code ?? signal}: ${err.trim().split('\n').slice(-8).join('\n')}`, seconds });
    });
  });
}

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',').filter((s) => s !== '') : [];
const unknown = only.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length > 0) throw new Error(`Cannot run benchmarks ${unknown.join(', ')}: unknown (known: ${BENCHMARKS.map((b) => b.name).join(', ')})`);
const selected = BENCHMARKS.filter((b) => only.length === 0 || only.includes(b.name));

await buildServerBundle();
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
  benchmarks: [] as Record<string, unknown>[],
};
const lines: string[] = [];
for (const b of selected) {
  const loadBefore = loadavg().map((x) => Number(x.toFixed(2)));
  const { result, error, seconds } = await runScript(b);
  const checks: CheckResult[] = b.checks.map((c) => {
    const value = result === undefined ? null : valueAt(result, c.path);
    const met = value !== null && (c.op === '>=' ? value >= c.target : value <= c.target);
    return { ...c, value, met };
  });
  const entry = { name: b.name, date: new Date().toISOString(), ...(result ?? {}), ...(error === undefined ? {} : { error }), seconds: Number(seconds.toFixed(1)), loadavg1Before: loadBefore[0], loadavgBefore: loadBefore, checks };
  report.benchmarks.push(entry);
  process.stdout.write(`${JSON.stringify(entry)}\n`);
  if (error !== undefined) lines.push(`${b.name}: FAILED (${error.split('\n')[0]})`);
  for (const c of checks) lines.push(`${b.name}: ${c.label}: ${c.value ?? 'n/a'} (target ${c.op} ${c.target}) ${c.met ? 'MET' : 'MISSED'}`);
}
mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
const latestPath = join(BENCH_RESULTS_DIR, 'latest.json');
const previous = existsSync(latestPath) ? (JSON.parse(readFileSync(latestPath, 'utf8')) as { benchmarks?: Record<string, unknown>[] }).benchmarks ?? [] : [];
const ranNow = new Set(report.benchmarks.map((e) => e['name']));
const order = BENCHMARKS.map((b) => b.name);
report.benchmarks = [...previous.filter((e) => !ranNow.has(e['name'])), ...report.benchmarks]
  .sort((a, b) => order.indexOf(String(a['name'])) - order.indexOf(String(b['name'])));
writeFileSync(latestPath, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nSummary (${report.date}, ${report.machine.cpus} CPUs, load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}):\n${lines.map((l) => `  ${l}`).join('\n')}\nWritten to bench/results/latest.json\n`);
