/**
 * TestCluster: a real `tkube server` process for integration tests, on an ephemeral port with its own data dir
 * and kubeconfig (never the user's ~/.kube/config). Tests drive it with real kubectl and client libraries.
 * `stop()` kills the process by its own pid and removes the data dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mountPointsUnder } from '../../src/base/fs/mount-points.js';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { destroyBridgeNetwork, readNetworkRecord } from '../../src/agent/network/bridge-network.js';
import { deleteNftTable } from '../../src/agent/network/policy/nft.js';
import { readPolicyTableRecord } from '../../src/agent/network/policy/policy-table-record.js';
import { readProxyRecord } from '../../src/boot/proxy-record.js';
import { IptablesProxier } from '../../src/proxy/iptables/iptables-proxier.js';
import { NftablesProxier } from '../../src/proxy/nftables/nftables-proxier.js';
import { eventually as sdkEventually } from '../../src/sdk/testing/eventually.js';
import { namedObjects } from './kubectl-diagnosis.js';

/** REPO_ROOT is the repository's root folder. */
export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

/**
 * tkubeArgv is how tests start the tkube CLI after `node`: the sources through tsx (`--import tsx src/cli/main.ts`),
 * or the bundle TKUBE_TEST_BUNDLE names. hack/run-tests.mjs builds that bundle (hack/build.mjs, the one `./tkube`
 * runs) just before the suite, so the same sources run while every server, agent and CLI process skips compiling
 * them through tsx (about 2 s of CPU each, hundreds of times a suite). A test run by hand uses the sources.
 */
export function tkubeArgv(): string[] {
  const bundle = process.env.TKUBE_TEST_BUNDLE;
  return bundle ? [bundle] : ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts')];
}

/** ExecResult is the outcome of a command. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the program was killed at its deadline (`timeoutMs`). */
  readonly timedOut?: boolean;
}

/** HttpResult is the outcome of a raw HTTPS request to the API server. */
export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** RequestOptions tune TestCluster.request and TestCluster.stream. */
export interface RequestOptions {
  /** @default 'GET' */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Send no client certificate (the CA is still trusted). @default false */
  readonly anonymous?: boolean;
}

/** Credentials are the PEM blocks of a kubeconfig's current cluster and user. */
export interface Credentials {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** TestClusterOptions tune the server. */
export interface TestClusterOptions {
  /** Extra `tkube server` flags. */
  readonly args?: readonly string[];
  /** Reuse this data dir (restart tests); it is not removed by stop() unless `ownDataDir`. */
  readonly dataDir?: string;
  /** Run the node agent the server embeds (with `--container-runtime`); otherwise `--disable-agent`. @default false */
  readonly agent?: boolean;
  /** How long to wait for /readyz. @default 60000 */
  readonly readyTimeoutMs?: number;
  /**
   * Dual-stack: the generated `--cluster-cidr` and `--service-cidr` get an IPv6 range each, after the IPv4 one
   * (with `agent`, and only where the test names no range of its own). @default false
   */
  readonly dualStack?: boolean;
  /** Extra environment for this launch only (e.g. `TKUBE_FAILPOINTS`); a restart without it drops it. */
  readonly env?: Readonly<Record<string, string>>;
}

/** runCommand runs a program to completion, with optional stdin and a timeout (killed after it). */
export function runCommand(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : 1), stdout, stderr, ...(timedOut ? { timedOut } : {}) });
    });
    // A program that exits without reading its stdin makes the write fail with EPIPE; its exit code tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * eventually polls `check` until it returns a truthy value or the deadline passes (then throws with the last error):
 * the SDK's helper with the integration tests' longer defaults (a real server process is slower than the harness's).
 */
export function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 100): Promise<NonNullable<T>> {
  return sdkEventually(check, timeoutMs, intervalMs);
}

/**
 * writeAirGappedRegistries writes `<dir>/registries.yaml` that gives docker.io and registry.k8s.io no endpoint: with
 * `--disable-default-registry-endpoint` a node never dials out, and pods of those images run from its built-in
 * copies (registries on loopback stay reachable).
 */
export function writeAirGappedRegistries(dir: string): void {
  writeFileSync(join(dir, 'registries.yaml'), 'mirrors:\n  docker.io:\n    endpoint: []\n  registry.k8s.io:\n    endpoint: []\n');
}

/** TestCluster is one running server. */
export class TestCluster {
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly #ownDataDir: boolean;
  #child: ChildProcess | undefined;
  #log = '';
  url = '';
  port = 0;
  /** The built-in Ingress proxy's ports (0 when it does not run). */
  ingressHttpPort = 0;
  ingressHttpsPort = 0;

  private constructor(dataDir: string, own: boolean) {
    this.dataDir = dataDir;
    this.#ownDataDir = own;
    this.kubeconfig = join(dataDir, 'test.kubeconfig');
  }

  /** start launches `tkube server` and waits until it is ready. */
  static async start(opts: TestClusterOptions = {}): Promise<TestCluster> {
    const own = opts.dataDir === undefined;
    const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tkube-it-'));
    const c = new TestCluster(dir, own);
    try {
      await c.#launch(opts);
    } catch (err) {
      // The caller gets no TestCluster to stop, so a failed start undoes itself: the process (already gone, see
      // #launch), whatever its node made on the host, and the data dir it created.
      await c.stop().catch((cleanup: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}\n(cleaning up after the failed start failed too: ${String(cleanup)})`, { cause: err });
      });
      throw err;
    }
    return c;
  }

  async #launch(opts: TestClusterOptions): Promise<void> {
    rmSync(join(this.dataDir, 'server.json'), { force: true });
    if (opts.agent) {
      // Tests never reach outside: the node pulls docker.io and registry.k8s.io images from no endpoint at all,
      // so pods of those images run from the node's built-in copies (registries on loopback stay reachable).
      writeAirGappedRegistries(this.dataDir);
    }
    const args = [
      ...tkubeArgv(), 'server',
      '--data-dir', this.dataDir, '--https-listen-port', '0', '--bind-address', '127.0.0.1',
      // The Ingress proxy on free ports (a test's own --ingress-*-port comes later and wins).
      '--write-kubeconfig', this.kubeconfig, '--ingress-http-port', '0', '--ingress-https-port', '0', ...(opts.agent ? ['--disable-default-registry-endpoint', ...(opts.args?.includes('--kubelet-port') ? [] : ['--kubelet-port', '0']), ...podNetworkArgs(this.dataDir, opts.args ?? [], opts.dualStack === true)] : ['--disable-agent']), ...(opts.args ?? []),
      // Never the real port 53: tests run side by side and must not fight over it.
      ...(opts.args?.includes('--cluster-dns-port') ? [] : ['--cluster-dns-port', '0']),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TKUBE_LOG_LEVEL: process.env.TKUBE_LOG_LEVEL ?? 'info', ...opts.env } });
    this.#child = child;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.#log += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.#log = (this.#log + d).slice(-200_000)));
    const statePath = join(this.dataDir, 'server.json');
    let exited: Error | undefined;
    child.once('exit', (code, signal) => (exited = new Error(`server exited with ${signal ?? code}:\n${this.#log.slice(-4000)}`)));
    try {
      await eventually(() => {
        if (exited) return true; // stop polling at once; thrown below
        if (!existsSync(statePath)) return false;
        const s = JSON.parse(readFileSync(statePath, 'utf8')) as { pid: number; url: string; port: number; ingressHttpPort?: number; ingressHttpsPort?: number };
        if (s.pid !== child.pid) return false;
        this.url = s.url;
        this.port = s.port;
        this.ingressHttpPort = s.ingressHttpPort ?? 0;
        this.ingressHttpsPort = s.ingressHttpsPort ?? 0;
        return existsSync(this.kubeconfig);
      }, opts.readyTimeoutMs ?? 60_000, 50);
      if (exited) throw exited;
    } catch (err) {
      // Waited for, so that nothing writes into the data dir once the caller removes it.
      await this.kill('SIGKILL');
      throw err;
    }
  }

  /** pid of the server process. */
  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  /** log returns what the server printed so far. */
  get log(): string {
    return this.#log;
  }

  /** kubectl runs the real kubectl (or `kubectl.1.xx` when `binary` says so) against this cluster. */
  kubectl(args: readonly string[], opts: { input?: string; binary?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExecResult> {
    const env = { ...process.env, KUBECONFIG: this.kubeconfig, HOME: this.dataDir, KUBECACHEDIR: join(this.dataDir, 'kubecache'), ...opts.env };
    const started = Date.now();
    const run = runCommand(opts.binary ?? 'kubectl', ['--kubeconfig', this.kubeconfig, ...args], { input: opts.input, env, timeoutMs: opts.timeoutMs });
    return run.then(async (r) => (r.timedOut ? { ...r, stderr: r.stderr + (await this.#diagnose(args, env, Date.now() - started)) } : r));
  }

  /**
   * #diagnose says what a kubectl call killed at its deadline was waiting on: the state of the objects it named
   * (kubectl-diagnosis.ts), read with a short deadline of its own, so a hung wait explains itself in the failure.
   */
  async #diagnose(args: readonly string[], env: NodeJS.ProcessEnv, elapsedMs: number): Promise<string> {
    let text = `\n--- kubectl ${args.join(' ')} was killed at its deadline after ${elapsedMs} ms`;
    const named = namedObjects(args);
    if (!named) return `${text} (it names no object to show)\n`;
    const get = ['get', ...named.targets, ...named.namespace, '-o', 'yaml', '--show-managed-fields=false'];
    try {
      const r = await runCommand('kubectl', ['--kubeconfig', this.kubeconfig, ...get], { env, timeoutMs: 10_000 });
      text += `; kubectl ${get.join(' ')} (exit ${r.code}):\n${r.stdout}${r.stderr}`;
    } catch (err) {
      text += `; cannot read the objects it names: ${(err as Error).message}\n`;
    }
    return text;
  }

  /** kubectlOk runs kubectl and throws with its output unless it exits 0; returns stdout. */
  async kubectlOk(args: readonly string[], opts: { input?: string; binary?: string } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** credentials reads the CA and the admin client certificate from the kubeconfig (re-read each call: restarts rewrite it). */
  credentials(): Credentials {
    const doc = parseYaml(readFileSync(this.kubeconfig, 'utf8')) as {
      clusters?: { cluster?: Record<string, string> }[];
      users?: { user?: Record<string, string> }[];
    };
    const cluster = doc.clusters?.[0]?.cluster ?? {};
    const user = doc.users?.[0]?.user ?? {};
    const pem = (b64: string | undefined, what: string): string => {
      if (!b64) throw new Error(`Cannot read ${what} from ${this.kubeconfig}: missing`);
      return Buffer.from(b64, 'base64').toString('utf8');
    };
    return { ca: pem(cluster['certificate-authority-data'], 'CA'), cert: pem(user['client-certificate-data'], 'client certificate'), key: pem(user['client-key-data'], 'client key') };
  }

  /** stream sends a raw HTTPS request (a watch, typically) and hands back the response as it starts; the caller destroys it. */
  stream(path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const creds = this.credentials();
    return new Promise((done, fail) => {
      const req = httpsRequest(
        new URL(path, this.url),
        {
          method: opts.method ?? 'GET',
          headers: { Accept: 'application/json', ...opts.headers },
          ca: creds.ca,
          ...(opts.anonymous ? {} : { cert: creds.cert, key: creds.key }),
        },
        done,
      );
      req.on('error', fail);
      req.end(opts.body);
    });
  }

  /** request sends a raw HTTPS request with the admin client certificate (or none when `anonymous`) and reads the whole body. */
  async request(path: string, opts: RequestOptions = {}): Promise<HttpResult> {
    const res = await this.stream(path, opts);
    res.setEncoding('utf8');
    let body = '';
    for await (const chunk of res) body += chunk as string;
    return { status: res.statusCode ?? 0, headers: res.headers, body };
  }

  /** exited resolves with the signal (or exit code) once the server process ends, for instance at a failpoint's panic. */
  exited(): Promise<string> {
    const child = this.#child;
    if (!child) return Promise.resolve('none');
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(String(child.signalCode ?? child.exitCode));
    return new Promise((r) => child.once('exit', (code, signal) => r(String(signal ?? code))));
  }

  /** kill stops the server with a signal and waits for it to exit (restart tests use SIGKILL). */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** restart kills the server (SIGKILL by default) and starts it again on the same data dir. */
  async restart(signal: NodeJS.Signals = 'SIGKILL', opts: TestClusterOptions = {}): Promise<void> {
    await this.kill(signal);
    await this.#launch(opts);
  }

  /** stop kills the server, removes what its node made on the host (bridge, nftables tables, proxy rules), and the data dir it created. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    // The node's bridge and table outlive the server by design; a test's must not outlive the test.
    const network = readNetworkRecord(join(this.dataDir, 'agent', 'network'));
    if (network) await destroyBridgeNetwork(network);
    // So do its NetworkPolicy table and its service proxy's rules.
    const policy = readPolicyTableRecord(join(this.dataDir, 'agent', 'network-policy'));
    if (policy) await deleteNftTable(policy.table).catch(() => undefined);
    const proxy = readProxyRecord(join(this.dataDir, 'agent', 'proxy'));
    if (proxy) await (proxy.mode === 'nftables' ? new NftablesProxier({ table: proxy.table }) : new IptablesProxier({ nodeName: proxy.nodeName, restoreRouteLocalnet: proxy.routeLocalnetSet === true })).cleanup().catch(() => undefined);
    if (!this.#ownDataDir) return;
    // A runc node's state tmpfs (<data-dir>/agent/runc) stays mounted after its server by design, as a pod volume
    // a node could not remove may: they go (deepest first) before the data dir can.
    for (const m of mountPointsUnder(this.dataDir)) spawnSync('umount', ['-l', m]);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * podNetworkArgs gives a test node a pod network of its own: tests run side by side on one machine, and two nodes
 * on the same bridge or with overlapping pod CIDRs would hand out each other's addresses; the same goes for Service ranges. Derived from the data
 * dir, so a restarted server gets the same ones. A test that names its own bridge, CIDR or `--pod-network` keeps it.
 */
export function podNetworkArgs(dataDir: string, args: readonly string[], dualStack = false): string[] {
  const hash = createHash('sha256').update(dataDir).digest();
  // Dual-stack: unique local IPv6 ranges from the same hash (fd42:<hex>::/56 for pods, fd43:<hex>::/112 for Services).
  const v6 = hash.toString('hex').slice(6, 10);
  return [
    ...(args.includes('--pod-network') || args.includes('--pod-bridge-name') ? [] : ['--pod-bridge-name', `tkt${hash.toString('hex').slice(0, 10)}`]),
    ...(args.includes('--cluster-cidr') ? [] : ['--cluster-cidr', `10.${128 + ((hash[0] ?? 0) % 120)}.0.0/16${dualStack ? `,fd42:${v6}::/56` : ''}`]),
    // Every runc node programs its service proxy in the host's network namespace: two clusters with the same
    // Service range would catch (or reject) each other's traffic to the same cluster IP and port.
    ...(args.includes('--service-cidr') ? [] : ['--service-cidr', `10.${248 + ((hash[1] ?? 0) % 8)}.${hash[2] ?? 0}.0/24${dualStack ? `,fd43:${v6}::/112` : ''}`]),
  ];
}
