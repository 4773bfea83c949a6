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
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { round } from './latency-summary.js';
import { serverArgs } from './server-process.js';
import { ensureServerBundle } from './server-bundle.js';

const at = process.argv.indexOf('--restarts');
const restarts = at >= 0 ? Number(process.argv[at + 1]) : 5;

/** freePort asks the kernel for a free loopback port (the server must come back on the same one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** readyz resolves true when GET /readyz answers 200 (no credentials needed), false on any other answer or error. */
function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function untilReady(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    if (await readyz(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no /readyz 200 within ${deadlineMs} ms`);
}

const bundle = await ensureServerBundle();
const dataDir = mkdtempSync(join(tmpdir(), 'tkube-bench-restart-'));
const port = await freePort();
const args = serverArgs(bundle, dataDir, port, { withControllers: true, withScheduler: true });
const start = (): ChildProcess => spawn(process.execPath, args, { stdio: 'ignore' });
let child = start();
const times: number[] = [];
try {
  await untilReady(port, child, 60_000);
  for (let i = 0; i < restarts; i++) {
    // Let the controllers settle after the previous start, as a server that has been up a while would be.
    await new Promise((r) => setTimeout(r, 3000));
    const killedAt = performance.now();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    child = start();
    await untilReady(port, child, 60_000);
    times.push(performance.now() - killedAt);
  }
} finally {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
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
