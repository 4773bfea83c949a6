/**
 * Join benchmark: `tkube join` of a new node, from exec to the command's exit (it exits once the Node is Ready),
 * against a server with the controllers join depends on (bootstrapsigner, csrapproving, csrsigning, nodeipam).
 * Run: node --import tsx bench/join.ts [--rounds N]
 *
 * Each round creates a token (`tkube token create`, not timed), then times `node bench/results/dist/tkube.mjs join
 * <server> --token … --discovery-token-ca-cert-hash … --runtime process` (discovery with CA pinning, TLS bootstrap,
 * the agent started detached, its serving certificate, registration, Ready), then stops that agent and deletes
 * its Node. `tkube version` (exec to exit) is timed alongside as the reference for CLI start-up, which the join
 * pays twice (join, then the agent). Prints one JSON line. Target: join to Ready p50 ≤ 3 s.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { round, summarizeLatencies } from './latency-summary.js';
import { ensureServerBundle } from './server-bundle.js';
import { ServerProcess } from './server-process.js';

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(process.argv[roundsArg + 1]) : 5;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function run(args: readonly string[]): Promise<Ran> {
  const t = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TKUBE_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr, ms: performance.now() - t }));
  });
}

async function stopPidFile(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const pid = Number(readFileSync(path, 'utf8').trim());
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL');
}

const bundle = await ensureServerBundle();
const server = await ServerProcess.start({ withControllers: true });
const kubeconfig = join(server.dataDir, 'bench.kubeconfig');
const work = mkdtempSync(join(tmpdir(), 'tkube-bench-join-'));
const joins: number[] = [];
const versions: number[] = [];
try {
  for (let i = 0; i < rounds; i++) {
    versions.push((await run([bundle, 'version'])).ms);
    const token = await run([bundle, 'token', 'create', '--kubeconfig', kubeconfig]);
    if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
    const args = token.stdout.trim().split(' ').slice(2);
    const dataDir = join(work, `node-${i}`);
    const node = `bench-join-${process.pid}-${i}`;
    const joined = await run([bundle, 'join', ...args, '--runtime', 'process', '--node-name', node, '--node-ip', '127.0.0.1', '--kubelet-port', '0', '--data-dir', dataDir, '--wait-timeout', '60']);
    await stopPidFile(join(dataDir, 'agent.pid'));
    if (joined.code !== 0) throw new Error(`join failed: ${joined.stdout}\n${joined.stderr}`);
    joins.push(joined.ms);
    const del = await run([bundle, 'token', 'delete', '--kubeconfig', kubeconfig, args[2] ?? '']);
    if (del.code !== 0) throw new Error(`token delete failed: ${del.stderr}`);
  }
  const joinToReady = summarizeLatencies(joins);
  const cliStart = summarizeLatencies(versions);
  process.stdout.write(`${JSON.stringify({ benchmark: 'join', rounds, joinToReadyMs: joinToReady, cliStartMs: cliStart, joinMinusTwoCliStartsP50Ms: round(joinToReady.p50 - 2 * cliStart.p50) })}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await server.stop();
}
