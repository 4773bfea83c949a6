/**
 * `tkube reset`: undo on this machine what `tkube init`, `tkube up` and `tkube join` did (boot/node-reset.ts), as
 * `kubeadm reset`: stop the server, its etcd member and a joined node's agent, stop their pods, remove mounts, the
 * pod network and nftables tables, the data dir and the kubeconfig context. One line per thing removed; running it
 * again is harmless.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { newLogger } from '../../base/log/logger.js';
import { resetNode } from '../../boot/node-reset.js';
import { defaultDataDir, userKubeconfigPath } from '../../boot/server-config.js';

async function reset(f: { dataDir: string; kubeconfigContext: boolean }): Promise<void> {
  const dataDir = resolve(f.dataDir);
  process.stdout.write(`[reset] Resetting the tkube node of ${dataDir}\n`);
  const n = await resetNode({
    dataDir,
    ...(f.kubeconfigContext ? { userKubeconfig: userKubeconfigPath() } : {}),
    log: newLogger('reset'),
    removed: (what) => process.stdout.write(`[reset] ${what.charAt(0).toUpperCase()}${what.slice(1)}\n`),
  });
  if (n === 0) process.stdout.write('[reset] Nothing to reset: no server, node or data dir was found\n');
}

/** registerResetCommand adds `tkube reset`. */
export function registerResetCommand(program: Command): void {
  program
    .command('reset')
    .description('Stop and remove what init, up or join set up on this machine: server, etcd member, node agent, pods, pod network, data dir (as kubeadm reset)')
    .option('--data-dir <dir>', 'the data dir given to init, up or join (join --data-dir too)', defaultDataDir())
    .option('--no-kubeconfig-context', 'leave the "tkube" context in ~/.kube/config')
    .action(reset);
}
