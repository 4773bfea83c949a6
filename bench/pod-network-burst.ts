/**
 * Pod network set-up in a burst (issue 6): N sandboxes connected to a BridgeNetwork of their own, 16 at a time (the
 * kubelet's concurrent syncs), through the node's compiled host command helper, and the CPU of the whole cpuacct
 * group (this process, the helper and every `ip` run) per sandbox — the network's share of a pod start without the
 * server, runc or the other helpers' noise. `--src DIR` loads the network from another checkout's `src/` (an older
 * commit, for a pair in the same minutes). Everything made is removed at the end (namespaces, bridge, table).
 * Run (root): bench/in-cpuacct-cgroup.sh node --import tsx bench/pod-network-burst.ts [--sandboxes 200] [--src DIR]
 * Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { numberArg } from './bench-args.js';

const SANDBOXES = numberArg('--sandboxes', 200);
const srcIdx = process.argv.indexOf('--src');
const SRC = resolve(srcIdx > 0 ? (process.argv[srcIdx + 1] ?? 'src') : join(import.meta.dirname, '..', 'src'));

type Network = {
  start(): Promise<void>;
  stop(): Promise<void>;
  warmFilled(): Promise<void>;
  setUp(r: Record<string, unknown>): Promise<{ netnsPath?: string }>;
};
const { BridgeNetwork, destroyBridgeNetwork } = (await import(pathToFileURL(join(SRC, 'agent/network/bridge-network.ts')).href)) as {
  BridgeNetwork: new (c: Record<string, unknown>) => Network;
  destroyBridgeNetwork: (r: { bridge: string; table: string; podCidr: string }) => Promise<void>;
};
const { useCompiledHelper } = (await import(pathToFileURL(join(SRC, 'agent/host/command-runner.ts')).href)) as { useCompiledHelper: (dir: string) => Promise<void> };
const { newLogger } = (await import(pathToFileURL(join(SRC, 'base/log/logger.ts')).href)) as { newLogger: (n: string) => unknown };

function groupCpuMs(): number {
  const path = /^\d+:cpuacct(?:,[^:]*)?:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (path === undefined || path === '/') throw new Error('run inside a cpuacct cgroup of its own (bench/in-cpuacct-cgroup.sh)');
  return Number(readFileSync(join('/sys/fs/cgroup/cpuacct', path, 'cpuacct.usage'), 'utf8')) / 1e6;
}

const id = process.pid % 100_000;
const bridge = `tknb${id}`;
const table = `tkube-netburst-${process.pid}`;
const podCidr = '10.248.0.0/22';
const dir = mkdtempSync(join(tmpdir(), 'tkube-netburst-'));
const coldPrefix = `tknbc${id}-`;
const network = new BridgeNetwork({ dir, podCidr, clusterCidr: '10.248.0.0/16', bridgeName: bridge, table, warmNetns: 4, log: newLogger('netburst') });
try {
  await useCompiledHelper(join(dir, 'bin'));
  await network.start();
  await network.warmFilled();
  const c0 = groupCpuMs();
  const t0 = performance.now();
  let next = 0;
  let warm = 0;
  const worker = async (): Promise<void> => {
    while (next < SANDBOXES) {
      const i = next++;
      const r = await network.setUp({ sandboxId: `s${i}`, podNamespace: 'default', podName: `p${i}`, podUID: `u${i}`, netnsPath: `/run/netns/${coldPrefix}${i}`, portMappings: [], createNetns: true });
      if (r.netnsPath !== undefined) warm++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpuMs = groupCpuMs() - c0;
  console.log(JSON.stringify({ src: SRC, sandboxes: SANDBOXES, fromPool: warm, seconds: Math.round(seconds * 100) / 100, groupCpuMsPerSandbox: Math.round((cpuMs / SANDBOXES) * 100) / 100, loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }));
} finally {
  await network.stop().catch(() => undefined);
  // The namespaces made on demand; destroyBridgeNetwork finds the pool's (free or handed over) by their prefix.
  for (const ns of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '')) {
    if (ns.startsWith(coldPrefix)) execFileSync('ip', ['netns', 'delete', ns]);
  }
  await destroyBridgeNetwork({ bridge, table, podCidr });
  rmSync(dir, { recursive: true, force: true });
}
