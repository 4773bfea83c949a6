/**
 * `tkube up` benchmark: the path a user takes, `node --enable-source-maps dist/tkube.mjs up` (what `./tkube up`
 * execs once its bundle is built), from exec to the command's exit. `up` exits once `/readyz` answers and the
 * node is Ready, so that is the time until kubectl can use the cluster. Then the idle server's RSS.
 * Run: node --import tsx bench/up.ts [--rounds N] [--idle-seconds N] [--runtime process|runc] [--bundle PATH] [--server-args "<flags>"]
 * (`--bundle` times another build, e.g. one of an older commit made with `hack/build.mjs --outdir bench/results/x`)
 *
 * Every round starts from an empty data dir (certificates, database and bootstrap objects are made: a first `up`),
 * then `tkube down` stops it (not timed). `node -e 0` (spawn to exit) and `tkube version` (spawn to exit: loading
 * the bundle) are timed in the same run as references. Ports are 0 (free ones), the kubeconfig is not merged, the
 * runtime is `process` by default (runc needs root and makes a bridge; `--runtime runc` names its own bridge).
 * After the last round the server idles for --idle-seconds and its VmRSS is read from /proc. Prints one JSON line.
 * Targets (issue 8): up to node Ready ≤ 5 s; idle RSS ≤ 256 MB.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { round, summarizeLatencies } from './latency-summary.js';
import { ensureServerBundle } from './server-bundle.js';
import { treeRssMegabytes } from './server-process.js';
import { serverArgsArg } from './bench-args.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const rounds = Number(arg('--rounds', '3'));
const idleSeconds = Number(arg('--idle-seconds', '10'));
const runtime = arg('--runtime', 'process');

interface Ran {
  readonly code: number;
  readonly output: string;
  readonly ms: number;
}

function run(args: readonly string[]): Promise<Ran> {
  const t = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('close', (code) => done({ code: code ?? 1, output, ms: performance.now() - t }));
  });
}

const bundleArg = arg('--bundle', '');
const bundle = bundleArg !== '' ? bundleArg : await ensureServerBundle();
const cli = ['--enable-source-maps', bundle];
const upFlags = (dataDir: string): string[] => [
  'up', '--data-dir', dataDir, '--https-listen-port', '0', '--ingress-http-port', '0', '--ingress-https-port', '0',
  '--cluster-dns-port', '0', '--kubelet-port', '0', '--no-kubeconfig-merge', '--node-name', 'bench-up',
  '--container-runtime', runtime, ...(runtime === 'runc' ? ['--pod-bridge-name', 'tkbenchup0'] : []), ...serverArgsArg(),
];
const dirs: string[] = [];
let lastDir: string | undefined;
try {
  const baseline: number[] = [];
  const version: number[] = [];
  const up: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baseline.push((await run(['-e', '0'])).ms);
    version.push((await run([...cli, 'version'])).ms);
    const dir = mkdtempSync(join(tmpdir(), 'tkube-bench-up-'));
    dirs.push(dir);
    const ran = await run([...cli, ...upFlags(dir)]);
    if (ran.code !== 0) throw new Error(`tkube up exited ${ran.code}: ${ran.output.trim().split('\n').slice(-8).join('\n')}`);
    up.push(ran.ms);
    lastDir = dir;
    if (r < rounds - 1) await run([...cli, 'down', '--data-dir', dir]);
  }
  const pid = (JSON.parse(readFileSync(join(lastDir ?? '', 'server.json'), 'utf8')) as { pid: number }).pid;
  const rssAtReadyMb = treeRssMegabytes(pid);
  await new Promise((res) => setTimeout(res, idleSeconds * 1000));
  const idleRssMb = treeRssMegabytes(pid);
  const upMs = summarizeLatencies(up);
  const base = summarizeLatencies(baseline);
  process.stdout.write(`${JSON.stringify({
    bench: 'up',
    serverArgs: serverArgsArg().join(' '),
    bundle,
    runtime,
    rounds,
    nodeE0Ms: base,
    versionMs: summarizeLatencies(version),
    upToNodeReadyMs: upMs,
    ratio: round(upMs.p50 / base.p50, 2),
    rssAtReadyMb: round(rssAtReadyMb),
    idleSeconds,
    idleRssMb: round(idleRssMb),
  })}\n`);
} finally {
  if (lastDir) await run([...cli, 'down', '--data-dir', lastDir]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
