/**
 * Clean-up for tests that run a real runc node: what the node's kubelet could not remove before the server
 * stopped (containers, overlay mounts, network namespaces, the kubepods cgroups).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** cleanUpRuncNode removes what a runc node test may leave: containers, mounts, network namespaces, cgroups. */
export function cleanUpRuncNode(dataDir: string, netns: readonly string[]): void {
  const runcDir = join(dataDir, 'agent', 'runc');
  execFileSync('sh', ['-c', `[ -d ${runcDir}/runc ] && runc --root ${runcDir}/runc list -q 2>/dev/null | xargs -r -n1 runc --root ${runcDir}/runc delete --force; grep -o '${runcDir}[^ ]*' /proc/mounts | xargs -r -n1 umount -l; true`]);
  for (const ns of netns) execFileSync('sh', ['-c', `ip netns delete ${ns} 2>/dev/null; true`]);
  // Pod cgroups went with their pods; the QoS parents and kubepods go too when nothing else uses them.
  execFileSync('sh', ['-c', 'for d in /sys/fs/cgroup/*/kubepods; do rmdir "$d"/burstable "$d"/besteffort "$d" 2>/dev/null; done; true']);
}

/** sandboxNetns lists the network namespaces of the node's sandboxes (read before the server stops). */
export function sandboxNetns(dataDir: string): string[] {
  const dir = join(dataDir, 'agent', 'runc', 'sandboxes');
  const ids = existsSync(dir) ? readdirSync(dir) : [];
  return ids.map((id) => {
    try {
      return (JSON.parse(readFileSync(join(dir, id, 'sandbox.json'), 'utf8')) as { netns?: string }).netns ?? '';
    } catch {
      return '';
    }
  }).filter((n) => n !== '');
}

