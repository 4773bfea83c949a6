/**
 * Clean-up for a TestCluster whose node runs the process runtime (`--container-runtime process`): container
 * processes are plain host processes, so whatever the kubelet did not stop must be killed by pid before the test
 * ends — each container's process group (its main pid leads it), then its supervisor.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from './host-tools.js';
import type { TestCluster } from './test-cluster.js';

/** ProcessNodePids are the pids the process runtime recorded under a node's data dir. */
export interface ProcessNodePids {
  /** Each started container's main pid, which leads its process group. */
  readonly groups: number[];
  /** Each container's supervisor. */
  readonly supervisors: number[];
}

/** processNodePids reads the runtime's container records (a container not started yet has none). */
export function processNodePids(dataDir: string): ProcessNodePids {
  const dir = join(dataDir, 'agent', 'process', 'containers');
  const out: ProcessNodePids = { groups: [], supervisors: [] };
  if (!existsSync(dir)) return out;
  for (const id of readdirSync(dir)) {
    try {
      out.groups.push((JSON.parse(readFileSync(join(dir, id, 'pid'), 'utf8')) as { pid: number }).pid);
    } catch {
      // Not started.
    }
    try {
      const pid = (JSON.parse(readFileSync(join(dir, id, 'container.json'), 'utf8')) as { supervisor?: { pid: number } }).supervisor?.pid;
      if (pid) out.supervisors.push(pid);
    } catch {
      // No record.
    }
  }
  return out;
}

/**
 * deletePodsAndCleanUpProcessNode deletes every pod in the default namespace (controllers that would replace them
 * must be deleted first), stops the server, kills what is left by pid and removes the data dir.
 */
export async function deletePodsAndCleanUpProcessNode(c: TestCluster): Promise<void> {
  await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=30s']);
  const left = processNodePids(c.dataDir);
  await c.stop();
  for (const pid of left.groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  for (const pid of left.supervisors) {
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(c.dataDir, { recursive: true, force: true });
}
