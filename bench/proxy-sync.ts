/**
 * proxy-sync: how fast the nftables service proxy programs a large cluster (issue 7).
 * Run: node --import tsx bench/proxy-sync.ts [--services 1000] [--endpoints 10] [--rounds 5]   (root, nft, ip)
 *
 * 1,000 Services × 10 endpoints as API objects (Services and EndpointSlices, what the informers hold). A sync is what
 * the ServiceProxy does after the last change: build the snapshot from the objects, build and render the table, and
 * `nft -f` it — here into a fresh network namespace made for the run (removed at the end). Measured:
 *  - fullSyncMs: the first sync (whole table into an empty namespace), and a whole rewrite over an existing table;
 *  - endpointChangeMs: one endpoint of one Service changes (its pod IP), the sync after it (incremental nft diff,
 *    through the proxier's long-lived `nft -i`); endpointChangeSpawnMs: the same with an `nft -f` per sync (the
 *    reference, measured in the same run);
 * medians over `--rounds` (10 endpoint changes a round); also the JS share of a change (snapshot, table, diff) and
 * the cost of an nft run that changes nothing (the machine's floor). Targets: full ≤ 1000 ms, one endpoint change
 * ≤ 50 ms.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { NftablesProxier } from '../src/proxy/nftables/nftables-proxier.js';
import { SnapshotBuilder, type EndpointSliceObject, type ServiceObject } from '../src/proxy/snapshot-builder.js';

const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' }, endpoints: { type: 'string', default: '10' }, rounds: { type: 'string', default: '5' } } });
const nServices = Number(values.services);
const nEndpoints = Number(values.endpoints);
const rounds = Number(values.rounds);

const ip = (base: number, n: number): string => `${base}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

/**
 * objects: the informers' view. Like an informer cache, a change replaces only the changed object (Service 0's
 * slice, whose first endpoint moves with each generation); every object carries a resourceVersion.
 */
function objects(generation: number, previous?: Objects): Objects {
  if (previous) return { services: previous.services, endpointSlices: [slice(0, generation), ...previous.endpointSlices.slice(1)] };
  const services: ServiceObject[] = [];
  const endpointSlices: EndpointSliceObject[] = [];
  for (let i = 0; i < nServices; i++) {
    const name = `svc-${i}`;
    services.push({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'bench', name, resourceVersion: String(i + 1) }, spec: { type: i % 10 === 0 ? 'NodePort' : 'ClusterIP', clusterIP: ip(10, (43 << 16) + i + 1), ports: [{ name: 'http', port: 80, protocol: 'TCP', ...(i % 10 === 0 ? { nodePort: 30000 + i } : {}) }] } });
    endpointSlices.push(slice(i, generation));
  }
  return { services, endpointSlices };
}

type Objects = { services: ServiceObject[]; endpointSlices: EndpointSliceObject[] };

function slice(i: number, generation: number): EndpointSliceObject {
  const name = `svc-${i}`;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'bench', name: `${name}-abcde`, labels: { 'kubernetes.io/service-name': name }, resourceVersion: i === 0 ? `g${generation}` : `s${i}` },
    addressType: 'IPv4',
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    endpoints: Array.from({ length: nEndpoints }, (_, j) => ({
      addresses: [i === 0 && j === 0 ? ip(10, (44 << 16) + generation) : ip(10, (42 << 16) + i * nEndpoints + j)],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: j % 3 === 0 ? 'bench-node' : 'other',
    })),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.floor(s.length / 2)] ?? 0).toFixed(1));
}

function p90(xs: number[]): number {
  return Number(([...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)] ?? 0).toFixed(1));
}

async function timedSync(p: NftablesProxier, builder: SnapshotBuilder, objs: Objects): Promise<{ ms: number; buildMs: number; jsMs: number; full: boolean }> {
  const t0 = performance.now();
  const snapshot = builder.build({ nodeName: 'bench-node', nodeIPs: ['192.0.2.2'], clusterCidr: '10.42.0.0/16', ...objs });
  const buildMs = performance.now() - t0;
  await p.sync(snapshot);
  return { ms: performance.now() - t0, buildMs, jsMs: buildMs + p.lastRenderMs, full: p.lastSyncWasFull };
}

/** The generation of the objects last built (each endpoint change is the next one). */
let generation = 1;

/**
 * endpointChanges applies ten endpoint changes through `p`, each one generation on from the last, and returns the
 * objects it ended with; every change must be incremental (never the whole table).
 */
async function endpointChanges(p: NftablesProxier, builder: SnapshotBuilder, from: Objects, record: (change: { ms: number; jsMs: number }) => void): Promise<Objects> {
  let objs = from;
  for (let k = 0; k < 10; k++) {
    generation++;
    objs = objects(generation, objs);
    const change = await timedSync(p, builder, objs);
    if (change.full) throw new Error('an endpoint change wrote the whole table');
    record(change);
  }
  return objs;
}

const netns = `tkube-bench-proxy-${process.pid}`;
execFileSync('ip', ['netns', 'add', netns]);
try {
  const firstMs: number[] = [];
  const rewriteMs: number[] = [];
  const changeMs: number[] = [];
  const snapshotMs: number[] = [];
  const changeJsMs: number[] = [];
  const spawnChangeMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const table = `bench-proxy-${r}`;
    const p = new NftablesProxier({ table, netns });
    const builder = new SnapshotBuilder();
    let objs = objects(generation);
    const first = await timedSync(p, builder, objs);
    firstMs.push(first.ms);
    snapshotMs.push(first.buildMs);
    objs = await endpointChanges(p, builder, objs, (change) => {
      changeMs.push(change.ms);
      changeJsMs.push(change.jsMs);
    });
    await p.close();
    // A whole rewrite over the existing table (what a periodic full resync costs); then the same endpoint changes
    // with a process start per sync (`nft -f`, the reference for the long-lived `nft -i`), in the same run.
    const whole = new NftablesProxier({ table, netns, interactive: false });
    const wholeBuilder = new SnapshotBuilder();
    rewriteMs.push((await timedSync(whole, wholeBuilder, objs)).ms);
    await endpointChanges(whole, wholeBuilder, objs, (change) => spawnChangeMs.push(change.ms));
    await whole.cleanup();
  }
  // The machine's floor: an nft transaction that changes nothing, in the same namespace (process start, netlink).
  const noopMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    execFileSync('ip', ['netns', 'exec', netns, 'nft', 'add table ip bench-noop']);
    noopMs.push(performance.now() - t0);
  }
  const result = {
    services: nServices,
    endpointsPerService: nEndpoints,
    rounds,
    fullSyncMs: median(firstMs),
    fullRewriteMs: median(rewriteMs),
    endpointChangeMs: median(changeMs),
    endpointChangeP90Ms: p90(changeMs),
    endpointChangeSpawnMs: median(spawnChangeMs),
    endpointChangeSpawnP90Ms: p90(spawnChangeMs),
    snapshotBuildMs: median(snapshotMs),
    endpointChangeJsMs: median(changeJsMs),
    nftNoopMs: median(noopMs),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  execFileSync('ip', ['netns', 'del', netns]);
}
