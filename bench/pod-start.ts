/**
 * Pod start benchmark (issue 6), on a real runc node embedded in the server, against references measured in
 * the same run on the same machine and the same busybox layer:
 *   - latency: a pod POSTed (already bound to the node, so the scheduler is not measured) until a watch sees it
 *     Running, one at a time; reference: mount an overlay of the image layer + `runc create` + `runc start` of a
 *     container running the same command (the least any runc-based runtime does).
 *   - throughput: 200 pods POSTed at once until all are Running; reference: the same 200 containers started by
 *     `xargs -P 4` running overlay mount + `runc run -d` each.
 *   - the same latency against containerd: `ctr run -d` of the same image on a private containerd (ctr-run-reference.ts;
 *     skipped, with a reason, when containerd is not installed).
 *   - exec round trip: `kubectl exec <pod> -- true` (the real kubectl) beside `runc exec <container> true` on the
 *     same container.
 *   - idle RSS: the server with its node, 10 s after the last pod went away, beside the same server without a node.
 * The node gets its own bridge and cluster CIDR (not the default tkube0 / 10.42.0.0/16 a local cluster may use), and
 * a failed run still removes its pods' containers, mounts and netns, the bridge and the nftables table.
 * Run (root, runc, busybox-static): node --import tsx bench/pod-start.ts [--pods 20] [--burst 200] [--execs 20]
 * [--burst-only] [--warm-burst N]. Prints one JSON line. `--burst-only` measures the burst and its reference alone. Started inside a
 * cpuacct cgroup of its own, the bench also reports the whole group's CPU per pod for the burst and the reference
 * (`burstGroupCpuMsPerPod`). With TKUBE_POD_START_TRACE=<file> the server records each pod's start steps there and the
 * bench adds when each pod was posted and seen Running: `bench/pod-start-trace.ts <file>` reads it. The burst's own
 * figures also give the bench's CPU per pod (`benchCpuMsPerPod`, inside the group's) and the burst's window on the
 * monotonic clock (`burstMonotonicUs`, for `bench/cpu-profile-summary.ts --from --to` and `perf -k CLOCK_MONOTONIC`)
 * and the wall clock (`burstWallMs`, for `strace -ttt`).
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { imageStoreRoot } from '../src/boot/images.js';
import { RestClient } from '../src/client/rest-client.js';
import { numberArg } from './bench-args.js';
import { ctrRunReference } from './ctr-run-reference.js';
import { round, summarizeLatencies as summarize } from './latency-summary.js';
import { cleanUpBenchNode } from './bench-node-cleanup.js';
import { ServerProcess } from './server-process.js';

const run = promisify(execFile);
const PODS = numberArg('--pods', 20);
const BURST = numberArg('--burst', 200);
const EXECS = numberArg('--execs', 20);
/**
 * --warm-burst N: before the measured burst, start N pods at once and delete them. By default (0) the burst is the
 * server's first; with N = 200 it measures a server whose start paths have run (and been optimised by V8) before
 * (docs/benchmarks.md, issue 6 session 12: the server used about a third less CPU per pod in such a burst).
 */
const WARM_BURST = numberArg('--warm-burst', 0);
/** --burst-only: the warm pod, the burst and its `xargs -P 4` reference; no single starts, exec, ctr or RSS figures. */
const BURST_ONLY = process.argv.includes('--burst-only');
const IMAGE = 'busybox:1.36';
// What the node makes on the host, named so that nothing else on the machine uses the same names.
const BRIDGE = `tkb${process.pid % 1_000_000}`;
const CLUSTER_CIDR = '10.252.0.0/16';
const NODE_NAME = `bench-${process.pid}`;
const NFT_TABLE = `tkube-${NODE_NAME}`;
const PODS_PATH = { version: 'v1', resource: 'pods', namespace: 'default' } as const;

interface PodLike {
  metadata?: { name?: string };
  status?: { phase?: string; containerStatuses?: { containerID?: string }[] };
}

/** timeRepeated runs `once` n times, one after another, and returns each duration in ms. */
async function timeRepeated(n: number, once: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once();
    out.push(performance.now() - t0);
  }
  return out;
}

/** runcReference times overlay + runc create + start (one at a time) and overlay + runc run -d (4 at a time). */
async function runcReference(layerDir: string, count: number, burst: number): Promise<{ startMs: number[]; burstSeconds: number; burstGroupCpuSeconds?: number }> {
  const base = mkdtempSync(join(tmpdir(), 'tkube-bench-runc-'));
  const root = join(base, 'runc');
  execFileSync('runc', ['spec'], { cwd: base });
  const config = JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')) as { process: { args: string[]; terminal: boolean }; root: { path: string; readonly: boolean } };
  config.process.args = ['sleep', '3600'];
  config.process.terminal = false;
  const prepare = async (id: string): Promise<string> => {
    const dir = join(base, id);
    for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(dir, d), { recursive: true });
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${layerDir},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, join(dir, 'rootfs')]);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, root: { path: join(dir, 'rootfs'), readonly: false } }));
    return dir;
  };
  const startMs: number[] = [];
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const id = `ref-${process.pid}-${i}`;
      const t0 = performance.now();
      const dir = await prepare(id);
      // Not through execFile's pipes: the container (`runc init`, then sleep) inherits runc's stdio, so the pipes
      // would stay open, and the call unresolved, for as long as the container lives.
      await runDetachedStdio('runc', ['--root', root, 'create', '--bundle', dir, id]);
      await run('runc', ['--root', root, 'start', id]);
      startMs.push(performance.now() - t0);
      ids.push(id);
    }
    // Burst: a shell per container doing what one start needs, four at a time.
    const script = join(base, 'start-one.sh');
    writeFileSync(
      script,
      `set -e; d=${base}/$1; mkdir -p $d/rootfs $d/upper $d/work; mount -t overlay overlay -o lowerdir=${layerDir},upperdir=$d/upper,workdir=$d/work $d/rootfs; ` +
        `sed "s#\\"path\\": *\\"[^\\"]*\\"#\\"path\\":\\"$d/rootfs\\"#" ${base}/burst-config.json > $d/config.json; runc --root ${root} run -d --bundle $d $1 >/dev/null 2>&1 </dev/null\n`,
    );
    writeFileSync(join(base, 'burst-config.json'), JSON.stringify({ ...config, root: { path: 'PLACEHOLDER', readonly: false } }, null, 1));
    const burstIds = Array.from({ length: burst }, (_, i) => `burst-${process.pid}-${i}`);
    const t0 = performance.now();
    const cpu0 = groupCpuSeconds();
    const r = spawnSync('sh', ['-c', `printf '%s\\n' ${burstIds.join(' ')} | xargs -P 4 -n 1 sh ${script}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const burstSeconds = (performance.now() - t0) / 1000;
    const cpu1 = groupCpuSeconds();
    if (r.status !== 0) throw new Error(`reference burst failed: ${r.stderr.toString().slice(0, 500)}`);
    ids.push(...burstIds);
    return { startMs, burstSeconds, ...(cpu0 !== undefined && cpu1 !== undefined ? { burstGroupCpuSeconds: cpu1 - cpu0 } : {}) };
  } finally {
    spawnSync('sh', ['-c', `runc --root ${root} list -q 2>/dev/null | xargs -r -n 20 -P 2 sh -c 'for i; do runc --root ${root} delete --force $i; done' _; grep -o '${base}[^ ]*' /proc/mounts | xargs -r -n1 umount -l; true`]);
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * groupCpuSeconds is the CPU time (user + system) of every process in this process's cpuacct cgroup, or undefined
 * when it is the root one. Started in a cgroup of its own (see docs/benchmarks.md, Issue 6), the bench, the server,
 * the server's host commands, shims and runc runs and the reference's shells and runc runs all count: the whole
 * machine's cost of a start, which does not depend on what else loads the machine as wall time does.
 */
function groupCpuSeconds(): number | undefined {
  const path = /^\d+:cpuacct(?:,[^:]*)?:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (path === undefined || path === '/') return undefined;
  try {
    return Number(readFileSync(join('/sys/fs/cgroup/cpuacct', path, 'cpuacct.usage'), 'utf8')) / 1e9;
  } catch {
    return undefined;
  }
}

/** runDetachedStdio runs a command with no stdio (its children may outlive it) and rejects on a non-zero exit. */
function runDetachedStdio(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', fail);
    child.on('exit', (code, signal) => (code === 0 ? done() : fail(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}`))));
  });
}

/** waitRunning resolves once the watch has seen every named pod Running. */
async function watchUntilRunning(client: RestClient, names: Set<string>, resourceVersion: string, seen: Map<string, number>, signal: AbortSignal): Promise<void> {
  for await (const ev of client.watch(PODS_PATH, { resourceVersion, signal })) {
    const pod = ev.object as PodLike;
    const name = pod.metadata?.name ?? '';
    if (names.has(name) && pod.status?.phase === 'Running' && !seen.has(name)) seen.set(name, performance.now());
    if ([...names].every((n) => seen.has(n))) return;
  }
}

const server = await ServerProcess.start({ withControllers: true, withNode: true, readyTimeoutMs: 120_000, serverArgs: ['--pod-bridge-name', BRIDGE, '--cluster-cidr', CLUSTER_CIDR] });
const result: Record<string, unknown> = {};
const metricsAgent = server.agent(1);

/**
 * requestCounts reads the server's apiserver_request_total, summed by `<VERB> <resource>[/<subresource>]` over codes
 * and scopes: taken before and after the burst, the difference is what the API served for it — every client's
 * requests (the kubelet's, the bench's creates and watch, the controllers') — which bench reports per pod.
 */
async function requestCounts(): Promise<Map<string, number>> {
  const reply = await server.call(metricsAgent, 'GET', '/metrics', undefined, { Accept: 'text/plain' });
  const counts = new Map<string, number>();
  for (const line of reply.body.toString('utf8').split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (name: string): string => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
    const sub = label('subresource');
    const key = `${label('verb')} ${label('resource')}${sub ? `/${sub}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/**
 * eventsWritten waits (up to 60 s) until the server has served `count` event POSTs since `before`: the kubelet's
 * Pulled, Created and Started of each burst pod, which may trail the pod's Running status. The burst's CPU figures
 * are read after it, so the events' cost counts whenever they are written. Records in `result` whether they all
 * came and how long after Running.
 */
async function eventsWritten(before: Map<string, number>, count: number): Promise<void> {
  const t0 = performance.now();
  for (const deadline = Date.now() + 60_000; ; ) {
    const written = ((await requestCounts()).get('POST events') ?? 0) - (before.get('POST events') ?? 0);
    if (written >= count || Date.now() > deadline) {
      result['burstEventsAfterRunning'] = { written, expected: count, seconds: round((performance.now() - t0) / 1000, 2) };
      return;
    }
    // Not faster: a /metrics scrape costs the server a few ms of CPU, counted in the figures.
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** perPod is the difference of two requestCounts per pod, largest first, leaving out what stayed the same. */
function perPod(before: Map<string, number>, after: Map<string, number>, pods: number): Record<string, number> {
  const out: [string, number][] = [];
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out.push([k, round((v - (before.get(k) ?? 0)) / pods, 2)]);
  return Object.fromEntries(out.sort((a, b) => b[1] - a[1]));
}

/** burstFigures writes the burst's figures beside the `xargs -P 4 runc run` reference of the same run. */
function burstFigures(burst: { totalSeconds: number; groupCpuSeconds?: number }, ref: { burstSeconds: number; burstGroupCpuSeconds?: number }): void {
  result['loadAverage'] = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  result['burstPodsPerSec'] = round(BURST / burst.totalSeconds, 2);
  result['runcBurstPerSec'] = round(BURST / ref.burstSeconds, 2);
  result['burstThroughputRatio'] = round(ref.burstSeconds / burst.totalSeconds, 2);
  if (burst.groupCpuSeconds !== undefined && ref.burstGroupCpuSeconds !== undefined) {
    result['burstGroupCpuMsPerPod'] = { tkube: round((burst.groupCpuSeconds * 1000) / BURST), runc: round((ref.burstGroupCpuSeconds * 1000) / BURST) };
  }
}
try {
  const client = RestClient.fromKubeconfig(join(server.dataDir, 'bench.kubeconfig'), { userAgent: 'bench-pod-start' });
  const nodeName = NODE_NAME;
  for (const deadline = Date.now() + 60_000; ; ) {
    const node = await client.get({ version: 'v1', resource: 'nodes', name: nodeName }).catch(() => undefined);
    if ((node as { status?: { conditions?: { type: string; status: string }[] } } | undefined)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
    if (Date.now() > deadline) throw new Error('the node did not become Ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  const podOf = (name: string): object => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  });
  // TKUBE_POD_START_TRACE (the server's steps of each pod start, see src/agent/pod-start-trace.ts) also gets when each
  // pod was posted and seen Running here, for bench/pod-start-trace.ts to put beside the server's steps.
  const tracePath = process.env['TKUBE_POD_START_TRACE'];
  const trace = (posted: Map<string, number>, created: Map<string, number>, seen: Map<string, number>): void => {
    if (tracePath === undefined || tracePath === '') return;
    const at = (ms: number | undefined): number => Math.round((performance.timeOrigin + (ms ?? 0)) * 100) / 100;
    const lines = [...posted.keys()].flatMap((n) => [{ k: 'bench', s: 'posted', t0: at(posted.get(n)), t1: at(posted.get(n)), n }, { k: 'bench', s: 'created', t0: at(created.get(n)), t1: at(created.get(n)), n }, { k: 'bench', s: 'running', t0: at(seen.get(n)), t1: at(seen.get(n)), n }]);
    appendFileSync(tracePath, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  };
  /**
   * startPods posts the pods and waits until all are Running; `settle`, when given, is awaited after that and before
   * the CPU figures are read (so work that trails Running, such as the kubelet's events, is counted).
   */
  const startPods = async (names: string[], parallel: boolean, settle?: () => Promise<void>): Promise<{ perPodMs: number[]; totalSeconds: number; serverCpuSeconds: number; benchCpuSeconds: number; monotonicUs: [number, number]; wallMs: [number, number]; groupCpuSeconds?: number }> => {
    const cpu0 = server.cpuSeconds();
    const group0 = groupCpuSeconds();
    const bench0 = process.cpuUsage();
    const mono0 = Number(process.hrtime.bigint() / 1000n);
    const wall0 = Date.now();
    const list = (await client.list(PODS_PATH)) as { metadata?: { resourceVersion?: string } };
    const seen = new Map<string, number>();
    const posted = new Map<string, number>();
    const created = new Map<string, number>();
    const abort = new AbortController();
    const watching = watchUntilRunning(client, new Set(names), list.metadata?.resourceVersion ?? '0', seen, abort.signal);
    const t0 = performance.now();
    if (parallel) {
      await Promise.all(names.map(async (n) => {
        posted.set(n, performance.now());
        await client.create(PODS_PATH, podOf(n) as never);
        created.set(n, performance.now());
      }));
    } else {
      for (const n of names) {
        posted.set(n, performance.now());
        await client.create(PODS_PATH, podOf(n) as never);
        created.set(n, performance.now());
        while (!seen.has(n)) await new Promise((r) => setTimeout(r, 5));
      }
    }
    await watching;
    const totalSeconds = (performance.now() - t0) / 1000;
    abort.abort();
    trace(posted, created, seen);
    await settle?.();
    const group1 = groupCpuSeconds();
    const bench1 = process.cpuUsage(bench0);
    const monotonicUs: [number, number] = [mono0, Number(process.hrtime.bigint() / 1000n)];
    const wallMs: [number, number] = [wall0, Date.now()];
    return { perPodMs: names.map((n) => (seen.get(n) ?? 0) - (posted.get(n) ?? 0)), totalSeconds, serverCpuSeconds: server.cpuSeconds() - cpu0, benchCpuSeconds: (bench1.user + bench1.system) / 1e6, monotonicUs, wallMs, ...(group0 !== undefined && group1 !== undefined ? { groupCpuSeconds: group1 - group0 } : {}) };
  };
  const deleteAll = async (): Promise<void> => {
    // On a loaded machine the collection delete (one storage write per pod) can outlast the client's 60 s: the
    // server goes on deleting, and the loop below waits for it.
    await client.deleteCollection(PODS_PATH, {}, { gracePeriodSeconds: 0 }).catch((err: unknown) => process.stderr.write(`deleting the pods: ${err instanceof Error ? err.message : String(err)} (waiting on)\n`));
    for (const deadline = Date.now() + 300_000; ; ) {
      const left = ((await client.list(PODS_PATH)) as { items: unknown[] }).items.length;
      const containers = readdirSync(join(server.dataDir, 'agent', 'runc', 'containers')).length;
      if (left === 0 && containers === 0) break;
      if (Date.now() > deadline) throw new Error(`pods did not go away (${left} left, ${containers} containers)`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  // Warm up (the image is unpacked on the first container, the shim compiled on the first start).
  await startPods(['warm'], false);
  if (WARM_BURST > 0) {
    // A server that has run a burst before: its hot paths are compiled by V8 (see --warm-burst above).
    await deleteAll();
    await startPods(Array.from({ length: WARM_BURST }, (_, i) => `warm-${i}`), true);
  }
  if (BURST_ONLY) {
    await deleteAll();
    const requests0 = await requestCounts();
    const burst = await startPods(Array.from({ length: BURST }, (_, i) => `burst-${i}`), true, () => eventsWritten(requests0, 3 * BURST));
    process.stderr.write(`burst: ${BURST} pods Running in ${round(burst.totalSeconds, 2)} s\n`);
    result['burstRequestsPerPod'] = perPod(requests0, await requestCounts(), BURST);
    await deleteAll();
    const layers = readdirSync(join(server.dataDir, 'agent', 'images', 'layers')).filter((d) => !d.startsWith('.'));
    const ref = await runcReference(join(server.dataDir, 'agent', 'images', 'layers', layers[0] ?? ''), 0, BURST);
    result['serverCpuMsPerPod'] = { burst: round((burst.serverCpuSeconds * 1000) / BURST) };
    result['benchCpuMsPerPod'] = { burst: round((burst.benchCpuSeconds * 1000) / BURST) };
    // The burst's window on the two clocks a profile or trace of it may carry: V8's and perf's (-k CLOCK_MONOTONIC)
    // monotonic microseconds, and strace's -ttt wall clock.
    result['burstMonotonicUs'] = burst.monotonicUs;
    result['burstWallMs'] = burst.wallMs;
    burstFigures(burst, ref);
  } else {
    // Exec round trip on the warm pod: kubectl → API server → kubelet → runc exec, beside runc exec alone.
    const warm = (await client.get({ ...PODS_PATH, name: 'warm' })) as PodLike;
    const containerId = /^runc:\/\/(.+)$/.exec(warm.status?.containerStatuses?.[0]?.containerID ?? '')?.[1];
    if (containerId === undefined) throw new Error(`the warm pod has no runc container ID (${warm.status?.containerStatuses?.[0]?.containerID ?? 'none'})`);
    const kubeconfig = join(server.dataDir, 'bench.kubeconfig');
    const kubectlExec = await timeRepeated(EXECS, () => run('kubectl', ['--kubeconfig', kubeconfig, 'exec', 'warm', '-c', 'c', '--', 'true'])).catch((err: unknown) => {
      // The other figures still stand without this one.
      result['execError'] = `kubectl exec failed: ${err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err)}`;
      return [] as number[];
    });
    const runcExec = await timeRepeated(EXECS, () => run('runc', ['--root', join(server.dataDir, 'agent', 'runc', 'runc'), 'exec', containerId, 'true']));
    await deleteAll();
    const single = await startPods(Array.from({ length: PODS }, (_, i) => `one-${i}`), false);
    await deleteAll();
    const requests0 = await requestCounts();
    const burst = await startPods(Array.from({ length: BURST }, (_, i) => `burst-${i}`), true, () => eventsWritten(requests0, 3 * BURST));
    process.stderr.write(`burst: ${BURST} pods Running in ${round(burst.totalSeconds, 2)} s\n`);
    result['burstRequestsPerPod'] = perPod(requests0, await requestCounts(), BURST);
    await deleteAll();
    await new Promise((r) => setTimeout(r, 10_000));
    result['idleRssWithNodeMb'] = round(server.rssMegabytes());

    const layers = readdirSync(join(server.dataDir, 'agent', 'images', 'layers')).filter((d) => !d.startsWith('.'));
    if (layers.length !== 1) throw new Error(`expected the one busybox layer, found ${layers.length}`);
    const ref = await runcReference(join(server.dataDir, 'agent', 'images', 'layers', layers[0] ?? ''), PODS, BURST);
    const ctrRef = await ctrRunReference(imageStoreRoot(server.dataDir), IMAGE, PODS);

    const pod = summarize(single.perPodMs);
    const refStart = summarize(ref.startMs);
    result['podStartMs'] = { p50: round(pod.p50), p99: round(pod.p99), max: round(pod.max) };
    result['runcCreateStartMs'] = { p50: round(refStart.p50), p99: round(refStart.p99) };
    result['podStartP50Ratio'] = round(pod.p50 / refStart.p50, 2);
    if ('skipped' in ctrRef) {
      result['ctrRunSkipped'] = ctrRef.skipped;
    } else {
      const ctrRun = summarize(ctrRef.startMs);
      result['ctrRunMs'] = { p50: round(ctrRun.p50), p99: round(ctrRun.p99) };
      result['podStartVsCtrRunP50Ratio'] = round(pod.p50 / ctrRun.p50, 2);
    }
    const kubectlExecMs = summarize(kubectlExec);
    const runcExecMs = summarize(runcExec);
    if (kubectlExec.length > 0) result['kubectlExecMs'] = { p50: round(kubectlExecMs.p50), p99: round(kubectlExecMs.p99) };
    result['runcExecMs'] = { p50: round(runcExecMs.p50), p99: round(runcExecMs.p99) };
    if (kubectlExec.length > 0) result['execP50Ratio'] = round(kubectlExecMs.p50 / runcExecMs.p50, 2);
    // The server's own CPU per pod (user + system, its child processes not counted): the cost of our code path,
    // comparable between runs at different loads where the wall-time figures are not.
    result['serverCpuMsPerPod'] = { single: round((single.serverCpuSeconds * 1000) / PODS), burst: round((burst.serverCpuSeconds * 1000) / BURST) };
    burstFigures(burst, ref);
  }
  client.close();
  metricsAgent.destroy();
} catch (err) {
  process.stderr.write(`pod-start benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  // Whatever the kubelet left (a failed run) goes before the data dir does: pods through the runtime that made them
  // (containers, mounts, netns, cgroups), as `tkube down` does; then, should that have failed, by hand; then the
  // bridge and the nftables table by the names given above (idempotent).
  await server.halt();
  await cleanUpBenchNode(server.dataDir, { bridge: BRIDGE, table: NFT_TABLE, podCidr: CLUSTER_CIDR });
  await server.stop();
}
if (process.exitCode === 1) process.exit(1);
if (BURST_ONLY) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
const bare = await ServerProcess.start({ withControllers: true, readyTimeoutMs: 120_000 });
try {
  await new Promise((r) => setTimeout(r, 10_000));
  result['idleRssWithoutNodeMb'] = round(bare.rssMegabytes());
} finally {
  await bare.stop();
}
result['nodeRssShareMb'] = round((result['idleRssWithNodeMb'] as number) - (result['idleRssWithoutNodeMb'] as number));
process.stdout.write(`${JSON.stringify(result)}\n`);
