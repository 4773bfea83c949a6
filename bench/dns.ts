/**
 * DNS benchmark: queries/s and latency of the cluster DNS server answering Service names, against Debian's dnsmasq
 * answering the same names from a hosts file, in the same run with the same client.
 * Run: node --import tsx bench/dns.ts [--services N] [--concurrency N] [--seconds N] [--rounds N]
 *
 * Our server runs alone in a child process (bench/dns-server-child.ts: a zone with N ClusterIP Services) as dnsmasq
 * runs in its own (`--no-resolv --no-hosts --addn-hosts <file>`, authoritative for cluster.local via `--local`).
 * The client is one UDP socket in this process keeping `concurrency` queries in flight (closed loop), each for the
 * next of the N names in turn, and timing each query from send to answer; an answer that is not NOERROR with one
 * record counts as an error, a query unanswered after 1 s as lost (and is sent again). Each round runs ours then
 * dnsmasq for `seconds` each after a 1 s warm-up; figures pool all rounds. Without dnsmasq on the PATH (Debian
 * package dnsmasq-base) the reference is skipped and the ratios are null.
 * Prints one JSON line. Target: queries/s ≥ 0.5 × dnsmasq's and p99 ≤ 2 × dnsmasq's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';

import { ChildScript } from '../test/harness/child-script.js';
import { serviceAddress, serviceName } from './dns-names.js';
import { freePort } from '../src/base/net/free-port.js';
import { round, summarizeLatencies, type LatencySummary } from './latency-summary.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const services = arg('--services', 1000);
const concurrency = arg('--concurrency', 16);
const seconds = arg('--seconds', 4);
const rounds = arg('--rounds', 2);
const LOST_MS = 1000;

/** LoadResult is what one load phase measured. */
interface LoadResult {
  answered: number;
  errors: number;
  lost: number;
  seconds: number;
  latencies: number[];
}

/** runLoad keeps `concurrency` queries in flight against host:port for `durationMs`; only `record` phases count. */
async function runLoad(port: number, durationMs: number, record: boolean): Promise<LoadResult> {
  const templates = Array.from({ length: services }, (_, i) => packet.encode({ type: 'query', id: 0, flags: packet.RECURSION_DESIRED, questions: [{ name: serviceName(i), type: 'A', class: 'IN' }] }));
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const bySlotId = new Int32Array(65536).fill(-1);
  const sentAt = new Float64Array(concurrency);
  const slotId = new Int32Array(concurrency);
  const result: LoadResult = { answered: 0, errors: 0, lost: 0, seconds: 0, latencies: [] };
  let nextName = 0;
  let nextId = 0;
  let stopping = false;
  const send = (slot: number): void => {
    const id = nextId;
    nextId = (nextId + 1) & 0xffff;
    const old = slotId[slot] ?? -1;
    if (old >= 0) bySlotId[old] = -1;
    bySlotId[id] = slot;
    slotId[slot] = id;
    const msg = Buffer.from(templates[nextName] ?? templates[0] ?? Buffer.alloc(12));
    nextName = (nextName + 1) % services;
    msg.writeUInt16BE(id, 0);
    sentAt[slot] = performance.now();
    socket.send(msg, port, '127.0.0.1');
  };
  socket.on('message', (reply) => {
    if (reply.length < 12) return;
    const id = reply.readUInt16BE(0);
    const slot = bySlotId[id] ?? -1;
    if (slot < 0) return;
    bySlotId[id] = -1;
    slotId[slot] = -1;
    const now = performance.now();
    result.answered++;
    if (record) result.latencies.push(now - (sentAt[slot] ?? now));
    if (((reply[3] ?? 0) & 0x0f) !== 0 || reply.readUInt16BE(6) !== 1) result.errors++;
    if (!stopping) send(slot);
  });
  const sweep = setInterval(() => {
    const now = performance.now();
    for (let s = 0; s < concurrency; s++) {
      if ((slotId[s] ?? -1) >= 0 && now - (sentAt[s] ?? now) > LOST_MS && !stopping) {
        result.lost++;
        send(s);
      }
    }
  }, 100);
  const start = performance.now();
  for (let s = 0; s < concurrency; s++) send(s);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  stopping = true;
  result.seconds = (performance.now() - start) / 1000;
  clearInterval(sweep);
  // Let the last answers land so they do not reach the next phase's socket (they cannot: it is a new socket).
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.close();
  return result;
}

/** Measured is one server's pooled figures. */
interface Measured {
  queriesPerSec: number;
  latencyMs: LatencySummary;
  answered: number;
  errors: number;
  lost: number;
}

function pool(results: readonly LoadResult[]): Measured {
  const answered = results.reduce((n, r) => n + r.answered, 0);
  const secs = results.reduce((n, r) => n + r.seconds, 0);
  return {
    queriesPerSec: round(answered / secs),
    latencyMs: summarizeLatencies(results.flatMap((r) => r.latencies)),
    answered,
    errors: results.reduce((n, r) => n + r.errors, 0),
    lost: results.reduce((n, r) => n + r.lost, 0),
  };
}

/** startDnsmasq runs dnsmasq in the foreground on loopback serving the names from a hosts file; undefined if absent. */
async function startDnsmasq(dir: string): Promise<{ port: number; child: ChildProcess } | undefined> {
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, Array.from({ length: services }, (_, i) => `${serviceAddress(i)} ${serviceName(i)}\n`).join(''));
  const port = await freePort();
  const args = ['--keep-in-foreground', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`, '--local=/cluster.local/', '--pid-file=', '--cache-size=10000', '--conf-file=/dev/null'];
  if (process.getuid?.() === 0) args.push('--user=root');
  const child = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ok = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!ok) return undefined;
  // Wait until it answers.
  for (let i = 0; i < 100; i++) {
    const probe = await runLoad(port, 50, false).catch(() => undefined);
    if (probe && probe.answered > 0) return { port, child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('Cannot benchmark dnsmasq: it started but does not answer');
}

const dir = mkdtempSync(join(tmpdir(), 'tkube-bench-dns-'));
const ours = await ChildScript.start<{ port: number }>('bench/dns-server-child.ts', ['--services', String(services)]);
let dnsmasq: { port: number; child: ChildProcess } | undefined;
try {
  dnsmasq = await startDnsmasq(dir);
  const oursRuns: LoadResult[] = [];
  const refRuns: LoadResult[] = [];
  for (let r = 0; r < rounds; r++) {
    await runLoad(ours.hello.port, 1000, false);
    oursRuns.push(await runLoad(ours.hello.port, seconds * 1000, true));
    if (dnsmasq) {
      await runLoad(dnsmasq.port, 1000, false);
      refRuns.push(await runLoad(dnsmasq.port, seconds * 1000, true));
    }
  }
  const oursFigures = pool(oursRuns);
  const refFigures = dnsmasq ? pool(refRuns) : null;
  process.stdout.write(
    `${JSON.stringify({
      services,
      concurrency,
      secondsPerRound: seconds,
      rounds,
      ours: oursFigures,
      dnsmasq: refFigures,
      ...(refFigures ? {} : { referenceMissing: 'dnsmasq is not installed (Debian package dnsmasq-base)' }),
      qpsRatio: refFigures ? round(oursFigures.queriesPerSec / refFigures.queriesPerSec, 3) : null,
      p99Ratio: refFigures ? round(oursFigures.latencyMs.p99 / refFigures.latencyMs.p99, 3) : null,
    })}\n`,
  );
} finally {
  dnsmasq?.child.kill('SIGTERM');
  await ours.child.stop();
  rmSync(dir, { recursive: true, force: true });
}
