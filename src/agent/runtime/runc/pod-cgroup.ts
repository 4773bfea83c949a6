/**
 * The pod's own cgroup (cgroup v1): `/kubepods[/<qos>]/pod<uid>` in the cpu, cpuacct, memory and pids hierarchies,
 * made before the pod's first container and carrying the pod-level limits, so the pod's containers share one
 * memory limit and one CFS quota as upstream's kubelet arranges. runc makes each container's cgroup beneath it
 * and removes it again; the pod cgroup is removed with the sandbox. The QoS parents (`/kubepods/burstable`, …)
 * stay: other pods use them.
 */
import { mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinuxContainerResources } from '../../cri/runtime-service.js';

/** CGROUP_ROOT is where the v1 hierarchies are mounted. */
export const CGROUP_ROOT = '/sys/fs/cgroup';

const POD_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'];

function safeParent(parent: string): boolean {
  return parent.startsWith('/') && parent !== '/' && !parent.split('/').includes('..');
}

/** applyPodCgroup makes the pod cgroup and writes its limits; a controller that is not mounted is skipped. */
export function applyPodCgroup(parent: string, resources: LinuxContainerResources | undefined, root = CGROUP_ROOT): void {
  if (!safeParent(parent)) throw new Error(`Cannot make pod cgroup "${parent}": not an absolute path below the root`);
  for (const controller of POD_CONTROLLERS) {
    try {
      mkdirSync(join(root, controller, parent), { recursive: true });
    } catch {
      // Not mounted here (or not a v1 hierarchy): nothing to limit through it.
    }
  }
  const write = (controller: string, file: string, value: number): void => {
    writeFileSync(join(root, controller, parent, file), String(value));
  };
  if (!resources) return;
  if (resources.cpuShares) write('cpu', 'cpu.shares', resources.cpuShares);
  if (resources.cpuQuota) {
    write('cpu', 'cpu.cfs_period_us', resources.cpuPeriod ?? 100_000);
    write('cpu', 'cpu.cfs_quota_us', resources.cpuQuota);
  }
  if (resources.memoryLimitInBytes) write('memory', 'memory.limit_in_bytes', resources.memoryLimitInBytes);
  if (resources.pidsLimit) write('pids', 'pids.max', resources.pidsLimit);
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
