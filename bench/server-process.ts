/**
 * ServerProcess: one `tkube server` started from the bench bundle on a loopback ephemeral port, with its own data
 * dir and kubeconfig. Benchmarks talk to it over keep-alive HTTPS with the admin client certificate, read its RSS
 * from /proc, and stop it by its own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse as parseYaml } from 'yaml';

import { ensureServerBundle } from './server-bundle.js';

/** Credentials are the PEM blocks of the admin kubeconfig (cluster CA, client certificate and key). */
export interface Credentials {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** ServerProcessOptions tune ServerProcess.start. */
export interface ServerProcessOptions {
  /** The bundle to start (paired benchmarks start two builds side by side). @default the bench bundle: TKUBE_BENCH_BUNDLE, or bench/results/dist built from the tree */
  readonly bundle?: string;
  /** Reuse this data dir (it is then not removed by stop()). @default a fresh temp dir */
  readonly dataDir?: string;
  /** Node flags put before the bundle (`--cpu-prof`, say, to see where the server spends its time); the
   *  environment variable TKUBE_BENCH_NODE_ARGS adds more to any benchmark's servers. @default [] */
  readonly nodeArgs?: readonly string[];
  /** How long to wait for server.json. @default 60000 */
  readonly readyTimeoutMs?: number;
  /** More `tkube server` flags (e.g. `--authorization-mode AlwaysAllow`). @default [] */
  readonly serverArgs?: readonly string[];
  /** Run the scheduler in the server (the scheduler benchmarks). @default false */
  readonly withScheduler?: boolean;
  /** Run every controller and the scheduler, as `tkube server` does by default (scale benchmarks). @default false */
  readonly withControllers?: boolean;
  /** Run a real runc node in the server (pod start benchmarks); implies nothing about controllers. @default false */
  readonly withNode?: boolean;
}

/** HttpsReply is a fully read HTTPS response. */
export interface HttpsReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * serverArgs are the `tkube server` flags for a loopback, agent-less server on `port` (0: any free port) that
 * writes its kubeconfig into dataDir; without controllers and scheduler unless `withControllers`.
 */
export function serverArgs(bundle: string, dataDir: string, port = 0, opts: { withControllers?: boolean; withScheduler?: boolean; withNode?: boolean } = {}): string[] {
  return [
    bundle, 'server', '--data-dir', dataDir, '--https-listen-port', String(port), '--bind-address', '127.0.0.1',
    '--write-kubeconfig', join(dataDir, 'bench.kubeconfig'),
    // The cluster DNS on any free port: benchmarks run beside tests and must not take port 53.
    '--cluster-dns-port', '0',
    // withNode: a real runc node in the server, air-gapped like the tests' (no registry is ever dialed).
    ...(opts.withNode ? ['--container-runtime', 'runc', '--node-name', `bench-${process.pid}`, '--kubelet-port', '0', '--disable-default-registry-endpoint'] : ['--disable-agent']),
    // The API server alone, as the references (etcd, bare Node servers) are alone: no scheduler or workload
    // controllers reacting to the thousands of benchmark pods. Only the controllers the request path depends on run:
    // namespace and service-account (admission gives pods their namespace's default ServiceAccount) and ClusterRole
    // aggregation (the `edit` role the authorization benchmark binds). Every step of the request path still runs
    // (authentication, authorization, admission, validation, managedFields, storage, watch cache).
    ...(opts.withControllers ? [] : ['--controllers', 'namespace,serviceaccount,clusterrole-aggregation']),
    ...(opts.withControllers || opts.withScheduler ? [] : ['--disable-scheduler']),
  ];
}

/** readCredentials reads the admin kubeconfig a server wrote into its data dir. */
export function readCredentials(dataDir: string): Credentials {
  const path = join(dataDir, 'bench.kubeconfig');
  const doc = parseYaml(readFileSync(path, 'utf8')) as {
    clusters?: { cluster?: Record<string, string> }[];
    users?: { user?: Record<string, string> }[];
  };
  const cluster = doc.clusters?.[0]?.cluster ?? {};
  const user = doc.users?.[0]?.user ?? {};
  const pem = (b64: string | undefined, what: string): string => {
    if (!b64) throw new Error(`Cannot read ${what} from ${path}: missing`);
    return Buffer.from(b64, 'base64').toString('utf8');
  };
  return { ca: pem(cluster['certificate-authority-data'], 'CA'), cert: pem(user['client-certificate-data'], 'client certificate'), key: pem(user['client-key-data'], 'client key') };
}

/** rssMegabytes reads a memory field of a live process from /proc/<pid>/status (VmRSS: resident now, VmHWM: peak), in MiB. */
export function rssMegabytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
  if (kb === undefined) throw new Error(`Cannot read ${field} of pid ${pid}: not in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

/** descendantPids lists the live processes under `pid` (children, grandchildren…), from /proc/<n>/stat. */
export function descendantPids(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number): void => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/**
 * treeRssMegabytes sums VmRSS of `pid` and its descendants: a server with `--components-process separate` is two
 * processes (the esbuild service a tsx-run server keeps is not a descendant of a bundled one).
 */
export function treeRssMegabytes(pid: number): number {
  let total = rssMegabytes(pid);
  for (const p of descendantPids(pid)) {
    try {
      total += rssMegabytes(p);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * httpsCall sends one request on `agent` and reads the whole response. A keep-alive socket that the server closed
 * for idleness just as it was reused fails with ECONNRESET before the server read anything; that request is sent
 * once more on a fresh socket (the retry Node's documentation recommends for `reusedSocket`).
 */
export async function httpsCall(agent: Agent, url: string, method: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpsReply> {
  try {
    return await httpsCallOnce(agent, url, method, body, headers);
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
    return httpsCallOnce(agent, url, method, body, headers);
  }
}

/**
 * waitForReadyz polls `/readyz` of the server `child` started on `port`, every `intervalMs`, until it answers 200.
 * Throws, its message starting with `what`, when the child exits first or `timeoutMs` passes.
 */
export async function waitForReadyz(child: ChildProcess, port: number, agent: Agent, o: { readonly timeoutMs: number; readonly intervalMs: number; readonly what: string }): Promise<void> {
  const deadline = performance.now() + o.timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${o.what}: the server exited (${child.exitCode ?? child.signalCode})`);
    const status = await httpsCall(agent, `https://127.0.0.1:${port}/readyz`, 'GET').then((x) => x.status, () => 0);
    if (status === 200) return;
    if (performance.now() > deadline) throw new Error(`${o.what}: /readyz not 200 within ${o.timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, o.intervalMs));
  }
}

/** StaleSocketError marks a reset on a reused keep-alive socket. */
class StaleSocketError extends Error {}

function httpsCallOnce(agent: Agent, url: string, method: string, body: string | Buffer | undefined, headers: Record<string, string>): Promise<HttpsReply> {
  return new Promise((done, fail) => {
    const req = request(url, { agent, method, headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      fail(req.reusedSocket && err.code === 'ECONNRESET' ? new StaleSocketError(err.message) : err);
    });
    req.end(body);
  });
}

/** ServerProcess is one running tkube server. */
export class ServerProcess {
  readonly dataDir: string;
  readonly #ownDataDir: boolean;
  readonly #child: ChildProcess;
  #log = '';
  #logFile: string | undefined;
  url = '';

  private constructor(dataDir: string, own: boolean, child: ChildProcess) {
    this.dataDir = dataDir;
    this.#ownDataDir = own;
    this.#child = child;
    // TKUBE_BENCH_SERVER_LOG=<file> also appends all of it to that file (e.g. with --trace-gc in TKUBE_BENCH_NODE_ARGS).
    const logFile = process.env['TKUBE_BENCH_SERVER_LOG'];
    this.#logFile = logFile;
    const keep = (d: string): void => {
      this.#log = (this.#log + d).slice(-100_000);
      if (logFile) appendFileSync(logFile, d);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
  }

  /** start launches the bundled server and resolves once it wrote server.json (its listener is up). */
  static async start(opts: ServerProcessOptions = {}): Promise<ServerProcess> {
    const bundle = opts.bundle ?? (await ensureServerBundle());
    const own = opts.dataDir === undefined;
    const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tkube-bench-'));
    if (opts.withNode) writeFileSync(join(dir, 'registries.yaml'), 'mirrors:\n  docker.io:\n    endpoint: []\n  registry.k8s.io:\n    endpoint: []\n');
    const statePath = join(dir, 'server.json');
    rmSync(statePath, { force: true });
    const nodeArgs = [...(opts.nodeArgs ?? []), ...(process.env['TKUBE_BENCH_NODE_ARGS']?.split(' ').filter((a) => a !== '') ?? [])];
    const child = spawn(process.execPath, [...nodeArgs, ...serverArgs(bundle, dir, 0, { withScheduler: opts.withScheduler === true, withControllers: opts.withControllers === true, withNode: opts.withNode === true }), ...(opts.serverArgs ?? [])], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TKUBE_LOG_LEVEL: process.env['TKUBE_BENCH_LOG_LEVEL'] ?? 'warn' } });
    const server = new ServerProcess(dir, own, child);
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        if (own) rmSync(dir, { recursive: true, force: true });
        throw new Error(`Cannot start tkube server: it exited (${child.exitCode ?? child.signalCode}):\n${server.#log.slice(-4000)}`);
      }
      if (existsSync(statePath) && existsSync(join(dir, 'bench.kubeconfig'))) {
        let state: { pid: number; url: string } | undefined;
        try {
          state = JSON.parse(readFileSync(statePath, 'utf8')) as { pid: number; url: string };
        } catch {
          state = undefined; // unreadable for now: poll again
        }
        if (state && state.pid === child.pid) {
          server.url = state.url;
          return server;
        }
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`Cannot start tkube server: not ready within ${opts.readyTimeoutMs ?? 60_000} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** pid of the server process. */
  /**
   * mark appends `# mark <pid> <wall ms> <text>` to the TKUBE_BENCH_SERVER_LOG file, if one is set, between the
   * server's own lines: bench/gc-trace.ts cuts a GC trace into a benchmark's phases at these lines (the trace's own
   * times count from the isolate's start, not the wall clock). The server's output reaches the file through a pipe,
   * so a line it wrote just before the mark may land just after it.
   */
  mark(text: string): void {
    if (this.#logFile) appendFileSync(this.#logFile, `# mark ${this.pid} ${Date.now()} ${text}\n`);
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** log is the tail of what the server printed. */
  get log(): string {
    return this.#log;
  }

  /** alive says whether the server process is still running. */
  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** credentials reads the admin kubeconfig. */
  credentials(): Credentials {
    return readCredentials(this.dataDir);
  }

  /** agent makes a keep-alive HTTPS agent with the admin client certificate, up to maxSockets connections. */
  agent(maxSockets: number): Agent {
    const c = this.credentials();
    return new Agent({ keepAlive: true, maxSockets, ca: c.ca, cert: c.cert, key: c.key });
  }

  /** call sends one request to path on agent. */
  call(agent: Agent, method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<HttpsReply> {
    return httpsCall(agent, new URL(path, this.url).href, method, body, headers);
  }

  /** createNamespace creates namespace `name` and throws unless the server answers 201. */
  async createNamespace(agent: Agent, name: string): Promise<void> {
    const reply = await this.call(agent, 'POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    if (reply.status !== 201) throw new Error(`Cannot create namespace ${name}: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
  }

  /**
   * cpuSeconds is the CPU time (user + system) the server process has used so far, from /proc/<pid>/stat: what a
   * piece of work costs the server, which depends far less on the machine's load than its wall time does. Work done
   * by its child processes (runc, ip, the command runner's shell) is not in it.
   */
  cpuSeconds(): number {
    // Fields after the command name (which may hold spaces, hence from the last ')'): utime and stime are the
    // 12th and 13th of them, in clock ticks (100 a second on Linux).
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  /** rssMegabytes reads the server's VmRSS (or its peak, VmHWM) in MiB. */
  rssMegabytes(field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
    return rssMegabytes(this.pid, field);
  }

  /** stop halts the server and removes the data dir it created. */
  async stop(): Promise<void> {
    await this.halt();
    if (this.#ownDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** halt sends SIGTERM (SIGKILL after 10 s) and waits for the exit; the data dir stays (for a restart). */
  async halt(): Promise<void> {
    const child = this.#child;
    if (this.alive) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}
