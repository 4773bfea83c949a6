/**
 * Failpoints: named places in the storage code where a fault can be injected, for the crash-durability and
 * linearizability suites (test/reliability/). Armed only by the environment variable `TKUBE_FAILPOINTS`, read once
 * when this module loads; when it is unset every `failpoint()` call is one comparison against `undefined`.
 *
 * Syntax: `TKUBE_FAILPOINTS=name=action[@N],name=action,...` where action is
 * - `panic`: the process kills itself with SIGKILL at that instant (a `kill -9` that lands exactly there);
 * - `sleep(MS)`: the thread blocks for MS milliseconds (a slow disk: the event loop stalls as on a slow fsync);
 * and `@N` arms it only from its Nth hit on (counting from 1), so a test can land a crash mid-workload rather than
 * during start-up. With `TKUBE_FAILPOINTS_ARM=signal` as well, hits are not even counted until the process gets
 * SIGUSR2 (a test sends it once the server is ready and its workload starts, since start-up writes vary). Unknown names are harmless (nothing calls them); a malformed entry stops the process at start with
 * one line on stderr, since a test that believes it injects a fault but does not would prove nothing.
 *
 * Names used by the SQLite backend:
 * - `sqlite-before-commit`: inside the write transaction, after its rows were written, before COMMIT;
 * - `sqlite-after-commit`: after COMMIT, before the WAL's fsync (the writes are not acknowledged yet);
 * - `sqlite-after-fsync`: after the fsync, before writers are answered and watchers notified;
 * - `sqlite-before-fsync`: just before the fsync starts (use with `sleep` for a slow disk);
 * - `compaction-after-meta`: the compact revision is recorded and synced, no row deleted yet;
 * - `compaction-mid`: after each compaction batch deleted its rows, before the next batch or, after the last one,
 *   before free pages are returned and the WAL truncated.
 */

/** FailpointAction is what a failpoint does once armed. */
export type FailpointAction = { readonly kind: 'panic' } | { readonly kind: 'sleep'; readonly ms: number };

/** FailpointSpec is one parsed `name=action@N` entry. */
export interface FailpointSpec {
  readonly name: string;
  readonly action: FailpointAction;
  /** First hit (1-based) at which the action runs. */
  readonly fromHit: number;
}

/** parseFailpoints parses the `TKUBE_FAILPOINTS` syntax; returns an error message for a malformed entry. */
export function parseFailpoints(text: string): FailpointSpec[] | string {
  const specs: FailpointSpec[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^([a-z0-9-]+)=(panic|sleep\((\d+)\))(?:@(\d+))?$/.exec(entry);
    if (!m || m[1] === undefined || m[2] === undefined) return `invalid failpoint "${entry}": want name=panic|sleep(MS)[@N]`;
    const action: FailpointAction = m[2] === 'panic' ? { kind: 'panic' } : { kind: 'sleep', ms: Number(m[3]) };
    specs.push({ name: m[1], action, fromHit: Math.max(1, Number(m[4] ?? '1')) });
  }
  return specs;
}

interface Armed {
  readonly spec: FailpointSpec;
  hits: number;
}

function load(): Map<string, Armed> | undefined {
  const text = process.env.TKUBE_FAILPOINTS;
  if (text === undefined || text === '') return undefined;
  const specs = parseFailpoints(text);
  if (typeof specs === 'string') {
    process.stderr.write(`tkube: TKUBE_FAILPOINTS: ${specs}\n`);
    process.exit(2);
  }
  return new Map(specs.map((s) => [s.name, { spec: s, hits: 0 }]));
}

const armed = load();

/** False until SIGUSR2 when `TKUBE_FAILPOINTS_ARM=signal`; a handler is installed only when failpoints are set. */
let counting = true;
if (armed !== undefined && process.env.TKUBE_FAILPOINTS_ARM === 'signal') {
  counting = false;
  process.on('SIGUSR2', () => (counting = true));
}

/** failpointsEnabled tells whether any failpoint is armed (for callers that would otherwise compute something). */
export const failpointsEnabled = armed !== undefined;

/** failpoint runs the action armed for `name`, if any; a no-op unless `TKUBE_FAILPOINTS` named it. */
export function failpoint(name: string): void {
  if (armed === undefined) return;
  const fp = armed.get(name);
  if (fp === undefined || !counting) return;
  fp.hits++;
  if (fp.hits < fp.spec.fromHit) return;
  const action = fp.spec.action;
  if (action.kind === 'panic') {
    process.stderr.write(`tkube: failpoint ${name} (hit ${fp.hits}): panic\n`);
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  // A blocking sleep on purpose: it stands for a disk that stalls the thread doing I/O.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, action.ms);
}
