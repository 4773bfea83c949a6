/**
 * `tkube dev cluster create --nodes N [--name X]` / `tkube dev cluster delete [--name X]`: several real nodes on
 * this machine, each in a network namespace of its own with its own address, joined by token to a server, pods
 * routed between them (kind's role; see boot/dev-cluster.ts). Needs root, runc and busybox-static. The admin
 * kubeconfig is merged as context `tkube-<name>` (or written to --write-kubeconfig). `--servers 3` runs three
 * servers in hosts of their own on one etcd cluster, the kubeconfig pointing at a load balancer in front of them.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createDevCluster, deleteDevCluster, readDevClusterState } from '../../boot/dev-cluster.js';
import { defaultDataDir, userKubeconfigPath } from '../../boot/server-config.js';
import { newLogger } from '../../base/log/logger.js';
import { mergeIntoKubeconfig, removeFromKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { CliError } from '../cli-error.js';
import { collectRepeatable } from './repeatable-flag.js';
import { StepPrinter } from '../step-printer.js';

interface CreateFlags {
  name: string;
  nodes: number;
  servers: number;
  runtime: string;
  serverArg: string[];
  dataDir?: string;
  hostsSubnet: string[];
  clusterCidr: string;
  writeKubeconfig?: string;
  disableDefaultRegistryEndpoint?: boolean;
  standInImages?: boolean;
}

interface DeleteFlags {
  name: string;
  dataDir?: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;

function clusterDir(name: string, dataDir: string | undefined): string {
  if (!NAME.test(name)) throw new CliError(`invalid cluster name "${name}": want up to 20 lowercase letters, digits or "-"`);
  return resolve(dataDir ?? join(defaultDataDir(), 'dev-clusters', name));
}

function nodeCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new CliError(`invalid node count "${value}": want 1 to 16`);
  return n;
}

function serverCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 7) throw new CliError(`invalid server count "${value}": want 1 to 7 (3 tolerates losing one)`);
  return n;
}

async function create(f: CreateFlags): Promise<void> {
  const dir = clusterDir(f.name, f.dataDir);
  if (f.runtime !== 'runc' && f.runtime !== 'process') throw new CliError(`unknown runtime "${f.runtime}": want runc or process`);
  if (process.getuid?.() !== 0) throw new CliError('a dev cluster needs root (network namespaces, bridges, runc)');
  if (readDevClusterState(dir)) throw new CliError(`a dev cluster "${f.name}" already exists in ${dir}: run tkube dev cluster delete --name ${f.name} first`);
  const p = new StepPrinter();
  p.step('start', `Creating dev cluster "${f.name}" with ${f.servers > 1 ? `${f.servers} servers and ` : ''}${f.nodes} node${f.nodes === 1 ? '' : 's'} in ${dir}`);
  try {
    const cluster = await createDevCluster({
      name: f.name,
      dataDir: dir,
      nodes: f.nodes,
      servers: f.servers,
      runtime: f.runtime,
      serverArgs: f.serverArg,
      ...(f.hostsSubnet.length > 0 ? { hostsSubnets: f.hostsSubnet } : {}),
      clusterCidr: f.clusterCidr,
      tkube: [process.execPath, ...process.execArgv, process.argv[1] ?? ''],
      agentArgs: f.disableDefaultRegistryEndpoint ? ['--disable-default-registry-endpoint'] : [],
      ...(f.standInImages ? { standInImages: true } : {}),
      progress: (text) => p.sub(text),
    });
    if (f.writeKubeconfig) writeKubeconfig(resolve(f.writeKubeconfig), cluster.kubeconfig);
    else mergeIntoKubeconfig(userKubeconfigPath(), cluster.kubeconfig);
    p.step('config', f.writeKubeconfig ? `Wrote ${f.writeKubeconfig}` : `Merged context "${cluster.kubeconfig.name}" into ${userKubeconfigPath()}`);
    if (cluster.serverUrls.length > 1) p.sub(`Servers ${cluster.serverUrls.join(', ')} behind the load balancer at ${cluster.url}`);
    p.step('done', `API server at ${cluster.url}; nodes ${cluster.nodeNames.join(', ')} Ready`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    p.step('warn', 'Create failed; removing what was made ...');
    await deleteDevCluster(dir, newLogger('dev-cluster'));
    throw new CliError(message);
  }
}

async function remove(f: DeleteFlags): Promise<void> {
  const dir = clusterDir(f.name, f.dataDir);
  const p = new StepPrinter();
  if (!(await deleteDevCluster(dir, newLogger('dev-cluster')))) {
    p.step('info', `There is no dev cluster "${f.name}" in ${dir}`);
    return;
  }
  if (removeFromKubeconfig(userKubeconfigPath(), `tkube-${f.name}`)) p.sub(`Removed context "tkube-${f.name}" from ${userKubeconfigPath()}`);
  p.step('delete', `Deleted dev cluster "${f.name}"`);
}

/** registerDevClusterCommands adds `tkube dev cluster create|delete`. */
export function registerDevClusterCommands(program: Command): void {
  const cluster = program.command('dev').description('Tools for developing against tkube').command('cluster').description('Multi-node clusters on this machine, one network namespace per node');
  cluster
    .command('create')
    .description('Start a server and N runc nodes, each in its own network namespace with its own address, pods routed between them')
    .option('--name <name>', 'cluster name (context tkube-<name>)', 'dev')
    .option('--nodes <n>', 'how many nodes', nodeCount, 2)
    .option('--servers <n>', 'how many servers; more than 1 runs each in a network namespace of its own on one embedded etcd cluster, behind a load balancer on 127.0.0.1 for kubectl (docs/ha.md)', serverCount, 1)
    .option('--runtime <name>', 'container runtime of the nodes: runc, or process (containers as plain processes, no images)', 'runc')
    .option('--server-arg <flag>', 'extra flag for every server, e.g. --server-arg=--leader-elect-lease-duration=4s (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--data-dir <dir>', 'folder for the cluster (default: <data dir>/dev-clusters/<name>)')
    .option('--hosts-subnet <cidr>', 'subnet of the node hosts (repeatable: several put nodes on different subnets, routed through VXLAN)', collectRepeatable, [])
    .option('--cluster-cidr <cidr>', 'IP range for pod IPs', '10.42.0.0/16')
    .option('--write-kubeconfig <path>', 'write the admin kubeconfig here instead of merging it into ~/.kube/config')
    .option('--disable-default-registry-endpoint', 'nodes pull only from configured mirrors, never from the registry itself')
    .option('--stand-in-images', 'import the examples\' stand-in images (tkube images stand-ins) into every node')
    .action(create);
  cluster
    .command('delete')
    .description('Stop a dev cluster and remove its nodes, network namespaces, bridge and data')
    .option('--name <name>', 'cluster name', 'dev')
    .option('--data-dir <dir>', 'folder of the cluster (default: <data dir>/dev-clusters/<name>)')
    .action(remove);
}
