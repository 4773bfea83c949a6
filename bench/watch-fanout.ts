/**
 * Watch fan-out benchmark: 1,000 HTTPS watch streams on one namespace against a raw Node HTTPS chunked fan-out of
 * the same event bytes to as many clients, in the same run.
 * Run: node --import tsx bench/watch-fanout.ts [--watchers N] [--client-processes K] [--burst N] [--paced N] [--rounds N]
 *
 * Watchers live in K helper processes per side (bench/watch-swarm.ts), so their TLS work does not run on the
 * measuring event loop; both sides' watchers stay connected throughout. Every API phase is followed by the same
 * phase on the raw side (bench/raw-fanout-server.ts), which replays the event lines the API sent, byte for byte:
 *   burst, 3 rounds (fewer if they pass 20 s): 40 pod creates (16 in flight) / the raw server writing those 40 lines at once;
 *          deliveries/s = events × watchers / Σ (first create sent → last watcher got the last event);
 *   paced: 100 creates at 100/s, open loop (one second, which 1,000 watchers already cannot absorb here) / the
 *          raw server writing one line per 10 ms; latency = last watcher got the event − the create's response
 *          arrived (raw: − just before its first write of the line).
 * Prints one JSON line.
 * Targets: API deliveries/s ≥ 0.7 × raw; API commit-to-last-watcher p99 ≤ 10 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { benchPod } from './bench-pod.js';
import { ChildScript } from '../test/harness/child-script.js';
import { round, summarizeLatencies, wallClockMs } from './latency-summary.js';
import { ServerProcess } from './server-process.js';

const NAMESPACE = 'bench';
const BURST_IN_FLIGHT = 16;
const PACED_INTERVAL_MS = 10;
const DELIVERY_TIMEOUT_MS = 30_000;
const BURST_BUDGET_MS = 20_000;

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const watchers = arg('--watchers', 1000);
const clientProcesses = arg('--client-processes', 2);
const BURST = arg('--burst', 40);
const PACED = arg('--paced', 100);
const ROUNDS = arg('--rounds', 3);

/** eventName is the pod name of the i-th event (the swarm recognises `f-<n>`). */
const eventName = (i: number): string => `f-${String(i).padStart(5, '0')}`;
const names = (from: number, n: number): string[] => Array.from({ length: n }, (_, k) => eventName(from + k));

/** Deliveries tracks, per event name, how many swarms saw it on all their streams, and when the last one did. */
class Deliveries {
  readonly #swarms: number;
  readonly #done = new Map<string, { swarms: number; lastAt: number }>();
  #waiters: (() => void)[] = [];

  constructor(swarms: readonly ChildScript[]) {
    this.#swarms = swarms.length;
    for (const s of swarms) {
      s.onMessage((m) => {
        if (typeof m !== 'object' || m === null || !('name' in m) || !('at' in m)) return;
        const name = String(m.name);
        const at = Number(m.at);
        const d = this.#done.get(name) ?? { swarms: 0, lastAt: 0 };
        this.#done.set(name, { swarms: d.swarms + 1, lastAt: Math.max(d.lastAt, at) });
        for (const w of this.#waiters) w();
      });
    }
  }

  /** lastAt is when the last watcher got `name`, or undefined while some watcher has not. */
  lastAt(name: string): number | undefined {
    const d = this.#done.get(name);
    return d && d.swarms === this.#swarms ? d.lastAt : undefined;
  }

  /** waitFor resolves once every name reached every watcher, or after timeoutMs; it returns the names missing. */
  waitFor(all: readonly string[], timeoutMs = DELIVERY_TIMEOUT_MS): Promise<string[]> {
    return new Promise((done) => {
      const missing = (): string[] => all.filter((n) => this.lastAt(n) === undefined);
      const check = (): void => {
        if (missing().length > 0) return;
        finish();
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
        done(missing());
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#waiters.push(check);
      check();
    });
  }
}

/** startSwarms opens `watchers` streams to url spread over clientProcesses helpers; the first captures its lines. */
async function startSwarms(url: string, files: { ca: string; cert: string; key: string }, capture: boolean): Promise<ChildScript[]> {
  const per = Math.ceil(watchers / clientProcesses);
  const started = await Promise.all(Array.from({ length: clientProcesses }, (_, k) => {
    const n = Math.min(per, watchers - k * per);
    return ChildScript.start<{ connected: number }>('bench/watch-swarm.ts', [url, String(n), files.ca, files.cert, files.key, capture && k === 0 ? 'capture' : 'all']);
  }));
  return started.map((s) => s.child);
}

async function stopAll(children: readonly ChildScript[]): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
}

/** latencies pairs each name's reference time with its last delivery; undelivered names are left out. */
function latencies(deliveries: Deliveries, from: ReadonlyMap<string, number>): number[] {
  const out: number[] = [];
  for (const [name, t] of from) {
    const last = deliveries.lastAt(name);
    if (last !== undefined) out.push(last - t);
  }
  return out;
}

const server = await ServerProcess.start();
const tmp = mkdtempSync(join(tmpdir(), 'tkube-bench-watch-'));
const helpers: ChildScript[] = [];
try {
  const creds = server.credentials();
  const files = { ca: join(tmp, 'ca.crt'), cert: join(tmp, 'admin.crt'), key: join(tmp, 'admin.key') };
  writeFileSync(files.ca, creds.ca);
  writeFileSync(files.cert, creds.cert);
  writeFileSync(files.key, creds.key);
  const agent = server.agent(BURST_IN_FLIGHT);
  await server.createNamespace(agent, NAMESPACE);
  let createFailures = 0;
  let firstError = '';
  const create = async (name: string): Promise<number> => {
    const reply = await server.call(agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(name, NAMESPACE));
    if (reply.status !== 201) {
      createFailures++;
      firstError ||= `HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`;
    }
    return wallClockMs();
  };

  const lineOf = new Map<string, string>();
  /** capture asks the API side's first swarm for the lines it received and indexes them by pod name. */
  const capture = async (swarm: ChildScript | undefined): Promise<void> => {
    const dumped = swarm?.next((m): m is { lines: string[] } => typeof m === 'object' && m !== null && 'lines' in m);
    swarm?.send({ dump: true });
    for (const line of (await dumped)?.lines ?? []) {
      const name = /"name":"(f-\d+)"/.exec(line)?.[1];
      if (name !== undefined && !lineOf.has(name)) lineOf.set(name, line);
    }
  };
  const linesFor = (all: readonly string[]): string[] => all.map((n) => lineOf.get(n)).filter((l): l is string => l !== undefined);
  const lastOf = (d: Deliveries, all: readonly string[]): number => Math.max(...all.map((n) => d.lastAt(n) ?? 0));

  const connectStart = performance.now();
  const apiSwarms = await startSwarms(new URL(`/api/v1/namespaces/${NAMESPACE}/pods?watch=true&timeoutSeconds=600`, server.url).href, files, true);
  helpers.push(...apiSwarms);
  const connectSeconds = (performance.now() - connectStart) / 1000;
  const apiDeliveries = new Deliveries(apiSwarms);
  const rssWithWatchersMb = server.rssMegabytes();
  const tls = join(server.dataDir, 'tls');
  const raw = await ChildScript.start<{ port: number }>('bench/raw-fanout-server.ts', [join(tls, 'serving.crt'), join(tls, 'serving.key')]);
  helpers.push(raw.child);
  const rawSwarms = await startSwarms(`https://127.0.0.1:${raw.hello.port}/`, files, false);
  helpers.push(...rawSwarms);
  const rawDeliveries = new Deliveries(rawSwarms);

  // --- bursts, alternating API and raw ---
  let apiEvents = 0, apiSeconds = 0, rawEvents = 0, rawSeconds = 0;
  const missing = { apiBurst: 0, apiPaced: 0, rawBurst: 0, rawPaced: 0 };
  // Under heavy load a round can take 10 s; past the budget, fewer rounds are run (at least one) to stay bounded.
  const burstDeadline = performance.now() + BURST_BUDGET_MS;
  let roundsRun = 0;
  for (let r = 0; r < ROUNDS && (r === 0 || performance.now() < burstDeadline); r++) {
    roundsRun++;
    const burstNames = names(r * BURST, BURST);
    const apiStart = wallClockMs();
    let next = 0;
    await Promise.all(Array.from({ length: BURST_IN_FLIGHT }, async () => {
      while (next < BURST) await create(burstNames[next++] ?? '');
    }));
    missing.apiBurst += (await apiDeliveries.waitFor(burstNames)).length;
    apiEvents += BURST;
    apiSeconds += (lastOf(apiDeliveries, burstNames) - apiStart) / 1000;

    await capture(apiSwarms[0]);
    const rawNames = burstNames.filter((n) => lineOf.has(n));
    const rawStart = wallClockMs();
    raw.child.send({ burst: linesFor(rawNames) });
    missing.rawBurst += (await rawDeliveries.waitFor(rawNames)).length;
    rawEvents += rawNames.length;
    rawSeconds += (lastOf(rawDeliveries, rawNames) - rawStart) / 1000;
  }

  // --- paced: API, then raw with the same lines ---
  const pacedNames = names(roundsRun * BURST, PACED);
  const responses = new Map<string, number>();
  const pacedStart = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < PACED; i++) {
    const wait = pacedStart + i * PACED_INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const name = pacedNames[i] ?? '';
    // Handled here, not only by the Promise.all below: a rejection must not go unhandled while the loop still waits.
    sends.push(create(name).then((at) => void responses.set(name, at), (err: unknown) => {
      createFailures++;
      firstError ||= err instanceof Error ? err.message : String(err);
    }));
  }
  await Promise.all(sends);
  const pacedAchievedPerSec = PACED / ((performance.now() - pacedStart) / 1000);
  missing.apiPaced = (await apiDeliveries.waitFor(pacedNames)).length;
  const apiLatency = summarizeLatencies(latencies(apiDeliveries, responses));
  if (createFailures > 0) throw new Error(`Cannot benchmark watch fan-out: ${createFailures} creates failed, first: ${firstError}`);
  await capture(apiSwarms[0]);
  agent.destroy();

  const emitted = new Map<string, number>();
  const stopEmitted = raw.child.onMessage((m) => {
    if (typeof m === 'object' && m !== null && 'emitted' in m && 'at' in m) emitted.set(String(m.emitted), Number(m.at));
  });
  const pacedDone = raw.child.next((m): m is { pacedDone: true } => typeof m === 'object' && m !== null && 'pacedDone' in m);
  raw.child.send({ paced: linesFor(pacedNames), intervalMs: PACED_INTERVAL_MS });
  await pacedDone;
  missing.rawPaced = (await rawDeliveries.waitFor(pacedNames.filter((n) => lineOf.has(n)))).length;
  stopEmitted();
  const rawLatency = summarizeLatencies(latencies(rawDeliveries, emitted));
  const eventLines = [...lineOf.values()];
  const eventBytes = eventLines.reduce((sum, l) => sum + l.length + 1, 0) / Math.max(1, eventLines.length);

  const apiRate = (apiEvents * watchers) / apiSeconds;
  const rawRate = (rawEvents * watchers) / rawSeconds;
  process.stdout.write(`${JSON.stringify({
    bench: 'watch',
    watchers,
    clientProcesses,
    eventBytes: round(eventBytes),
    connectSeconds: round(connectSeconds, 2),
    serverRssWithWatchersMb: round(rssWithWatchersMb),
    burstRounds: roundsRun,
    eventsPerBurst: BURST,
    apiBurstSeconds: round(apiSeconds, 3),
    rawBurstSeconds: round(rawSeconds, 3),
    apiDeliveriesPerSec: round(apiRate),
    rawDeliveriesPerSec: round(rawRate),
    ratio: round(apiRate / rawRate, 3),
    pacedWritesPerSecAchieved: round(pacedAchievedPerSec, 1),
    apiCommitToLastWatcherMs: apiLatency,
    rawEmitToLastWatcherMs: rawLatency,
    undelivered: missing,
  })}\n`);
} finally {
  await stopAll(helpers);
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
