/**
 * Paired sequential create latency: two server bundles (a change and what it is compared with) measured turn about.
 * Run: node --import tsx bench/create-latency-paired.ts --base BUNDLE [--new BUNDLE] [--creates N] [--rounds N]
 *
 * Figure 1b (bench/creates.ts) is the p50 of one create at a time, and on a shared machine two runs of the same
 * bundle a minute apart differ by more than the changes worth measuring. Here both servers run at once and one client
 * sends them creates alternately (base, new, base, new…, the first server swapped every round), one request in flight
 * in all, so each bundle's samples are spread over the same seconds and meet the same load. Each round starts fresh
 * servers and warms each with 200 creates. Besides latency it reads each server's CPU per create (utime + stime from
 * /proc/<pid>/stat over the measured creates, the other server idle meanwhile). Prints one JSON line: p50/p90 of each,
 * per round and pooled, and new ÷ base of the pooled p50 and of the mean CPU per create.
 */
import { readFileSync } from 'node:fs';

import { benchPod } from './bench-pod.js';
import { round, summarizeLatencies } from './latency-summary.js';
import { ensureServerBundle } from './server-bundle.js';
import { ServerProcess } from './server-process.js';

const NAMESPACE = 'bench';
const WARMUP = 200;

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const creates = Number(arg('--creates') ?? 400);
const rounds = Number(arg('--rounds') ?? 3);
const baseBundle = arg('--base');
if (baseBundle === undefined) throw new Error('Usage: create-latency-paired.ts --base BUNDLE [--new BUNDLE] [--creates N] [--rounds N]');
const newBundle = arg('--new') ?? (await ensureServerBundle());

/** Side is one server under test with its client and what was measured on it. */
interface Side {
  readonly server: ServerProcess;
  readonly agent: ReturnType<ServerProcess['agent']>;
  next: number;
  readonly samples: number[];
  cpuSeconds: number;
}

async function createOn(side: Side): Promise<number> {
  const name = `p-${side.next++}`;
  const started = performance.now();
  const reply = await side.server.call(side.agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(name, NAMESPACE));
  const ms = performance.now() - started;
  if (reply.status !== 201) throw new Error(`Cannot create pod ${name}: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
  return ms;
}

const pooled = { base: [] as number[], new: [] as number[] };
const cpu = { base: [] as number[], new: [] as number[] };
const perRound: { base: ReturnType<typeof summarizeLatencies>; new: ReturnType<typeof summarizeLatencies>; baseCpuMs: number; newCpuMs: number }[] = [];
for (let r = 0; r < rounds; r++) {
  const sides: Side[] = [];
  try {
    for (const bundle of [baseBundle, newBundle]) {
      const server = await ServerProcess.start({ bundle });
      const agent = server.agent(1);
      sides.push({ server, agent, next: 0, samples: [], cpuSeconds: 0 });
      await server.createNamespace(agent, NAMESPACE);
    }
    const [base, neu] = sides as [Side, Side];
    for (let k = 0; k < WARMUP; k++) for (const s of sides) await createOn(s);
    const order = r % 2 === 0 ? [base, neu] : [neu, base];
    for (let k = 0; k < creates; k++) {
      for (const s of order) {
        const before = s.server.cpuSeconds();
        s.samples.push(await createOn(s));
        s.cpuSeconds += s.server.cpuSeconds() - before;
      }
    }
    pooled.base.push(...base.samples);
    pooled.new.push(...neu.samples);
    cpu.base.push((1000 * base.cpuSeconds) / creates);
    cpu.new.push((1000 * neu.cpuSeconds) / creates);
    perRound.push({ base: summarizeLatencies(base.samples), new: summarizeLatencies(neu.samples), baseCpuMs: round((1000 * base.cpuSeconds) / creates, 3), newCpuMs: round((1000 * neu.cpuSeconds) / creates, 3) });
  } finally {
    for (const s of sides) {
      s.agent.destroy();
      await s.server.stop();
    }
  }
}
const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
const baseAll = summarizeLatencies(pooled.base);
const newAll = summarizeLatencies(pooled.new);
process.stdout.write(`${JSON.stringify({
  bench: 'create-latency-paired',
  createsPerRound: creates,
  base: baseAll,
  new: newAll,
  p50Ratio: round(newAll.p50 / baseAll.p50, 3),
  baseCpuMsPerCreate: round(mean(cpu.base), 3),
  newCpuMsPerCreate: round(mean(cpu.new), 3),
  cpuRatio: round(mean(cpu.new) / mean(cpu.base), 3),
  rounds: perRound,
  load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
})}\n`);
