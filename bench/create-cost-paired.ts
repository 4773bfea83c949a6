/**
 * Paired create cost: two server bundles (a change and what it is compared with) measured at the same moments.
 * Run: node --import tsx bench/create-cost-paired.ts --base BUNDLE [--new BUNDLE] [--seconds N] [--rounds N]
 *
 * On a machine shared with other work, a server's CPU per create rises with the load (caches, context switches),
 * so runs of two bundles one after the other compare two loads as much as two builds. Here both servers run side
 * by side: each round, 32 keep-alive HTTPS clients POST ~2 KiB Pods (as bench/create-cost.ts) to each server at the
 * same time for N seconds, and each server's CPU (utime + stime from /proc/<pid>/stat) is divided by its creates.
 * Both see the same load; the servers swap start order every round. `--new` defaults to the bench bundle
 * (bench/results/dist, TKUBE_BENCH_BUNDLE otherwise). Prints one JSON line: CPU ms per create of each, per round and
 * as means, and new ÷ base.
 */
import { readFileSync } from 'node:fs';

import { benchPod } from './bench-pod.js';
import { runClosedLoop } from './closed-loop.js';
import { round } from './latency-summary.js';
import { ensureServerBundle } from './server-bundle.js';
import { ServerProcess } from './server-process.js';

const CLIENTS_PER_SERVER = 32;
const NAMESPACE = 'bench';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('--seconds') ?? 10);
const rounds = Number(arg('--rounds') ?? 3);
const baseBundle = arg('--base');
if (baseBundle === undefined) throw new Error('Usage: create-cost-paired.ts --base BUNDLE [--new BUNDLE] [--seconds N] [--rounds N]');
const newBundle = arg('--new') ?? (await ensureServerBundle());

/** measure drives one server for `secs` and returns its CPU ms per create. */
async function measure(server: ServerProcess, secs: number): Promise<{ cpuMsPerCreate: number; createsPerSec: number }> {
  const agent = server.agent(CLIENTS_PER_SERVER);
  try {
    let failure = '';
    const next = { i: 0 };
    const create = async (i: number): Promise<void> => {
      const reply = await server.call(agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(`p-${i}`, NAMESPACE));
      if (reply.status !== 201) failure ||= `HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`;
    };
    await server.createNamespace(agent, NAMESPACE);
    await runClosedLoop(2, CLIENTS_PER_SERVER, next, create); // warm-up
    const before = 1000 * server.cpuSeconds();
    const run = await runClosedLoop(secs, CLIENTS_PER_SERVER, next, create);
    const used = 1000 * server.cpuSeconds() - before;
    if (failure !== '') throw new Error(`Cannot measure create cost: ${failure}`);
    return { cpuMsPerCreate: used / run.completed, createsPerSec: run.perSecond };
  } finally {
    agent.destroy();
  }
}

const perRound: { base: number; new: number; baseCreatesPerSec: number; newCreatesPerSec: number }[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [baseBundle, newBundle] : [newBundle, baseBundle];
  const servers: ServerProcess[] = [];
  try {
    for (const bundle of order) servers.push(await ServerProcess.start({ bundle }));
    const [first, second] = await Promise.all(servers.map((s) => measure(s, seconds)));
    const [b, n] = r % 2 === 0 ? [first!, second!] : [second!, first!];
    perRound.push({ base: round(b.cpuMsPerCreate, 3), new: round(n.cpuMsPerCreate, 3), baseCreatesPerSec: round(b.createsPerSec), newCreatesPerSec: round(n.createsPerSec) });
  } finally {
    for (const s of servers) await s.stop();
  }
}
const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
const baseMean = mean(perRound.map((p) => p.base));
const newMean = mean(perRound.map((p) => p.new));
process.stdout.write(`${JSON.stringify({
  bench: 'create-cost-paired',
  secondsPerRound: seconds,
  baseCpuMsPerCreate: round(baseMean, 3),
  newCpuMsPerCreate: round(newMean, 3),
  ratio: round(newMean / baseMean, 3),
  rounds: perRound,
  load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
})}\n`);
