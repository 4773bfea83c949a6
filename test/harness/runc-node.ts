/**
 * cleanupRuncNode: what a test that ran a runc node (`TestCluster` with `--container-runtime runc`) does after
 * deleting its pods — stop the server, then remove whatever the kubelet could not: runc containers, mounts
 * under the data dir, the sandboxes' network namespaces, the kubepods cgroup parents when empty, and the data dir.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCluster } from './test-cluster.js';

export async function cleanupRuncNode(c: TestCluster): Promise<void> {
  await cleanupRuncDataDir(c.dataDir, () => c.kill('SIGTERM'));
  await c.stop();
  rmSync(c.dataDir, { recursive: true, force: true });
}

/**
 * cleanupRuncDataDir: the same for any process running a runc node on `dataDir` (a `tkube agent`): `stop` ends
 * the process (its kubelet is gone when it resolves); the caller removes the data dir.
 */
export async function cleanupRuncDataDir(dataDir: string, stop: () => Promise<unknown>): Promise<void> {
  const runcDir = join(dataDir, 'agent', 'runc');
  const sandboxes = existsSync(join(runcDir, 'sandboxes')) ? readdirSync(join(runcDir, 'sandboxes')) : [];
  const netns = sandboxes
    .map((id) => {
      try {
        return (JSON.parse(readFileSync(join(runcDir, 'sandboxes', id, 'sandbox.json'), 'utf8')) as { netns?: string }).netns;
      } catch {
        return undefined;
      }
    })
    .filter((n): n is string => typeof n === 'string' && /^[\w-]+$/.test(n));
  await stop();
  // (runc creates its --root when missing, so it is only asked when the dir survived.)
  execFileSync('sh', ['-c', `[ -d ${runcDir}/runc ] && runc --root ${runcDir}/runc list -q 2>/dev/null | xargs -r -n1 runc --root ${runcDir}/runc delete --force; grep -o '${dataDir}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l; true`]);
  for (const ns of netns) execFileSync('sh', ['-c', `ip netns delete ${ns} 2>/dev/null; true`]);
  // The pods' cgroups went with them; the kubepods and QoS parents go too when empty (rmdir refuses otherwise).
  execFileSync('sh', ['-c', 'for d in /sys/fs/cgroup/*/kubepods/besteffort /sys/fs/cgroup/*/kubepods/burstable /sys/fs/cgroup/*/kubepods; do rmdir "$d" 2>/dev/null; done; true']);
}
