/**
 * `tkube up | status | down | delete`: a local single-node cluster in the background, as `minikube start`
 * gives one. `up` starts `tkube server` detached (pid and log in the data dir) with its node, waits for /readyz and
 * for the node to be Ready, and the server merges the kubeconfig as context "tkube". Idempotent: a second `up`
 * reports the running cluster. `down` stops the server and the node's pods (data kept); `delete` removes all.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { platform, release } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { TKUBE_VERSION, KUBERNETES_VERSION } from '../../api/version.js';
import { pollUntil } from '../../base/wait/poll-until.js';
import { defaultDataDir, userKubeconfigPath } from '../../boot/server-config.js';
import { stopNodeWorkloads } from '../../boot/node-cleanup.js';
import { processAlive, readServerState, type ServerState } from '../../boot/server-state.js';
import { newLogger } from '../../base/log/logger.js';
import { RestClient } from '../../client/rest-client.js';
import { kubeconfigPoints, removeFromKubeconfig } from '../../client/kubeconfig.js';
import { CliError } from '../cli-error.js';
import { StepPrinter } from '../step-printer.js';
import { serverArgs } from './server-args.js';
import { addServerFlags, type ServerFlags } from './server.js';

const CONTEXT = 'tkube';

/** readyz asks the server's /readyz, trusting the data dir's CA. Resolves true on 200. */
export function readyz(dataDir: string, url: string, timeoutMs = 2000): Promise<boolean> {
  const caPath = join(dataDir, 'tls', 'ca.crt');
  const ca = existsSync(caPath) ? readFileSync(caPath) : undefined;
  return new Promise((resolve) => {
    const req = get(`${url}/readyz`, { ca, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

function logPath(dataDir: string): string {
  return join(dataDir, 'logs', 'server.log');
}

function tailOf(path: string, lines: number): string {
  if (!existsSync(path)) return '';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * startDetachedServer starts `tkube server` detached (pid and log in the data dir) with the given flags, waits for
 * /readyz and, unless the agent is disabled, for a Ready node, printing sub-steps. Shared by `up` and `init`.
 * Throws a CliError with the log's last lines when the server does not come up.
 */
export async function startDetachedServer(f: ServerFlags, p: Pick<StepPrinter, 'sub'>): Promise<{ state: ServerState; pid: number }> {
  mkdirSync(join(f.dataDir, 'logs'), { recursive: true, mode: 0o700 });
  p.sub('Generating certificates and keys ...');
  p.sub('Booting up control plane ...');
  const log = openSync(logPath(f.dataDir), 'a', 0o600);
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...serverArgs(f)], {
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  closeSync(log);
  const pid = child.pid;
  child.unref();
  if (pid === undefined) throw new CliError('could not start the server process');
  let state: ServerState | undefined;
  const ok = await pollUntil(
    async () => {
      if (!processAlive(pid)) return true;
      state = readServerState(f.dataDir);
      return state !== undefined && state.pid === pid && (await readyz(f.dataDir, state.url));
    },
    { timeoutMs: 60_000 },
  );
  if (!ok || !processAlive(pid) || !state) {
    const tail = tailOf(logPath(f.dataDir), 15);
    throw new CliError(`the server did not become ready; last log lines (${logPath(f.dataDir)}):\n${tail}`);
  }
  if (!f.disableAgent) {
    p.sub('Starting the node (kubelet, container runtime, pod network) ...');
    const ready = await pollUntil(async () => processAlive(pid) && (await readyNodes(f.dataDir)).length > 0, { timeoutMs: 90_000 });
    if (!ready || !processAlive(pid)) {
      const tail = tailOf(logPath(f.dataDir), 15);
      throw new CliError(`the node did not become Ready; last log lines (${logPath(f.dataDir)}):\n${tail}`);
    }
  }
  return { state, pid };
}

async function up(f: ServerFlags): Promise<void> {
  const p = new StepPrinter();
  p.step('start', `tkube v${TKUBE_VERSION} on ${platform()} ${release()}`);
  const running = readServerState(f.dataDir);
  if (running && (await readyz(f.dataDir, running.url))) {
    p.step('info', `The "${CONTEXT}" cluster is already running at ${running.url} (pid ${running.pid})`);
    p.step('done', `Done! kubectl is now configured to use "${CONTEXT}" cluster and "default" namespace by default`);
    return;
  }
  p.step('boot', `Starting "${CONTEXT}" control-plane node (Kubernetes ${KUBERNETES_VERSION}) ...`);
  const { state, pid } = await startDetachedServer(f, p);
  p.step('config', 'Configuring kubeconfig ...');
  p.sub(f.writeKubeconfig ? `Wrote ${f.writeKubeconfig}` : f.kubeconfigMerge ? `Merged context "${CONTEXT}" into ${userKubeconfigPath()}` : `Wrote ${join(f.dataDir, 'admin.kubeconfig')}`);
  p.step('verify', 'Verifying Kubernetes components...');
  p.sub(`API server ready at ${state.url} (pid ${pid}, log ${logPath(f.dataDir)})`);
  if (!f.disableAgent) p.sub(`Node ${(await readyNodes(f.dataDir)).join(', ')} Ready`);
  p.step('done', `Done! kubectl is now configured to use "${CONTEXT}" cluster and "default" namespace by default`);
}

/** readyNodes lists the names of the cluster's Ready nodes, asked with the data dir's admin kubeconfig; [] when it cannot ask. */
async function readyNodes(dataDir: string): Promise<string[]> {
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  if (!existsSync(kubeconfig)) return [];
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: 'tkube-cli' });
  try {
    const list = (await client.list({ version: 'v1', resource: 'nodes' })) as { items?: { metadata?: { name?: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
    return (list.items ?? []).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata?.name ?? '');
  } catch {
    return [];
  } finally {
    client.close();
  }
}

async function status(dataDir: string): Promise<void> {
  const s = readServerState(dataDir);
  const apiOk = s ? await readyz(dataDir, s.url) : false;
  const kubelet = !s || !apiOk ? 'Stopped' : (await readyNodes(dataDir)).length > 0 ? 'Running' : 'Stopped';
  const kcOk = s ? kubeconfigPoints(userKubeconfigPath(), CONTEXT, s.url) || existsSync(join(dataDir, 'admin.kubeconfig')) : false;
  process.stdout.write(
    [
      CONTEXT,
      'type: Control Plane',
      `host: ${s ? 'Running' : 'Stopped'}`,
      `kubelet: ${kubelet}`,
      `apiserver: ${apiOk ? 'Running' : 'Stopped'}`,
      `kubeconfig: ${s ? (kcOk ? 'Configured' : 'Misconfigured') : 'Stopped'}`,
      '',
    ].join('\n'),
  );
  // minikube exits 7 when the cluster is stopped; scripts rely on a non-zero code.
  if (!s || !apiOk) process.exitCode = 7;
}

async function down(dataDir: string, quiet = false): Promise<boolean> {
  const p = new StepPrinter();
  const s = readServerState(dataDir);
  if (!s) {
    if (!quiet) p.step('info', `The "${CONTEXT}" cluster is not running`);
    return false;
  }
  p.step('stop', `Stopping node "${CONTEXT}" ...`);
  process.kill(s.pid, 'SIGTERM');
  if (!(await pollUntil(() => !processAlive(s.pid), { timeoutMs: 30_000 }))) {
    process.kill(s.pid, 'SIGKILL');
    await pollUntil(() => !processAlive(s.pid), { timeoutMs: 5_000 });
  }
  const pods = await stopNodeWorkloads(dataDir, newLogger('down'));
  if (pods > 0) p.sub(`Stopped ${pods} pod${pods === 1 ? '' : 's'} of the node`);
  p.step('stop', '1 node stopped.');
  return true;
}

async function remove(dataDir: string): Promise<void> {
  const p = new StepPrinter();
  // Pods of a server that died on its own are stopped too, before their data dir goes.
  if (!(await down(dataDir, true))) await stopNodeWorkloads(dataDir, newLogger('delete'));
  p.step('delete', `Deleting "${CONTEXT}" ...`);
  rmSync(dataDir, { recursive: true, force: true });
  if (removeFromKubeconfig(userKubeconfigPath(), CONTEXT)) p.sub(`Removed context "${CONTEXT}" from ${userKubeconfigPath()}`);
  p.step('delete', `Removed all traces of the "${CONTEXT}" cluster.`);
}

/** registerLocalClusterCommands adds up, status, down and delete. */
export function registerLocalClusterCommands(program: Command): void {
  addServerFlags(program.command('up').description('Start a local single-node cluster in the background')).action(up);
  program
    .command('status')
    .description('Show the state of the local cluster')
    .option('--data-dir <dir>', 'data folder', defaultDataDir())
    .action((o: { dataDir: string }) => status(o.dataDir));
  program
    .command('down')
    .description('Stop the local cluster, keeping its data')
    .option('--data-dir <dir>', 'data folder', defaultDataDir())
    .action(async (o: { dataDir: string }) => void (await down(o.dataDir)));
  program
    .command('delete')
    .description('Stop the local cluster and delete its data and kubeconfig context')
    .option('--data-dir <dir>', 'data folder', defaultDataDir())
    .action((o: { dataDir: string }) => remove(o.dataDir));
}
