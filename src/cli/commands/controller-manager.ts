/**
 * `tkube controller-manager` and `tkube scheduler`: the cluster's elected singletons in a process of their own,
 * connected with a kubeconfig, under their Leases (kube-controller-manager's and kube-scheduler's shape). Simulated
 * nodes run in `tkube agent --runtime simulated --nodes N`. Inside a server they run with it (the default) or in a
 * child it supervises (`tkube server --components-process separate`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runComponentsChild } from '../../boot/components-child.js';
import { startStandaloneComponents } from '../../boot/components.js';
import { defaultKubeconfigPath } from '../../boot/operator-process.js';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS } from '../../boot/server-config.js';
import { newLogger } from '../../base/log/logger.js';
import { CliError } from '../cli-error.js';
import { runUntilSignalled } from '../run-until-signalled.js';
import { addLeaderElectionFlags, leaderElectionTiming, type LeaderElectionFlags } from './leader-election-flags.js';
import { cidrListParser, parseDurationMs } from './server.js';

interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
}

interface ControllerManagerFlags extends ConnectionFlags, LeaderElectionFlags {
  controllers: string;
  clusterCidr: string;
  rootCaFile?: string;
  clusterSigningCertFile?: string;
  clusterSigningKeyFile?: string;
  nodeMonitorGracePeriod: number;
}

/** kubeconfigOf checks the kubeconfig flag (default $KUBECONFIG, else ~/.kube/config). */
function kubeconfigOf(f: ConnectionFlags): string {
  const path = resolve(f.kubeconfig ?? defaultKubeconfigPath());
  if (!existsSync(path)) throw new CliError(`kubeconfig "${path}" does not exist (give --kubeconfig)`);
  return path;
}

function readPem(flag: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new CliError(`cannot read ${flag} "${path}"`);
  }
}

/** run starts the components and lives until SIGTERM/SIGINT; start failures are one plain line. */
async function run(start: () => ReturnType<typeof startStandaloneComponents>): Promise<void> {
  let running;
  try {
    running = await start();
  } catch (err) {
    throw err instanceof CliError ? err : new CliError(err instanceof Error ? err.message : String(err));
  }
  await runUntilSignalled(running);
}

function addConnectionFlags(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig to connect with (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)');
}

/** registerComponentCommands adds `tkube controller-manager` and `tkube scheduler`. */
export function registerComponentCommands(program: Command): void {
  addLeaderElectionFlags(
    addConnectionFlags(program.command('controller-manager').description('Run the controllers against a cluster, under the kube-controller-manager Lease'))
      .option('--controllers <list>', 'controllers to run: "*" for the default set, "name" to add one, "-name" to leave one out (comma-separated)', '*')
      .option('--cluster-cidr <cidr>', 'IP range node pod CIDRs are cut from; dual-stack: an IPv4 and an IPv6 range, comma-separated', cidrListParser('--cluster-cidr'), '10.42.0.0/16')
      .option('--root-ca-file <file>', 'the cluster CA certificate published in every namespace\'s kube-root-ca.crt')
      .option('--cluster-signing-cert-file <file>', 'CA certificate that signs approved CertificateSigningRequests (with --cluster-signing-key-file)')
      .option('--cluster-signing-key-file <file>', 'private key of --cluster-signing-cert-file')
      .option('--node-monitor-grace-period <duration>', 'how long a node may miss heartbeats before it is marked Unknown', parseDurationMs, DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS),
  ).action(async (f: ControllerManagerFlags) => {
    if ((f.clusterSigningCertFile === undefined) !== (f.clusterSigningKeyFile === undefined)) throw new CliError('give --cluster-signing-cert-file and --cluster-signing-key-file together');
    const certPem = readPem('--cluster-signing-cert-file', f.clusterSigningCertFile);
    const keyPem = readPem('--cluster-signing-key-file', f.clusterSigningKeyFile);
    const rootCAPem = readPem('--root-ca-file', f.rootCaFile) ?? certPem;
    const kubeconfig = kubeconfigOf(f);
    await run(() =>
      startStandaloneComponents(
        {
          kubeconfig,
          ...(f.context ? { context: f.context } : {}),
          timing: leaderElectionTiming(f),
          controllers: {
            selection: f.controllers,
            settings: {
              clusterCidr: f.clusterCidr,
              nodeMonitorGracePeriodMs: f.nodeMonitorGracePeriod,
              ...(rootCAPem ? { rootCAPem } : {}),
              ...(certPem && keyPem ? { clusterSigning: { certPem, keyPem } } : {}),
            },
          },
        },
        newLogger('controller-manager'),
      ),
    );
  });
  addLeaderElectionFlags(addConnectionFlags(program.command('scheduler').description('Run the scheduler against a cluster, under the kube-scheduler Lease'))).action(
    async (f: ConnectionFlags & LeaderElectionFlags) => {
      const kubeconfig = kubeconfigOf(f);
      await run(() => startStandaloneComponents({ kubeconfig, ...(f.context ? { context: f.context } : {}), timing: leaderElectionTiming(f), scheduler: true }, newLogger('scheduler')));
    },
  );
  // The child of `tkube server --components-process separate`; its configuration arrives on the IPC channel.
  program
    .command('server-components', { hidden: true })
    .description('internal: the components process of `tkube server --components-process separate`')
    .action(async () => {
      try {
        await runComponentsChild();
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
    });
}
