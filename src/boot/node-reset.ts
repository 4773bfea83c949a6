/**
 * resetNode: what `tkube reset` undoes on this machine, as `kubeadm reset` does: whatever `tkube init`, `tkube up`
 * or `tkube join` (worker or `--control-plane`) started from a data dir.
 *  1. the server (`server.json`'s pid) and an embedded etcd member it left running (`db/etcd.pid`);
 *  2. a joined node's agent (`agent.pid`, in the data dir itself or in `<data-dir>/agent`, join's default);
 *  3. the pods those nodes left running, their mounts, the service proxy's table, the pod network's bridge and
 *     nftables tables (node-cleanup.ts, through the runtimes that made them);
 *  4. the data dir (certificates, database, images, logs) and the "tkube" kubeconfig context `up` merged.
 * Each thing removed is reported as one line; a second reset finds nothing and says so. Unlike kubeadm it does not
 * remove an etcd member from its cluster (`etcdctl member remove`) nor the Node object: the other servers still run.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../base/log/logger.js';
import { pollUntil } from '../base/wait/poll-until.js';
import { removeFromKubeconfig } from '../client/kubeconfig.js';
import { stopNodeWorkloads } from './node-cleanup.js';
import { processAlive, readServerState } from './server-state.js';

/** ResetOptions says what to reset and where to report. */
export interface ResetOptions {
  readonly dataDir: string;
  /** The kubeconfig `up` merges its context into; the context is removed from it. */
  readonly userKubeconfig?: string;
  /** The context name `up` merges. @default "tkube" */
  readonly context?: string;
  readonly log: Logger;
  /** Hears one line per thing removed. */
  readonly removed: (what: string) => void;
}

/** stopProcess sends SIGTERM, waits up to `graceMs`, then SIGKILL; resolves true when it had to stop something. */
async function stopProcess(pid: number, graceMs: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return false;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  if (!(await pollUntil(() => !processAlive(pid), { timeoutMs: graceMs }))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    await pollUntil(() => !processAlive(pid), { timeoutMs: 5_000 });
  }
  return true;
}

function pidIn(path: string): number {
  return existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : NaN;
}

/** resetNode undoes this machine's tkube node or server of `dataDir`; resolves with how many things it removed. */
export async function resetNode(o: ResetOptions): Promise<number> {
  let count = 0;
  const removed = (what: string): void => {
    count++;
    o.removed(what);
  };
  const server = readServerState(o.dataDir);
  if (server && (await stopProcess(server.pid, 30_000))) removed(`stopped the server (pid ${server.pid})`);
  const etcd = pidIn(join(o.dataDir, 'db', 'etcd.pid'));
  if (await stopProcess(etcd, 10_000)) removed(`stopped the embedded etcd member (pid ${etcd})`);
  // A joined node: the agent runs from the data dir given to join, or from join's default under it.
  const nodeDirs = [o.dataDir, join(o.dataDir, 'agent')];
  for (const dir of nodeDirs) {
    const agent = pidIn(join(dir, 'agent.pid'));
    if (await stopProcess(agent, 30_000)) removed(`stopped the node agent (pid ${agent})`);
  }
  for (const dir of nodeDirs) {
    const pods = await stopNodeWorkloads(dir, o.log, removed);
    if (pods > 0) removed(`stopped ${pods} pod${pods === 1 ? '' : 's'} of the node`);
  }
  if (existsSync(o.dataDir)) {
    rmSync(o.dataDir, { recursive: true, force: true });
    removed(`removed the data dir ${o.dataDir}`);
  }
  if (o.userKubeconfig && removeFromKubeconfig(o.userKubeconfig, o.context ?? 'tkube')) removed(`removed context "${o.context ?? 'tkube'}" from ${o.userKubeconfig}`);
  return count;
}
