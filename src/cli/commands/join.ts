/**
 * `tkube join SERVER --token T --discovery-token-ca-cert-hash sha256:H`: kubeadm's front door for a new node.
 * In the foreground: token discovery with CA pinning and TLS bootstrap (boot/node-join.ts), which end at once with
 * one line when anything is wrong (malformed, unknown or expired token, wrong CA hash, unreachable server). Then
 * the node agent (`tkube agent --kubeconfig <data-dir>/kubelet.kubeconfig`) runs detached, pid in
 * `<data-dir>/agent.pid` and log in `<data-dir>/logs/agent.log`, and join waits for the Node to be Ready,
 * printing kubeadm's phase lines. `--foreground` keeps the agent attached to the terminal instead (until SIGTERM).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { newLogger } from '../../base/log/logger.js';
import { pollUntil } from '../../base/wait/poll-until.js';
import { defaultHostIPv4 } from '../../boot/host-address.js';
import { bootstrapNodeCredentials } from '../../boot/node-join.js';
import { defaultDataDir } from '../../boot/server-config.js';
import { readClusterCa } from '../../boot/server-join.js';
import { processAlive, readServerState } from '../../boot/server-state.js';
import { normaliseServer } from '../../boot/token-discovery.js';
import { RestClient } from '../../client/rest-client.js';
import { publicKeyHashOf } from '../../pki/certificate-authority.js';
import { CliError } from '../cli-error.js';
import { collectRepeatable } from './repeatable-flag.js';
import { readyz, startDetachedServer } from './local-cluster.js';
import { serverFlagsFrom } from './server-args.js';

interface JoinFlags {
  token?: string;
  discoveryTokenCaCertHash: string[];
  discoveryTokenUnsafeSkipCaVerification?: boolean;
  nodeName?: string;
  nodeIp?: string;
  dataDir?: string;
  runtime: string;
  kubeletPort: string;
  foreground?: boolean;
  waitTimeout: string;
  podNetworkCidr?: string;
  controlPlane?: boolean;
  apiserverAdvertiseAddress?: string;
  apiserverBindPort: string;
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`invalid ${flag} "${value}": want a number of seconds`);
  return n;
}

/** agentArgs are the flags of the agent the node runs, authenticated by the node's own kubeconfig. */
function agentArgs(f: JoinFlags, kubeconfig: string, nodeName: string, dataDir: string): string[] {
  return ['agent', '--kubeconfig', kubeconfig, '--rotate-certificates', '--runtime', f.runtime, '--node-name', nodeName, '--data-dir', dataDir, '--kubelet-port', f.kubeletPort, ...(f.nodeIp ? ['--node-ip', f.nodeIp] : []), ...(f.podNetworkCidr ? ['--cluster-cidr', f.podNetworkCidr] : [])];
}

function phase(name: string, text: string): void {
  process.stdout.write(`[${name}] ${text}\n`);
}

function tailOf(path: string, lines: number): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';
}

async function nodeReady(kubeconfig: string, nodeName: string): Promise<boolean> {
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: 'tkube-join' });
  try {
    const node = (await client.get({ version: 'v1', resource: 'nodes', name: nodeName })) as { status?: { conditions?: { type: string; status: string }[] } };
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/**
 * joinControlPlane: `tkube join <server> --control-plane --token <cluster secret>`, kubeadm's control-plane join
 * over `tkube server --server <server> --token <secret>` (docs/ha.md): after the CA pin check it starts that server
 * detached, as `tkube init` does, and it adds its own etcd member and adopts the cluster's CA and keys.
 */
async function joinControlPlane(server: string, f: JoinFlags): Promise<void> {
  if (!f.token) throw new CliError('give the cluster secret: --token <secret> (`tkube init --cluster-init` prints the whole control-plane join command)');
  const url = normaliseServer(server);
  phase('preflight', 'Running pre-flight checks');
  if (f.discoveryTokenCaCertHash.length > 0) {
    let caPem: string;
    try {
      caPem = await readClusterCa(url);
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
    const hash = publicKeyHashOf(caPem);
    if (!f.discoveryTokenCaCertHash.includes(hash)) throw new CliError(`refusing to join: the cluster CA at ${url} has public key hash ${hash}, but --discovery-token-ca-cert-hash says ${f.discoveryTokenCaCertHash.join(', ')}`);
    phase('discovery', `The cluster CA at ${url} matches the pinned public key hash`);
  } else if (!f.discoveryTokenUnsafeSkipCaVerification) {
    throw new CliError('give --discovery-token-ca-cert-hash sha256:<hex> (printed by `tkube init`) or --discovery-token-unsafe-skip-ca-verification');
  }
  const flags = {
    ...serverFlagsFrom([]),
    dataDir: resolve(f.dataDir ?? defaultDataDir()),
    server: url,
    token: f.token,
    advertiseAddress: f.apiserverAdvertiseAddress ?? f.nodeIp ?? defaultHostIPv4(),
    httpsListenPort: Number(f.apiserverBindPort),
    kubeconfigMerge: false,
    ...(f.nodeName ? { nodeName: f.nodeName } : {}),
    ...(f.runtime !== 'auto' ? { containerRuntime: f.runtime } : {}),
    kubeletPort: Number(f.kubeletPort),
    ...(f.podNetworkCidr ? { clusterCidr: f.podNetworkCidr } : {}),
  };
  if (!Number.isInteger(flags.httpsListenPort) || flags.httpsListenPort < 0 || flags.httpsListenPort > 65535) throw new CliError(`invalid --apiserver-bind-port "${f.apiserverBindPort}"`);
  const running = readServerState(flags.dataDir);
  if (running && (await readyz(flags.dataDir, running.url))) throw new CliError(`a server already runs from ${flags.dataDir} (pid ${running.pid}, ${running.url}): stop it first (tkube reset) or give another --data-dir`);
  phase('control-plane', `Starting a control-plane server that joins ${url} with its own etcd member (data in ${flags.dataDir})`);
  const { state, pid } = await startDetachedServer(flags, { sub: (text) => phase('control-plane', text.replace(/ \.\.\.$/, '')) });
  process.stdout.write(
    [
      '',
      'This node has joined the cluster and a new control plane instance was created:',
      `* The API server runs at ${state.url} (pid ${pid}, log ${join(flags.dataDir, 'logs', 'server.log')}), with its own etcd member.`,
      '* The cluster CA and keys were taken from the cluster, sealed under the cluster secret.',
      '',
      'To start administering your cluster from this node, you need to run the following as a regular user:',
      '',
      '  mkdir -p $HOME/.kube',
      `  sudo cp -i ${join(flags.dataDir, 'admin.kubeconfig')} $HOME/.kube/config`,
      '  sudo chown $(id -u):$(id -g) $HOME/.kube/config',
      '',
      "Run 'kubectl get nodes' to see this node join the cluster.",
      '',
    ].join('\n'),
  );
}

async function joinNode(server: string, f: JoinFlags): Promise<void> {
  if (f.controlPlane) return joinControlPlane(server, f);
  if (!f.token) throw new CliError('give the join token: --token abcdef.0123456789abcdef (`tkube token create` on the server prints the whole join command)');
  if (!['runc', 'process', 'auto'].includes(f.runtime)) throw new CliError(`unknown runtime "${f.runtime}": want runc, process or auto`);
  const waitMs = seconds(f.waitTimeout, '--wait-timeout') * 1000;
  const started = Date.now();
  const nodeName = f.nodeName ?? hostname();
  const dataDir = resolve(f.dataDir ?? join(defaultDataDir(), 'agent'));
  const pidFile = join(dataDir, 'agent.pid');
  const oldPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
  if (!f.foreground && Number.isInteger(oldPid) && oldPid > 0 && processAlive(oldPid)) {
    throw new CliError(`a node agent already runs from ${dataDir} (pid ${oldPid}): stop it first (kill ${oldPid}) or give another --data-dir`);
  }
  phase('preflight', 'Running pre-flight checks');
  mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const joined = await bootstrapNodeCredentials({
    server,
    token: f.token,
    caCertHashes: f.discoveryTokenCaCertHash,
    unsafeSkipCaVerification: f.discoveryTokenUnsafeSkipCaVerification ?? false,
    nodeName,
    dataDir,
    certificateTimeoutMs: waitMs,
    onPhase: (p, text) => phase(p === 'discovery' ? 'discovery' : 'kubelet-start', text),
    log: newLogger('join'),
  });
  if (!joined.ok) throw new CliError(joined.message);
  phase('kubelet-start', `Wrote the node's credentials to ${joined.kubeconfig}`);
  const args = agentArgs(f, joined.kubeconfig, nodeName, dataDir);
  if (f.foreground) {
    phase('kubelet-start', `Running the node agent attached to this terminal until SIGTERM/SIGINT: tkube ${args.join(' ')}`);
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...args], { stdio: 'inherit', env: process.env });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
    const code = await new Promise<number>((done) => child.on('exit', (c) => done(c ?? 1)));
    if (code !== 0) process.exitCode = code;
    return;
  }
  const logFile = join(dataDir, 'logs', 'agent.log');
  const log = openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...args], { detached: true, stdio: ['ignore', log, log], env: process.env });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new CliError('could not start the node agent process');
  writeFileSync(pidFile, `${pid}\n`, { mode: 0o600 });
  phase('kubelet-start', `Started the node agent (pid ${pid}, log ${logFile})`);
  phase('kubelet-check', `Waiting for node "${nodeName}" to be Ready (up to ${Math.round(waitMs / 1000)}s)`);
  const ready = await pollUntil(async () => !processAlive(pid) || (await nodeReady(joined.kubeconfig, nodeName)), { timeoutMs: Math.max(1000, waitMs - (Date.now() - started)), intervalMs: 200 });
  if (!processAlive(pid)) throw new CliError(`the node agent exited; last log lines (${logFile}):\n${tailOf(logFile, 15)}`);
  if (!ready) throw new CliError(`node "${nodeName}" did not become Ready within ${Math.round(waitMs / 1000)}s (the agent keeps running, pid ${pid}); last log lines (${logFile}):\n${tailOf(logFile, 15)}`);
  process.stdout.write(
    [
      '',
      'This node has joined the cluster:',
      '* Certificate signing request was sent to apiserver and a response was received.',
      `* The node agent runs as "system:node:${nodeName}" (pid ${pid}); node "${nodeName}" is Ready after ${((Date.now() - started) / 1000).toFixed(1)}s.`,
      '',
      "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.",
      '',
    ].join('\n'),
  );
}

/** registerJoinCommand adds `tkube join`. */
export function registerJoinCommand(program: Command): void {
  program
    .command('join <server>')
    .description('Join this machine to a cluster as a node, with a bootstrap token and the CA hash (`tkube token create` prints the command)')
    .option('--token <token>', 'the bootstrap token, abcdef.0123456789abcdef')
    .option('--discovery-token-ca-cert-hash <sha256:hex>', "the pinned hash of the cluster CA's public key (repeatable)", collectRepeatable, [])
    .option('--discovery-token-unsafe-skip-ca-verification', 'join without pinning the CA: trust cluster-info on the token signature alone')
    .option('--node-name <name>', 'the node name (default: the host name)')
    .option('--node-ip <ip>', "the node's address (default: this host's first IPv4 address)")
    .option('--data-dir <dir>', "the node's folder: credentials, images, containers, pid and log (default: <tkube data dir>/agent)")
    .option('--runtime <name>', 'container runtime: runc, process (no root, no isolation) or auto', 'auto')
    .option('--kubelet-port <port>', "the node's kubelet API port (0 picks a free one)", '10250')
    .option('--pod-network-cidr <cidr>', "the cluster's pod range, as given to `tkube init` (the node's pod network masquerades traffic leaving it; default 10.42.0.0/16)")
    .option('--control-plane', 'join as another server (API server, own etcd member) of a `tkube init --cluster-init` cluster; --token is then the cluster secret init printed')
    .option('--apiserver-advertise-address <ip>', "with --control-plane: the address other machines reach this server at (default: this host's first IPv4 address)")
    .option('--apiserver-bind-port <port>', 'with --control-plane: the API server port', '6443')
    .option('--foreground', 'run the node agent in this process instead of in the background')
    .option('--wait-timeout <seconds>', 'how long to wait for the certificate and for the node to be Ready', '120')
    .action(joinNode);
}
