/**
 * Operator test harness benchmark (issue 9): `startTestEnvironment()` to the first reconcile of an object, which is
 * what an operator test waits for before its first assertion. envtest, its upstream counterpart, starts a real
 * kube-apiserver and etcd as processes and takes several seconds.
 * Run: node --import tsx bench/operator-harness.ts [--rounds N] [--cold N]
 *
 * Warm rounds (modules already loaded, as for every test after a file's first): start the environment, make a
 * Manager with one ConfigMap controller, start it, create a ConfigMap, stop the clock when the controller
 * reconciles it; then stop the environment. Cold rounds spawn `node --import tsx` running one round from scratch
 * (module loading and TypeScript included), timed from spawn to the first reconcile. `node -e 0` (spawn to exit)
 * is measured in the same run as the reference. Prints one JSON line.
 * Target: warm start to first reconcile p50 ≤ 1000 ms.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { round, summarizeLatencies } from './latency-summary.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

/** oneRound times start → first reconcile in this process (ms), split into its phases. */
async function oneRound(): Promise<{ totalMs: number; envMs: number; importMs: number }> {
  const ti = performance.now();
  const { startTestEnvironment } = await import('../src/sdk/testing/index.js');
  const { Kinds } = await import('../src/sdk/index.js');
  const t0 = performance.now();
  const importMs = t0 - ti;
  const env = await startTestEnvironment();
  const envMs = performance.now() - t0;
  try {
    const manager = env.newManager({ name: 'bench' });
    const reconciled = new Promise<number>((resolve) => {
      manager.controller('bench').for(Kinds.ConfigMap).complete(async (req) => {
        if (req.key === 'default/first') resolve(performance.now());
      });
    });
    await manager.start();
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first', namespace: 'default' } });
    const at = await reconciled;
    return { totalMs: at - t0, envMs, importMs };
  } finally {
    await env.stop();
  }
}

function exitOf(cmd: string, args: readonly string[]): Promise<{ ms: number; stdout: string; code: number | null }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TKUBE_LOG_LEVEL: 'error' } });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('close', (code) => resolve({ ms: performance.now() - t, stdout, code }));
  });
}

if (process.argv.includes('--child')) {
  // One cold round: report when the first reconcile happened, in the parent's terms (ms since this process began).
  await oneRound();
  process.stdout.write(`${JSON.stringify({ sinceProcessStartMs: performance.now() })}\n`);
  process.exit(0);
}

const rounds = arg('--rounds', 7);
const coldRounds = arg('--cold', 3);
const baseline: number[] = [];
const warm: number[] = [];
const envOnly: number[] = [];
// The first in-process round loads the modules (timed apart); it is not counted as warm.
const firstRound = await oneRound();
for (let r = 0; r < rounds; r++) {
  baseline.push((await exitOf(process.execPath, ['-e', '0'])).ms);
  const { totalMs, envMs } = await oneRound();
  warm.push(totalMs);
  envOnly.push(envMs);
}
const cold: number[] = [];
for (let r = 0; r < coldRounds; r++) {
  const out = await exitOf(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child']);
  if (out.code !== 0) throw new Error(`Cannot time a cold round: the child exited with ${out.code}`);
  const line = out.stdout.trim().split('\n').pop() ?? '{}';
  cold.push((JSON.parse(line) as { sinceProcessStartMs: number }).sinceProcessStartMs);
}
const warmSummary = summarizeLatencies(warm);
const baseSummary = summarizeLatencies(baseline);
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'operator-harness',
    rounds,
    startToFirstReconcileMs: warmSummary,
    environmentStartMs: summarizeLatencies(envOnly),
    firstRound: { moduleLoadMs: round(firstRound.importMs, 1), startToFirstReconcileMs: round(firstRound.totalMs, 1) },
    coldProcessToFirstReconcileMs: summarizeLatencies(cold),
    nodeBaselineMs: baseSummary,
    ratio: round(warmSummary.p50 / baseSummary.p50, 2),
  })}\n`,
);
