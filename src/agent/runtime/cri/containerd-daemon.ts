/**
 * ContainerdDaemon: a private containerd (Debian's 1.6 package) for the CRI backend — its config, its CNI network,
 * and its process — so that a node (or a test) runs one without touching the host's /etc/containerd,
 * /var/lib/containerd or /run/containerd.
 *
 * Layout under `dir`:
 *   config.toml          containerd's config (version 2), written by `writeContainerdConfig`
 *   containerd.sock      the gRPC socket: containerd's own API (used by `ctr`) and the CRI services
 *   root/ state/         containerd's persistent and runtime state; opt/ its "opt" plugin dir
 *   cni/net.d/           the CNI network containerd loads (10-containerd-net.conflist); host-local's leases in cni/ipam/
 *   cni/conf-template.json  the network as a template containerd fills with the Node's pod CIDRs (cni-network-config.ts)
 *   cni/bridge-name      the bridge the network uses (for clean-up by a later process)
 *   containerd.log       the daemon's output
 *
 * Choices, from ../shared/reference/machine.md:
 *  - `restrict_oom_score_adj = true`: without it every sandbox fails here (the VMs deny lowering oom_score_adj).
 *  - `sandbox_image` is our built-in pause image, imported before the first sandbox (see CriImageService).
 *  - CNI: the node's pod network (cni-network-config.ts). By default containerd gets the network as its CRI
 *    `cni.conf_template` and no network config: it renders one from the pod CIDRs the kubelet hands it through CRI
 *    `UpdateRuntimeConfig` once the Node has them (containerd 1.6 refuses sandboxes until then). A config rendered by
 *    an earlier run is removed at each write, so the network always follows the Node's current pod CIDRs. With
 *    `podSubnet` (a containerd without a kubelet: unit tests, benchmarks) the conflist is written at once instead.
 *  - The CRI streaming server (exec/attach/port-forward URLs) listens on 127.0.0.1 on a port picked here.
 */
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountPointsUnder } from '../../../base/fs/mount-points.js';
import { promisify } from 'node:util';
import { CriClient } from './cri-client.js';
import { CNI_CONFIG_FILE, cniConfList, cniConfTemplate, type CniNetworkSpec } from './cni-network-config.js';
import { freePort } from '../../../base/net/free-port.js';

const run = promisify(execFile);

/** ContainerdOptions shape the config. */
export interface ContainerdOptions {
  /** The image every sandbox runs. @default "registry.k8s.io/pause:3.10" (built in, see builtin-images.ts) */
  readonly sandboxImage?: string;
  /**
   * A fixed pod subnet, written as the CNI network at once (a containerd used without a kubelet). Absent: the
   * network is a `conf_template` rendered from the pod CIDRs of CRI UpdateRuntimeConfig (see the file comment).
   */
  readonly podSubnet?: string;
  /** Linux bridge name (≤ 15 characters); a node passes its pod bridge. @default "tkcd" + 6 hex digits of the dir's hash */
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
  /** The CNI conf dir containerd loads networks from. */
  readonly cniConfDir: string;
  /** The conf_template file (template mode). */
  readonly cniConfTemplate: string;
}

/**
 * containerdPaths names the files of a daemon kept in `dir`. The bridge: as given, else the one the last
 * writeContainerdConfig recorded, else the dir's own default.
 */
export function containerdPaths(dir: string, bridgeName?: string): ContainerdPaths {
  const socket = join(dir, 'containerd.sock');
  return {
    dir,
    config: join(dir, 'config.toml'),
    socket,
    endpoint: `unix://${socket}`,
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    bridgeName: bridgeName ?? recordedBridge(dir) ?? `tkcd${createHash('sha256').update(dir).digest('hex').slice(0, 6)}`,
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniConfTemplate: join(dir, 'cni', 'conf-template.json'),
  };
}

function recordedBridge(dir: string): string | undefined {
  try {
    const name = readFileSync(join(dir, 'cni', 'bridge-name'), 'utf8').trim();
    return /^[A-Za-z0-9_.-]{1,15}$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** containerdCniNetwork is the CNI network of the daemon in `paths` (see cni-network-config.ts). */
export function containerdCniNetwork(paths: ContainerdPaths): CniNetworkSpec {
  return { name: `tkube-${paths.bridgeName}`, bridge: paths.bridgeName, ipamDataDir: join(paths.dir, 'cni', 'ipam') };
}

const toml = (s: string): string => JSON.stringify(s);

/** writeContainerdConfig writes config.toml and the CNI network into `dir`; resolves with the paths. */
export async function writeContainerdConfig(dir: string, options: ContainerdOptions = {}): Promise<ContainerdPaths> {
  const paths = containerdPaths(dir, options.bridgeName);
  if (paths.socket.length > 100) throw new Error(`Cannot run containerd in ${dir}: the socket path would exceed the 107-byte limit of unix sockets`);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(paths.bridgeName)) throw new Error(`Cannot use "${paths.bridgeName}" as containerd's pod bridge: want up to 15 letters, digits, "-", "_" or "."`);
  const cniConfDir = paths.cniConfDir;
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
    ...(options.podSubnet === undefined ? [`  conf_template = ${toml(paths.cniConfTemplate)}`] : []),
    '',
  ].join('\n');
  writeFileSync(paths.config, config);
  writeFileSync(join(dir, 'cni', 'bridge-name'), paths.bridgeName);
  const network = containerdCniNetwork(paths);
  // 10-tkube.conflist: the fixed network of earlier versions. Whatever is in the conf dir would win over the template.
  for (const f of ['10-tkube.conflist', CNI_CONFIG_FILE]) rmSync(join(cniConfDir, f), { force: true });
  if (options.podSubnet === undefined) writeFileSync(paths.cniConfTemplate, cniConfTemplate(network));
  else writeFileSync(join(cniConfDir, CNI_CONFIG_FILE), cniConfList(network, [options.podSubnet]));
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
  for (const m of mountPointsUnder(paths.dir)) await run('umount', ['-l', m]).catch(() => undefined);
  await run('ip', ['link', 'delete', paths.bridgeName]).catch(() => undefined);
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}
