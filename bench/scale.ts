/**
 * Scale benchmark (issue 5): a server with N simulated nodes (in its own process, as `--simulated-nodes N` runs
 * them), then pods created by 64 clients until P exist and run, then a hold with nothing to do but keep nodes'
 * leases and status fresh, sampling the server's CPU and memory.
 * Run: node --import tsx bench/scale.ts [--nodes 1000] [--first-pods 10000] [--pods 100000] [--hold-seconds 600]
 *        [--settle-seconds 20] [--heap-snapshots DIR] [--timeline] [--server-args "<server flags>"]
 *
 * Figures:
 *  - objects/s for the first N nodes + first-pods pods: (nodes + pods) ÷ (server start → last of them Running);
 *    KWOK states 20 nodes/s; the target is ≥ 1,000 objects/s.
 *  - the time to reach P running pods;
 *  - during the hold: average CPU of the server process (cores, from /proc/<pid>/stat) and its peak RSS.
 *    Targets: ≤ 1 core on average and ≤ 1 GiB.
 *  - memory per pod: (RSS once the pods run and the server settled − RSS once the nodes were Ready and settled) ÷
 *    pods, in KB; the same from V8's used heap (the server's /metrics), which leaves out freed-but-kept pages; from
 *    V8's total heap (used plus the free space in its pages: what the heap costs in RSS); and from external memory
 *    (Buffers' contents: the watch cache's stored bytes). Target (issue 5): 10 KB per pod.
 *    TKUBE_BENCH_NODE_ARGS="--flag …" starts the server with V8 flags, to compare heap settings.
 *  - `--heap-snapshots DIR`: the server also writes a V8 heap snapshot into DIR at both of those points
 *    (`--heapsnapshot-signal`), for `node hack/heap-breakdown.mjs` to attribute the memory.
 *  - `--timeline`: the first pods' pipeline second by second on stderr (bench/scale-timeline.ts) and the stages'
 *    durations (created → scheduled → Ready, seconds) in the JSON line, with the most pod events the server's
 *    in-process pods informer was ever behind its watch cache (`maxPodsInformerBehind`, from /metrics; null for a
 *    build without the gauge).
 * Prints one JSON line.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';

import { round } from './latency-summary.js';
import { numberArg, serverArgsArg } from './bench-args.js';
import { ScaleTimeline, podTimesOf, type PodTimes } from './scale-timeline.js';
import { ServerProcess } from './server-process.js';

const CONCURRENCY = 64;
const NAMESPACE = 'scale';

const NODES = numberArg('--nodes', 1000);
const FIRST_PODS = numberArg('--first-pods', 10_000);
const PODS = numberArg('--pods', 100_000);
const HOLD_SECONDS = numberArg('--hold-seconds', 600);
const SETTLE_SECONDS = numberArg('--settle-seconds', 20);
const TIMELINE = process.argv.includes('--timeline');
const snapshotsAt = process.argv.indexOf('--heap-snapshots');
const SNAPSHOT_DIR = snapshotsAt < 0 ? undefined : resolve(process.argv[snapshotsAt + 1] ?? '.');

function pod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { app: 'scale' } },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  });
}

/** cpuSeconds reads a process's user + system CPU time from /proc/<pid>/stat, or one thread's (`tid`; the main thread's is the pid). */
function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is [0], utime is [11], stime is [12] (clock ticks; 100 per second here).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * heapSnapshot has the server write a heap snapshot into SNAPSHOT_DIR (SIGUSR2, see --heapsnapshot-signal) and
 * waits until a new file appeared and stopped growing; it returns the file's name.
 */
async function heapSnapshot(pid: number, label: string): Promise<string | undefined> {
  if (SNAPSHOT_DIR === undefined) return undefined;
  const before = new Set(readdirSync(SNAPSHOT_DIR));
  process.kill(pid, 'SIGUSR2');
  const deadline = performance.now() + 600_000;
  let last = -1;
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const file = readdirSync(SNAPSHOT_DIR).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (file !== undefined) {
      const size = statSync(join(SNAPSHOT_DIR, file)).size;
      // V8 writes the snapshot in one go and ends it with the strings table's closing brackets.
      if (size === last && size > 0 && readFileSync(join(SNAPSHOT_DIR, file)).subarray(-4).toString('latin1').includes(']}')) {
        process.stderr.write(`heap snapshot (${label}): ${join(SNAPSHOT_DIR, file)}\n`);
        return file;
      }
      last = size;
    }
    if (performance.now() > deadline) throw new Error(`Cannot take a heap snapshot (${label}): none written within 600 s`);
  }
}

if (SNAPSHOT_DIR !== undefined) mkdirSync(SNAPSHOT_DIR, { recursive: true });
const started = performance.now();
/**
 * memoryFigures names one memory measure's two samples (MB, nodes Ready and pods Running) and its growth per pod
 * (KB): `<name>NodesReadyMb`, `<name>PodsRunningMb`, `kbPerPod<Name>`.
 */
function memoryFigures(name: string, capitalised: string, nodesReadyMb: number, podsRunningMb: number): Record<string, number> {
  return {
    [`${name}NodesReadyMb`]: round(nodesReadyMb),
    [`${name}PodsRunningMb`]: round(podsRunningMb),
    [`kbPerPod${capitalised}`]: round(((podsRunningMb - nodesReadyMb) * 1024) / PODS),
  };
}

const server = await ServerProcess.start({
  withControllers: true,
  serverArgs: ['--simulated-nodes', String(NODES), ...serverArgsArg()],
  readyTimeoutMs: 600_000,
  ...(SNAPSHOT_DIR !== undefined ? { nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${SNAPSHOT_DIR}`] } : {}),
});
try {
  const agent = server.agent(CONCURRENCY + 2);
  const count = async (path: string, match: (item: Record<string, unknown>) => boolean): Promise<number> => {
    const reply = await server.call(agent, 'GET', path, undefined, { Accept: 'application/json' });
    const items = (JSON.parse(reply.body.toString('utf8')) as { items: Record<string, unknown>[] }).items;
    return items.filter(match).length;
  };
  const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!(await check())) {
      if (performance.now() > deadline) throw new Error(`Cannot benchmark scale: ${what} not reached within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const nodeReady = (n: Record<string, unknown>): boolean =>
    ((n['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  await waitUntil(`${NODES} Ready nodes`, async () => (await count('/api/v1/nodes', nodeReady)) >= NODES, 600_000);
  const nodesAt = performance.now();
  /**
   * memory samples the server's RSS and V8's figures after SETTLE_SECONDS of (mostly) quiet: the used heap, the heap
   * V8 holds (used plus its headroom), and external memory (Buffers' contents, outside the V8 heap but in RSS).
   */
  const memory = async (): Promise<{ rss: number; heap: number; heapTotal: number; external: number }> => {
    await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));
    const metrics = (await server.call(agent, 'GET', '/metrics', undefined, { Accept: 'text/plain' })).body.toString('utf8');
    const mb = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN) / 1024 / 1024;
    return { rss: server.rssMegabytes(), heap: mb('nodejs_heap_size_used_bytes'), heapTotal: mb('nodejs_heap_size_total_bytes'), external: mb('nodejs_external_memory_bytes') };
  };
  const nodesMemory = await memory();
  await heapSnapshot(server.pid, 'nodes ready');
  // The settling and the snapshot are left out of the rates and durations below.
  const pausedMs = performance.now() - nodesAt;
  await server.createNamespace(agent, NAMESPACE);
  // Pods are admitted only once their namespace's default ServiceAccount exists (the serviceaccount controller's).
  await waitUntil('the default ServiceAccount', async () => (await server.call(agent, 'GET', `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/default`)).status === 200, 120_000);

  const running = (p: Record<string, unknown>): boolean => (p['status'] as { phase?: string } | undefined)?.phase === 'Running';
  let created = 0;
  const createUpTo = async (total: number): Promise<void> => {
    const next = { i: created };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next.i++; i < total; i = next.i++) {
          const reply = await server.call(agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, pod(`p-${i}`));
          if (reply.status !== 201) throw new Error(`Cannot create pod p-${i}: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 200)}`);
        }
      }),
    );
    created = total;
  };
  // Counting the pods not yet Running keeps each poll small once most run.
  const podsRunning = () => async () => (await count(`/api/v1/namespaces/${NAMESPACE}/pods?fieldSelector=status.phase!%3DRunning`, (p) => !running(p))) === 0;

  const timeline = TIMELINE ? new ScaleTimeline(server.pid, async () => (await server.call(agent, 'GET', '/metrics', undefined, { Accept: 'text/plain' })).body.toString('utf8')) : undefined;
  const createsFromMs = Date.now();
  timeline?.start();
  // A pods watch of this process's own (over TLS, like any outside client) beside the server's in-process informers:
  // its ADDED events per second show whether the watch cache hands out new pods while the creates run.
  const outsideWatch = timeline
    ? httpsRequest(new URL(`/api/v1/namespaces/${NAMESPACE}/pods?watch=true`, server.url), { agent, headers: { Accept: 'application/json' } }, (res) => {
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk: string) => {
          buffered += chunk;
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            if (buffered.startsWith('{"type":"ADDED"')) timeline.sawOutsideAdd(Date.now());
            buffered = buffered.slice(nl + 1);
          }
        });
        res.on('error', () => undefined);
      })
    : undefined;
  outsideWatch?.on('error', () => undefined);
  outsideWatch?.end();
  await createUpTo(FIRST_PODS);
  await waitUntil(`${FIRST_PODS} running pods`, podsRunning(), 3_600_000);
  const firstAt = performance.now();
  let stages: (ReturnType<typeof ScaleTimeline.stages> & { cpu: ReturnType<ScaleTimeline['cpu']>; mainCpuMsPerPod: number; maxPodsInformerBehind: number | null }) | undefined;
  if (timeline) {
    outsideWatch?.destroy();
    await timeline.stop();
    const reply = await server.call(agent, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods`, undefined, { Accept: 'application/json' });
    const times: PodTimes[] = (JSON.parse(reply.body.toString('utf8')) as { items: Record<string, unknown>[] }).items.map(podTimesOf);
    const cpu = timeline.cpu();
    stages = { ...ScaleTimeline.stages(times), cpu, mainCpuMsPerPod: round((cpu.mainSeconds * 1000) / FIRST_PODS, 2), maxPodsInformerBehind: timeline.maxPodsBehind() ?? null };
    process.stderr.write(`${timeline.table(times, createsFromMs)}\n`);
    // What the server logged about watches and lists (TKUBE_BENCH_LOG_LEVEL=info shows more of them).
    const watchLines = server.log.split('\n').filter((l) => /watch|list/i.test(l));
    process.stderr.write(`server log, watches and lists (${watchLines.length} lines):\n${watchLines.slice(-40).join('\n')}\n`);
  }

  await createUpTo(PODS);
  await waitUntil(`${PODS} running pods`, podsRunning(), 3_600_000);
  const allAt = performance.now();
  const podsMemory = await memory();
  await heapSnapshot(server.pid, 'pods running');

  const samples: { cpu: number; rss: number }[] = [];
  const holdStart = performance.now();
  const cpuStart = cpuSeconds(server.pid);
  const mainCpuStart = cpuSeconds(server.pid, server.pid);
  let peakRss = 0;
  while (performance.now() - holdStart < HOLD_SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, 5000));
    const rss = server.rssMegabytes();
    peakRss = Math.max(peakRss, rss);
    samples.push({ cpu: cpuSeconds(server.pid), rss });
  }
  const holdSeconds = (performance.now() - holdStart) / 1000;
  const cpuCores = (cpuSeconds(server.pid) - cpuStart) / holdSeconds;
  const mainCpuCores = (cpuSeconds(server.pid, server.pid) - mainCpuStart) / holdSeconds;
  process.stdout.write(`${JSON.stringify({
    bench: 'scale',
    serverArgs: serverArgsArg().join(' '),
    nodes: NODES,
    firstPods: FIRST_PODS,
    pods: PODS,
    nodesReadySeconds: round((nodesAt - started) / 1000),
    firstObjectsPerSec: round((NODES + FIRST_PODS) / ((firstAt - started - pausedMs) / 1000)),
    firstPodsRunningSeconds: round((firstAt - nodesAt - pausedMs) / 1000),
    allPodsRunningSeconds: round((allAt - nodesAt - pausedMs) / 1000),
    ...memoryFigures('rss', 'Rss', nodesMemory.rss, podsMemory.rss),
    ...memoryFigures('heap', 'Heap', nodesMemory.heap, podsMemory.heap),
    ...memoryFigures('heapTotal', 'HeapTotal', nodesMemory.heapTotal, podsMemory.heapTotal),
    ...memoryFigures('external', 'External', nodesMemory.external, podsMemory.external),
    holdSeconds: round(holdSeconds),
    holdCpuCores: round(cpuCores, 3),
    holdMainThreadCpuCores: round(mainCpuCores, 3),
    holdPeakRssMb: round(peakRss),
    serverPeakRssMbEver: round(server.rssMegabytes('VmHWM')),
    samples: samples.length,
    ...(stages ? { stages } : {}),
  })}\n`);
  agent.destroy();
} finally {
  await server.stop();
}
