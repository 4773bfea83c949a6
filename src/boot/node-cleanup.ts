/**
 * stopNodeWorkloads: what `tkube down` and `tkube delete` do after the server process has exited — stop every pod
 * the data dir's node left running (containers outlive the agent by design), through the same runtimes that made
 * them, so their sandboxes, mounts, network namespaces and pod cgroups go the way the kubelet removes them; then
 * the service proxy's table, the pod network's bridge and its nftables tables (NAT and NetworkPolicy). As
 * `minikube stop` stops the machine: a stopped cluster runs nothing.
 * The next `up` starts the pods again from the API's state.
 *
 * Contract: idempotent; a data dir that never ran a node is a no-op. Resolves with how many pods were stopped.
 * `removed`, when given, hears one short line per host object removed (`tkube reset` prints them).
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mountPointsUnder } from '../base/fs/mount-points.js';
import type { RuntimeService } from '../agent/cri/runtime-service.js';
import { destroyBridgeNetwork, readNetworkRecord } from '../agent/network/bridge-network.js';
import { deleteNftTable } from '../agent/network/policy/nft.js';
import { readPolicyTableRecord } from '../agent/network/policy/policy-table-record.js';
import { ProcessRuntime } from '../agent/runtime/process/process-runtime.js';
import { RuncRuntime } from '../agent/runtime/runc/runc-runtime.js';
import type { Logger } from '../base/log/logger.js';
import { promisify } from 'node:util';
import { IptablesProxier } from '../proxy/iptables/iptables-proxier.js';
import { NftablesProxier } from '../proxy/nftables/nftables-proxier.js';
import { openImageStore } from './images.js';
import { POLICY_DIR, runcRuntimeDirs } from './node.js';
import { readProxyRecord } from './proxy-record.js';

const run = promisify(execFile);

export async function stopNodeWorkloads(dataDir: string, log: Logger, removed: (what: string) => void = () => undefined): Promise<number> {
  const agentDir = join(dataDir, 'agent');
  if (!existsSync(agentDir)) return 0;
  const images = await openImageStore(dataDir);
  const runtimes: RuntimeService[] = [];
  if (existsSync(join(agentDir, 'runc')) && process.getuid?.() === 0) runtimes.push(new RuncRuntime({ ...runcRuntimeDirs(agentDir), images, log: log.child('runc') }));
  if (existsSync(join(agentDir, 'process'))) runtimes.push(new ProcessRuntime({ root: join(agentDir, 'process'), images, log: log.child('process') }));
  let stopped = 0;
  for (const runtime of runtimes) {
    for (const sandbox of await runtime.listPodSandbox()) {
      await runtime.removePodSandbox(sandbox.id);
      stopped++;
    }
    await runtime.close();
  }
  // The pods' volumes (tmpfs for secrets and tokens, bind mounts) are the kubelet's, which is gone: unmount what is
  // left under the node's directory, deepest first.
  for (const m of mountPointsUnder(agentDir)) {
    await run('umount', ['-l', m]).then(
      () => removed(`unmounted ${m}`),
      (err: unknown) => log.warn('Cannot unmount', { mount: m, error: err instanceof Error ? err.message : String(err) }),
    );
  }
  // The service proxy's table: Services of a stopped cluster lead nowhere.
  const proxyDir = join(agentDir, 'proxy');
  const proxy = readProxyRecord(proxyDir);
  if (proxy && process.getuid?.() === 0) {
    const proxier = proxy.mode === 'nftables' ? new NftablesProxier({ table: proxy.table }) : new IptablesProxier({ nodeName: proxy.nodeName, restoreRouteLocalnet: proxy.routeLocalnetSet === true });
    // A dual-stack node's iptables proxy has the same chains in ip6tables (nothing to do when there are none).
    const ip6 = proxy.mode === 'iptables' ? new IptablesProxier({ nodeName: proxy.nodeName, family: 'IPv6' }) : undefined;
    await Promise.all([proxier.cleanup(), ip6?.cleanup()]).then(
      () => removed(proxy.mode === 'nftables' ? `removed the service proxy's nftables table ${proxy.table}` : `removed the service proxy's iptables rules of node ${proxy.nodeName}`),
      (err: unknown) => log.warn('Cannot remove the service proxy rules', { ...proxy, error: err instanceof Error ? err.message : String(err) }),
    );
  }
  rmSync(proxyDir, { recursive: true, force: true });
  const networkDir = join(agentDir, 'network');
  const network = readNetworkRecord(networkDir);
  if (network && process.getuid?.() === 0) {
    await destroyBridgeNetwork(network);
    removed(`removed the pod network: bridge ${network.bridge} (${network.podCidr}) and nftables table ${network.table}`);
  }
  // The NetworkPolicy table: no pod is left for it to isolate.
  const policyDir = join(agentDir, POLICY_DIR);
  const policyTable = readPolicyTableRecord(policyDir);
  if (policyTable && process.getuid?.() === 0) {
    await deleteNftTable(policyTable.table).then(
      () => removed(`removed the NetworkPolicy nftables table ${policyTable.table}`),
      (err: unknown) => log.warn('Cannot delete the NetworkPolicy table', { table: policyTable.table, error: err instanceof Error ? err.message : String(err) }),
    );
  }
  rmSync(policyDir, { recursive: true, force: true });
  // Address leases of pods that no longer exist; the next start hands out addresses afresh.
  rmSync(networkDir, { recursive: true, force: true });
  return stopped;
}
