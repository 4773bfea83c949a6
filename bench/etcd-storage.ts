/**
 * etcd storage benchmark: what EtcdStorage adds on top of the etcd client it is built on.
 * Run: node --import tsx bench/etcd-storage.ts [--seconds N]
 * Against one Debian etcd 3.4 (bench/etcd-process.ts, default durability), through one etcd3 gRPC client each:
 *   (a) raw `put`s of 2 KiB values with 64 concurrent callers;
 *   (b) EtcdStorage.create (a txn guarded by create_revision == 0) with 64 concurrent callers, a shared watch open
 *       (as the API server always has one);
 *   and the p50 of sequential writes of each. Phases alternate (raw, storage, raw, storage) so machine noise hits both.
 * Prints one JSON line; `ratio` is (b) over (a) (target ≥ 0.8), `latencyRatio` sequential p50 (b) over (a) (≤ 1.3).
 */
import { Etcd3 } from 'etcd3';

import { EtcdStorage } from '../src/storage/etcd/etcd-storage.js';
import { runClosedLoop, sampleSequential } from './closed-loop.js';
import { EtcdProcess } from './etcd-process.js';
import { summarizeLatencies } from './latency-summary.js';

const CONCURRENCY = 64;
const SEQUENTIAL = 200;
const secondsArg = process.argv.indexOf('--seconds');
const phaseSeconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 4;
const value = Buffer.alloc(2048, 0x61);

const etcd = await EtcdProcess.start();
const endpoint = etcd.clientUrl;
const raw = new Etcd3({ hosts: [endpoint] });
const storage = await EtcdStorage.open({ endpoints: [endpoint] });
let delivered = 0;
const watch = storage.watch('/bench/', { afterRevision: await storage.currentRevision(), onEvents: (e) => (delivered += e.length) });
try {
  const put = async (i: number): Promise<void> => void (await raw.put(`/bench/raw/${i}`).value(value));
  const create = async (i: number): Promise<void> => void (await storage.create(`/bench/storage/${i}`, value));
  const rawNext = { i: 0 };
  const storageNext = { i: 0 };
  let rawOps = 0, rawSecs = 0, stOps = 0, stSecs = 0;
  const rawSeq: number[] = [];
  const stSeq: number[] = [];
  for (let round = 0; round < 2; round++) {
    const a = await runClosedLoop(phaseSeconds, CONCURRENCY, rawNext, put);
    rawOps += a.completed; rawSecs += a.seconds;
    const b = await runClosedLoop(phaseSeconds, CONCURRENCY, storageNext, create);
    stOps += b.completed; stSecs += b.seconds;
    rawSeq.push(...(await sampleSequential(SEQUENTIAL / 2, rawNext, put)));
    stSeq.push(...(await sampleSequential(SEQUENTIAL / 2, storageNext, create)));
  }
  const round = (x: number, digits = 0): number => Number(x.toFixed(digits));
  const rawLat = summarizeLatencies(rawSeq);
  const stLat = summarizeLatencies(stSeq);
  process.stdout.write(`${JSON.stringify({
    bench: 'etcd-storage',
    valueBytes: value.length,
    concurrency: CONCURRENCY,
    rawPutsPerSec: round(rawOps / rawSecs),
    storageCreatesPerSec: round(stOps / stSecs),
    ratio: round(stOps / stSecs / (rawOps / rawSecs), 3),
    rawSequentialPutMs: rawLat,
    storageSequentialCreateMs: stLat,
    latencyRatio: round(stLat.p50 / rawLat.p50, 3),
    watchEventsDelivered: delivered,
  })}\n`);
} finally {
  watch.close();
  await storage.close();
  raw.close();
  await etcd.stop();
}
