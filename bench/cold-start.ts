/**
 * Cold-start benchmark: exec of the bundled server on an existing data dir until `/readyz` answers 200, against
 * `node -e 0` in the same run; then the idle server's RSS.
 * Run: node --import tsx bench/cold-start.ts [--rounds N] [--idle-seconds N] [--server-args "<server flags>"] (RSS: the server and its descendants)
 *
 * A first server start creates the data dir (certificates, database, bootstrap objects) and is stopped. Each round
 * then times `node -e 0` (spawn to exit) and `node bench/results/dist/tkube.mjs server …` (spawn to the first 200
 * of GET /readyz, polled every 5 ms on a port chosen beforehand), alternating. After the last round the server
 * stays idle for 10 s and its VmRSS is read from /proc. Prints one JSON line.
 * Targets: ready p50 ≤ 10 × `node -e 0` p50 (and < 1 s); idle RSS ≤ 150 MB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Agent } from 'node:https';

import { freePort } from '../src/base/net/free-port.js';
import { round, summarizeLatencies } from './latency-summary.js';
import { ensureServerBundle } from './server-bundle.js';
import { ServerProcess, readCredentials, serverArgs, treeRssMegabytes, waitForReadyz } from './server-process.js';
import { serverArgsArg } from './bench-args.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('--rounds', 5);
const idleSeconds = arg('--idle-seconds', 10);
const READY_TIMEOUT_MS = 30_000;

/** exited resolves when child exits. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** stopChild sends SIGTERM to child (SIGKILL after 10 s) and waits for it to exit. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

/** nodeBaseline times one `node -e 0`, spawn to exit, in ms. */
async function nodeBaseline(): Promise<number> {
  const t = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await exited(child);
  return performance.now() - t;
}

const bundle = await ensureServerBundle();
const first = await ServerProcess.start();
const dataDir = first.dataDir;
await first.halt();
const creds = readCredentials(dataDir);
let last: ChildProcess | undefined;
try {
  const baseline: number[] = [];
  const ready: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baseline.push(await nodeBaseline());
    const port = await freePort();
    const agent = new Agent({ keepAlive: false, ca: creds.ca, cert: creds.cert, key: creds.key });
    const t = performance.now();
    const child = spawn(process.execPath, [...serverArgs(bundle, dataDir, port, { withControllers: true }), ...serverArgsArg()], { stdio: 'ignore', env: { ...process.env, TKUBE_LOG_LEVEL: 'warn' } });
    last = child;
    await waitForReadyz(child, port, agent, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 5, what: 'Cannot time the cold start' });
    ready.push(performance.now() - t);
    agent.destroy();
    if (r < rounds - 1) await stopChild(child);
  }
  const pid = last?.pid ?? -1;
  const rssAtReadyMb = treeRssMegabytes(pid);
  await new Promise((res) => setTimeout(res, idleSeconds * 1000));
  const idleRssMb = treeRssMegabytes(pid);
  const base = summarizeLatencies(baseline);
  const start = summarizeLatencies(ready);
  process.stdout.write(`${JSON.stringify({
    bench: 'cold-start',
    serverArgs: serverArgsArg().join(' '),
    rounds,
    nodeE0Ms: base,
    readyMs: start,
    ratio: round(start.p50 / base.p50, 2),
    rssAtReadyMb: round(rssAtReadyMb),
    idleSeconds,
    idleRssMb: round(idleRssMb),
  })}\n`);
} finally {
  if (last) await stopChild(last);
  rmSync(dataDir, { recursive: true, force: true });
}
