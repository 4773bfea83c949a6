/**
 * Restart benchmark (issue 11 item 8's "/readyz within 5 s"): `kill -9` of a `tkube server` (control plane with its
 * controllers and scheduler, no agent) holding a small workload, then a start on the same data dir and port; the time
 * from the kill to the first `/readyz` 200, polled every 25 ms. The reliability suite's restarts test checks
 * everything else of item 8 but starts its servers through tsx, whose compile time would dominate this figure; this
 * runs the shipped bundle (the bench bundle: TKUBE_BENCH_BUNDLE, or bench/results/dist built from the tree).
 * Run: node --import tsx bench/restart-readyz.ts [--restarts N]
 * Prints one JSON line: every restart's kill → ready time, and their median and max. Bound: ≤ 5 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../src/base/net/free-port.js';
import { round } from './latency-summary.js';
import { serverArgs, waitForReadyz } from './server-process.js';
import { ensureServerBundle } from './server-bundle.js';

const at = process.argv.indexOf('--restarts');
const restarts = at >= 0 ? Number(process.argv[at + 1]) : 5;

/** kill9 kills `child` with SIGKILL, the fault being measured, and resolves once it has exited. */
async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

const bundle = await ensureServerBundle();
const dataDir = mkdtempSync(join(tmpdir(), 'tkube-bench-restart-'));
const port = await freePort();
const args = serverArgs(bundle, dataDir, port, { withControllers: true, withScheduler: true });
const start = (): ChildProcess => spawn(process.execPath, args, { stdio: 'ignore' });
/** /readyz needs no credentials; the server's CA is its own, made at first start, so it is not checked. */
const agent = new Agent({ keepAlive: false, rejectUnauthorized: false });
const ready = (c: ChildProcess): Promise<void> => waitForReadyz(c, port, agent, { timeoutMs: 60_000, intervalMs: 25, what: 'Cannot time the restart' });
let child = start();
const times: number[] = [];
try {
  await ready(child);
  for (let i = 0; i < restarts; i++) {
    // Let the controllers settle after the previous start, as a server that has been up a while would be.
    await new Promise((r) => setTimeout(r, 3000));
    const killedAt = performance.now();
    await kill9(child);
    child = start();
    await ready(child);
    times.push(performance.now() - killedAt);
  }
} finally {
  await kill9(child);
  rmSync(dataDir, { recursive: true, force: true });
}
const sorted = [...times].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    bench: 'restart-readyz',
    restarts,
    killToReadyMs: times.map((t) => round(t)),
    medianMs: round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    boundMs: 5000,
  }),
);
