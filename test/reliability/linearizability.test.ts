/**
 * Linearizability under faults: clients contend on shared ConfigMaps (create, get, update and delete with
 * resourceVersion preconditions) while the server is killed with SIGKILL and restarted (30 % of restarts onto a slow
 * disk: a 15 ms stall before every fsync), and paused with SIGSTOP; each run's history is checked by our Wing–Gong
 * checker. Bounded: 3 runs × up to 1,000 operations (or 12 s each); long mode (TKUBE_LONG=1): 100 runs × 20,000.
 *
 * Faults are placed by operation count from a seed derived from the run's index (fault-schedule.ts): a run has the
 * same faults per operation whatever the machine's load, and run i is the same run in any shard. Shards:
 * TKUBE_LIN_FIRST_RUN=k TKUBE_LIN_RUNS=n runs indices k..k+n-1, so the 100 runs split across processes or sessions.
 * Every run prints one `# lin-run index=… key=value …` line whose figures sum across runs and shards.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryRecorder, type Operation } from './history/history.js';
import { checkRegisterHistory } from './history/register-checker.js';
import { withReliabilityServer } from './reliability-server.js';
import { planFaults, runSeed, seededRandom } from './workload/fault-schedule.js';
import { crashAndRestart, isLong, pause, sleep } from './workload/faults.js';
import { RegisterWorkload, ServerGate } from './workload/register-workload.js';

const LONG = isLong();
const int = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${v}: want a whole number`);
  return n;
};
/** TKUBE_LIN_FIRST_RUN and TKUBE_LIN_RUNS pick the runs (a shard); TKUBE_LIN_OPS overrides the operations per run. */
const FIRST_RUN = int('TKUBE_LIN_FIRST_RUN', 0);
const RUNS = int('TKUBE_LIN_RUNS', LONG ? 100 : 3);
const OPS_PER_RUN = int('TKUBE_LIN_OPS', LONG ? 20_000 : 1_000);
/** TKUBE_LIN_SEED is the base every run's seed derives from (a run is replayed by its index and this). */
const SEED = int('TKUBE_LIN_SEED', 11);
/** TKUBE_LIN_SECONDS starts no new run after that long (the figures report the runs done). */
const BUDGET_MS = Number(process.env.TKUBE_LIN_SECONDS ?? Infinity) * 1000;
const MEASURING = LONG || process.env.TKUBE_LIN_OPS !== undefined;
/**
 * Clients per key stays at 2 (what the checker's search handles in a few hundred ms per 20,000 operations), and
 * a client's view of a key is older the more clients there are, so most updates stay stale (409).
 */
const CLIENTS = int('TKUBE_LIN_CLIENTS', 16);
const KEYS = int('TKUBE_LIN_KEYS', 8);
const KILLS_PER_RUN = MEASURING ? Math.max(1, Math.round((4 * OPS_PER_RUN) / 20_000)) : 1;
/**
 * Pauses per 1,000 operations: the long runs' measured rate on a quiet machine (37 per 20,000), rounded up. The
 * bounded runs get more, and their kill in the first quarter: a loaded machine may give a bounded run only a few
 * hundred operations within its 12 s, and each run must still see its kill.
 */
const PAUSES_PER_THOUSAND = MEASURING ? 2 : 4;
const KILL_SPAN: readonly [number, number] = MEASURING ? [0.05, 0.95] : [0.05, 0.25];
/** A run stops at its operation count or after this long, whichever comes first (a busy machine is slow). */
const RUN_BUDGET_MS = MEASURING ? 1_800_000 : 12_000;
const ARGS = ['--compaction-interval', '150ms', '--compaction-keep-revisions', '200'];

/** RunFigures are one run's figures, printed as `key=value` so lines can be summed. */
interface RunFigures {
  /** 1 when the run reached its operation count (0: stopped by its time budget, some faults may be missing). */
  complete: number;
  operations: number;
  violations: number;
  undecided: number;
  kills: number;
  'slow-disk-restarts': number;
  pauses: number;
  'pause-ms': number;
  'restart-ms': number;
  indeterminate: number;
  conflicts: number;
  'workload-ms': number;
  'final-read-ms': number;
  'check-ms': number;
  'run-ms': number;
  /** CPU of this process (clients, checker) and of the server (summed over its lives). */
  'client-cpu-ms': number;
  'server-cpu-ms': number;
}

/** processCpuMs reads a process's user + system CPU from /proc (0 when unreadable: figures only). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in 1/100 s.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch {
    return 0;
  }
}

/** waitOps resolves once the recorder holds `n` operations, or false when the run's deadline passes first. */
async function waitOps(recorder: HistoryRecorder, n: number, deadline: number): Promise<boolean> {
  while (recorder.operations.length < n) {
    if (performance.now() >= deadline) return false;
    await sleep(10);
  }
  return true;
}

/** checkedOps counts the operations checkRegisterHistory judges: all but reads without an answer. */
function checkedOps(ops: readonly Operation[]): number {
  let n = 0;
  for (const o of ops) if (!(o.kind === 'get' && o.outcome !== 'ok')) n++;
  return n;
}

describe('linearizability under kills, pauses and slow disks', () => {
  const server = withReliabilityServer(ARGS);

  it(`${RUNS} fault runs (from index ${FIRST_RUN}) × ${OPS_PER_RUN} operations: 0 violations`, { timeout: MEASURING ? 6 * 3600_000 : 240_000 }, async (t) => {
    const { api } = server;
    const gate = new ServerGate();
    const target = server.faultTarget(gate);
    const totals: RunFigures = { complete: 0, operations: 0, violations: 0, undecided: 0, kills: 0, 'slow-disk-restarts': 0, pauses: 0, 'pause-ms': 0, 'restart-ms': 0, indeterminate: 0, conflicts: 0, 'workload-ms': 0, 'final-read-ms': 0, 'check-ms': 0, 'run-ms': 0, 'client-cpu-ms': 0, 'server-cpu-ms': 0 };
    const began = performance.now();
    const done: number[] = [];
    for (let run = FIRST_RUN; run < FIRST_RUN + RUNS && performance.now() - began < BUDGET_MS; run++) {
      const runStarted = performance.now();
      const clientCpu = process.cpuUsage();
      let serverCpuBefore = processCpuMs(target.cluster.pid);
      const seed = runSeed(SEED, run);
      const random = seededRandom(seed);
      const f: RunFigures = { complete: 0, operations: 0, violations: 0, undecided: 0, kills: 0, 'slow-disk-restarts': 0, pauses: 0, 'pause-ms': 0, 'restart-ms': 0, indeterminate: 0, conflicts: 0, 'workload-ms': 0, 'final-read-ms': 0, 'check-ms': 0, 'run-ms': 0, 'client-cpu-ms': 0, 'server-cpu-ms': 0 };
      const ns = `lin-${run}`;
      const created = await api.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      assert.ok(created.kind === 'http' && created.status === 201, JSON.stringify(created));
      const plan = planFaults({ ops: OPS_PER_RUN, kills: KILLS_PER_RUN, slowDiskShare: 0.3, pausesPerThousand: PAUSES_PER_THOUSAND, pauseMs: [100, 600], killSpan: KILL_SPAN, random });
      const recorder = new HistoryRecorder();
      const workload = new RegisterWorkload({ api, recorder, gate, namespace: ns, clients: CLIENTS, keys: KEYS, mode: 'shared', readRatio: 0.25, deleteRatio: 0.1, random });
      const stop = new AbortController();
      const started = performance.now();
      const deadline = started + RUN_BUDGET_MS;
      const running = workload.run(stop.signal);
      for (const fault of plan) {
        if (!(await waitOps(recorder, fault.atOp, deadline))) break;
        if (fault.kind === 'kill') {
          f['server-cpu-ms'] += processCpuMs(target.cluster.pid) - serverCpuBefore;
          f['restart-ms'] += await crashAndRestart(target, fault.slowDisk ? { TKUBE_FAILPOINTS: 'sqlite-before-fsync=sleep(15)' } : {});
          f.kills++;
          if (fault.slowDisk) f['slow-disk-restarts']++;
          serverCpuBefore = processCpuMs(target.cluster.pid);
        } else {
          await pause(target, fault.ms);
          f.pauses++;
          f['pause-ms'] += fault.ms;
        }
      }
      // The run counts the operations the checker keeps (a read whose answer never came constrains nothing).
      for (let missing = OPS_PER_RUN - checkedOps(recorder.operations); missing > 0; missing = OPS_PER_RUN - checkedOps(recorder.operations)) {
        if (!(await waitOps(recorder, recorder.operations.length + missing, deadline))) break;
      }
      stop.abort();
      await running;
      f['workload-ms'] = performance.now() - started;
      // Final reads of every key close the history.
      const readStarted = performance.now();
      for (const key of workload.keys()) await workload.get(0, key);
      f['final-read-ms'] = performance.now() - readStarted;
      const checkStarted = performance.now();
      const r = checkRegisterHistory(recorder.operations);
      f['check-ms'] = performance.now() - checkStarted;
      assert.deepEqual(workload.unexpected, [], 'every answer is one the workload expects');
      f.operations = r.operations;
      f.complete = r.operations >= OPS_PER_RUN ? 1 : 0;
      f.violations = r.violations.length;
      f.undecided = r.undecided.length;
      f.indeterminate = workload.stats.infos;
      f.conflicts = workload.stats.conflicts;
      f['run-ms'] = performance.now() - runStarted;
      const cpu = process.cpuUsage(clientCpu);
      f['client-cpu-ms'] = (cpu.user + cpu.system) / 1000;
      f['server-cpu-ms'] += processCpuMs(target.cluster.pid) - serverCpuBefore;
      for (const k of Object.keys(f) as (keyof RunFigures)[]) {
        f[k] = Math.round(f[k]);
        totals[k] += f[k];
      }
      done.push(run);
      const ops = Math.round(f.operations / (f['workload-ms'] / 1000));
      const line = `lin-run index=${run} seed=${seed} ${Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' ')} ops/s=${ops}`;
      if (MEASURING || process.env.TKUBE_RELIABILITY_VERBOSE) console.log(`# ${line}`);
      if (!r.ok) {
        t.diagnostic(`run ${run} (seed ${seed}): ${JSON.stringify(r.violations.slice(0, 3))} undecided ${r.undecided.join(',')}`);
        const ids = new Set(r.violations.flatMap((v) => v.ops));
        const involved = recorder.operations.filter((o) => ids.has(o.id)).sort((a, b) => a.invoke - b.invoke);
        t.diagnostic(JSON.stringify(involved.slice(0, 60)));
        // The whole history, for a test that replays it through the checker (Infinity is not JSON: null there).
        const file = join(process.env.TKUBE_LIN_HISTORY_DIR ?? tmpdir(), `lin-history-${run}-${seed}.json`);
        writeFileSync(file, JSON.stringify(recorder.operations));
        t.diagnostic(`run ${run}: history kept in ${file}`);
      }
    }
    const range = done.length === 0 ? 'none' : `${done[0]}..${done[done.length - 1]}`;
    const figures = `linearizability: runs=${done.length} indices=${range} clients=${CLIENTS} keys=${KEYS} ${Object.entries(totals).map(([k, v]) => `${k}=${v}`).join(' ')} ops/s=${Math.round(totals.operations / (totals['workload-ms'] / 1000))} wall-s=${Math.round((performance.now() - began) / 1000)}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    assert.equal(totals.violations, 0, figures);
    assert.equal(totals.undecided, 0, figures);
  });
});
