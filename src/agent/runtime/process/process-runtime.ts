/**
 * ProcessRuntime: the RuntimeService backend for machines without root or runc. A container is a plain host
 * process; there is no isolation at all, so this is for development machines and CI, not for untrusted pods.
 *
 *  - A sandbox is a record only: no network namespace, so the pod's IP is the node's (`ips` is empty and the
 *    kubelet reports the node IP, as for hostNetwork) and its ports are the node's; `portForward` dials
 *    127.0.0.1. DNS config, host aliases and mounts are recorded but not applied (nothing can be bind-mounted).
 *  - A container runs the pod's command/args, else the image's entrypoint/cmd (Kubernetes' rules), as a host
 *    process: the image's root filesystem is not entered, so programs are looked up on the host's PATH (or the
 *    container's own PATH when its env sets one), followed by the image's PATH directories inside the unpacked
 *    layers (top layer first), so an image's own tools are found when the host lacks them.
 *  - Working directory: an explicit or image working dir that exists on the host is used as it is; none, "/", or
 *    a path the host lacks maps to a private directory of the container, `<root>/containers/<id>/root[/<path>]`
 *    (created), so a container can always write to its working directory without touching the host's tree.
 *    HOME is that private root unless the env sets it; HOSTNAME is the sandbox's hostname (as containerd sets it).
 *  - `runAsUser`/`runAsGroup` are honoured only when the agent runs as root; otherwise the container runs as the
 *    agent's user.
 *  - Each container is watched by `supervisor.mjs`, started detached with the bare node binary: it writes the CRI
 *    log and, at the end, the exit record, so containers and their records outlive the agent, and a new instance
 *    over the same root adopts them. The container runs in its own process group: stop signals go to the whole
 *    group, and the group is killed when the main process ends.
 *  - State lives in JSON files under `root` (written temp + rename).
 * Not supported: attach, TTY exec, container stats (no cgroups), resource limits.
 */
import { spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../../base/log/logger.js';
import { newLogger } from '../../../base/log/logger.js';
import type {
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ExecSyncResult,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  RuntimeService,
  RuntimeVersion,
  StreamOptions,
} from '../../cri/runtime-service.js';
import { readJson, writeJsonAtomic } from '../../../base/fs/json-file.js';
import { containerStatusOf, newRuntimeId, RuntimeRecords } from '../runtime-records.js';
import type { ImageStore } from '../../images/image-store.js';
import { processGroupStats } from './process-group-stats.js';

/** PROCESS_RUNTIME_VERSION is reported as `process://<version>`. */
const PROCESS_RUNTIME_VERSION = '0.1.0';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** ProcessRuntimeConfig constructs a ProcessRuntime. */
export interface ProcessRuntimeConfig {
  /** State directory, e.g. `<data-dir>/agent/process`. */
  readonly root: string;
  readonly images: ImageStore;
  /** The node binary supervisors run with. @default process.execPath */
  readonly nodePath?: string;
  readonly log?: Logger;
}

interface SandboxRecord {
  readonly id: string;
  readonly config: PodSandboxConfig;
  readonly createdAt: number;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
}

/** ProcessIdentity names one process across PID reuse: its pid and its start time in clock ticks since boot. */
interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: string;
}

interface ContainerRecord {
  readonly id: string;
  readonly sandboxId: string;
  readonly config: ContainerConfig;
  readonly imageRef: string;
  readonly logPath: string;
  readonly createdAt: number;
  readonly stopSignal: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly uid?: number;
  readonly gid?: number;
  startedAt: number;
  supervisor?: ProcessIdentity;
}

/** ExitRecord is what supervisor.mjs writes when the container ends. */
interface ExitRecord {
  readonly exitCode: number;
  readonly finishedAt: number;
  readonly reason?: string;
  readonly message?: string;
}


function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** processStartTime reads a live (not zombie) process's start time from /proc, or undefined when it is gone. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

function isAlive(p: ProcessIdentity | undefined): boolean {
  return p !== undefined && processStartTime(p.pid) === p.startTime;
}

/** groupAlive tells whether any process of the group `pgid` is left. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: string): void {
  try {
    process.kill(-pgid, signal as NodeJS.Signals);
  } catch {
    // The group is gone already.
  }
}

/** supervisorScriptPath finds supervisor.mjs beside this module (sources) or in the bundle's data dir. */
function supervisorScriptPath(): string {
  for (const candidate of ['./supervisor.mjs', './data/supervisor.mjs']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('Cannot start containers: supervisor.mjs is missing from the installation');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** ProcessRuntime runs pods as host processes; see the file comment. */
export class ProcessRuntime implements RuntimeService {
  readonly #records: RuntimeRecords<SandboxRecord, ContainerRecord>;
  readonly #images: ImageStore;
  readonly #node: string;
  readonly #log: Logger;

  constructor(config: ProcessRuntimeConfig) {
    this.#images = config.images;
    this.#node = config.nodePath ?? process.execPath;
    this.#log = config.log ?? newLogger('process-runtime');
    this.#records = new RuntimeRecords(config.root, { onRemoveError: (path, err) => this.#log.warn('Cannot delete a removed record directory', { path, err: err instanceof Error ? err.message : String(err) }) });
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'process', runtimeVersion: PROCESS_RUNTIME_VERSION };
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.#records.checkNewSandbox(config);
    const id = newRuntimeId();
    this.#records.saveSandbox({ id, config, createdAt: Date.now(), state: 'SANDBOX_READY' });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const rec = this.#records.findSandbox(id);
    if (!rec) return;
    for (const c of this.#records.containersOf(id)) await this.stopContainer(c.id, 0);
    rec.state = 'SANDBOX_NOTREADY';
    this.#records.saveSandbox(rec);
  }

  async removePodSandbox(id: string): Promise<void> {
    if (!existsSync(this.#records.sandboxPath(id))) return;
    await this.stopPodSandbox(id);
    for (const c of this.#records.containersOf(id)) await this.removeContainer(c.id);
    this.#records.removeSandboxDir(id);
  }

  #sandboxStatus(rec: SandboxRecord): PodSandboxStatus {
    return { id: rec.id, metadata: rec.config.metadata, state: rec.state, createdAt: rec.createdAt, ips: [], labels: rec.config.labels, annotations: rec.config.annotations };
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
    const argv = [...(config.command.length > 0 ? config.command : image.config.entrypoint), ...(config.command.length > 0 || config.args.length > 0 ? config.args : image.config.cmd)];
    if (argv.length === 0) throw new Error(`Cannot create container ${name}: no command (the image has neither entrypoint nor cmd)`);
    const id = newRuntimeId();
    const dir = this.#records.containerDir(id);
    const privateRoot = join(dir, 'root');

    const env: Record<string, string> = {};
    let imagePath = DEFAULT_PATH;
    for (const e of image.config.env) {
      const i = e.indexOf('=');
      if (i <= 0) continue;
      if (e.slice(0, i) === 'PATH') imagePath = e.slice(i + 1);
      else env[e.slice(0, i)] = e.slice(i + 1);
    }
    env['HOSTNAME'] = sandbox.config.hostname;
    env['HOME'] = privateRoot;
    for (const e of config.envs) env[e.key] = e.value;
    // Host PATH first (the rootfs is not entered), then the image's PATH inside its layers, top layer first.
    const layerDirs = [...image.layerDirs].reverse();
    const imageDirs = imagePath.split(':').filter((p) => p.startsWith('/')).flatMap((p) => layerDirs.map((l) => join(l, p))).filter(isDirectory);
    env['PATH'] = [config.envs.some((e) => e.key === 'PATH') ? (env['PATH'] ?? '') : (process.env['PATH'] ?? DEFAULT_PATH), ...imageDirs].filter(Boolean).join(':');

    const sc = config.linux?.securityContext;
    const asRoot = process.getuid?.() === 0;
    const uid = asRoot ? sc?.runAsUser : undefined;
    const gid = asRoot && sc?.runAsUser !== undefined ? (sc.runAsGroup ?? sc.runAsUser) : undefined;

    const wd = config.workingDir || image.config.workingDir || '/';
    const cwd = wd !== '/' && isDirectory(wd) ? wd : join(privateRoot, wd);
    try {
      mkdirSync(cwd, { recursive: true });
      if (uid !== undefined) chownSync(privateRoot, uid, gid ?? uid);
      const logPath = join(sandboxConfig.logDirectory || sandbox.config.logDirectory, config.logPath);
      mkdirSync(dirname(logPath), { recursive: true });
      const rec: ContainerRecord = {
        id,
        sandboxId,
        config,
        imageRef: image.id,
        logPath,
        createdAt: Date.now(),
        stopSignal: image.config.stopSignal ?? 'SIGTERM',
        argv,
        env,
        cwd,
        ...(uid !== undefined ? { uid, gid: gid ?? uid } : {}),
        startedAt: 0,
      };
      writeJsonAtomic(join(dir, 'spec.json'), { argv, env, cwd, logPath, pidPath: join(dir, 'pid'), statusPath: join(dir, 'status'), ...(uid !== undefined ? { uid, gid: gid ?? uid } : {}) });
      this.#records.saveContainer(rec);
    } catch (err) {
      this.#records.removeContainerDir(id);
      throw new Error(`Cannot create container ${name}: ${(err as Error).message}`);
    }
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.#records.container(id);
    if (rec.startedAt > 0) return;
    const dir = this.#records.containerDir(id);
    const errFd = openSync(join(dir, 'supervisor.log'), 'a');
    let pid: number | undefined;
    try {
      const child = spawn(this.#node, ['--max-old-space-size=32', supervisorScriptPath(), join(dir, 'spec.json')], { detached: true, stdio: ['ignore', 'ignore', errFd] });
      child.on('error', () => undefined);
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(errFd);
    }
    if (pid === undefined) throw new Error(`Cannot start container ${rec.config.metadata.name}: cannot run the supervisor with ${this.#node}`);
    rec.startedAt = Date.now();
    const startTime = processStartTime(pid);
    if (startTime !== undefined) rec.supervisor = { pid, startTime };
    this.#records.saveContainer(rec);
    // Resolve once the process runs (or already ended), so a status read right after sees it running.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (existsSync(join(dir, 'pid')) || existsSync(join(dir, 'status'))) return;
      if (!isAlive(rec.supervisor)) {
        const why = readFileSync(join(dir, 'supervisor.log'), 'utf8').trim().split('\n').pop() ?? '';
        throw new Error(`Cannot start container ${rec.config.metadata.name}: the supervisor ended before the container ran${why ? `: ${why}` : ''}`);
      }
      if (Date.now() > deadline) throw new Error(`Cannot start container ${rec.config.metadata.name}: the supervisor did not start it within 10 s`);
      await sleep(5);
    }
  }

  #mainPid(id: string): number | undefined {
    return readJson<{ pid: number }>(join(this.#records.containerDir(id), 'pid'))?.pid;
  }

  /**
   * #exit reads the container's exit record, or undefined while it runs. A supervisor that died without writing
   * one (killed, machine trouble) leaves a container whose end cannot be known: once its process group is gone,
   * an exit record saying so is written here, so the container does not look running forever.
   */
  #exit(rec: ContainerRecord): ExitRecord | undefined {
    const path = join(this.#records.containerDir(rec.id), 'status');
    const found = readJson<ExitRecord>(path);
    if (found || rec.startedAt === 0 || isAlive(rec.supervisor)) return found;
    const again = readJson<ExitRecord>(path);
    if (again) return again;
    const pid = this.#mainPid(rec.id);
    if (pid !== undefined && groupAlive(pid)) return undefined;
    const lost: ExitRecord = { exitCode: 255, finishedAt: Date.now(), reason: 'Error', message: 'the container supervisor ended without recording an exit code' };
    writeJsonAtomic(path, lost);
    return lost;
  }

  #status(rec: ContainerRecord): ContainerStatus {
    const exit = this.#exit(rec);
    return containerStatusOf(rec, exit);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return this.#status(this.#records.container(id));
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    return this.#records.containerStatuses(filter, (r) => this.#status(r));
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.#records.container(id);
    if (rec.startedAt === 0 || this.#exit(rec)) return;
    const waitExit = async (ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (this.#exit(rec)) return true;
        await sleep(20);
      }
      return this.#exit(rec) !== undefined;
    };
    // The pid file appears right after start; a stop racing the start waits for it briefly.
    let pid = this.#mainPid(id);
    for (let i = 0; pid === undefined && i < 100 && !this.#exit(rec); i++) {
      await sleep(20);
      pid = this.#mainPid(id);
    }
    if (pid === undefined) return;
    if (timeoutSeconds > 0) {
      signalGroup(pid, rec.stopSignal.startsWith('SIG') ? rec.stopSignal : `SIG${rec.stopSignal}`);
      if (await waitExit(timeoutSeconds * 1000)) return;
    }
    signalGroup(pid, 'SIGKILL');
    if (!(await waitExit(10_000))) this.#log.warn('Container did not exit after SIGKILL', { container: id });
  }

  async removeContainer(id: string): Promise<void> {
    const dir = this.#records.containerDir(id);
    if (!existsSync(join(dir, 'container.json'))) return;
    await this.stopContainer(id, 0);
    this.#records.removeContainerDir(id);
  }

  /** #spawnIn starts `cmd` as the container would run it: its env, working dir and user, in a group of its own. */
  #spawnIn(rec: ContainerRecord, cmd: readonly string[], stdin: boolean): ReturnType<typeof spawn> {
    if (cmd.length === 0) throw new Error(`Cannot exec in container ${rec.id}: empty command`);
    return spawn(cmd[0] ?? '', cmd.slice(1), {
      cwd: rec.cwd,
      env: { ...rec.env },
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
      ...(rec.uid !== undefined ? { uid: rec.uid, gid: rec.gid ?? rec.uid } : {}),
    });
  }

  #running(id: string): ContainerRecord {
    const rec = this.#records.container(id);
    if (this.#status(rec).state !== 'CONTAINER_RUNNING') throw new Error(`Cannot exec in container ${id}: it is not running`);
    return rec;
  }

  async execSync(id: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const rec = this.#running(id);
    return new Promise((resolve, reject) => {
      const child = this.#spawnIn(rec, cmd, false);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const killGroup = (): void => {
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      };
      const timer = timeoutSeconds > 0 ? setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutSeconds * 1000) : undefined;
      child.stdout?.on('data', (d: Buffer) => out.push(d));
      child.stderr?.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(new Error(`Cannot exec in container ${id}: ${e.message}`));
      });
      child.on('exit', () => killGroup());
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: code ?? (signal ? 137 : 1), timedOut });
      });
    });
  }

  async exec(id: string, cmd: readonly string[], streams: StreamOptions): Promise<number> {
    const rec = this.#running(id);
    if (streams.tty) throw new Error(`Cannot exec in container ${id}: TTY sessions are not supported by the process runtime`);
    return new Promise((resolve, reject) => {
      const child = this.#spawnIn(rec, cmd, streams.stdin !== undefined);
      if (streams.stdin && child.stdin) {
        child.stdin.on('error', () => undefined);
        streams.stdin.pipe(child.stdin);
      }
      if (streams.stdout) child.stdout?.pipe(streams.stdout, { end: false });
      if (streams.stderr) child.stderr?.pipe(streams.stderr, { end: false });
      const abort = (): void => {
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      };
      streams.signal?.addEventListener('abort', abort, { once: true });
      child.on('error', (e) => reject(new Error(`Cannot exec in container ${id}: ${e.message}`)));
      child.on('close', (code, signal) => {
        streams.signal?.removeEventListener('abort', abort);
        if (streams.stdin && child.stdin) streams.stdin.unpipe(child.stdin);
        resolve(code ?? (signal ? 137 : 1));
      });
    });
  }

  async attach(id: string): Promise<void> {
    this.#records.container(id);
    throw new Error(`Cannot attach to container ${id}: attach is not supported by the process runtime`);
  }

  async portForward(sandboxId: string, port: number, stream: Duplex): Promise<void> {
    this.#records.sandbox(sandboxId);
    // No network namespace: the pod's ports are the node's.
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', (e) => reject(new Error(`Cannot forward port ${port}: ${e.message}`)));
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', () => stream.destroy());
        stream.on('error', () => socket.destroy());
        stream.pipe(socket).pipe(stream);
        socket.on('close', () => resolve());
      });
    });
  }

  /**
   * containerStats sums the container's process group from /proc (process-group-stats.ts); undefined once the
   * group is gone or before the main process wrote its pid. Nothing is written outside the host's own files, so
   * the writable layer counts as empty.
   */
  async containerStats(id: string): Promise<ContainerStats | undefined> {
    this.#records.container(id);
    const pid = this.#mainPid(id);
    const usage = pid === undefined ? undefined : processGroupStats(pid);
    if (!usage) return undefined;
    return { id, timestamp: Date.now(), cpuUsageCoreNanoSeconds: usage.cpuNs, memoryUsageBytes: usage.rssBytes, memoryWorkingSetBytes: usage.rssBytes, writableLayerUsedBytes: 0 };
  }

  async close(): Promise<void> {
    // Containers and their supervisors outlive this instance by design; nothing to release.
  }
}
