/**
 * cleanUpBenchNode: what a benchmark's runc node leaves goes before its data dir does — pods through the runtime
 * that made them (containers, mounts, netns, cgroups), as `tkube down` does; then, should that have failed, by
 * hand; then the bridge and the nftables table by the names the benchmark gave (idempotent). Call it after
 * `server.halt()` and before `server.stop()`.
 */
import { spawnSync } from 'node:child_process';
import { destroyBridgeNetwork } from '../src/agent/network/bridge-network.js';
import { newLogger } from '../src/base/log/logger.js';
import { stopNodeWorkloads } from '../src/boot/node-cleanup.js';

/** cleanUpBenchNode removes the node state under dataDir and the named pod network. */
export async function cleanUpBenchNode(dataDir: string, network: { readonly bridge: string; readonly table: string; readonly podCidr: string }): Promise<void> {
  const d = dataDir;
  await stopNodeWorkloads(d, newLogger('bench-cleanup')).catch((err: unknown) => process.stderr.write(`node clean-up: ${String(err)}\n`));
  spawnSync('sh', ['-c', `r=${d}/agent/runc/runc; [ -d $r ] && runc --root $r list -q | xargs -r -n1 runc --root $r delete --force; ` +
    `for f in ${d}/agent/runc/sandboxes/*/sandbox.json; do ns=$(grep -o '"netns":"[^"]*"' $f 2>/dev/null | cut -d'"' -f4); [ -n "$ns" ] && ip netns delete $ns; done; ` +
    `grep -o '${d}/[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l; true`]);
  await destroyBridgeNetwork(network);
}
