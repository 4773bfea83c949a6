/**
 * `tkube init`: kubeadm's front door for a control plane. Starts `tkube server` in the background exactly as
 * `tkube up` does (startDetachedServer: pid and log in the data dir, waits for /readyz and the node), creates a
 * bootstrap token, and prints what kubeadm prints: where the admin kubeconfig is, the `mkdir -p $HOME/.kube` hint
 * and the join command. The pod network is built in (every node bridges its pod CIDR cut from
 * `--pod-network-cidr`), so unlike kubeadm there is no add-on to apply. A second `init` on a running data dir
 * prints the same text with a new token.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { KUBERNETES_VERSION } from '../../api/version.js';
import { createBootstrapToken, DEFAULT_NODE_TOKEN_GROUP } from '../../boot/bootstrap-token.js';
import { defaultHostIPv4 } from '../../boot/host-address.js';
import { joinCommandFor } from '../../boot/join-command.js';
import { readServerState } from '../../boot/server-state.js';
import { RestClient } from '../../client/rest-client.js';
import { parseGoDuration } from '../../api/protobuf/go-duration.js';
import { CliError } from '../cli-error.js';
import { readyz, startDetachedServer } from './local-cluster.js';
import { addServerFlags, type ServerFlags } from './server.js';

interface InitFlags extends ServerFlags {
  podNetworkCidr?: string;
  apiserverAdvertiseAddress?: string;
  tokenTtl: string;
}

/** DEFAULT_CLUSTER_CIDR is `tkube server`'s and `tkube agent`'s default pod range. */
const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';

/** clusterTokenPath is where init keeps the cluster secret of an HA cluster, as k3s keeps server/token. */
function clusterTokenPath(dataDir: string): string {
  return join(dataDir, 'cred', 'cluster-token');
}

/**
 * clusterTokenFor: the cluster secret (`--token`) the servers of an HA cluster share. With `--cluster-init` and no
 * `--token`, init makes one (servers need it to share the CA and keys) and keeps it in the data dir, so a second
 * `init` can print the control-plane join command again. Undefined for a single server without `--token`.
 */
export function clusterTokenFor(f: Pick<ServerFlags, 'token' | 'clusterInit' | 'server' | 'datastoreEndpoint' | 'dataDir'>): string | undefined {
  const path = clusterTokenPath(f.dataDir);
  const ha = f.clusterInit || f.server !== undefined || (f.datastoreEndpoint !== undefined && !f.datastoreEndpoint.startsWith('sqlite:'));
  const token = f.token ?? (existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined) ?? (f.clusterInit ? randomBytes(24).toString('hex') : undefined);
  if (token && ha) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${token}\n`, { mode: 0o600 });
  }
  return token;
}

/**
 * controlPlaneJoinLines: how another server joins, for an HA init. With its own etcd member (`--cluster-init` or
 * `--server`): `tkube join <server> --control-plane --token <cluster secret>` pinned to the CA hash, as kubeadm's
 * `--control-plane` join. On an external etcd (`--datastore-endpoint`): `tkube init` with the same datastore and
 * secret, since each server only needs the datastore. Empty for a single server.
 */
export function controlPlaneJoinLines(f: Pick<ServerFlags, 'clusterInit' | 'server' | 'datastoreEndpoint' | 'datastoreCafile' | 'datastoreCertfile' | 'datastoreKeyfile'>, token: string | undefined, server: string, caCertHash: string): string[] {
  if (!token) return [];
  if (f.clusterInit || f.server !== undefined) {
    return [`tkube join ${server} --control-plane --token ${token} \\`, `\t--discovery-token-ca-cert-hash ${caCertHash}`];
  }
  if (f.datastoreEndpoint !== undefined && !f.datastoreEndpoint.startsWith('sqlite:')) {
    const tls = [['--datastore-cafile', f.datastoreCafile], ['--datastore-certfile', f.datastoreCertfile], ['--datastore-keyfile', f.datastoreKeyfile]].filter((x): x is [string, string] => x[1] !== undefined).map(([k, v]) => `${k} ${resolve(v)}`);
    return [`tkube init --datastore-endpoint ${f.datastoreEndpoint} --token ${token}${tls.length > 0 ? ' \\' : ''}`, ...(tls.length > 0 ? [`\t${tls.join(' ')}`] : [])];
  }
  return [];
}

function phase(name: string, text: string): void {
  process.stdout.write(`[${name}] ${text}\n`);
}

async function init(f: InitFlags): Promise<void> {
  const ttlNanos = f.tokenTtl === '0' ? 0 : parseGoDuration(f.tokenTtl);
  if (ttlNanos === undefined || ttlNanos < 0) throw new CliError(`invalid --token-ttl "${f.tokenTtl}": want a duration like 24h or 0`);
  const flags: ServerFlags = {
    ...f,
    dataDir: resolve(f.dataDir),
    ...(f.podNetworkCidr ? { clusterCidr: f.podNetworkCidr } : {}),
    advertiseAddress: f.apiserverAdvertiseAddress ?? f.advertiseAddress ?? defaultHostIPv4(),
    // kubeadm leaves ~/.kube/config alone and tells the user to copy admin.conf; so do we, unless told where to write.
    kubeconfigMerge: false,
  };
  const clusterToken = clusterTokenFor(flags);
  if (clusterToken) flags.token = clusterToken;
  phase('init', `Using Kubernetes version: ${KUBERNETES_VERSION}`);
  const running = readServerState(flags.dataDir);
  if (running && (await readyz(flags.dataDir, running.url))) {
    phase('init', `The control plane of ${flags.dataDir} is already running at ${running.url} (pid ${running.pid})`);
  } else {
    phase('certs', `Using certificateDir folder "${join(flags.dataDir, 'tls')}"`);
    const { state, pid } = await startDetachedServer(flags, { sub: (text) => phase('control-plane', text.replace(/ \.\.\.$/, '')) });
    phase('apiclient', `All control plane components are healthy (API server ${state.url}, pid ${pid}, log ${join(flags.dataDir, 'logs', 'server.log')})`);
  }
  const adminKubeconfig = join(flags.dataDir, 'admin.kubeconfig');
  const client = RestClient.fromKubeconfig(adminKubeconfig, { userAgent: 'tkube-init' });
  let command: string;
  try {
    const token = await createBootstrapToken(client, {
      ttlMs: Math.round(ttlNanos / 1e6),
      description: "The default bootstrap token generated by 'tkube init'.",
      groups: [DEFAULT_NODE_TOKEN_GROUP],
      usages: ['signing', 'authentication'],
      now: Date.now(),
    });
    phase('bootstrap-token', `Using token: ${token}`);
    phase('bootstrap-token', 'The "cluster-info" ConfigMap in the "kube-public" namespace is signed for it');
    phase('addons', `Pod network built in: each node gets a pod CIDR from ${flags.clusterCidr}, services from ${flags.serviceCidr}`);
    command = await joinCommandFor(client, token, `https://${flags.advertiseAddress ?? '127.0.0.1'}:${flags.httpsListenPort}`);
  } catch (err) {
    throw new CliError(`the control plane runs, but cannot create a join token: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    client.close();
  }
  const [head, ...rest] = command.split(' --discovery-token-ca-cert-hash ');
  const serverUrl = head?.split(' ')[2] ?? `https://${flags.advertiseAddress ?? '127.0.0.1'}:${flags.httpsListenPort}`;
  const controlPlane = controlPlaneJoinLines(flags, clusterToken, serverUrl, rest.join(' '));
  process.stdout.write(
    [
      '',
      'Your Kubernetes control-plane has initialized successfully!',
      '',
      'To start using your cluster, you need to run the following as a regular user:',
      '',
      '  mkdir -p $HOME/.kube',
      `  sudo cp -i ${adminKubeconfig} $HOME/.kube/config`,
      '  sudo chown $(id -u):$(id -g) $HOME/.kube/config',
      '',
      'Alternatively, if you are the root user, you can run:',
      '',
      `  export KUBECONFIG=${adminKubeconfig}`,
      '',
      `The pod network is built in (pod CIDRs from ${flags.clusterCidr}): there is no network add-on to apply.`,
      '',
      ...(controlPlane.length > 0
        ? [
            flags.clusterInit || flags.server !== undefined
              ? 'You can now join any number of control-plane nodes, each running its own etcd member, by running the following on each as root:'
              : 'You can now join any number of control-plane nodes on the same datastore by running the following on each as root:',
            '',
            ...controlPlane,
            '',
            `The cluster secret is kept in ${clusterTokenPath(flags.dataDir)}: it unseals the CA and keys, treat it as such.`,
            '',
          ]
        : []),
      'Then you can join any number of worker nodes by running the following on each as root:',
      '',
      `${head ?? command} \\`,
      // A node's pod network must know the cluster's pod range; the default needs no flag.
      ...(flags.clusterCidr === DEFAULT_CLUSTER_CIDR
        ? [`\t--discovery-token-ca-cert-hash ${rest.join(' ')}`]
        : [`\t--discovery-token-ca-cert-hash ${rest.join(' ')} \\`, `\t--pod-network-cidr ${flags.clusterCidr}`]),
      '',
    ].join('\n'),
  );
}

/** registerInitCommand adds `tkube init`. */
export function registerInitCommand(program: Command): void {
  addServerFlags(program.command('init').description('Start a control plane in the background and print how to use it and join nodes (as kubeadm init)'))
    .option('--pod-network-cidr <cidr>', 'IP range pod CIDRs are cut from (the same as --cluster-cidr)')
    .option('--apiserver-advertise-address <ip>', "the address nodes reach the API server at (default: this host's first IPv4 address)")
    .option('--token-ttl <duration>', 'lifetime of the bootstrap token init creates (0 = never)', '24h0m0s')
    .action(init);
}
