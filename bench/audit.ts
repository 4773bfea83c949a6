/**
 * Audit log benchmark: durable creates per second on a server with its default audit log (Metadata level, buffered
 * writes to <data-dir>/logs/audit.log) against the same creates on a server started with `--disable-audit-log`, in
 * the same run.
 * Run: node --import tsx bench/audit.ts [--seconds N] [--rounds N] [--rebuild]
 *
 * 64 keep-alive HTTPS clients per server (admin client certificate) POST ~2 KiB Pods; phases alternate between the
 * servers so machine noise hits both alike. `--rebuild` rebuilds the bundle first (bench/run.ts does once per run;
 * otherwise an existing bench/results/dist bundle is used, as by every benchmark).
 * Prints one JSON line (with the audit events and bytes the audited server wrote). Target: ratio ≥ 0.9.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { benchPod } from './bench-pod.js';
import { runClosedLoop } from './closed-loop.js';
import { round } from './latency-summary.js';
import { buildServerBundle } from './server-bundle.js';
import { ServerProcess } from './server-process.js';

const CONCURRENCY = 64;
const WARMUP = 256;
const NAMESPACE = 'bench';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const phaseSeconds = arg('--seconds', 6);
const rounds = arg('--rounds', 3);

if (process.argv.includes('--rebuild')) await buildServerBundle();
const servers: ServerProcess[] = [];
try {
  const audited = await ServerProcess.start();
  servers.push(audited);
  const plain = await ServerProcess.start({ serverArgs: ['--disable-audit-log'] });
  servers.push(plain);
  const sides = [
    { name: 'audited', server: audited, next: { i: 0 }, ops: 0, secs: 0, failures: 0, firstFailure: '' },
    { name: 'plain', server: plain, next: { i: 0 }, ops: 0, secs: 0, failures: 0, firstFailure: '' },
  ];
  const agents = sides.map((s) => s.server.agent(CONCURRENCY));
  for (let k = 0; k < sides.length; k++) await sides[k]!.server.createNamespace(agents[k]!, NAMESPACE);
  const creator = (k: number) => async (i: number): Promise<void> => {
    const s = sides[k]!;
    const reply = await s.server.call(agents[k]!, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(`p-${i}`, NAMESPACE));
    if (reply.status !== 201) {
      s.failures++;
      s.firstFailure ||= `${s.name}: HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`;
    }
  };
  for (let k = 0; k < sides.length; k++) {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { for (let n = 0; n < WARMUP / CONCURRENCY; n++) await creator(k)(sides[k]!.next.i++); }));
  }
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so neither always runs right after the other's burst.
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) {
      const s = sides[k]!;
      const res = await runClosedLoop(phaseSeconds, CONCURRENCY, s.next, creator(k));
      s.ops += res.completed;
      s.secs += res.seconds;
    }
  }
  const failed = sides.find((s) => s.failures > 0);
  if (failed) throw new Error(`Cannot benchmark the audit log: ${failed.failures} creates failed, first: ${failed.firstFailure}`);
  for (const a of agents) a.destroy();
  // Wait for the queue to drain, then count what the audited server wrote.
  await new Promise((done) => setTimeout(done, 500));
  const log = readFileSync(join(audited.dataDir, 'logs', 'audit.log'), 'utf8');
  const auditedRate = sides[0]!.ops / sides[0]!.secs;
  const plainRate = sides[1]!.ops / sides[1]!.secs;
  process.stdout.write(`${JSON.stringify({
    bench: 'audit',
    concurrency: CONCURRENCY,
    secondsPerPhase: phaseSeconds,
    rounds,
    auditedCreatesPerSec: round(auditedRate),
    plainCreatesPerSec: round(plainRate),
    ratio: round(auditedRate / plainRate, 3),
    auditEvents: log.split('\n').length - 1,
    auditBytes: Buffer.byteLength(log),
  })}\n`);
} finally {
  for (const s of servers) await s.stop();
}
