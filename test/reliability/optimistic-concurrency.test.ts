/**
 * Optimistic concurrency: 64 clients increment one counter (a ConfigMap) by read-modify-write with the
 * resourceVersion they read as precondition. Proves: the final value equals the number of successful updates (no
 * lost update); successful updates form one chain (each consumed the revision the previous one produced, none
 * consumed the same revision twice); every refused update is a 409 Conflict whose revision had really been
 * superseded; nothing else (no 5xx, no other status).
 * Bounded: 64 clients × 25 attempts; long mode (TKUBE_LONG=1): 64 × 10,000. TKUBE_OCC_ATTEMPTS sets the attempts per
 * client (to estimate a long run from a shorter one); TKUBE_OCC_SECONDS stops starting attempts after that long (the
 * figures line reports the attempts made), for a machine too loaded to finish 640,000 in the time at hand.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withReliabilityServer } from './reliability-server.js';
import { isLong } from './workload/faults.js';

const LONG = isLong();
const CLIENTS = 64;
const ATTEMPTS = Number(process.env.TKUBE_OCC_ATTEMPTS ?? (LONG ? 10_000 : 25));
const VERBOSE = process.env.TKUBE_RELIABILITY_VERBOSE !== undefined;
const BUDGET_MS = Number(process.env.TKUBE_OCC_SECONDS ?? Infinity) * 1000;

interface Counter {
  metadata: { name: string; resourceVersion: string };
  data: { n: string };
}

describe('optimistic concurrency', () => {
  const server = withReliabilityServer();

  it(`${CLIENTS} clients × ${ATTEMPTS} read-modify-write increments: final = successes, every stale update a 409`, { timeout: LONG ? 6 * 3600_000 : 240_000 }, async (t) => {
    const { api } = server;
    const path = '/api/v1/namespaces/default/configmaps';
    const made = await api.send('POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counter' }, data: { n: '0' } });
    assert.ok(made.kind === 'http' && made.status === 201, JSON.stringify(made));
    const successes: { expected: string; got: string }[] = [];
    const conflicts: string[] = [];
    const other: string[] = [];
    const started = performance.now();
    let attempts = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = 0; i < ATTEMPTS && performance.now() - started < BUDGET_MS; i++) {
          attempts++;
          if (VERBOSE && attempts % 20_000 === 0) {
            console.log(`# optimistic-concurrency: ${attempts} attempts, ${successes.length} successes, ${other.length} other answers, ${Math.round((performance.now() - started) / 1000)} s`);
          }
          const read = await api.send('GET', `${path}/counter`);
          if (read.kind !== 'http' || read.status !== 200) {
            other.push(`GET: ${JSON.stringify(read).slice(0, 200)}`);
            continue;
          }
          const cm = JSON.parse(read.body) as Counter;
          const next = { ...cm, data: { n: String(Number(cm.data.n) + 1) } };
          const put = await api.send('PUT', `${path}/counter`, next);
          if (put.kind === 'http' && put.status === 200) {
            successes.push({ expected: cm.metadata.resourceVersion, got: (JSON.parse(put.body) as Counter).metadata.resourceVersion });
          } else if (put.kind === 'http' && put.status === 409) {
            const status = JSON.parse(put.body) as { kind?: string; reason?: string };
            if (status.kind !== 'Status' || status.reason !== 'Conflict') other.push(`409 without a Conflict Status: ${put.body.slice(0, 200)}`);
            conflicts.push(cm.metadata.resourceVersion);
          } else other.push(`PUT: ${JSON.stringify(put).slice(0, 300)}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const final = await api.send('GET', `${path}/counter`);
    assert.ok(final.kind === 'http' && final.status === 200);
    const finalCm = JSON.parse(final.body) as Counter;
    const value = Number(finalCm.data.n);

    // The successes form one chain from the creation's revision to the final one.
    const byExpected = new Map<string, string>();
    let doubleSpent = 0;
    for (const s of successes) {
      if (byExpected.has(s.expected)) doubleSpent++;
      byExpected.set(s.expected, s.got);
    }
    let rv = (JSON.parse(made.body) as Counter).metadata.resourceVersion;
    let chain = 0;
    while (byExpected.has(rv)) {
      rv = byExpected.get(rv) ?? '';
      chain++;
    }
    // A 409 is legitimate only when some success consumed the revision it carried.
    const wrongConflicts = conflicts.filter((x) => !byExpected.has(x)).length;
    const figures = `optimistic-concurrency: clients=${CLIENTS} attempts=${attempts}/${CLIENTS * ATTEMPTS} successes=${successes.length} conflicts=${conflicts.length} final=${value} chain=${chain} double-spent=${doubleSpent} unjustified-409=${wrongConflicts} other-answers=${other.length} updates/s=${Math.round(successes.length / seconds)} attempts/s=${Math.round(attempts / seconds)} seconds=${seconds.toFixed(1)}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    assert.deepEqual(other.slice(0, 5), [], figures);
    assert.equal(value, successes.length, figures);
    assert.equal(doubleSpent, 0, figures);
    assert.equal(chain, successes.length, figures);
    assert.equal(rv, finalCm.metadata.resourceVersion, figures);
    assert.equal(wrongConflicts, 0, figures);
    assert.equal(successes.length + conflicts.length, attempts, figures);
    if (BUDGET_MS === Infinity) assert.equal(attempts, CLIENTS * ATTEMPTS, figures);
  });
});
