/**
 * gc-per-request: what the garbage collector does per API request, for one request path, without flow control in the
 * way: a `tkube server` (audit log off unless --audit) with 100 ConfigMaps, and `--concurrency` keep-alive clients
 * sending GET `PATH` as fast as they are answered for `--seconds`. Prints the request count and, from the server's
 * `--trace-gc-nvp` (bench/gc-trace.ts), the bytes allocated, copied (survived) and promoted per request (the trace's
 * rates over its scavenges, the flood's first left out, divided by the request rate), and the server's CPU time per
 * request. Per request, because V8 sizes the young generation itself (smaller when
 * little survives), so bytes per scavenge compare builds less well than bytes per request; neither depends much on the
 * machine's load, unlike latencies.
 * Run: node --import tsx bench/gc-per-request.ts [--path PATH] [--seconds 6] [--concurrency 4] [--audit] [--no-build]
 * The server runs the bench bundle, rebuilt from the sources first unless --no-build (TKUBE_BENCH_BUNDLE with
 * --no-build runs another build instead).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { summariseGcTrace } from './gc-trace.js';
import { round } from './latency-summary.js';
import { buildServerBundle } from './server-bundle.js';
import { ServerProcess } from './server-process.js';

const option = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const path = option('--path', '/api/v1/namespaces/default/configmaps?limit=20');
const seconds = Number(option('--seconds', '6'));
const concurrency = Number(option('--concurrency', '4'));
const CMS = '/api/v1/namespaces/default/configmaps';

if (!process.argv.includes('--no-build')) await buildServerBundle();
const dir = mkdtempSync(join(tmpdir(), 'tkube-bench-gc-'));
const log = join(dir, 'server.log');
writeFileSync(join(dir, 'tokens.csv'), 'flood-token,flood,u1,\n');
// The trace goes to a file of this run's own (ServerProcess appends the server's output to TKUBE_BENCH_SERVER_LOG).
const savedLog = process.env['TKUBE_BENCH_SERVER_LOG'];
const savedArgs = process.env['TKUBE_BENCH_NODE_ARGS'];
process.env['TKUBE_BENCH_SERVER_LOG'] = log;
process.env['TKUBE_BENCH_NODE_ARGS'] = `--trace-gc-nvp ${savedArgs ?? ''}`;
const server = await ServerProcess.start({
  serverArgs: ['--token-auth-file', join(dir, 'tokens.csv'), '--authorization-mode', 'AlwaysAllow', ...(process.argv.includes('--audit') ? [] : ['--disable-audit-log'])],
});
const restore = (name: string, value: string | undefined): void => {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
};
restore('TKUBE_BENCH_SERVER_LOG', savedLog);
restore('TKUBE_BENCH_NODE_ARGS', savedArgs);
const admin = server.agent(8);
const flood = server.agent(concurrency);
try {
  for (let i = 0; i < 100; i++) {
    const r = await server.call(admin, 'POST', CMS, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { v: 'x'.repeat(200) } }));
    if (r.status !== 201) throw new Error(`Cannot seed cm-${i}: HTTP ${r.status}`);
  }
  server.mark('flood-start');
  const cpuBefore = server.cpuSeconds();
  let requests = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await server.call(flood, 'GET', path, undefined, { authorization: 'Bearer flood-token' });
        if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
        requests++;
      }
    }),
  );
  server.mark('flood-end');
  const cpuSeconds = server.cpuSeconds() - cpuBefore;
  await server.stop();
  const phase = summariseGcTrace(readFileSync(log, 'utf8'), 1).find((p) => p.phase === 'flood');
  if (!phase) throw new Error(`No flood phase in the server's GC trace ${log}`);
  // Rates over the span the counted scavenges cover, divided by the request rate: see GcPhase.perSecondMB.
  const requestsPerSecond = requests / phase.seconds;
  const perRequest = (mbPerSecond: number): number => Math.round((mbPerSecond * 1e6) / requestsPerSecond);
  console.log(
    JSON.stringify({
      path,
      requests,
      perSecond: round(requests / phase.seconds),
      serverCpuMicrosPerRequest: Math.round((cpuSeconds * 1e6) / requests),
      scavenges: phase.scavenges,
      perScavengeKB: { allocated: phase.allocatedKB, survived: phase.survivedKB, promoted: phase.promotedKB },
      perRequestBytes: { allocated: perRequest(phase.perSecondMB.allocated), survived: perRequest(phase.perSecondMB.survived), promoted: perRequest(phase.perSecondMB.promoted) },
      markCompacts: phase.markCompacts,
    }),
  );
} finally {
  flood.destroy();
  admin.destroy();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
