/**
 * EtcdCluster: Debian's etcd (/usr/bin/etcd, 3.4) for tests, as one member or three, on free loopback ports in a
 * temp dir. Optionally with TLS on the client port and client-certificate authentication (certificates made with
 * src/pki). Members are stopped by their own pids and the temp dir is removed by `stop()`.
 *
 * Readiness is read from each member's plain-HTTP metrics listener (`/health`), which answers true once the member
 * sees a leader, so TLS clusters need no client certificate to be waited for.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../src/base/net/free-port.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';

/** ETCD_BINARY is the etcd executable tests start (Debian package etcd-server). */
export const ETCD_BINARY = '/usr/bin/etcd';

/** etcdMissing names why etcd tests cannot run here, or false when they can. */
export function etcdMissing(): string | false {
  return existsSync(ETCD_BINARY) ? false : `needs ${ETCD_BINARY} (Debian package etcd-server)`;
}

/** EtcdTls is the client-side material of a TLS cluster: the CA and a client certificate etcd accepts. */
export interface EtcdTls {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The same, as files in the cluster's temp dir (for `--datastore-cafile` and friends). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** EtcdClusterOptions choose the shape of the cluster. */
export interface EtcdClusterOptions {
  /** @default 1 */
  readonly members?: 1 | 3;
  /** Serve clients over https with `--client-cert-auth`. @default false */
  readonly tls?: boolean;
  /** @default 30000 */
  readonly startTimeoutMs?: number;
  /** Start a single member from this etcd snapshot file (`etcdctl snapshot restore`, Debian package etcd-client). */
  readonly restoreFrom?: string;
}

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly metricsUrl: string;
  readonly args: string[];
  child?: ChildProcess;
  log: string;
}

/** EtcdCluster is a running etcd of one or three members. */
export class EtcdCluster {
  readonly #dir: string;
  readonly #members: Member[];
  /** Client material when the cluster serves TLS. */
  readonly tls: EtcdTls | undefined;

  private constructor(dir: string, members: Member[], tls: EtcdTls | undefined) {
    this.#dir = dir;
    this.#members = members;
    this.tls = tls;
  }

  /**
   * start launches the members and resolves when each says it is healthy; on failure everything is cleaned up.
   * Ports are picked free a moment before etcd binds them, and on a machine running other suites one may be taken
   * in between: a member that exits with "address already in use" makes the whole start happen again on new ports.
   */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await EtcdCluster.#startOnce(options);
      } catch (err) {
        if (attempt >= 3 || !(err instanceof Error && err.message.includes('address already in use'))) throw err;
      }
    }
  }

  static async #startOnce(options: EtcdClusterOptions): Promise<EtcdCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'tkube-test-etcd-'));
    const scheme = options.tls ? 'https' : 'http';
    const count = options.members ?? 1;
    const members: Member[] = [];
    for (let i = 0; i < count; i++) {
      members.push({
        name: `m${i}`,
        clientUrl: `${scheme}://127.0.0.1:${await freePort()}`,
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        metricsUrl: `http://127.0.0.1:${await freePort()}`,
        args: [],
        log: '',
      });
    }
    let tls: EtcdTls | undefined;
    const serverTlsArgs: string[] = [];
    if (options.tls) {
      const ca = await CertificateAuthority.create('tkube-test-etcd-ca');
      const serving = await ca.issue({ commonName: 'etcd', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server' });
      const client = await ca.issue({ commonName: 'tkube-apiserver', usage: 'client' });
      const files = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') };
      await writeFile(files.caFile, ca.pem.certPem);
      await writeFile(files.certFile, client.certPem);
      await writeFile(files.keyFile, client.keyPem, { mode: 0o600 });
      await writeFile(join(dir, 'server.crt'), serving.certPem);
      await writeFile(join(dir, 'server.key'), serving.keyPem, { mode: 0o600 });
      tls = { caPem: ca.pem.certPem, certPem: client.certPem, keyPem: client.keyPem, ...files };
      serverTlsArgs.push('--cert-file', join(dir, 'server.crt'), '--key-file', join(dir, 'server.key'), '--trusted-ca-file', files.caFile, '--client-cert-auth');
    }
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    for (const m of members) {
      m.args.push(
        '--name', m.name, '--data-dir', join(dir, m.name),
        '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
        '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
        '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', `tkube-test-${count}`,
        '--listen-metrics-urls', m.metricsUrl,
        '--logger', 'zap', '--log-level', 'error',
        ...serverTlsArgs,
      );
    }
    const cluster = new EtcdCluster(dir, members, tls);
    try {
      const first = members[0];
      if (options.restoreFrom !== undefined && first) {
        const r = spawnSync('etcdctl', [
          'snapshot', 'restore', options.restoreFrom, '--data-dir', join(dir, first.name), '--name', first.name,
          '--initial-cluster', initialCluster, '--initial-cluster-token', `tkube-test-${count}`, '--initial-advertise-peer-urls', first.peerUrl,
        ], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', timeout: 30_000 });
        if (r.status !== 0) throw new Error(`Cannot restore etcd from ${options.restoreFrom}: ${r.stderr || r.error?.message}`);
      }
      for (const m of members) cluster.#spawn(m);
      await Promise.all(members.map((m) => cluster.#waitHealthy(m, options.startTimeoutMs ?? 30_000)));
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** The client URLs of the members, in order. */
  get endpoints(): string[] {
    return this.#members.map((m) => m.clientUrl);
  }

  /** The pid of member i (for tests that kill one). */
  pid(i: number): number | undefined {
    return this.#members[i]?.child?.pid;
  }

  #spawn(m: Member): void {
    const child = spawn(ETCD_BINARY, m.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (d: string): void => void (m.log = (m.log + d).slice(-20_000));
    child.stdout.setEncoding('utf8').on('data', append);
    child.stderr.setEncoding('utf8').on('data', append);
    m.child = child;
  }

  async #waitHealthy(m: Member, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const child = m.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`Cannot start etcd member ${m.name}: it exited (${child?.exitCode ?? child?.signalCode}):\n${m.log.slice(-3000)}`);
      }
      if (await healthy(m.metricsUrl)) return;
      if (Date.now() > deadline) throw new Error(`Cannot start etcd member ${m.name}: not healthy within ${timeoutMs} ms:\n${m.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill stops member i by its pid (SIGKILL: a crash) and waits for it to exit. */
  async kill(i: number): Promise<void> {
    const m = this.#members[i];
    if (m) await stopChild(m.child, 'SIGKILL');
  }

  /** restart starts a killed member again on its data dir and ports, and waits until it is healthy. */
  async restart(i: number, timeoutMs = 30_000): Promise<void> {
    const m = this.#members[i];
    if (!m) throw new Error(`Cannot restart etcd member ${i}: no such member`);
    await stopChild(m.child, 'SIGKILL');
    this.#spawn(m);
    await this.#waitHealthy(m, timeoutMs);
  }

  /** stop stops every member by pid (SIGTERM, SIGKILL after 10 s) and removes the temp dir. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.#members.map((m) => stopChild(m.child, 'SIGTERM')));
    await rm(this.#dir, { recursive: true, force: true });
  }
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** healthy asks a member's metrics listener whether it has a leader. */
function healthy(metricsUrl: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request(`${metricsUrl}/health`, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => done(res.statusCode === 200 && body.includes('"true"')));
      res.on('error', () => done(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}
