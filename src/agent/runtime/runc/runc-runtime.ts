/**
 * RuncRuntime: the RuntimeService backend that runs containers with runc directly (no daemon), as
 * ../shared/reference/machine.md recommends for these machines (pod up ≈ 83 ms, against ≈ 280 ms through
 * containerd's CRI).
 *
 *  - A sandbox is a network namespace (`tkube-<id>`, loopback up, connected by the PodNetwork if one is given,
 *    which then also creates the namespace, in its own `ip` runs, or hands over one it made ahead of need) plus the pod's /etc/hosts, /etc/resolv.conf and
 *    /etc/hostname, bind-mounted into each container. There is no pause process: nothing needs a shared PID
 *    namespace yet. hostNetwork sandboxes have no netns.
 *  - A container's root is an overlay of the image's unpacked layers with an upper and work dir of its own.
 *    `startContainer` starts the C shim (shim.c) detached, which mounts that root, runs `runc run -d` and reaps the
 *    init, writes the CRI log and, at the end, the exit code: containers and their records outlive the agent, and a
 *    new instance over the same root sees them as they are.
 *  - Records are cached in memory (runtime-records.ts); exits, once read, too. No process is spawned to learn
 *    state: the shim's status file and runc's --pid-file say when a container ended and when it runs.
 *  - State lives in JSON files under `root` (written temp + rename); runc's own state under `<root>/runc`. All of
 *    `root` lives only as long as the containers do (records, bundles, runc's state, pid and status files, the
 *    sandboxes' /etc files), so the node keeps it on a tmpfs (state-tmpfs.ts): what must stay on disk — the
 *    containers' writable layers (`<diskRoot>/snapshots/<id>/upper`, `work`) and the compiled shim — is under
 *    `diskRoot`. A writable layer without a container record (the tmpfs went with a reboot) is removed at construction.
 *  - The shim starts the container detached (`runc run -d`) and reaps its init as a subreaper, so the container's
 *    cgroup outlives its death until removeContainer: the shim reads the OOM-kill counter there, and an exit the
 *    kernel caused by the memory limit reports `OOMKilled` (exit code 137).
 *  - The pod's cgroup (the sandbox's cgroupParent) is made with the pod-level limits before its containers, and
 *    removed with the sandbox (pod-cgroup.ts).
 *  - Terminals: a container with `tty` runs detached (`runc run -d --console-socket`) and its shim receives and
 *    serves the terminal; a TTY exec runs through the shim's exec mode the same way (`runc exec -d -t`), with
 *    resizes on a pipe. Node cannot receive file descriptors, so the shim holds every terminal.
 *  - Attach: each shim listens on the abstract unix socket `tkube-attach-<id>` (attach-frames.ts); clients get
 *    the output from then on and, for containers with `stdin`, write to its stdin (a pipe the shim keeps open).
 * Not yet: sandbox-wide IPC/PID sharing.
 */
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { Logger } from '../../../base/log/logger.js';
import { newLogger } from '../../../base/log/logger.js';
import type {
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ExecSyncResult,
  Mount,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  RuntimeService,
  RuntimeVersion,
  StreamOptions,
} from '../../cri/runtime-service.js';
import { containerStatusOf, newRuntimeId, RuntimeRecords } from '../runtime-records.js';
import type { ImageStore } from '../../images/image-store.js';
import type { PodNetwork } from '../../network/pod-network.js';
import { diskUsage } from './disk-usage.js';
import { ATTACH_RESIZE, ATTACH_STDERR, ATTACH_STDIN, ATTACH_STDIN_END, ATTACH_STDOUT, AttachFrameDecoder, encodeAttachFrames } from './attach-frames.js';
import { ociSpec } from './oci-spec.js';
import { MountPointLayers, type SpecMount } from './mount-point-layer.js';
import { applyPodCgroup, memoryOomControlPath, removePodCgroup } from './pod-cgroup.js';
import { ensureShimBinary } from './shim-binary.js';
import { hostCommands } from '../../host/command-runner.js';
import { NO_POD_START_TRACE, type PodStartTrace } from '../../pod-start-trace.js';

const run = promisify(execFile);

/** RuncRuntimeConfig constructs a RuncRuntime. */
export interface RuncRuntimeConfig {
  /**
   * State directory, e.g. `<data-dir>/agent/runc`: what lives as long as the containers do (see the file comment);
   * it may be a tmpfs.
   */
  readonly root: string;
  /**
   * What must stay on disk: the containers' overlay upper and work dirs (`snapshots/<id>/`, they can be large) and
   * the compiled shim (`bin/`). Only one instance over the same roots creates containers at a time (as for `root`).
   * @default root
   */
  readonly diskRoot?: string;
  readonly images: ImageStore;
  /** Connects sandboxes; absent: a sandbox has only loopback. */
  readonly network?: PodNetwork;
  /** @default "runc" on the PATH */
  readonly runcPath?: string;
  /** Prefix of network namespace names, so tests can tell theirs apart. @default "tkube-" */
  readonly netnsPrefix?: string;
  readonly log?: Logger;
  /** Where the steps of pod starts are recorded (pod-start-trace.ts). @default none */
  readonly startTrace?: PodStartTrace;
}

interface SandboxRecord {
  readonly id: string;
  readonly config: PodSandboxConfig;
  readonly createdAt: number;
  readonly netns?: string;
  ips: string[];
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
}

interface ContainerRecord {
  readonly id: string;
  readonly sandboxId: string;
  readonly config: ContainerConfig;
  readonly imageRef: string;
  readonly logPath: string;
  readonly createdAt: number;
  readonly cgroupsPath: string;
  readonly stopSignal: string;
  /**
   * The overlay mount options of the root, mounted by the shim at start (see startContainer). Absent in records
   * made before the shim mounted roots: their root was mounted at create.
   */
  readonly rootfsOverlay?: string;
  /**
   * The directory of the overlay's upper and work dirs, `<diskRoot>/snapshots/<id>`. Absent in records made before
   * the writable layer moved out of the container's directory: there, `upper` and `work` are in that directory.
   */
  readonly snapshotDir?: string;
  startedAt: number;
}

/** ContainerExit is what a shim's status file says of a container that ended. */
interface ContainerExit {
  readonly code: number;
  readonly finishedAt: number;
  readonly oomKilled: boolean;
}

/** lowerDirs are the `lowerdir` directories of an overlay's mount options. */
function lowerDirs(overlay: string | undefined): string[] {
  const lower = /(?:^|,)lowerdir=([^,]*)/.exec(overlay ?? '')?.[1];
  return lower === undefined ? [] : lower.split(':');
}

/** attachName is the abstract unix socket on which a container's shim serves attach clients. */
function attachName(id: string): string {
  return `tkube-attach-${id}`;
}

/** RuncRuntime runs pods with runc; see the file comment. */
export class RuncRuntime implements RuntimeService {
  readonly #root: string;
  readonly #diskRoot: string;
  readonly #records: RuntimeRecords<SandboxRecord, ContainerRecord>;
  readonly #images: ImageStore;
  readonly #network: PodNetwork | undefined;
  readonly #runc: string;
  readonly #netnsPrefix: string;
  readonly #log: Logger;
  #shim: Promise<string> | undefined;
  /** Exits read from the shims' status files, by container ID (see #exit). */
  readonly #exits = new Map<string, ContainerExit>();
  readonly #trace: PodStartTrace;
  readonly #mountPoints: MountPointLayers;

  constructor(config: RuncRuntimeConfig) {
    this.#trace = config.startTrace ?? NO_POD_START_TRACE;
    this.#root = config.root;
    this.#diskRoot = config.diskRoot ?? config.root;
    this.#images = config.images;
    this.#network = config.network;
    this.#runc = config.runcPath ?? 'runc';
    this.#netnsPrefix = config.netnsPrefix ?? 'tkube-';
    this.#log = config.log ?? newLogger('runc');
    this.#records = new RuntimeRecords(config.root, { onRemoveError: (path, err) => this.#log.warn('Cannot delete a removed record directory', { path, err: err instanceof Error ? err.message : String(err) }) });
    this.#removeOrphanSnapshots();
    this.#mountPoints = new MountPointLayers(join(this.#diskRoot, 'mountpoints'));
    void this.#mountPoints.removeUnused(new Set(this.#records.containers().flatMap((c) => lowerDirs(c.rootfsOverlay))));
  }

  get #snapshotsDir(): string {
    return join(this.#diskRoot, 'snapshots');
  }

  /**
   * #removeOrphanSnapshots deletes (in the background) the writable layers no container record names: what was left
   * when the state's tmpfs went with a reboot, or by a create that died between the two.
   */
  #removeOrphanSnapshots(): void {
    let ids: string[] = [];
    try {
      ids = readdirSync(this.#snapshotsDir);
    } catch {
      return;
    }
    const known = new Set(this.#records.containers().map((c) => c.id));
    for (const id of ids) if (!known.has(id)) this.#records.deleteInBackground(join(this.#snapshotsDir, id));
  }

  get #runcRoot(): string {
    return join(this.#root, 'runc');
  }

  /** #runcCmd runs runc through the CommandRunner, bounded by its timeout (SIGTERM, then SIGKILL 5 s later). */
  async #runcCmd(args: readonly string[], timeoutMs = 30_000): Promise<string> {
    return hostCommands.run(this.#runc, ['--root', this.#runcRoot, ...args], { timeoutMs });
  }

  async version(): Promise<RuntimeVersion> {
    const { stdout } = await run(this.#runc, ['--version']);
    const v = /runc version (\S+)/.exec(stdout)?.[1] ?? 'unknown';
    return { runtimeName: 'runc', runtimeVersion: v };
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const m = config.metadata;
    this.#records.checkNewSandbox(config);
    const id = newRuntimeId();
    const hostNetwork = config.linux?.namespaceOptions?.network === 'NODE';
    let netns = hostNetwork ? undefined : `${this.#netnsPrefix}${id.slice(0, 12)}`;
    mkdirSync(this.#records.sandboxDir(id), { recursive: true });
    let ips: string[] = [];
    const createdAt = Date.now();
    try {
      if (config.linux?.cgroupParent) applyPodCgroup(config.linux.cgroupParent, config.linux.resources);
      if (netns && this.#network) {
        // The network makes the namespace in its own `ip` runs (two spawns a pod instead of four), or hands over one
        // it made ahead of need (its warm pool): then that one is the sandbox's.
        const traced = this.#trace.begin(m.uid, 'network');
        const result = await this.#network.setUp({ sandboxId: id, podNamespace: m.namespace, podName: m.name, podUID: m.uid, netnsPath: `/run/netns/${netns}`, portMappings: config.portMappings, createNetns: true }).finally(traced);
        if (result.netnsPath !== undefined) netns = basename(result.netnsPath);
        ips = [...result.ips];
      } else if (netns) {
        await hostCommands.run('ip', ['netns', 'add', netns]);
        await hostCommands.run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      }
      this.#writeEtcFiles(id, config, ips[0]);
      this.#records.saveSandbox({ id, config, createdAt, ...(netns ? { netns } : {}), ips, state: 'SANDBOX_READY' });
    } catch (err) {
      if (netns) await hostCommands.run('ip', ['netns', 'delete', netns]).catch(() => undefined);
      this.#records.removeSandboxDir(id);
      throw new Error(`Cannot run sandbox for pod ${m.namespace}/${m.name}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
    }
    return id;
  }

  /** #writeEtcFiles writes the pod's hosts, resolv.conf and hostname files. */
  #writeEtcFiles(id: string, config: PodSandboxConfig, ip: string | undefined): void {
    const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...(ip ? [`${ip}\t${config.hostname}`] : [`127.0.1.1\t${config.hostname}`])];
    for (const a of config.hostAliases ?? []) hosts.push(`${a.ip}\t${a.hostnames.join(' ')}`);
    writeFileSync(this.#records.sandboxPath(id, 'hosts'), `# Kubernetes-managed hosts file.\n${hosts.join('\n')}\n`);
    const dns = config.dnsConfig;
    const resolv = dns
      ? [...dns.servers.map((s) => `nameserver ${s}`), ...(dns.searches.length > 0 ? [`search ${dns.searches.join(' ')}`] : []), ...(dns.options.length > 0 ? [`options ${dns.options.join(' ')}`] : [])].join('\n') + '\n'
      : existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '';
    writeFileSync(this.#records.sandboxPath(id, 'resolv.conf'), resolv);
    writeFileSync(this.#records.sandboxPath(id, 'hostname'), `${config.hostname}\n`);
  }

  #etcMounts(id: string): Mount[] {
    return [
      { containerPath: '/etc/hosts', hostPath: this.#records.sandboxPath(id, 'hosts') },
      { containerPath: '/etc/resolv.conf', hostPath: this.#records.sandboxPath(id, 'resolv.conf') },
      { containerPath: '/etc/hostname', hostPath: this.#records.sandboxPath(id, 'hostname') },
    ];
  }

  async stopPodSandbox(id: string): Promise<void> {
    const rec = this.#records.findSandbox(id);
    if (!rec) return;
    for (const c of this.#records.containersOf(id)) await this.stopContainer(c.id, 0);
    if (rec.netns) {
      const m = rec.config.metadata;
      if (this.#network) await this.#network.tearDown({ sandboxId: id, podNamespace: m.namespace, podName: m.name, podUID: m.uid, netnsPath: `/run/netns/${rec.netns}`, portMappings: rec.config.portMappings });
      await hostCommands.run('ip', ['netns', 'delete', rec.netns]).catch(() => undefined);
    }
    rec.state = 'SANDBOX_NOTREADY';
    this.#records.saveSandbox(rec);
  }

  async removePodSandbox(id: string): Promise<void> {
    if (!existsSync(this.#records.sandboxPath(id))) return;
    await this.stopPodSandbox(id);
    for (const c of this.#records.containersOf(id)) await this.removeContainer(c.id);
    const parent = this.#records.findSandbox(id)?.config.linux?.cgroupParent;
    this.#records.removeSandboxDir(id);
    // runc removes each container's cgroup; the pod's parent cgroup (empty by now) is ours to remove.
    if (parent) removePodCgroup(parent);
  }

  #sandboxStatus(rec: SandboxRecord): PodSandboxStatus {
    return {
      id: rec.id,
      metadata: rec.config.metadata,
      state: rec.state,
      createdAt: rec.createdAt,
      ips: rec.ips,
      ...(rec.netns ? { netnsPath: `/run/netns/${rec.netns}` } : {}),
      labels: rec.config.labels,
      annotations: rec.config.annotations,
    };
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.#sandboxStatus(this.#records.sandbox(id));
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandboxStatus[]> {
    return this.#records.sandboxStatuses(filter, (r) => this.#sandboxStatus(r));
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sandbox = this.#records.checkNewContainer(sandboxId, config);
    const name = config.metadata.name;
    const image = await this.#images.unpacked(config.image);
    if (!image) throw new Error(`Cannot create container ${name}: image "${config.image}" is not present on the node`);
    const id = newRuntimeId();
    const dir = this.#records.containerDir(id);
    const rootfs = join(dir, 'rootfs');
    const snapshotDir = join(this.#snapshotsDir, id);
    for (const d of [rootfs, join(dir, 'bundle')]) mkdirSync(d, { recursive: true });
    // The writable layer is on disk: made on the thread pool, since an inode allocation there can take milliseconds
    // (the state directory above is a tmpfs).
    await Promise.all([mkdir(join(snapshotDir, 'upper'), { recursive: true }), mkdir(join(snapshotDir, 'work'), { recursive: true })]);
    try {
      const parent = sandboxConfig.linux?.cgroupParent ?? sandbox.config.linux?.cgroupParent ?? '/tkube';
      const cgroupsPath = `${parent}/${id.slice(0, 16)}`;
      const spec = ociSpec({
        config,
        image: image.config,
        rootfs,
        hostname: sandbox.config.hostname,
        netnsPath: sandbox.netns ? `/run/netns/${sandbox.netns}` : undefined,
        etcMounts: this.#etcMounts(sandboxId),
        cgroupsPath,
      });
      // The mount points the image lacks come from a shared lower layer, not from runc writing them into the
      // container's writable layer (mount-point-layer.ts).
      const mountPoints = await this.#mountPoints.layerFor(image.layerDirs, spec['mounts'] as SpecMount[]);
      const lower = [...(mountPoints !== undefined ? [mountPoints] : []), ...[...image.layerDirs].reverse()].join(':');
      // The root is mounted by the shim when the container starts (one process spawn less per container).
      const rootfsOverlay = `lowerdir=${lower},upperdir=${join(snapshotDir, 'upper')},workdir=${join(snapshotDir, 'work')}`;
      writeFileSync(join(dir, 'bundle', 'config.json'), JSON.stringify(spec));
      const logPath = join(sandbox.config.logDirectory, config.logPath);
      await mkdir(dirname(logPath), { recursive: true });
      const rec: ContainerRecord = { id, sandboxId, config, imageRef: image.id, logPath, createdAt: Date.now(), cgroupsPath, stopSignal: image.config.stopSignal ?? 'SIGTERM', rootfsOverlay, snapshotDir, startedAt: 0 };
      this.#records.saveContainer(rec);
    } catch (err) {
      this.#records.removeContainerDir(id);
      this.#records.deleteInBackground(snapshotDir);
      throw new Error(`Cannot create container ${name}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
    }
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.#records.container(id);
    if (rec.startedAt > 0) return;
    const shim = await (this.#shim ??= ensureShimBinary(join(this.#diskRoot, 'bin')));
    const dir = this.#records.containerDir(id);
    const pidFile = join(dir, 'init.pid');
    // Always detached (`runc run -d --pid-file`): the shim reaps the init as its subreaper, and the container's
    // cgroup stays until removeContainer, so the shim can read its OOM-kill counter (see shim.c).
    const runc = [this.#runc, '--root', this.#runcRoot, 'run', '-d', '--pid-file', pidFile];
    const flags = ['-a', attachName(id), '-p', pidFile, ...(rec.rootfsOverlay ? ['-m', join(dir, 'rootfs'), rec.rootfsOverlay] : [])];
    if (rec.config.tty) {
      // The console socket path must fit a sockaddr_un, so it lives in tmpdir.
      const console = join(tmpdir(), `tkube-con-${randomBytes(6).toString('hex')}.sock`);
      flags.push('-t', console);
      runc.push('--console-socket', console);
    } else if (rec.config.stdin) {
      flags.push('-i', ...(rec.config.stdinOnce ? ['-I'] : []));
    }
    const uid = this.#records.findSandbox(rec.sandboxId)?.config.metadata.uid ?? '';
    // Started by the CommandRunner's helper, not forked from the agent (see command-runner.ts), and detached by
    // itself (-d): two processes fewer per start than `setsid -f env TKUBE_SHIM_OOM_CONTROL=… shim`.
    const shimStarted = this.#trace.begin(uid, 'shim');
    await hostCommands.startSelfDetaching(shim, ['-d', '-o', memoryOomControlPath(rec.cgroupsPath), ...flags, rec.logPath, join(dir, 'status'), ...runc, '--bundle', join(dir, 'bundle'), id]).finally(shimStarted);
    rec.startedAt = Date.now();
    this.#records.saveContainer(rec);
    // Resolve once the container runs (or it already ended), so a status read right after sees it running. runc
    // writes --pid-file only after `run` has started the container's process, and the shim writes the status file
    // when the container (or runc) ended: two file checks, where asking `runc state` was a process spawn per look.
    // `runc state` is still asked now and then, in case neither file ever comes.
    const deadline = Date.now() + 10_000;
    const running = this.#trace.begin(uid, 'runc');
    for (let n = 1; ; n++) {
      if (existsSync(join(dir, 'status')) || existsSync(pidFile)) return running();
      if (n % 100 === 0) {
        const state = await this.#runcState(id);
        if (state === 'running' || state === 'stopped') return;
      }
      if (Date.now() > deadline) throw new Error(`Cannot start container ${rec.config.metadata.name}: runc did not report it running within 10 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async #runcState(id: string): Promise<string | undefined> {
    try {
      return (JSON.parse(await this.#runcCmd(['state', id], 5000)) as { status?: string }).status;
    } catch {
      return undefined;
    }
  }

  /**
   * #exit reads the shim's status file: exit code and finish time (ms), or undefined while running. The shim
   * writes it once, at the end, so an exit read is kept (until removeContainer) instead of read on every list.
   */
  #exit(id: string): ContainerExit | undefined {
    const known = this.#exits.get(id);
    if (known) return known;
    const path = join(this.#records.containerDir(id), 'status');
    // Most containers run: asking first costs no thrown error per running container per list.
    if (!existsSync(path)) return undefined;
    try {
      const [code, nanos, flag] = readFileSync(path, 'utf8').trim().split(' ');
      const exit = { code: Number(code), finishedAt: Math.floor(Number(nanos) / 1e6), oomKilled: flag === 'oom' };
      this.#exits.set(id, exit);
      return exit;
    } catch {
      return undefined;
    }
  }

  #status(rec: ContainerRecord): ContainerStatus {
    const exit = this.#exit(rec.id);
    return containerStatusOf(rec, exit && { exitCode: exit.code, finishedAt: exit.finishedAt, ...(exit.oomKilled ? { reason: 'OOMKilled' } : {}) });
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return this.#status(this.#records.container(id));
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    return this.#records.containerStatuses(filter, (r) => this.#status(r));
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.#records.container(id);
    if (rec.startedAt === 0 || this.#exit(id)) return;
    const waitExit = async (ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (this.#exit(id)) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return this.#exit(id) !== undefined;
    };
    if (timeoutSeconds > 0) {
      await this.#runcCmd(['kill', id, rec.stopSignal.replace(/^SIG/, '')]).catch(() => undefined);
      if (await waitExit(timeoutSeconds * 1000)) return;
    }
    await this.#runcCmd(['kill', '--all', id, 'KILL']).catch(() => undefined);
    if (!(await waitExit(10_000))) this.#log.warn('Container did not exit after SIGKILL', { container: id });
  }

  async removeContainer(id: string): Promise<void> {
    const dir = this.#records.containerDir(id);
    if (!existsSync(join(dir, 'container.json'))) return;
    await this.stopContainer(id, 0);
    await this.#runcCmd(['delete', '--force', id]).catch(() => undefined);
    await hostCommands.umount(join(dir, 'rootfs')).catch(() => undefined);
    const snapshotDir = this.#records.findContainer(id)?.snapshotDir;
    this.#records.removeContainerDir(id);
    if (snapshotDir) this.#records.deleteInBackground(snapshotDir);
    this.#exits.delete(id);
  }

  async execSync(id: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    this.#records.container(id);
    return new Promise((resolve, reject) => {
      const child = spawn(this.#runc, ['--root', this.#runcRoot, 'exec', id, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = timeoutSeconds > 0 ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutSeconds * 1000) : undefined;
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(new Error(`Cannot exec in container ${id}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: code ?? (signal ? 137 : 1), timedOut });
      });
    });
  }

  async exec(id: string, cmd: readonly string[], streams: StreamOptions): Promise<number> {
    this.#records.container(id);
    const shim = streams.tty ? await (this.#shim ??= ensureShimBinary(join(this.#diskRoot, 'bin'))) : undefined;
    const tag = randomBytes(6).toString('hex');
    // The pid file names the exec'd process, so an abandoned session kills it (killing runc would not).
    const pidFile = join(this.#records.containerDir(id), `exec-${tag}.pid`);
    const console = join(tmpdir(), `tkube-con-${tag}.sock`);
    const runcArgs = ['--root', this.#runcRoot, 'exec', ...(streams.tty ? ['-d', '-t', '--console-socket', console] : []), '--pid-file', pidFile, id, ...cmd];
    const child = shim
      ? spawn(shim, ['-x', console, pidFile, this.#runc, ...runcArgs], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
      : spawn(this.#runc, runcArgs, { stdio: [streams.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      if (streams.stdin && child.stdin) {
        streams.stdin.pipe(child.stdin);
        child.stdin.on('error', () => undefined);
      } else child.stdin?.end();
      if (streams.stdout) child.stdout?.pipe(streams.stdout, { end: false });
      // With a terminal, stderr is runc's own (a failed start): the client sees it where it sees the terminal.
      const errTarget = streams.tty ? streams.stdout : streams.stderr;
      if (errTarget) child.stderr?.pipe(errTarget, { end: false });
      const resizes = child.stdio[3] as Writable | null | undefined;
      if (streams.resize && resizes) {
        resizes.on('error', () => undefined);
        void (async () => {
          for await (const size of streams.resize ?? []) if (resizes.writable) resizes.write(`${size.width} ${size.height}\n`);
        })().catch(() => undefined);
      }
      const abort = (): void => {
        try {
          const pid = Number(readFileSync(pidFile, 'utf8').trim());
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          // Not started, or gone already.
        }
        child.kill('SIGKILL');
      };
      streams.signal?.addEventListener('abort', abort, { once: true });
      child.on('error', (e) => reject(new Error(`Cannot exec in container ${id}: ${e.message}`)));
      child.on('close', (code) => {
        streams.signal?.removeEventListener('abort', abort);
        resizes?.destroy();
        rmSync(pidFile, { force: true });
        resolve(code ?? 137);
      });
    });
  }

  /**
   * attach connects to the container's shim: output from now on goes to the client (stderr into stdout with a
   * terminal), and the client's stdin reaches a container created with `stdin`. Resolves when the container ends
   * or the client leaves.
   */
  async attach(id: string, streams: StreamOptions): Promise<void> {
    const rec = this.#records.container(id);
    if (rec.startedAt === 0 || this.#exit(id)) throw new Error(`Cannot attach to container ${id}: it is not running`);
    const socket = connect({ path: `\0${attachName(id)}` });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e) => reject(new Error(`Cannot attach to container ${id}: ${e.message}`)));
      socket.once('connect', () => resolve());
    });
    return new Promise((resolve) => {
      socket.removeAllListeners('error');
      socket.on('error', () => socket.destroy());
      const decoder = new AttachFrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) {
          if (f.type === ATTACH_STDOUT) streams.stdout?.write(f.data);
          else if (f.type === ATTACH_STDERR) (streams.tty ? streams.stdout : streams.stderr)?.write(f.data);
        }
      });
      const stdin = rec.config.stdin ? streams.stdin : undefined;
      const onData = (d: Buffer): void => void socket.write(encodeAttachFrames(ATTACH_STDIN, d));
      const onEnd = (): void => void (socket.writable && socket.write(encodeAttachFrames(ATTACH_STDIN_END, Buffer.alloc(0))));
      stdin?.on('data', onData);
      stdin?.once('end', onEnd);
      if (streams.resize) {
        void (async () => {
          for await (const size of streams.resize ?? []) if (socket.writable) socket.write(encodeAttachFrames(ATTACH_RESIZE, Buffer.from(`${size.width} ${size.height}`)));
        })().catch(() => undefined);
      }
      const abort = (): void => void socket.destroy();
      streams.signal?.addEventListener('abort', abort, { once: true });
      socket.on('close', () => {
        stdin?.off('data', onData);
        stdin?.off('end', onEnd);
        streams.signal?.removeEventListener('abort', abort);
        resolve();
      });
    });
  }

  async portForward(sandboxId: string, port: number, stream: Duplex): Promise<void> {
    const rec = this.#records.sandbox(sandboxId);
    if (!rec.netns) {
      // Host network: the pod's port is the node's.
      return new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('error', (e) => reject(new Error(`Cannot forward port ${port}: ${e.message}`)));
        socket.once('connect', () => {
          socket.removeAllListeners('error');
          socket.on('error', () => stream.destroy());
          stream.pipe(socket).pipe(stream);
          socket.on('close', () => resolve());
        });
      });
    }
    return new Promise((resolve, reject) => {
      // busybox nc inside the sandbox's network namespace relays the bytes; nothing reaches `stream` unless it connected.
      const child = spawn('ip', ['netns', 'exec', rec.netns ?? '', '/bin/busybox', 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let connected = false;
      let errText = '';
      child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
      child.stdout.once('data', () => (connected = true));
      child.stdout.pipe(stream, { end: true });
      // The client may still be sending when nc exits (refused connection, closed port): EPIPE on nc's stdin is
      // an expected outcome, and unhandled it would take the whole node down.
      child.stdin.on('error', () => undefined);
      stream.pipe(child.stdin);
      stream.on('close', () => child.kill('SIGTERM'));
      child.on('close', (code) => {
        if (!connected && code !== 0) reject(new Error(`Cannot forward port ${port}: ${errText.trim() || `exit ${code}`}`));
        else resolve();
      });
    });
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    const rec = this.#records.container(id);
    const read = (controller: string, file: string): string | undefined => {
      try {
        return readFileSync(join('/sys/fs/cgroup', controller, rec.cgroupsPath, file), 'utf8');
      } catch {
        return undefined;
      }
    };
    const cpu = read('cpuacct', 'cpuacct.usage');
    const usage = read('memory', 'memory.usage_in_bytes');
    if (cpu === undefined && usage === undefined) return undefined;
    const inactive = Number(/^total_inactive_file (\d+)$/m.exec(read('memory', 'memory.stat') ?? '')?.[1] ?? '0');
    const used = Number(usage ?? '0');
    return { id, timestamp: Date.now(), cpuUsageCoreNanoSeconds: Number(cpu ?? '0'), memoryUsageBytes: used, memoryWorkingSetBytes: Math.max(0, used - inactive), writableLayerUsedBytes: diskUsage(join(rec.snapshotDir ?? this.#records.containerDir(id), 'upper')) };
  }

  async close(): Promise<void> {
    // Containers and their shims outlive this instance by design; only the deletes of removed ones are waited for.
    await this.#records.settled();
  }
}
