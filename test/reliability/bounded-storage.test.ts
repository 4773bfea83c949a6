/**
 * Bounded storage (issue 11 item 5): a real `tkube server` (no agent) under churn, at its size quota, and with its
 * disk full.
 *
 * Churn: 900 ConfigMaps (~1 KiB each) patched round-robin at 100 writes/s plus 100 Leases renewed every 10 s (as
 * nodes renew theirs: 10 writes/s), open loop, with compaction every 2 s (long mode: every minute). The store's
 * metrics are sampled every 250 ms. Proves:
 * - the database file stays within K × logical bytes (keys and values of every version held: live objects plus the
 *   history not yet compacted — `tkube_storage_logical_bytes`), K = 3, and the WAL within a fixed 8 MiB (it is
 *   checkpointed every 1,000 pages and truncated by every compaction);
 * - no request is answered with "database is locked" / SQLITE_BUSY, or with any error at all;
 * - compaction runs on schedule and never stalls: each pass is shorter than the interval, the history kept stays
 *   within keep-revisions + two intervals, and the longest step a writer could wait behind stays under 500 ms.
 * Quota and disk full (one more server, 8 MiB quota, its SQLite file on a 64 MiB tmpfs this suite mounts as root):
 * - over `--datastore-quota-bytes`, creates and patches get 507 InsufficientStorage naming the quota, kubectl prints
 *   one line, the server restarts while over the quota, reads and deletes work, and once deleted objects are
 *   compacted away writes are admitted again (and the deferred bootstrap completes: /readyz is 200);
 * - with the disk filled by a ballast file, writes get 507 (never a 500, never a crash), reads go on; once the
 *   ballast is deleted writes succeed again without a restart, and every acknowledged write reads back, through the
 *   API and, after the server stopped, from the file (whose integrity check passes).
 * Bounded: 12 s of churn (TKUBE_CHURN_SECONDS overrides); long mode (TKUBE_LONG=1): 10 minutes, and the restart over
 * the quota.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eventually, TestCluster } from '../harness/test-cluster.js';
import { processAlive } from '../harness/host-tools.js';
import { ApiClient, type ApiAnswer } from './workload/api-client.js';
import { isLong, sleep } from './workload/faults.js';

const LONG = isLong();
const CHURN_MS = Number(process.env.TKUBE_CHURN_SECONDS ?? (LONG ? 600 : 12)) * 1000;
/** Long mode compacts every minute (6,600 revisions a pass), the bounded one every 2 s (220). */
const COMPACTION_INTERVAL_MS = LONG ? 60_000 : 2_000;
const CONFIGMAPS = 900;
const KEEP_REVISIONS = 1000;
const LEASES = 100;
const LEASE_RENEW_MS = 10_000;
/** ConfigMap patches per second; the Leases add LEASES / 10 s on top. */
const CONFIGMAP_WRITES_PER_S = 100;
const MAX_IN_FLIGHT = 64;
/** Database file ≤ K × logical bytes (see docs/reliability.md, section 5, for why 3). */
const K = 3;
/** The WAL's fixed bound: 1,000 pages of 4 KiB before a checkpoint, plus one batch, with room to spare. */
const WAL_BOUND_BYTES = 8 * 1024 * 1024;
/**
 * The longest compaction step a writer may wait behind, in wall time: 31–287 ms measured in bounded and 4-minute
 * runs at load 18–27 on the shared 2-core machine, where a step's few tens of ms of CPU stretch.
 */
const PAUSE_BOUND_S = 0.5;

const QUOTA_BYTES = 8 * 1024 * 1024;
const TMPFS_SIZE = '64m';

/** Metrics is one sample of the store's gauges. */
interface Metrics {
  readonly at: number;
  readonly fileBytes: number;
  readonly walBytes: number;
  readonly usedBytes: number;
  readonly logicalBytes: number;
  readonly quotaBytes: number;
  readonly currentRevision: number;
  readonly compactRevision: number;
  readonly compactions: number;
  readonly compactionLastSeconds: number;
  readonly compactionMaxPauseSeconds: number;
  readonly commits: number;
  readonly commitSeconds: number;
  /** The server process's CPU time (user + system), to tell a CPU-starved server from a slow store. */
  readonly cpuSeconds: number;
}

async function scrape(api: ApiClient): Promise<Metrics> {
  const a = await api.send('GET', '/metrics');
  if (a.kind !== 'http' || a.status !== 200) throw new Error(`GET /metrics: ${JSON.stringify(a).slice(0, 300)}`);
  const values = new Map<string, number>();
  for (const line of a.body.split('\n')) {
    const m = /^([a-z_]+)(?:\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) values.set(m[1], Number(m[2]));
  }
  const v = (name: string): number => {
    const x = values.get(name);
    if (x === undefined) throw new Error(`metric ${name} missing`);
    return x;
  };
  return {
    at: performance.now(),
    fileBytes: v('apiserver_storage_size_bytes'),
    walBytes: v('tkube_storage_wal_size_bytes'),
    usedBytes: v('tkube_storage_used_bytes'),
    logicalBytes: v('tkube_storage_logical_bytes'),
    quotaBytes: v('tkube_storage_quota_bytes'),
    currentRevision: v('tkube_storage_current_revision'),
    compactRevision: v('tkube_storage_compact_revision'),
    compactions: v('tkube_storage_compactions'),
    compactionLastSeconds: v('tkube_storage_compaction_last_seconds'),
    compactionMaxPauseSeconds: v('tkube_storage_compaction_max_pause_seconds'),
    commits: v('tkube_storage_commits'),
    commitSeconds: v('tkube_storage_commit_seconds_sum'),
    cpuSeconds: v('process_cpu_seconds_total'),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

const mib = (b: number): string => (b / 1024 / 1024).toFixed(2);

/** Creates objects with bounded concurrency; throws on any answer but 201. */
async function createAll(api: ApiClient, items: readonly { path: string; body: unknown }[], concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (!item) return;
        const a = await api.send('POST', item.path, item.body);
        if (a.kind !== 'http' || a.status !== 201) throw new Error(`POST ${item.path}: ${JSON.stringify(a).slice(0, 300)}`);
      }
    }),
  );
}

function isLockedError(a: ApiAnswer): boolean {
  return a.kind === 'http' && /database is locked|SQLITE_BUSY|SQLITE_LOCKED/i.test(a.body);
}

const root = process.getuid?.() === 0;
const quotaArgs = (dir: string): string[] => [
  '--datastore-endpoint', `sqlite://${join(dir, 'state.db')}`, '--datastore-quota-bytes', String(QUOTA_BYTES), '--compaction-interval', '1s', '--compaction-keep-revisions', '1',
];
/** Two servers start at once on a shared 2-core machine: give them twice the harness's default. */
const START_TIMEOUT_MS = 120_000;

/**
 * unmount detaches the suite's tmpfs. A server killed a moment ago may still hold its files open ("target is busy")
 * while the kernel reaps it, so it retries for a few seconds, then detaches lazily (the memory is freed once the last
 * file closes).
 */
async function unmount(dir: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      return;
    } catch {
      await sleep(250);
    }
  }
  execFileSync('umount', ['--lazy', dir]);
}

/**
 * Both servers start at once (the second one idles through the churn, costing little), which saves one start-up of
 * wall time. The quota server's SQLite file lives on a tmpfs this suite mounts (as root) for the disk-full case.
 */
let churnCluster: Promise<TestCluster>;
let quotaCluster: Promise<{ cluster: TestCluster; dir: string; mounted: boolean }>;
before(() => {
  churnCluster = TestCluster.start({ readyTimeoutMs: START_TIMEOUT_MS, args: ['--compaction-interval', `${COMPACTION_INTERVAL_MS}ms`, '--compaction-keep-revisions', String(KEEP_REVISIONS)] });
  quotaCluster = (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-quota-'));
    try {
      if (root) execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tkube-test-tmpfs', dir]);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    try {
      const cluster = await TestCluster.start({ readyTimeoutMs: START_TIMEOUT_MS, args: quotaArgs(dir) });
      return { cluster, dir, mounted: root };
    } catch (err) {
      if (root) await unmount(dir);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  })();
  // A failure surfaces in the describe that awaits it; this keeps it from being an unhandled rejection meanwhile.
  churnCluster.catch(() => undefined);
  quotaCluster.catch(() => undefined);
});

describe('bounded storage under churn', () => {
  let c: TestCluster;
  let api: ApiClient;
  before(async () => {
    c = await churnCluster;
    // A write that takes long on a loaded machine is slow, not lost: only a minute without an answer counts as one.
    api = new ApiClient(c, { maxSockets: MAX_IN_FLIGHT, timeoutMs: 60_000 });
  });
  after(async () => {
    api?.close();
    await c?.stop();
  });

  it(`${CONFIGMAPS} ConfigMaps and ${LEASES} Leases at ${CONFIGMAP_WRITES_PER_S + LEASES / (LEASE_RENEW_MS / 1000)} writes/s for ${CHURN_MS / 1000} s: size, WAL and compaction stay bounded`, { timeout: CHURN_MS + 240_000 }, async (t) => {
    const ns = 'churn';
    const leaseNs = 'churn-leases';
    for (const name of [ns, leaseNs]) {
      const a = await api.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      assert.ok(a.kind === 'http' && a.status === 201, JSON.stringify(a));
    }
    const pad = 'x'.repeat(1000);
    await createAll(api, [
      ...Array.from({ length: CONFIGMAPS }, (_, i) => ({ path: `/api/v1/namespaces/${ns}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { pad, seq: '0' } } })),
      ...Array.from({ length: LEASES }, (_, i) => ({
        path: `/apis/coordination.k8s.io/v1/namespaces/${leaseNs}/leases`,
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: `node-${i}` }, spec: { holderIdentity: `node-${i}`, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') } },
      })),
    ]);

    const samples: Metrics[] = [];
    const errors = new Map<string, number>();
    let locked = 0;
    const latencies: number[] = [];
    let inFlight = 0;
    let issued = 0;
    let acked = 0;
    const write = async (path: string, patch: unknown): Promise<void> => {
      inFlight++;
      issued++;
      const started = performance.now();
      const a = await api.sendRaw('PATCH', path, JSON.stringify(patch), 'application/merge-patch+json');
      latencies.push(performance.now() - started);
      inFlight--;
      if (isLockedError(a)) locked++;
      if (a.kind === 'http' && a.status === 200) acked++;
      else {
        const key = a.kind === 'http' ? `${a.status} ${a.body.slice(0, 160)}` : `${a.kind} ${a.error}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    };

    const first = await scrape(api);
    const generatorCpu = process.cpuUsage();
    const started = performance.now();
    const deadline = started + CHURN_MS;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await scrape(api));
        await sleep(250);
      }
    })();
    // Open loop: writes are issued on schedule whatever the answers' latency (up to MAX_IN_FLIGHT at once), so a slow
    // store shows as a lower achieved rate and higher latencies, not as a workload that politely slows down.
    const pending = new Set<Promise<void>>();
    const fire = (p: Promise<void>): void => {
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    let cmIssued = 0;
    const leaseNext = Array.from({ length: LEASES }, (_, i) => started + (i * LEASE_RENEW_MS) / LEASES);
    let skipped = 0;
    while (performance.now() < deadline) {
      const now = performance.now();
      const due = Math.floor(((now - started) / 1000) * CONFIGMAP_WRITES_PER_S) - cmIssued;
      for (let i = 0; i < due; i++) {
        if (inFlight >= MAX_IN_FLIGHT) {
          skipped++;
        } else {
          const n = cmIssued;
          fire(write(`/api/v1/namespaces/${ns}/configmaps/cm-${n % CONFIGMAPS}`, { data: { seq: String(n) } }));
        }
        cmIssued++;
      }
      leaseNext.forEach((at, i) => {
        if (at > now) return;
        leaseNext[i] = at + LEASE_RENEW_MS;
        fire(write(`/apis/coordination.k8s.io/v1/namespaces/${leaseNs}/leases/node-${i}`, { spec: { renewTime: new Date().toISOString().replace('Z', '000Z') } }));
      });
      await sleep(10);
    }
    const loadSeconds = (performance.now() - started) / 1000;
    const generatorCpuUsed = process.cpuUsage(generatorCpu);
    await Promise.all([...pending]);
    sampling = false;
    await sampler;
    const last = await scrape(api);
    samples.push(last);

    const dbRatio = Math.max(...samples.map((s) => (s.fileBytes - s.walBytes) / s.logicalBytes));
    const usedRatio = Math.max(...samples.map((s) => s.usedBytes / s.logicalBytes));
    const maxFile = Math.max(...samples.map((s) => s.fileBytes));
    const maxWal = Math.max(...samples.map((s) => s.walBytes));
    const maxLogical = Math.max(...samples.map((s) => s.logicalBytes));
    const maxCompaction = Math.max(...samples.map((s) => s.compactionLastSeconds));
    const compactions = last.compactions - first.compactions;
    const commits = last.commits - first.commits;
    const commitMeanMs = commits > 0 ? ((last.commitSeconds - first.commitSeconds) / commits) * 1000 : 0;
    latencies.sort((a, b) => a - b);
    const rate = acked / loadSeconds;
    // Who is short of CPU when the rate falls short: the server (its share of a core, and its CPU per write) or this
    // load generator. On the shared machine both get a few % of a core; the writes skipped at the cap say the
    // generator had 64 writes waiting on the server.
    const serverCpuSeconds = last.cpuSeconds - first.cpuSeconds;
    const cpuFigures =
      `server-cpu-share=${((serverCpuSeconds / loadSeconds) * 100).toFixed(1)}% server-cpu-ms/write=${acked > 0 ? ((serverCpuSeconds / acked) * 1000).toFixed(2) : 'n/a'} ` +
      `generator-cpu-share=${(((generatorCpuUsed.user + generatorCpuUsed.system) / 1e6 / loadSeconds) * 100).toFixed(1)}% load=${loadavg()[0]?.toFixed(1) ?? '?'}`;
    const figures =
      `bounded-storage churn: seconds=${loadSeconds.toFixed(1)} writes-issued=${issued} writes-acked=${acked} writes/s=${rate.toFixed(1)} ` +
      `skipped-at-cap=${skipped} errors=${[...errors.values()].reduce((a, b) => a + b, 0)} database-locked=${locked} ` +
      `max-db+wal-MiB=${mib(maxFile)} max-wal-MiB=${mib(maxWal)} max-logical-MiB=${mib(maxLogical)} max-db/logical=${dbRatio.toFixed(2)} max-used/logical=${usedRatio.toFixed(2)} ` +
      `compactions=${compactions} max-compaction-s=${maxCompaction.toFixed(3)} max-compaction-pause-s=${last.compactionMaxPauseSeconds.toFixed(3)} ` +
      `commits=${commits} commit-mean-ms=${commitMeanMs.toFixed(1)} write-p50-ms=${percentile(latencies, 0.5).toFixed(0)} ` +
      `write-p99-ms=${percentile(latencies, 0.99).toFixed(0)} write-max-ms=${percentile(latencies, 1).toFixed(0)} ` +
      `revisions=${last.currentRevision - first.currentRevision} retained-revisions=${last.currentRevision - last.compactRevision} ${cpuFigures}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    if (errors.size > 0) t.diagnostic(`errors: ${JSON.stringify([...errors.entries()].slice(0, 5))}`);

    assert.equal(locked, 0, `"database is locked" reached a client; ${figures}`);
    assert.deepEqual([...errors.entries()], [], figures);
    assert.ok(dbRatio <= K, `database file above ${K} × logical bytes; ${figures}`);
    assert.ok(maxWal <= WAL_BOUND_BYTES, `WAL above ${mib(WAL_BOUND_BYTES)} MiB; ${figures}`);
    // Compaction ran on schedule (a tick compacts to the revision seen one tick earlier, so the first one is empty).
    assert.ok(compactions >= Math.floor(CHURN_MS / COMPACTION_INTERVAL_MS) - 2, `only ${compactions} compactions; ${figures}`);
    assert.ok(last.compactRevision > first.compactRevision, `the compacted revision never moved; ${figures}`);
    // A tick compacts to the older of the previous tick's revision and current − keep, so at most keep + two
    // intervals of revisions stay (plus slack for the sampling instant).
    const revisionsPerInterval = ((last.currentRevision - first.currentRevision) / loadSeconds) * (COMPACTION_INTERVAL_MS / 1000);
    const retainedBound = KEEP_REVISIONS + 2 * revisionsPerInterval + 100;
    assert.ok(last.currentRevision - last.compactRevision <= retainedBound, `history retained beyond ${Math.round(retainedBound)} revisions; ${figures}`);
    assert.ok(maxCompaction < COMPACTION_INTERVAL_MS / 1000, `a compaction pass outlasted the interval; ${figures}`);
    assert.ok(last.compactionMaxPauseSeconds <= PAUSE_BOUND_S, `a compaction step blocked writers > ${PAUSE_BOUND_S} s; ${figures}`);
    // The rate is the 100 writes/s. On the shared 2-core CI machine the server's share of the CPU sets it
    // (50–108 writes/s measured at load 18–27), so the bounded mode only checks the churn really ran.
    assert.ok(rate >= (LONG ? 100 : 20), `only ${rate.toFixed(1)} writes/s; ${figures}`);
  });
});

describe('size quota and disk full', () => {
  let c: TestCluster;
  let api: ApiClient;
  let dir = '';
  let mounted = false;
  before(async () => {
    ({ cluster: c, dir, mounted } = await quotaCluster);
    api = new ApiClient(c);
  });
  after(async () => {
    api?.close();
    await c?.stop();
    if (mounted) await unmount(dir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ns = 'quota';
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  const bigConfigMap = (name: string, kib: number): unknown => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { blob: name.padEnd(kib * 1024, '.') } });
  /** Names of ConfigMaps whose create was acknowledged (201), with their blob's length. */
  const acked = new Map<string, number>();

  it('over the quota: 507 naming the quota, one kubectl line, reads and deletes work (and, in long mode, a restart), compaction admits writes again', { timeout: 240_000 }, async (t) => {
    const created = await api.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    assert.ok(created.kind === 'http' && created.status === 201, JSON.stringify(created));
    const before = await scrape(api);
    assert.equal(before.quotaBytes, QUOTA_BYTES);
    let refused: ApiAnswer | undefined;
    const fill: string[] = [];
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const a = await api.send('POST', cms, bigConfigMap(`fill-${i}`, 768));
      if (a.kind === 'http' && a.status === 201) fill.push(`fill-${i}`);
      else refused = a;
    }
    assert.ok(refused?.kind === 'http', `no refusal after ${fill.length} creates: ${JSON.stringify(refused)}`);
    assert.equal(refused.status, 507, refused.body);
    const status = JSON.parse(refused.body) as { kind: string; reason: string; code: number; message: string };
    assert.equal(status.kind, 'Status');
    assert.equal(status.reason, 'InsufficientStorage');
    assert.equal(status.code, 507);
    assert.match(status.message, new RegExp(`quota of ${QUOTA_BYTES} bytes \\(--datastore-quota-bytes\\)`));
    const full = await scrape(api);
    assert.ok(full.usedBytes >= QUOTA_BYTES, `used ${full.usedBytes}`);

    // Updates are refused too; reads are not.
    const patch = await api.sendRaw('PATCH', `${cms}/fill-0`, JSON.stringify({ data: { more: 'x' } }), 'application/merge-patch+json');
    assert.ok(patch.kind === 'http' && patch.status === 507, JSON.stringify(patch).slice(0, 300));
    const kubectl = await c.kubectl(['create', 'configmap', 'over-quota', '-n', ns, '--from-literal=a=b']);
    const lines = kubectl.stderr.trim().split('\n');
    assert.notEqual(kubectl.code, 0);
    assert.equal(lines.length, 1, kubectl.stderr);
    // kubectl create wraps the server's message as "error: failed to create configmap: <message>".
    assert.match(lines[0] ?? '', /^error: failed to create configmap: Cannot write to storage: .*at or above its quota of \d+ bytes \(--datastore-quota-bytes\)/);
    // Other commands print the Status as kubectl prints any API error.
    const label = await c.kubectl(['label', 'configmap', 'fill-0', '-n', ns, 'a=b']);
    assert.notEqual(label.code, 0);
    assert.match(label.stderr.trim(), /^Error from server \(InsufficientStorage\): Cannot write to storage: .*quota of \d+ bytes[^\n]*$/);
    // A server over its quota restarts (its bootstrap's writes are refused, so it defers them; it used to exit).
    // Long mode only: a restart costs 18–36 s here, and src/boot/bootstrap-over-quota.test.ts replays that bug in CI.
    let restartMs = -1;
    if (LONG) {
      const restartStarted = performance.now();
      await c.restart('SIGTERM', { readyTimeoutMs: START_TIMEOUT_MS, args: quotaArgs(dir) });
      restartMs = Math.round(performance.now() - restartStarted);
      api.reset();
    }
    const got = await api.send('GET', `${cms}/fill-0`);
    assert.ok(got.kind === 'http' && got.status === 200);
    const list = await api.send('GET', cms);
    assert.ok(list.kind === 'http' && list.status === 200);
    const listed = (JSON.parse(list.body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
    assert.deepEqual(listed.filter((n) => n.startsWith('fill-')).sort(), [...fill].sort());

    // Deletes work over the quota; compaction then frees their pages and writes are admitted again.
    for (const name of fill) {
      const d = await api.send('DELETE', `${cms}/${name}`);
      assert.ok(d.kind === 'http' && d.status === 200, JSON.stringify(d).slice(0, 300));
    }
    const deleted = performance.now();
    await eventually(async () => {
      const a = await api.send('POST', cms, bigConfigMap('after-quota', 4));
      return a.kind === 'http' && a.status === 201;
    }, 60_000, 250);
    acked.set('after-quota', 4 * 1024);
    // The deferred bootstrap finishes too, so the server reports ready again.
    await eventually(async () => (await c.request('/readyz')).status === 200, 30_000, 250);
    const recovered = await scrape(api);
    const figures = `bounded-storage quota: quota-MiB=${mib(QUOTA_BYTES)} used-at-start-MiB=${mib(before.usedBytes)} creates-before-507=${fill.length} used-when-refused-MiB=${mib(full.usedBytes)} used-after-compaction-MiB=${mib(recovered.usedBytes)} writes-admitted-again-after-ms=${Math.round(performance.now() - deleted)} restart-over-quota-ms=${restartMs}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    assert.ok(recovered.usedBytes < QUOTA_BYTES, figures);
  });

  it('disk full: writes get 507, reads go on, writes come back without a restart, nothing acknowledged is lost', { timeout: 240_000, skip: root ? false : 'needs root to mount a tmpfs' }, async (t) => {
    const pid = c.pid;
    const small = async (name: string): Promise<ApiAnswer> => {
      const a = await api.send('POST', cms, bigConfigMap(name, 1));
      if (a.kind === 'http' && a.status === 201) acked.set(name, 1024);
      return a;
    };
    for (let i = 0; i < 20; i++) {
      const a = await small(`pre-${i}`);
      assert.ok(a.kind === 'http' && a.status === 201, JSON.stringify(a).slice(0, 300));
    }
    // A ballast file takes every free block of the tmpfs.
    const ballast = join(dir, 'ballast');
    const fd = openSync(ballast, 'w');
    const chunk = Buffer.alloc(1024 * 1024, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
    // Pages already allocated to the WAL can still take small commits; big objects need new blocks soon. Small and
    // big writes go in pairs, at once, so refusals and successes share batches.
    let refused: ApiAnswer | undefined;
    let whileFull = 0;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 50 && refused === undefined; i++) {
      const answers = await Promise.all([
        small(`full-small-${i}`),
        api.send('POST', cms, bigConfigMap(`full-${i}`, 128)).then((a) => {
          if (a.kind === 'http' && a.status === 201) acked.set(`full-${i}`, 128 * 1024);
          return a;
        }),
      ]);
      for (const a of answers) {
        if (a.kind === 'http') statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.kind === 'http' && a.status === 201) whileFull++;
        else refused ??= a;
      }
    }
    assert.ok(refused?.kind === 'http', `no refusal with the disk full: ${JSON.stringify(refused)?.slice(0, 300)}`);
    assert.equal(refused.status, 507, refused.body.slice(0, 300));
    assert.match(refused.body, /disk holding the database is full/);
    // Still full: reads are served, the process is the same one.
    const list = await api.send('GET', cms);
    assert.ok(list.kind === 'http' && list.status === 200, JSON.stringify(list).slice(0, 300));
    const again = await api.send('POST', cms, bigConfigMap('still-full', 128));
    assert.ok(again.kind === 'http' && again.status === 507, JSON.stringify(again).slice(0, 300));

    rmSync(ballast);
    const freed = performance.now();
    await eventually(async () => {
      const a = await api.send('POST', cms, bigConfigMap('after-full', 128));
      return a.kind === 'http' && a.status === 201;
    }, 30_000, 250);
    acked.set('after-full', 128 * 1024);
    const recoveredMs = Math.round(performance.now() - freed);
    for (let i = 0; i < 20; i++) {
      const a = await small(`post-${i}`);
      assert.ok(a.kind === 'http' && a.status === 201, JSON.stringify(a).slice(0, 300));
    }
    assert.equal(c.pid, pid, 'the server was not restarted');
    assert.ok(processAlive(pid));

    // Every acknowledged write reads back through the API...
    for (const [name, length] of acked) {
      const g = await api.send('GET', `${cms}/${name}`);
      assert.ok(g.kind === 'http' && g.status === 200, `${name}: ${JSON.stringify(g).slice(0, 200)}`);
      assert.equal((JSON.parse(g.body) as { data: { blob: string } }).data.blob.length, length, name);
    }
    // ...and from the file once the server stopped, which passes SQLite's integrity check.
    api.close();
    await c.kill('SIGTERM');
    const db = new Database(join(dir, 'state.db'), { readonly: true });
    let integrity: unknown;
    let found = 0;
    try {
      integrity = db.pragma('integrity_check', { simple: true });
      const latest = db.prepare<[string], { deleted: number }>('SELECT deleted FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1');
      for (const name of acked.keys()) if (latest.get(`/registry/configmaps/${ns}/${name}`)?.deleted === 0) found++;
    } finally {
      db.close();
    }
    const figures = `bounded-storage disk-full: tmpfs=${TMPFS_SIZE} writes-acked-while-filling=${whileFull} answers=${JSON.stringify(Object.fromEntries(statuses))} writes-again-after-ms=${recoveredMs} acknowledged=${acked.size} read-back=${acked.size} in-file=${found} integrity=${String(integrity)}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    assert.equal(integrity, 'ok', figures);
    assert.equal(found, acked.size, figures);
    assert.deepEqual([...statuses.keys()].filter((s) => s !== 201 && s !== 507), [], figures);
  });
});
