/**
 * The pod's own cgroup (cgroup v1): `/kubepods[/<qos>]/pod<uid>` in the cpu, cpuacct, memory and pids hierarchies,
 * made before the pod's first container and carrying the pod-level limits, so the pod's containers share one
 * memory limit and one CFS quota as upstream's kubelet arranges. runc makes each container's cgroup beneath it
 * and removes it again; the pod cgroup is removed with the sandbox. The QoS parents (`/kubepods/burstable`, …)
 * stay: other pods use them.
 */
import { readdirSync, rmdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LinuxContainerResources } from '../../cri/runtime-service.js';

/** CGROUP_ROOT is where the v1 hierarchies are mounted. */
export const CGROUP_ROOT = '/sys/fs/cgroup';

const POD_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'];

function safeParent(parent: string): boolean {
  return parent.startsWith('/') && parent !== '/' && !parent.split('/').includes('..');
}

/**
 * applyPodCgroup makes the pod cgroup and writes its limits; a controller that is not mounted is skipped. The
 * hierarchies are made at once, on libuv's thread pool: a cgroup mkdir waits on the kernel's cgroup lock, whole
 * milliseconds each while other pods start.
 */
export async function applyPodCgroup(parent: string, resources: LinuxContainerResources | undefined, root = CGROUP_ROOT): Promise<void> {
  if (!safeParent(parent)) throw new Error(`Cannot make pod cgroup "${parent}": not an absolute path below the root`);
  await Promise.all(
    POD_CONTROLLERS.map((controller) =>
      mkdir(join(root, controller, parent), { recursive: true }).catch(() => {
        // Not mounted here (or not a v1 hierarchy): nothing to limit through it.
      }),
    ),
  );
  if (!resources) return;
  const write = (controller: string, file: string, value: number): Promise<void> => writeFile(join(root, controller, parent, file), String(value));
  // The period goes before the quota (the kernel checks the quota against the period in force).
  await Promise.all([
    resources.cpuShares ? write('cpu', 'cpu.shares', resources.cpuShares) : undefined,
    resources.cpuQuota ? write('cpu', 'cpu.cfs_period_us', resources.cpuPeriod ?? 100_000).then(() => write('cpu', 'cpu.cfs_quota_us', resources.cpuQuota ?? 0)) : undefined,
    resources.memoryLimitInBytes ? write('memory', 'memory.limit_in_bytes', resources.memoryLimitInBytes) : undefined,
    resources.pidsLimit ? write('pids', 'pids.max', resources.pidsLimit) : undefined,
  ]);
}

/** removePodCgroup removes the (empty) pod cgroup from every hierarchy; a busy or absent one is left alone. */
export function removePodCgroup(parent: string, root = CGROUP_ROOT): void {
  if (!safeParent(parent)) return;
  let controllers: string[];
  try {
    controllers = readdirSync(root);
  } catch {
    return;
  }
  for (const controller of controllers) {
    try {
      rmdirSync(join(root, controller, parent));
    } catch {
      // Absent, or a container still lives in it.
    }
  }
}

/** memoryOomControlPath is the `memory.oom_control` file of a container's cgroup (its `oom_kill` counts OOM kills). */
export function memoryOomControlPath(cgroupsPath: string, root = CGROUP_ROOT): string {
  return join(root, 'memory', cgroupsPath, 'memory.oom_control');
}
