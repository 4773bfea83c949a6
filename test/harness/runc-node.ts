/**
 * Clean-up for tests that run a real runc node: what the node's kubelet could not remove before its process
 * stopped — runc containers, mounts under the data dir, the sandboxes' network namespaces, the pod network's bridge
 * and nftables table, the service proxy's table, and the kubepods/QoS cgroup parents when empty (rmdir refuses otherwise, so other tests' pods
 * are safe).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { destroyBridgeNetwork, readNetworkRecord } from '../../src/agent/network/bridge-network.js';
import { deleteNftTable } from '../../src/agent/network/policy/nft.js';
import { readPolicyTableRecord } from '../../src/agent/network/policy/policy-table-record.js';
import { readProxyRecord } from '../../src/boot/proxy-record.js';
import type { TestCluster } from './test-cluster.js';

/** cleanUpRuncNode removes what a runc node test may leave: containers, mounts, network namespaces, cgroups. */
export function cleanUpRuncNode(dataDir: string, netns: readonly string[]): void {
  const runcDir = join(dataDir, 'agent', 'runc');
  // (runc creates its --root when missing, so it is only asked when the dir survived.)
  execFileSync('sh', ['-c', `[ -d ${runcDir}/runc ] && runc --root ${runcDir}/runc list -q 2>/dev/null | xargs -r -n1 runc --root ${runcDir}/runc delete --force; grep -o '${dataDir}/[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l; true`]);
  for (const ns of netns) if (/^[\w-]+$/.test(ns)) execFileSync('sh', ['-c', `ip netns delete ${ns} 2>/dev/null; true`]);
  // The node's service proxy tables (runc nodes run the nftables proxy by default; a dual-stack one has an ip6 twin).
  const proxy = readProxyRecord(join(dataDir, 'agent', 'proxy'));
  if (proxy?.mode === 'nftables' && /^[\w-]+$/.test(proxy.table)) execFileSync('sh', ['-c', `nft delete table ip ${proxy.table} 2>/dev/null; nft delete table ip6 ${proxy.table} 2>/dev/null; true`]);
  execFileSync('sh', ['-c', 'for d in /sys/fs/cgroup/*/kubepods; do rmdir "$d"/burstable "$d"/besteffort "$d" 2>/dev/null; done; true']);
}

/** sandboxNetns lists the network namespaces of the node's sandboxes (read before the node's process stops). */
export function sandboxNetns(dataDir: string): string[] {
  const dir = join(dataDir, 'agent', 'runc', 'sandboxes');
  const ids = existsSync(dir) ? readdirSync(dir) : [];
  return ids
    .map((id) => {
      try {
        return (JSON.parse(readFileSync(join(dir, id, 'sandbox.json'), 'utf8')) as { netns?: string }).netns ?? '';
      } catch {
        return '';
      }
    })
    .filter((n) => n !== '');
}

/**
 * cleanupRuncDataDir cleans up after any process running a runc node on `dataDir` (a server or a `tkube agent`):
 * `stop` ends the process (its kubelet is gone when it resolves); the caller removes the data dir.
 */
export async function cleanupRuncDataDir(dataDir: string, stop: () => Promise<unknown>): Promise<void> {
  const netns = sandboxNetns(dataDir);
  await stop();
  cleanUpRuncNode(dataDir, netns);
  const network = readNetworkRecord(join(dataDir, 'agent', 'network'));
  if (network) await destroyBridgeNetwork(network);
  const policyTable = readPolicyTableRecord(join(dataDir, 'agent', 'network-policy'));
  if (policyTable) await deleteNftTable(policyTable.table).catch(() => undefined);
}

/**
 * nodeTables names the nftables tables a node recorded in its data dir — the service proxy's and the NetworkPolicy
 * controller's — which outlive its process by design (the bridge network's clean-up takes only its own NAT table).
 * Read them before the test cluster stops (it may remove its data dir), delete them with deleteNodeTables after.
 */
export function nodeTables(dataDir: string): string[] {
  const proxy = readProxyRecord(join(dataDir, 'agent', 'proxy'));
  const policyTable = readPolicyTableRecord(join(dataDir, 'agent', 'network-policy'));
  return [...(proxy?.mode === 'nftables' ? [proxy.table] : []), ...(policyTable ? [policyTable.table] : [])];
}

/** deleteNodeTables deletes tables named by nodeTables (a missing one is fine). */
export async function deleteNodeTables(tables: readonly string[]): Promise<void> {
  for (const t of tables) await deleteNftTable(t).catch(() => undefined);
}

/** cleanupRuncNode stops a test cluster's server, cleans up its node, and removes its data dir. */
export async function cleanupRuncNode(c: TestCluster): Promise<void> {
  await cleanupRuncDataDir(c.dataDir, () => c.kill('SIGTERM'));
  await c.stop();
  rmSync(c.dataDir, { recursive: true, force: true });
}

/**
 * deletePodsAndCleanUp ends a runc node test on a server started with `--container-runtime runc`: it deletes
 * every pod of the default namespace (so the kubelet tears them down), stops the server, cleans up what is left
 * on the node and removes the data dir.
 */
export async function deletePodsAndCleanUp(c: TestCluster): Promise<void> {
  await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
  const netns = sandboxNetns(c.dataDir);
  await c.stop();
  cleanUpRuncNode(c.dataDir, netns);
  rmSync(c.dataDir, { recursive: true, force: true });
}
