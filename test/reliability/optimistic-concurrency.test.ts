/**
 * Optimistic concurrency: 64 clients increment one counter (a ConfigMap) by read-modify-write with the
 * resourceVersion they read as precondition. Proves: the final value equals the number of successful updates (no
 * lost update); successful updates form one chain (each consumed the revision the previous one produced, none
 * consumed the same revision twice); every refused update is a 409 Conflict whose revision had really been
 * superseded; nothing else (no 5xx, no other status).
 * Bounded: 64 clients × 25 attempts; long mode (TKUBE_LONG=1): 64 × 10,000.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withReliabilityServer } from './reliability-server.js';
import { isLong } from './workload/faults.js';

const LONG = isLong();
const CLIENTS = 64;
const ATTEMPTS = LONG ? 10_000 : 25;

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
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = 0; i < ATTEMPTS; i++) {
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
    const figures = `optimistic-concurrency: clients=${CLIENTS} attempts=${CLIENTS * ATTEMPTS} successes=${successes.length} conflicts=${conflicts.length} final=${value} chain=${chain} double-spent=${doubleSpent} unjustified-409=${wrongConflicts} other-answers=${other.length} updates/s=${Math.round(successes.length / seconds)}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    assert.deepEqual(other.slice(0, 5), [], figures);
    assert.equal(value, successes.length, figures);
    assert.equal(doubleSpent, 0, figures);
    assert.equal(chain, successes.length, figures);
    assert.equal(rv, finalCm.metadata.resourceVersion, figures);
    assert.equal(wrongConflicts, 0, figures);
    assert.equal(successes.length + conflicts.length, CLIENTS * ATTEMPTS, figures);
  });
});
