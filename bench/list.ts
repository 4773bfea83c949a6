/**
 * LIST benchmark: `GET /api/v1/namespaces/bench/pods` (JSON) over 10,000 ~2 KiB pods against a raw Node HTTPS
 * transfer of the very bytes the API returned, in the same run.
 * Run: node --import tsx bench/list.ts [--pods N] [--seconds N] [--idle-seconds N]
 *
 * Seeds N pods (by default one through the API, copied into the datastore while the server is down, because
 * 10,000 API creates alone would exceed the time box; `--seed-through-api` uses 64 concurrent API creates), then
 * alternates one API LIST and one raw GET on two keep-alive connections until the time is up, timing each from request to last body byte. For information it also
 * times the same LIST at `resourceVersion=0` (which the server may answer from its watch cache). The raw server is a
 * child process serving the saved body with the API server's own certificate. Also reports the server's RSS right
 * after the LISTs, its peak, and its RSS after 10 s more of idling. Prints one JSON line. Target: API p50 ≤ 1.5 × raw p50.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

import { benchPod } from './bench-pod.js';
import { ChildScript } from '../test/harness/child-script.js';
import { round, summarizeLatencies } from './latency-summary.js';
import { ServerProcess, httpsCall } from './server-process.js';
import { summarizeSmaps, type SmapsSummary } from './smaps-summary.js';

const NAMESPACE = 'bench';
const SEED_CONCURRENCY = 64;
const MIN_SAMPLES = 5;

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const podCount = arg('--pods', 10_000);
const seconds = arg('--seconds', 12);
const idleSeconds = arg('--idle-seconds', 10);
const seedMode = process.argv.includes('--seed-through-api') ? 'api' : 'datastore';

/** podName is the name of the i-th seeded pod. */
const podName = (i: number): string => `p-${String(i).padStart(5, '0')}`;

/** PodShape is the part of a Pod the seeding rewrites. */
interface PodShape {
  metadata: { name?: string; uid?: string; resourceVersion?: string } & Record<string, unknown>;
}

/** seedDatastore writes pods 1..podCount-1 as copies of template, 64 creates in flight (group commit). */
async function seedDatastore(path: string, template: PodShape): Promise<void> {
  const storage = await SqliteStorage.open({ path });
  try {
    const encoder = new TextEncoder();
    let next = 1;
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (next < podCount) {
        const name = podName(next++);
        const { resourceVersion: _rv, ...metadata } = template.metadata;
        const pod = { ...template, metadata: { ...metadata, name, uid: randomUUID() } };
        await storage.create(`/registry/pods/${NAMESPACE}/${name}`, encoder.encode(JSON.stringify(pod)));
      }
    }));
  } finally {
    await storage.close();
  }
}

/** MemoryDetail is where the server's RSS is: by kind of mapping, and V8's heap and external memory (MiB). */
interface MemoryDetail extends SmapsSummary {
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
}

/** memoryDetail reads the server's mappings and its /metrics' V8 figures (the request itself is small). */
async function memoryDetail(s: ServerProcess, agent: Agent): Promise<MemoryDetail> {
  const smaps = summarizeSmaps(s.pid);
  const metrics = (await s.call(agent, 'GET', '/metrics', undefined, { Accept: 'text/plain' })).body.toString('utf8');
  const mb = (name: string): number => round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN) / 1024 / 1024);
  return { ...smaps, heapUsedMb: mb('nodejs_heap_size_used_bytes'), heapTotalMb: mb('nodejs_heap_size_total_bytes'), externalMb: mb('nodejs_external_memory_bytes') };
}

let server = await ServerProcess.start();
const dataDir = server.dataDir;
const tmp = mkdtempSync(join(tmpdir(), 'tkube-bench-list-'));
let raw: ChildScript | undefined;
try {
  const agent = server.agent(SEED_CONCURRENCY);
  await server.createNamespace(agent, NAMESPACE);
  const seedStart = performance.now();
  if (seedMode === 'api') {
    let nextPod = 0;
    let failures = 0;
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (nextPod < podCount) {
        const i = nextPod++;
        const reply = await server.call(agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(podName(i), NAMESPACE));
        if (reply.status !== 201) failures++;
      }
    }));
    if (failures > 0) throw new Error(`Cannot seed ${podCount} pods: ${failures} creates failed`);
    agent.destroy();
  } else {
    // Create one pod through the API (defaults, uid, timestamps), then copy it into the datastore while the server
    // is down, in the stored form (JSON without metadata.resourceVersion), with fresh names and uids.
    const reply = await server.call(agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(podName(0), NAMESPACE));
    if (reply.status !== 201) throw new Error(`Cannot create the template pod: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
    agent.destroy();
    await server.halt();
    await seedDatastore(join(dataDir, 'db', 'state.db'), JSON.parse(reply.body.toString('utf8')) as PodShape);
    server = await ServerProcess.start({ dataDir });
  }
  const seedSeconds = (performance.now() - seedStart) / 1000;

  const listPath = `/api/v1/namespaces/${NAMESPACE}/pods`;
  const listAgent = server.agent(1);
  const first = await server.call(listAgent, 'GET', listPath);
  if (first.status !== 200) throw new Error(`Cannot list pods: HTTP ${first.status} ${first.body.toString('utf8').slice(0, 300)}`);
  const items = (JSON.parse(first.body.toString('utf8')) as { items?: unknown[] }).items?.length ?? 0;
  if (items !== podCount) throw new Error(`Cannot benchmark LIST: it returned ${items} pods, ${podCount} were created`);
  const bodyFile = join(tmp, 'list.json');
  writeFileSync(bodyFile, first.body);
  const contentType = String(first.headers['content-type'] ?? 'application/json');
  const tls = join(server.dataDir, 'tls');
  const started = await ChildScript.start<{ port: number }>('bench/raw-body-server.ts', [bodyFile, contentType, join(tls, 'serving.crt'), join(tls, 'serving.key')]);
  raw = started.child;
  const creds = server.credentials();
  // The raw server presents the API's serving certificate, whose SANs cover 127.0.0.1.
  const rawAgent = new Agent({ keepAlive: true, maxSockets: 1, ca: creds.ca });
  const rawUrl = `https://127.0.0.1:${started.hello.port}/`;
  const warm = await httpsCall(rawAgent, rawUrl, 'GET');
  if (!warm.body.equals(first.body)) throw new Error('Cannot benchmark LIST: the raw server did not return the saved body');

  const memoryBeforeList = await memoryDetail(server, listAgent);
  const apiSamples: number[] = [];
  const cacheSamples: number[] = [];
  const rawSamples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || apiSamples.length < MIN_SAMPLES) {
    let t = performance.now();
    const reply = await server.call(listAgent, 'GET', listPath);
    apiSamples.push(performance.now() - t);
    if (reply.status !== 200) throw new Error(`Cannot list pods: HTTP ${reply.status}`);
    t = performance.now();
    await httpsCall(rawAgent, rawUrl, 'GET');
    rawSamples.push(performance.now() - t);
    t = performance.now();
    const cached = await server.call(listAgent, 'GET', `${listPath}?resourceVersion=0`);
    cacheSamples.push(performance.now() - t);
    if (cached.status !== 200) throw new Error(`Cannot list pods at resourceVersion 0: HTTP ${cached.status}`);
  }
  const rssAfterListMb = server.rssMegabytes();
  const peakRssMb = server.rssMegabytes('VmHWM');
  const memoryAfterList = await memoryDetail(server, listAgent);
  listAgent.destroy();
  rawAgent.destroy();
  // What stays resident once the LIST buffers are garbage: the same figure after the server idled.
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const rssAfterIdleMb = server.rssMegabytes();
  const idleAgent = server.agent(1);
  const memoryAfterIdle = await memoryDetail(server, idleAgent);
  idleAgent.destroy();
  const api = summarizeLatencies(apiSamples);
  const rawLat = summarizeLatencies(rawSamples);
  const cache = summarizeLatencies(cacheSamples);
  process.stdout.write(`${JSON.stringify({
    bench: 'list',
    pods: podCount,
    bodyBytes: first.body.length,
    contentType,
    seedMode,
    seedSeconds: round(seedSeconds, 1),
    apiListMs: api,
    rawTransferMs: rawLat,
    ratio: round(api.p50 / rawLat.p50, 3),
    apiListAtResourceVersion0Ms: cache,
    resourceVersion0Ratio: round(cache.p50 / rawLat.p50, 3),
    serverRssAfterListMb: round(rssAfterListMb),
    serverPeakRssMb: round(peakRssMb),
    idleSeconds,
    serverRssAfterListIdleMb: round(rssAfterIdleMb),
    memoryBeforeList,
    memoryAfterList,
    memoryAfterIdle,
  })}\n`);
} finally {
  await raw?.stop();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
}
