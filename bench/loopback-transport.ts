/**
 * Loopback transport benchmark (issue 6): what one API call costs the server over its HTTPS port and over its
 * loopback Unix socket (the one its own components use, src/boot/loopback.ts), with the same handler chain:
 *   - `cert`: HTTPS with the admin client certificate, the way the components called before;
 *   - `httpsToken`: HTTPS with a static bearer token of the same user (--token-auth-file);
 *   - `socket`: the loopback socket with that static token (it authenticates there too).
 * The loopback token the components use lives in the server's memory only; a static token costs the same map
 * lookup, so `socket` stands for the components' path. Figures per call: the server's CPU (user + system from
 * /proc/<pid>/stat, load-insensitive: the figure) and the wall time with `--parallel` calls in flight (recorded;
 * it follows the machine's load). Measured rounds alternate the transports' order. Calls: GET of one pod, and a
 * merge PATCH of a ConfigMap (one per caller, so patches do not conflict): admission, storage, watch fan-out.
 * Run: node --import tsx bench/loopback-transport.ts [--calls 2000] [--parallel 16] [--rounds 3]
 * Prints one JSON line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../src/client/rest-client.js';
import { numberArg } from './bench-args.js';
import { round } from './latency-summary.js';
import { ServerProcess } from './server-process.js';

const CALLS = numberArg('--calls', 2000);
const PARALLEL = numberArg('--parallel', 16);
const ROUNDS = numberArg('--rounds', 3);
const NS = 'default';

const dataDir = mkdtempSync(join(tmpdir(), 'tkube-bench-'));
const TOKEN = `bench-${process.pid}-${Date.now()}`;
writeFileSync(join(dataDir, 'tokens.csv'), `${TOKEN},system:admin,bench,"system:masters"\n`);
const server = await ServerProcess.start({ dataDir, readyTimeoutMs: 120_000, serverArgs: ['--token-auth-file', join(dataDir, 'tokens.csv')] });
const result: Record<string, unknown> = {};
try {
  const admin = RestClient.fromKubeconfig(join(server.dataDir, 'bench.kubeconfig'), { userAgent: 'bench-loopback' });
  await admin.create({ version: 'v1', resource: 'pods', namespace: NS }, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  for (let i = 0; i < PARALLEL; i++) await admin.create({ version: 'v1', resource: 'configmaps', namespace: NS }, { metadata: { name: `cm-${i}` }, data: { n: '0' } });
  const clients: Record<string, RestClient> = {
    cert: admin,
    httpsToken: new RestClient({ server: admin.server, caPem: admin.caPem, token: TOKEN, userAgent: 'bench-https' }),
    socket: new RestClient({ server: admin.server, token: TOKEN, unixSocket: join(server.dataDir, 'loopback.sock'), userAgent: 'bench-socket' }),
  };
  let n = 0;
  const calls: Record<string, (c: RestClient, caller: number) => Promise<unknown>> = {
    get: (c) => c.get({ version: 'v1', resource: 'pods', namespace: NS, name: 'p' }),
    patch: (c, caller) => c.patch({ version: 'v1', resource: 'configmaps', namespace: NS, name: `cm-${caller}` }, 'merge', { data: { n: String(++n) } }),
  };
  /** measure makes CALLS calls, PARALLEL in flight, and returns server CPU and wall time per call (µs, ms). */
  const measure = async (client: RestClient, call: (c: RestClient, caller: number) => Promise<unknown>): Promise<{ cpuUs: number; wallMs: number }> => {
    const cpu0 = server.cpuSeconds();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async (_, caller) => {
      while (next++ < CALLS) await call(client, caller);
    }));
    return { cpuUs: ((server.cpuSeconds() - cpu0) * 1e6) / CALLS, wallMs: (performance.now() - t0) / CALLS };
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  for (const [name, call] of Object.entries(calls)) {
    const cpuUs = new Map<string, number[]>(Object.keys(clients).map((k) => [k, []]));
    const wallMs = new Map<string, number[]>(Object.keys(clients).map((k) => [k, []]));
    // A warm-up round each (connections opened, code paths compiled), then measured rounds in alternating order.
    for (const c of Object.values(clients)) await measure(c, call);
    for (let r = 0; r < ROUNDS; r++) {
      const order = Object.entries(clients);
      for (const [transport, c] of r % 2 === 0 ? order : order.reverse()) {
        const m = await measure(c, call);
        cpuUs.get(transport)?.push(m.cpuUs);
        wallMs.get(transport)?.push(m.wallMs);
      }
    }
    const cpu = Object.fromEntries([...cpuUs].map(([k, xs]) => [k, round(median(xs))]));
    result[name] = {
      serverCpuUsPerCall: cpu,
      socketVsCertCpuRatio: round((cpu['socket'] ?? 0) / (cpu['cert'] ?? 1), 2),
      wallMsPerCall: Object.fromEntries([...wallMs].map(([k, xs]) => [k, round(median(xs), 3)])),
      cpuUsRounds: Object.fromEntries([...cpuUs].map(([k, xs]) => [k, xs.map((x) => round(x))])),
    };
  }
  result['loadAverage'] = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  for (const c of Object.values(clients)) c.close();
} catch (err) {
  process.stderr.write(`loopback-transport benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);
