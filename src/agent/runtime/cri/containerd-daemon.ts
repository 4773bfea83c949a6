/**
 * ContainerdDaemon: a private containerd (Debian's 1.6 package) for the CRI backend — its config, its CNI network,
 * and its process — so that a node (or a test) runs one without touching the host's /etc/containerd,
 * /var/lib/containerd or /run/containerd.
 *
 * Layout under `dir`:
 *   config.toml          containerd's config (version 2), written by `writeContainerdConfig`
 *   containerd.sock      the gRPC socket: containerd's own API (used by `ctr`) and the CRI services
 *   root/ state/         containerd's persistent and runtime state; opt/ its "opt" plugin dir
 *   cni/net.d/           one bridge network with host-local IPAM (state in cni/ipam/)
 *   containerd.log       the daemon's output
 *
 * Choices, from ../shared/reference/machine.md:
 *  - `restrict_oom_score_adj = true`: without it every sandbox fails here (the VMs deny lowering oom_score_adj).
 *  - `sandbox_image` is our built-in pause image, imported before the first sandbox (see CriImageService).
 *  - CNI: containerd 1.6 refuses to start a pod sandbox without a network config and without an IP on eth0, so
 *    we give it a bridge (`isGateway`, no masquerade: no iptables rules to clean up) on a subnet of our choosing,
 *    with a default route via the bridge so that the node's service proxy sees traffic to cluster IPs. The node's
 *    NetworkPolicy table applies to these pods too; routes to other nodes' pods and masquerade to the outside do not
 *    (that bridge is not the node's pod network).
 *  - The CRI streaming server (exec/attach/port-forward URLs) listens on 127.0.0.1 on a port picked here.
 */
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CriClient } from './cri-client.js';
import { freePort } from '../../../base/net/free-port.js';

const run = promisify(execFile);

/** ContainerdOptions shape the config. */
export interface ContainerdOptions {
  /** The image every sandbox runs. @default "registry.k8s.io/pause:3.10" (built in, see builtin-images.ts) */
  readonly sandboxImage?: string;
  /** Pod subnet of the bridge network. @default "10.88.0.0/24" (tests use other 10.88.x.0/24 subnets) */
  readonly podSubnet?: string;
  /** Linux bridge name (≤ 15 characters). @default "tkcd" + 6 hex digits of the dir's hash */
  readonly bridgeName?: string;
  /** CNI plugin binaries. @default "/usr/lib/cni" (Debian's containernetworking-plugins) */
  readonly cniBinDir?: string;
  /** Port of the CRI streaming server on 127.0.0.1. @default a free port */
  readonly streamPort?: number;
}

/** ContainerdPaths are where a daemon's files live. */
export interface ContainerdPaths {
  readonly dir: string;
  readonly config: string;
  readonly socket: string;
  readonly endpoint: string;
  readonly root: string;
  readonly state: string;
  readonly bridgeName: string;
}

/** containerdPaths names the files of a daemon kept in `dir`. */
export function containerdPaths(dir: string, bridgeName?: string): ContainerdPaths {
  const socket = join(dir, 'containerd.sock');
  return {
    dir,
    config: join(dir, 'config.toml'),
    socket,
    endpoint: `unix://${socket}`,
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    bridgeName: bridgeName ?? `tkcd${createHash('sha256').update(dir).digest('hex').slice(0, 6)}`,
  };
}

const toml = (s: string): string => JSON.stringify(s);

/** writeContainerdConfig writes config.toml and the CNI network into `dir`; resolves with the paths. */
export async function writeContainerdConfig(dir: string, options: ContainerdOptions = {}): Promise<ContainerdPaths> {
  const paths = containerdPaths(dir, options.bridgeName);
  if (paths.socket.length > 100) throw new Error(`Cannot run containerd in ${dir}: the socket path would exceed the 107-byte limit of unix sockets`);
  const cniConfDir = join(dir, 'cni', 'net.d');
  for (const d of [paths.root, paths.state, cniConfDir, join(dir, 'opt')]) mkdirSync(d, { recursive: true });
  const streamPort = options.streamPort ?? (await freePort());
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const config = [
    'version = 2',
    `root = ${toml(paths.root)}`,
    `state = ${toml(paths.state)}`,
    // Plugins that need hardware or kernel features this machine kind lacks only slow the start down.
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]',
    '',
    '[grpc]',
    `  address = ${toml(paths.socket)}`,
    '[ttrpc]',
    `  address = ${toml(`${paths.socket}.ttrpc`)}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${toml(join(dir, 'opt'))}`,
    '',
    `[${cri}]`,
    `  sandbox_image = ${toml(options.sandboxImage ?? 'registry.k8s.io/pause:3.10')}`,
    '  restrict_oom_score_adj = true',
    '  disable_apparmor = true',
    '  stream_server_address = "127.0.0.1"',
    `  stream_server_port = ${toml(String(streamPort))}`,
    '  enable_tls_streaming = false',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    '  SystemdCgroup = false',
    // runc's state would otherwise go to /run/containerd/runc/<namespace>, shared with any other containerd.
    `  Root = ${toml(join(paths.state, 'runc'))}`,
    `[${cri}.cni]`,
    `  bin_dir = ${toml(options.cniBinDir ?? '/usr/lib/cni')}`,
    `  conf_dir = ${toml(cniConfDir)}`,
    '',
  ].join('\n');
  writeFileSync(paths.config, config);
  const network = {
    cniVersion: '1.0.0',
    name: `tkube-${paths.bridgeName}`,
    plugins: [
      {
        type: 'bridge',
        bridge: paths.bridgeName,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        // A default route via the bridge: cluster IPs are reached through the node's service proxy (its DNAT in
        // the prerouting hook), so pods must send off-subnet traffic to the node.
        ipam: { type: 'host-local', ranges: [[{ subnet: options.podSubnet ?? '10.88.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'cni', 'ipam') },
      },
      { type: 'loopback' },
    ],
  };
  writeFileSync(join(cniConfDir, '10-tkube.conflist'), JSON.stringify(network, null, 2));
  return paths;
}

/** RunningContainerd is a started daemon. */
export interface RunningContainerd {
  readonly pid: number;
  readonly paths: ContainerdPaths;
  /**
   * stop removes every pod sandbox through CRI (so shims, netns and mounts go with them), stops the daemon by
   * its pid (SIGTERM, then SIGKILL after 10 s), unmounts what is left under its dirs and deletes its bridge.
   * With `keepPods` it only stops the daemon: the pods' shims keep their containers running, and the next
   * containerd over the same dirs finds them again (a node restarting).
   */
  stop(options?: { readonly keepPods?: boolean }): Promise<void>;
}

/** startContainerd starts containerd with `dir`'s config and resolves once its CRI services answer. */
export async function startContainerd(dir: string, options: { readonly startTimeoutMs?: number; readonly bridgeName?: string } = {}): Promise<RunningContainerd> {
  const paths = containerdPaths(dir, options.bridgeName);
  if (!existsSync(paths.config)) throw new Error(`Cannot start containerd: ${paths.config} is missing (writeContainerdConfig first)`);
  await stopLeftoverDaemon(dir, paths.config);
  const logFd = openSync(join(dir, 'containerd.log'), 'a');
  const child = spawn('containerd', ['--config', paths.config], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  if (child.pid !== undefined) writeFileSync(join(dir, 'containerd.pid'), String(child.pid));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(-1));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('Cannot start containerd: spawn failed (is the containerd package installed?)');
  const client = await CriClient.connect({ endpoint: paths.endpoint, timeoutMs: 5_000 });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let dead: number | null | undefined;
  void exited.then((c) => (dead = c));
  try {
    for (;;) {
      if (dead !== undefined) throw new Error(`Cannot start containerd: it exited with ${dead}; see ${join(dir, 'containerd.log')}: ${tail(join(dir, 'containerd.log'))}`);
      if (existsSync(paths.socket)) {
        try {
          await client.runtime('Version', { version: 'v1' }, 2_000);
          break;
        } catch {
          // The CRI plugin registers a little after the socket appears.
        }
      }
      if (Date.now() > deadline) throw new Error(`Cannot start containerd: no CRI answer on ${paths.socket} within ${options.startTimeoutMs ?? 60_000} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    client.close();
    throw err;
  }
  const stop = async (stopOptions: { readonly keepPods?: boolean } = {}): Promise<void> => {
    if (stopOptions.keepPods) {
      client.close();
      if (dead === undefined) {
        child.kill('SIGTERM');
        await exited;
      }
      return;
    }
    try {
      const list = await client.runtime('ListPodSandbox', {}, 10_000);
      for (const s of (list['items'] ?? []) as { id: string }[]) {
        await client.runtime('StopPodSandbox', { podSandboxId: s.id }, 60_000).catch(() => undefined);
        await client.runtime('RemovePodSandbox', { podSandboxId: s.id }, 60_000).catch(() => undefined);
      }
    } catch {
      // A daemon that does not answer any more is stopped all the same.
    }
    client.close();
    if (dead === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await cleanupContainerdHost(paths);
  };
  return { pid, paths, stop };
}

/**
 * stopLeftoverDaemon stops the containerd a previous process started over `dir` and left behind (it was killed
 * before it could stop it): that daemon holds the dir's database lock, so a new one could not start. It is
 * recognised by the pid file and its command line naming this dir's config; its pods' shims keep running.
 */
async function stopLeftoverDaemon(dir: string, config: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'containerd.pid'), 'utf8').trim());
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!(cmdline[0] ?? '').endsWith('containerd') || !cmdline.includes(config)) return;
  } catch {
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** cleanupContainerdHost unmounts everything under the daemon's dirs and deletes its bridge (after the daemon stopped). */
export async function cleanupContainerdHost(paths: ContainerdPaths): Promise<void> {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${paths.dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
  await run('ip', ['link', 'delete', paths.bridgeName]).catch(() => undefined);
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}
