/**
 * Overload and fairness: a real `tkube server` with small limits (6 seats shared by the priority levels). One user
 * (flood) runs 48 request loops — far beyond its level's two seats and queue — from a process of its own
 * (FloodProcess: in this process its TLS work would delay the measuring reads), first waiting Retry-After after a
 * refusal (as client-go does), then re-sending at once. Proves: the flood gets 429 with Retry-After, and quickly; the
 * flood that re-sends at once is slowed at its connections (their refusals stay a few per connection per second);
 * another user's requests keep succeeding, with their p99 measured beside an unloaded baseline from the same run
 * (printed; asserted only against a generous bound, the 2× bound is bench/fairness.ts's); every node Lease renewal (as
 * system:node:*) and every leader-election Lease write (as system:kube-controller-manager) made during the flood
 * succeeds; kubectl run as the flooding user gets through by retrying after Retry-After. Bounded: two runs (the flood
 * honouring Retry-After, then ignoring it) of 3 s baseline + 6 s flood; ≈ 40 s.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../harness/test-cluster.js';
import { BearerClient, leasePath, microTime, renewLease } from './bearer-client.js';
import { FloodProcess } from './flood-process.js';

const BASELINE_MS = 3_000;
const FLOOD_MS = 6_000;
const FLOOD_CONCURRENCY = 48;
/** Items per flood list: enough work per request to hold a seat, little enough to leave the event loop headroom. */
const FLOOD_LIST_LIMIT = 20;
const NODES = ['ov-0', 'ov-1', 'ov-2'];
/** The loaded p99 of the other user may be at most this many times its unloaded p99 (at least 200 ms). */
const P99_BOUND = 5;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe('overload and fairness', () => {
  let c: TestCluster;
  let dir: string;
  const clients: BearerClient[] = [];
  let flood: FloodProcess | undefined;
  let other: BearerClient;
  let controllerManager: BearerClient;
  const nodes: BearerClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tkube-overload-'));
    const tokenFile = join(dir, 'tokens.csv');
    writeFileSync(
      tokenFile,
      [
        'flood-token,flood,u1,',
        'other-token,other,u2,',
        'kcm-token,system:kube-controller-manager,u3,',
        ...NODES.map((n, i) => `node-token-${i},system:node:${n},n${i},"system:nodes"`),
        '',
      ].join('\n'),
    );
    c = await TestCluster.start({
      args: ['--token-auth-file', tokenFile, '--authorization-mode', 'AlwaysAllow', '--max-requests-inflight', '4', '--max-mutating-requests-inflight', '2'],
    });
    const ca = c.credentials().ca;
    const client = (token: string): BearerClient => {
      const b = new BearerClient(c.url, ca, token);
      clients.push(b);
      return b;
    };
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, ca);
    flood = await FloodProcess.start({ url: c.url, token: 'flood-token', caFile, concurrency: FLOOD_CONCURRENCY, mode: 'polite', path: `${cms}?limit=${FLOOD_LIST_LIMIT}` });
    other = client('other-token');
    controllerManager = client('kcm-token');
    NODES.forEach((_, i) => nodes.push(client(`node-token-${i}`)));
  });
  after(async () => {
    await flood?.close();
    for (const b of clients) b.close();
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cms = '/api/v1/namespaces/default/configmaps';

  it('sets up objects to list and the Leases to renew', async () => {
    // Something for the flood to list that costs the server real work, and one object for the other user to read.
    // Two at a time: one user's burst beyond its level's seats and queue would itself be refused.
    for (let i = 0; i < 100; i += 2) {
      const made = await Promise.all([i, i + 1].map((k) => other.send('POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${k}` }, data: { v: 'x'.repeat(200) } })));
      assert.ok(made.every((a) => a.status === 201), JSON.stringify(made.find((a) => a.status !== 201)));
    }
    const lease = (ns: string, name: string, holder: string): unknown => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: ns },
      spec: { holderIdentity: holder, leaseDurationSeconds: 40, renewTime: microTime() },
    });
    const created = await Promise.all([
      ...NODES.map((n, i) => nodes[i]!.send('POST', leasePath('kube-node-lease'), lease('kube-node-lease', n, n))),
      controllerManager.send('POST', leasePath('kube-system'), lease('kube-system', 'overload-test-election', 'kcm')),
    ]);
    assert.ok(created.every((a) => a.status === 201), JSON.stringify(created.find((a) => a.status !== 201)));
  });


  /** reader measures the other user's GETs, one at a time, until `until`. */
  const reader = async (until: () => boolean, latencies: number[], failures: string[]): Promise<void> => {
    while (!until()) {
      const a = await other.send('GET', `${cms}/cm-7`);
      if (a.status === 200) latencies.push(a.ms);
      else failures.push(`${a.status} ${a.body.slice(0, 200)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /**
   * floodRun measures the other user alone, then floods for FLOOD_MS with node heartbeats, leader election and the
   * other user at once. `polite` flooders wait Retry-After after a 429, as client-go does; the others retry at once.
   */
  const floodRun = async (polite: boolean) => {
    const baseline: number[] = [];
    const baselineFailures: string[] = [];
    const baselineEnd = performance.now() + BASELINE_MS;
    await reader(() => performance.now() > baselineEnd, baseline, baselineFailures);
    assert.deepEqual(baselineFailures, []);

    let stop = false;
    const until = (): boolean => stop;
    const loaded: number[] = [];
    const loadedFailures: string[] = [];
    const leaseFailures: string[] = [];
    const renewals = { n: 0 };
    const elections = { n: 0 };
    const flooding = flood!.flood(FLOOD_MS, polite ? 'polite' : 'eager');
    // kubectl as the flooding user, in the flood's own flow: client-go retries a 429 after its Retry-After (up to 10
    // times), so it gets through although the flow's queue is full most of the time and its connections are held.
    const kubectlAsFlood = polite
      ? undefined
      : new Promise((r) => setTimeout(r, 300)).then(() =>
          c.kubectl(['--kubeconfig', '/dev/null', '--server', c.url, '--certificate-authority', join(dir, 'ca.crt'), '--token', 'flood-token', '-v=6', 'get', 'configmap', 'cm-7', '-o', 'name'], { timeoutMs: 60_000 }),
        );
    const work = [
      ...NODES.map((n, i) => renewLease(nodes[i]!, 'kube-node-lease', n, until, leaseFailures, renewals)),
      renewLease(controllerManager, 'kube-system', 'overload-test-election', until, leaseFailures, elections),
      // Let the flood fill the queues before measuring the other user.
      new Promise((r) => setTimeout(r, 300)).then(() => reader(until, loaded, loadedFailures)),
    ];
    const floodAnswers = await flooding;
    stop = true;
    await Promise.all(work);
    const kubectl = await kubectlAsFlood;

    const p99Base = percentile(baseline, 99);
    const p99Loaded = percentile(loaded, 99);
    const figures = {
      flood: polite ? 'honours Retry-After' : 'retries at once',
      floodOkPerSec: Math.round(floodAnswers.ok / floodAnswers.seconds),
      flood429PerSec: Math.round(floodAnswers.refused / floodAnswers.seconds),
      flood429p50Ms: Math.round(percentile(floodAnswers.refusedMs, 50)),
      flood429p99Ms: Math.round(percentile(floodAnswers.refusedMs, 99)),
      otherBaseline: { n: baseline.length, p50Ms: +percentile(baseline, 50).toFixed(1), p99Ms: +p99Base.toFixed(1) },
      otherLoaded: { n: loaded.length, p50Ms: +percentile(loaded, 50).toFixed(1), p99Ms: +p99Loaded.toFixed(1) },
      p99Ratio: +(p99Loaded / p99Base).toFixed(2),
      nodeRenewals: renewals.n,
      electionRenewals: elections.n,
      ...(kubectl ? { kubectlAsFlood429s: (kubectl.stderr.match(/ 429 Too Many Requests/g) ?? []).length } : {}),
    };
    console.log(`overload: ${JSON.stringify(figures)}`);

    assert.deepEqual(floodAnswers.otherAnswers, [], 'the flood gets only 200 or 429');
    assert.ok(floodAnswers.refused > 0, 'the flood is refused');
    assert.equal(floodAnswers.refusedWithoutRetryAfter, 0, 'every 429 carries Retry-After');
    // Refusals come at once (queue full), after the queue wait (500 ms), or for a request sent on a held connection
    // after the hold (at most 400 ms); on a loaded 2-core machine the p99 is printed, the median bounded.
    assert.ok(percentile(floodAnswers.refusedMs, 50) < 1000, 'the flood learns of its refusal within a second');
    // A refused connection is not read again for up to 400 ms, or until its flow's queue is half empty
    // (filters/connection-throttle.ts), so even a flood that re-sends at once spends the server's time on service, not
    // on refusals: measured 50–170 refusals/s beside 50–1,600 admitted lists/s from load 30 down to 9; without the
    // throttle 75–870 refusals/s beside 20–170 admitted.
    assert.ok(
      figures.flood429PerSec <= figures.floodOkPerSec + 3 * FLOOD_CONCURRENCY,
      `the flood's refusals are paced at its connections (${figures.flood429PerSec}/s refused, ${figures.floodOkPerSec}/s served)`,
    );
    if (kubectl) assert.equal(kubectl.code, 0, `kubectl as the flooding user gets through by retrying:\n${kubectl.stdout}\n${kubectl.stderr.slice(-2000)}`);
    if (kubectl) assert.equal(kubectl.stdout.trim(), 'configmap/cm-7');
    assert.deepEqual(loadedFailures, [], 'the other user is never refused');
    assert.ok(loaded.length >= 10, `the other user was served (${loaded.length} requests)`);
    assert.deepEqual(leaseFailures, [], 'every Lease renewal succeeds');
    assert.ok(renewals.n >= NODES.length * 5 && elections.n >= 5, `Leases were renewed (${renewals.n} node, ${elections.n} election)`);
    return { p99Base, p99Loaded };
  };

  it('a flood that honours Retry-After: 429s for its excess, the other user within the p99 bound, every Lease renewal succeeds', { timeout: 30_000 }, async () => {
    const { p99Base, p99Loaded } = await floodRun(true);
    // A baseline below 200 ms counts as 200 ms: on a shared 2-core machine (the suite runs two files at a time) the
    // one event loop's CPU, not the filter, sets the loaded latency (see docs/reliability.md).
    assert.ok(p99Loaded <= P99_BOUND * Math.max(p99Base, 200), `the other user's p99 ${p99Loaded.toFixed(1)} ms vs ${p99Base.toFixed(1)} ms unloaded`);
  });

  it('a flood that ignores Retry-After: still 429s, the other user never refused, every Lease renewal succeeds', { timeout: 30_000 }, async () => {
    // The refusals themselves cost the one event loop CPU, so the other user's latency is reported, not bounded.
    await floodRun(false);
  });

  it('/metrics counts the refusals by flow schema, level and reason, and none of the Lease levels', async () => {
    const text = await c.kubectlOk(['get', '--raw', '/metrics']);
    const rejected = [...text.matchAll(/^apiserver_flowcontrol_rejected_requests_total\{([^}]*)\} (\d+)/gm)].map((m) => ({ labels: m[1] ?? '', n: Number(m[2]) }));
    assert.ok(rejected.some((r) => r.labels.includes('priority_level="global-default"') && r.n > 0), text.slice(0, 500));
    assert.deepEqual(rejected.filter((r) => /node-high|leader-election/.test(r.labels)), []);
    assert.match(text, /^apiserver_flowcontrol_nominal_limit_seats\{priority_level="global-default"\} 2$/m);
  });
});
