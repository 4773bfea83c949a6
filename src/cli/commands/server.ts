/**
 * `tkube server`: run the control plane in the foreground until SIGTERM/SIGINT. Flags follow k3s's names.
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { startServer } from '../../boot/server.js';
import { defaultDataDir, type ServerConfig } from '../../boot/server-config.js';
import { parseGoDuration } from '../../api/protobuf/go-duration.js';
import { CliError } from '../cli-error.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((s) => s.length > 0)];
}

function parseDurationMs(value: string): number {
  const nanos = parseGoDuration(value);
  if (nanos === undefined || nanos <= 0) throw new CliError(`invalid duration "${value}": want a positive duration like 5m, 30s or 200ms`);
  return Math.max(1, Math.round(nanos / 1e6));
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`invalid count "${value}": want a whole number`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`invalid port "${value}": want a number from 0 to 65535`);
  return n;
}

/** ServerFlags are the parsed flags of `tkube server`. */
export interface ServerFlags {
  dataDir: string;
  bindAddress: string;
  httpsListenPort: number;
  writeKubeconfig?: string;
  tlsSan: string[];
  datastoreEndpoint?: string;
  serviceCidr: string;
  clusterCidr: string;
  disableAgent: boolean;
  kubeconfigMerge: boolean;
  token?: string;
  compactionInterval: number;
  compactionKeepRevisions: number;
  controllers: string;
}

/** serverConfigFromFlags turns flags into a ServerConfig. */
export function serverConfigFromFlags(f: ServerFlags): ServerConfig {
  return {
    dataDir: resolve(f.dataDir),
    bindAddress: f.bindAddress,
    httpsPort: f.httpsListenPort,
    tlsSans: f.tlsSan,
    writeKubeconfig: f.writeKubeconfig ? resolve(f.writeKubeconfig) : undefined,
    mergeKubeconfig: f.kubeconfigMerge,
    datastoreEndpoint: f.datastoreEndpoint,
    serviceCidr: f.serviceCidr,
    clusterCidr: f.clusterCidr,
    disableAgent: f.disableAgent,
    staticTokens: f.token ? [{ token: f.token, user: 'admin', groups: ['system:masters'] }] : undefined,
    compactionIntervalMs: f.compactionInterval,
    compactionKeepRevisions: f.compactionKeepRevisions,
    controllers: f.controllers,
  };
}

/** addServerFlags declares the server flags on a command (shared with `up`). */
export function addServerFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'folder for certificates, the database and kubeconfigs', defaultDataDir())
    .option('--bind-address <ip>', 'address the API server listens on', '0.0.0.0')
    .option('--https-listen-port <port>', 'HTTPS port of the API server', parsePort, 6443)
    .option('--write-kubeconfig <path>', 'write the admin kubeconfig here instead of merging it into ~/.kube/config')
    .option('--tls-san <name>', 'extra host name or IP for the serving certificate (repeatable, comma-separated)', collect, [])
    .option('--datastore-endpoint <url>', 'datastore: sqlite:///path/state.db (default: <data-dir>/db/state.db)')
    .option('--service-cidr <cidr>', 'IP range for Service cluster IPs', '10.43.0.0/16')
    .option('--cluster-cidr <cidr>', 'IP range for pod IPs', '10.42.0.0/16')
    .option('--disable-agent', 'run the control plane only, without the node agent', false)
    .option('--no-kubeconfig-merge', 'do not merge the cluster into ~/.kube/config')
    .option('--compaction-interval <duration>', 'how often storage history is compacted', parseDurationMs, 300_000)
    .option('--compaction-keep-revisions <n>', 'revisions of history kept at each compaction', parseCount, 1000)
    .option('--controllers <list>', 'controllers to run: "*" for the default set, "name" to add one, "-name" to leave one out (comma-separated)', '*')
    .addOption(new Option('--token <token>', 'a static bearer token with admin rights (for automation)').hideHelp());
}

/** registerServerCommand adds `tkube server`. */
export function registerServerCommand(program: Command): void {
  addServerFlags(program.command('server').description('Run the control plane in the foreground')).action(async (flags: ServerFlags) => {
    const running = await startServer(serverConfigFromFlags(flags));
    await new Promise<void>((done) => {
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        running.stop().then(done, (err: unknown) => {
          process.stderr.write(`tkube: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
          done();
        });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  });
}
