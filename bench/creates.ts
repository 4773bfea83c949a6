/**
 * Create benchmark: durable creates through the full API against etcd 3.4's raw puts, in the same run.
 * Run: node --import tsx bench/creates.ts [--seconds N]
 *
 * (a) etcd: 64 concurrent keep-alive HTTP clients putting 2 KiB values through the v3 JSON gateway; then the p50 of
 *     one put at a time.
 * (b) tkube: 64 concurrent keep-alive HTTPS clients (admin client certificate) POSTing ~2 KiB Pods with unique
 *     names into one namespace (JSON, 201 expected); then the p50 of one create at a time.
 * Phases alternate (etcd, tkube, etcd, tkube) so machine noise hits both sides alike. Prints one JSON line.
 * Targets: creates/s ≥ 1.0 × etcd puts/s; sequential create p50 ≤ 1.5 × etcd put p50.
 */
import { POD_BYTES, benchPod } from './bench-pod.js';
import { runClosedLoop, sampleSequential } from './closed-loop.js';
import { EtcdProcess } from './etcd-process.js';
import { round, summarizeLatencies } from './latency-summary.js';
import { ServerProcess } from './server-process.js';

const CONCURRENCY = 64;
const ROUNDS = 2;
const SEQUENTIAL_PER_ROUND = 150;
const WARMUP = 200;
const NAMESPACE = 'bench';

const secondsArg = process.argv.indexOf('--seconds');
const phaseSeconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 4;

const etcd = await EtcdProcess.start();
let server: ServerProcess | undefined;
try {
  server = await ServerProcess.start();
  const api = server;
  const etcdAgent = etcd.agent(CONCURRENCY);
  const apiAgent = api.agent(CONCURRENCY);
  await api.createNamespace(apiAgent, NAMESPACE);

  const value = Buffer.from(benchPod('etcd-value', NAMESPACE));
  const put = (i: number): Promise<void> => etcd.put(etcdAgent, `/registry/pods/${NAMESPACE}/p-${i}`, value);
  let failures = 0;
  let firstFailure = '';
  const create = async (i: number): Promise<void> => {
    const reply = await api.call(apiAgent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(`p-${i}`, NAMESPACE));
    if (reply.status !== 201) {
      failures++;
      firstFailure ||= `HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`;
    }
  };

  const etcdNext = { i: 0 };
  const apiNext = { i: 0 };
  // Warm both sides up (connections, JIT, caches) with the full concurrency before measuring.
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { for (let k = 0; k < WARMUP / CONCURRENCY; k++) await put(etcdNext.i++); }));
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { for (let k = 0; k < WARMUP / CONCURRENCY; k++) await create(apiNext.i++); }));

  let etcdOps = 0, etcdSecs = 0, apiOps = 0, apiSecs = 0;
  const etcdSeq: number[] = [];
  const apiSeq: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const e = await runClosedLoop(phaseSeconds, CONCURRENCY, etcdNext, put);
    etcdOps += e.completed; etcdSecs += e.seconds;
    const a = await runClosedLoop(phaseSeconds, CONCURRENCY, apiNext, create);
    apiOps += a.completed; apiSecs += a.seconds;
    etcdSeq.push(...(await sampleSequential(SEQUENTIAL_PER_ROUND, etcdNext, put)));
    apiSeq.push(...(await sampleSequential(SEQUENTIAL_PER_ROUND, apiNext, create)));
  }
  if (failures > 0) throw new Error(`Cannot benchmark creates: ${failures} creates failed, first: ${firstFailure}`);
  const etcdRate = etcdOps / etcdSecs;
  const apiRate = apiOps / apiSecs;
  const etcdLat = summarizeLatencies(etcdSeq);
  const apiLat = summarizeLatencies(apiSeq);
  etcdAgent.destroy();
  apiAgent.destroy();
  process.stdout.write(`${JSON.stringify({
    bench: 'creates',
    podBytes: POD_BYTES,
    concurrency: CONCURRENCY,
    secondsPerPhase: phaseSeconds,
    rounds: ROUNDS,
    etcdPutsPerSec: round(etcdRate),
    apiCreatesPerSec: round(apiRate),
    ratio: round(apiRate / etcdRate, 3),
    etcdSequentialPutMs: etcdLat,
    apiSequentialCreateMs: apiLat,
    latencyRatio: round(apiLat.p50 / etcdLat.p50, 3),
    serverRssMb: round(api.rssMegabytes()),
  })}\n`);
} finally {
  await server?.stop();
  await etcd.stop();
}
