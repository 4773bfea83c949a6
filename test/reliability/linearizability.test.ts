/**
 * Linearizability under faults: clients contend on a few shared ConfigMaps (create, get, update and delete with
 * resourceVersion preconditions) while the server is killed with SIGKILL and restarted (sometimes onto a slow disk:
 * a 15 ms stall before every fsync), and paused with SIGSTOP; each run's history is checked by our Wing–Gong
 * checker. Bounded: 3 runs × up to 1,000 operations (or 12 s each); long mode (TKUBE_LONG=1): 100 runs × 20,000 operations.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryRecorder } from './history/history.js';
import { checkRegisterHistory } from './history/register-checker.js';
import { withReliabilityServer } from './reliability-server.js';
import { crashAndRestart, isLong, pause, sleep } from './workload/faults.js';
import { RegisterWorkload, ServerGate } from './workload/register-workload.js';

const LONG = isLong();
/** TKUBE_LIN_RUNS and TKUBE_LIN_OPS override the counts (to measure more than the bounded mode without the long one). */
const RUNS = Number(process.env.TKUBE_LIN_RUNS ?? (LONG ? 100 : 3));
const OPS_PER_RUN = Number(process.env.TKUBE_LIN_OPS ?? (LONG ? 20_000 : 1_000));
/** TKUBE_LIN_SECONDS starts no new run after that long (the figures report the runs done): 100 runs take hours. */
const BUDGET_MS = Number(process.env.TKUBE_LIN_SECONDS ?? Infinity) * 1000;
const MEASURING = LONG || process.env.TKUBE_LIN_OPS !== undefined;
const CLIENTS = 16;
const KEYS = 8;
const KILLS_PER_RUN = MEASURING ? 4 : 1;
/** A run stops at its operation count or after this long, whichever comes first (a busy machine is slow). */
const RUN_BUDGET_MS = MEASURING ? 600_000 : 12_000;
const ARGS = ['--compaction-interval', '150ms', '--compaction-keep-revisions', '200'];

describe('linearizability under kills, pauses and slow disks', () => {
  const server = withReliabilityServer(ARGS);

  it(`${RUNS} fault runs × ${OPS_PER_RUN} operations: 0 violations`, { timeout: MEASURING ? 6 * 3600_000 : 240_000 }, async (t) => {
    const { api } = server;
    const gate = new ServerGate();
    const target = server.faultTarget(gate);
    const totals = { ops: 0, violations: 0, undecided: 0, kills: 0, pauses: 0, slowDiskRestarts: 0, infos: 0, conflicts: 0, seconds: 0 };
    const began = performance.now();
    let runs = 0;
    for (let run = 0; run < RUNS && performance.now() - began < BUDGET_MS; run++, runs++) {
      const ns = `lin-${run}`;
      const created = await api.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      assert.ok(created.kind === 'http' && created.status === 201, JSON.stringify(created));
      const recorder = new HistoryRecorder();
      const workload = new RegisterWorkload({ api, recorder, gate, namespace: ns, clients: CLIENTS, keys: KEYS, mode: 'shared', readRatio: 0.25, deleteRatio: 0.1 });
      const stop = new AbortController();
      const running = workload.run(stop.signal);
      // Faults, spaced so the workload makes progress between them, until the run has its operations.
      let kills = 0;
      const started = performance.now();
      while (recorder.operations.length < OPS_PER_RUN && performance.now() - started < RUN_BUDGET_MS) {
        await sleep(400 + Math.random() * 800);
        if (recorder.operations.length >= OPS_PER_RUN) break;
        const roll = Math.random();
        if (roll < 0.35 && kills < KILLS_PER_RUN) {
          const slow = Math.random() < 0.3;
          await crashAndRestart(target, slow ? { TKUBE_FAILPOINTS: 'sqlite-before-fsync=sleep(15)' } : {});
          kills++;
          totals.kills++;
          if (slow) totals.slowDiskRestarts++;
        } else if (roll < 0.7) {
          await pause(target, 100 + Math.random() * 500);
          totals.pauses++;
        }
      }
      totals.seconds += (performance.now() - started) / 1000;
      stop.abort();
      await running;
      // Final reads of every key close the history.
      for (const key of workload.keys()) await workload.get(0, key);
      const r = checkRegisterHistory(recorder.operations);
      assert.deepEqual(workload.unexpected, [], 'every answer is one the workload expects');
      totals.ops += r.operations;
      totals.violations += r.violations.length;
      totals.undecided += r.undecided.length;
      totals.infos += workload.stats.infos;
      totals.conflicts += workload.stats.conflicts;
      if (process.env.TKUBE_RELIABILITY_VERBOSE) console.log(`# run ${run}: operations=${r.operations} violations=${r.violations.length} undecided=${r.undecided.length} kills=${kills} total-seconds=${Math.round((performance.now() - began) / 1000)}`);
      if (!r.ok) t.diagnostic(`run ${run}: ${JSON.stringify(r.violations.slice(0, 3))} undecided ${r.undecided.join(',')}`);
      if (!r.ok) {
        const ids = new Set(r.violations.flatMap((v) => v.ops));
        const involved = recorder.operations.filter((o) => ids.has(o.id)).sort((a, b) => a.invoke - b.invoke);
        t.diagnostic(JSON.stringify(involved.slice(0, 60)));
      }
    }
    const figures = `linearizability: runs=${runs} operations=${totals.ops} violations=${totals.violations} undecided=${totals.undecided} kills=${totals.kills} pauses=${totals.pauses} slow-disk-restarts=${totals.slowDiskRestarts} indeterminate=${totals.infos} conflicts=${totals.conflicts} ops/s=${Math.round(totals.ops / totals.seconds)}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    assert.equal(totals.violations, 0, figures);
    assert.equal(totals.undecided, 0, figures);
  });
});
