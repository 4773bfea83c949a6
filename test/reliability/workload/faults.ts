/**
 * Faults the reliability suites inject into a TestCluster's server: kill -9 at a random instant (then a restart on
 * the same data dir, optionally with failpoints armed), and SIGSTOP/SIGCONT pauses. Only the server's own pid is
 * ever signalled.
 */
import type { TestCluster } from '../../harness/test-cluster.js';
import type { ApiClient } from './api-client.js';
import type { ServerGate } from './register-workload.js';

/** sleep waits `ms` milliseconds (fault timing only, never to wait for a condition). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** FaultTarget is the server and the clients that must follow it. */
export interface FaultTarget {
  readonly cluster: TestCluster;
  readonly api: ApiClient;
  readonly gate: ServerGate;
  /** Flags every launch gets (compaction interval and so on). */
  readonly args: readonly string[];
}

/**
 * crashAndRestart kills the server with SIGKILL (unless it already died, e.g. at a failpoint), restarts it on the same
 * data dir (with `env` for that launch, e.g. failpoints) and points the clients at it. Returns the restart time in ms.
 */
export async function crashAndRestart(t: FaultTarget, env: Record<string, string> = {}): Promise<number> {
  t.gate.down();
  const started = performance.now();
  await t.cluster.restart('SIGKILL', { args: t.args, env });
  t.api.reset();
  t.gate.open();
  return performance.now() - started;
}

/** pause stops the server with SIGSTOP for `ms`, then resumes it. */
export async function pause(t: FaultTarget, ms: number): Promise<void> {
  const pid = t.cluster.pid;
  if (pid <= 0) return;
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** isLong tells whether the long mode (`./tkube test --long`, TKUBE_LONG=1) is on. */
export function isLong(): boolean {
  return process.env.TKUBE_LONG === '1';
}
