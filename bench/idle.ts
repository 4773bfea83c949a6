/**
 * Idle cost of a local cluster (issue 8: server + agent RSS ≤ 256 MB, idle CPU ≤ 2.5 % of a core), beside Debian's
 * containerd and etcd idling in the same run and the same sampling window.
 *
 * `tkube up` (the bench bundle, process runtime: the server runs its node in-process) from an empty data dir; in
 * the same run an etcd 3.4 member (bench/etcd-process.ts) and a private containerd 1.6 (its CRI plugin loaded, no
 * pods; needs root, skipped otherwise) are started, and `node -e "setInterval(() => {}, 1000)"` as the floor of
 * an idle Node process. All settle for --settle-seconds, then each process tree's CPU (utime + stime of the process
 * and its descendants, /proc/<pid>/stat) is read at both ends of one --sample-seconds window, RSS every 5 s, and
 * the server's context switches (all threads, voluntary + involuntary) as a count of wake-ups. The server's audit
 * log over the same window says which clients still call the API while nothing changes (the `user/verb/resource`
 * counts). Prints one JSON line.
 *
 * Run: node --import tsx bench/idle.ts [--settle-seconds 30] [--sample-seconds 60] [--bundle PATH]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { startContainerd, writeContainerdConfig, type RunningContainerd } from '../src/agent/runtime/cri/containerd-daemon.js';
import { round } from './latency-summary.js';
import { EtcdProcess } from './etcd-process.js';
import { ensureServerBundle } from './server-bundle.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const settleSeconds = Number(arg('--settle-seconds', '30'));
const sampleSeconds = Number(arg('--sample-seconds', '60'));
const bundleArg = arg('--bundle', '');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** statOf reads a process's parent pid and CPU ticks (utime + stime); undefined once it is gone. */
function statOf(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields count from after its closing one.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** tree lists `root` and its live descendants. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(Number(name));
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Per-pid CPU ticks of a tree: a descendant that exits in the window loses its ticks, one that starts adds all of its own. */
function ticksOf(root: number): Map<number, number> {
  return new Map(tree(root).flatMap((pid) => {
    const s = statOf(pid);
    return s ? [[pid, s.ticks] as const] : [];
  }));
}

function rssMbOf(root: number): number {
  let kb = 0;
  for (const pid of tree(root)) {
    try {
      kb += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

function contextSwitches(pid: number): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      n += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // thread gone
    }
  }
  return n;
}

function run(args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

/** auditCounts tallies the audit log's `user verb resource` from byte `from` on (the sampling window's requests). */
function auditCounts(path: string, from: number): { total: number; top: Record<string, number> } {
  if (!existsSync(path)) return { total: 0, top: {} };
  const text = readFileSync(path).subarray(from).toString('utf8');
  const counts = new Map<string, number>();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { stage?: string; verb?: string; user?: { username?: string }; objectRef?: { resource?: string; subresource?: string }; requestURI?: string };
    if (e.stage !== undefined && e.stage !== 'ResponseComplete') continue;
    total++;
    const what = e.objectRef?.resource ? `${e.objectRef.resource}${e.objectRef.subresource ? `/${e.objectRef.subresource}` : ''}` : (e.requestURI ?? '?').split('?')[0];
    const key = `${e.user?.username ?? '?'} ${e.verb ?? '?'} ${what}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { total, top: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).slice(0, 12)) };
}

const bundle = bundleArg !== '' ? bundleArg : await ensureServerBundle();
const cli = ['--enable-source-maps', bundle];
const dataDir = mkdtempSync(join(tmpdir(), 'tkube-bench-idle-'));
const containerdDir = mkdtempSync(join(tmpdir(), 'tkube-bench-idle-containerd-'));
let etcd: EtcdProcess | undefined;
let containerd: RunningContainerd | undefined;
let floor: ChildProcess | undefined;
let up = false;
try {
  const ran = await run([...cli, 'up', '--data-dir', dataDir, '--https-listen-port', '0', '--ingress-http-port', '0', '--ingress-https-port', '0',
    '--cluster-dns-port', '0', '--kubelet-port', '0', '--no-kubeconfig-merge', '--node-name', 'bench-idle', '--container-runtime', 'process']);
  up = true;
  if (ran.code !== 0) throw new Error(`tkube up exited ${ran.code}: ${ran.output.trim().split('\n').slice(-8).join('\n')}`);
  const server = (JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { pid: number }).pid;
  etcd = await EtcdProcess.start();
  if (process.getuid?.() === 0) {
    await writeContainerdConfig(containerdDir, { podSubnet: `10.88.${200 + (process.pid % 50)}.0/24`, bridgeName: `tkidle${process.pid % 100000}` });
    containerd = await startContainerd(containerdDir);
  }
  floor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, settleSeconds * 1000));

  const subjects: Record<string, number> = { server, etcd: etcd.pid, ...(containerd ? { containerd: containerd.pid } : {}), nodeFloor: floor.pid ?? -1 };
  const auditPath = join(dataDir, 'logs', 'audit.log');
  const auditFrom = existsSync(auditPath) ? statSync(auditPath).size : 0;
  const before = Object.fromEntries(Object.entries(subjects).map(([k, pid]) => [k, ticksOf(pid)]));
  const switchesBefore = contextSwitches(server);
  const rss: Record<string, number[]> = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
  const loads: number[] = [];
  const started = performance.now();
  for (let t = 0; t < sampleSeconds; t += 5) {
    for (const [k, pid] of Object.entries(subjects)) rss[k]?.push(rssMbOf(pid));
    loads.push(loadavg()[0] ?? 0);
    await new Promise((r) => setTimeout(r, Math.min(5, sampleSeconds - t) * 1000));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu: Record<string, { cpuPercentOfCore: number; rssMb: number; rssMaxMb: number }> = {};
  for (const [k, pid] of Object.entries(subjects)) {
    const was = before[k] ?? new Map<number, number>();
    let ticks = 0;
    for (const [p, now] of ticksOf(pid)) ticks += now - (was.get(p) ?? 0);
    const samples = rss[k] ?? [];
    cpu[k] = {
      cpuPercentOfCore: round((ticks / CLK_TCK / seconds) * 100, 2),
      rssMb: round(samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length)),
      rssMaxMb: round(Math.max(...samples)),
    };
  }
  process.stdout.write(`${JSON.stringify({
    bench: 'idle',
    bundle,
    settleSeconds,
    sampleSeconds: round(seconds, 1),
    load1: { min: round(Math.min(...loads), 1), max: round(Math.max(...loads), 1) },
    serverProcesses: tree(server).length,
    ...cpu,
    serverWakeupsPerSec: round((contextSwitches(server) - switchesBefore) / seconds, 1),
    apiRequestsInWindow: auditCounts(auditPath, auditFrom),
  })}\n`);
} finally {
  floor?.kill('SIGKILL');
  await containerd?.stop().catch(() => undefined);
  await etcd?.stop().catch(() => undefined);
  if (up) await run([...cli, 'down', '--data-dir', dataDir]);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(containerdDir, { recursive: true, force: true });
}
