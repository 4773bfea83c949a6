/**
 * EmbeddedEtcd: `tkube server --cluster-init` runs its own etcd member (Debian's /usr/bin/etcd) and uses it as
 * its datastore; `tkube server --server URL --token T` adds a member to that cluster and runs it the same way.
 *  - data in `<data-dir>/db/etcd`; certificates from the cluster CA in `<data-dir>/tls/etcd/` (a serving+client
 *    certificate for the member, used on the client and the peer port, and a client certificate for the API server);
 *  - clients: https on 127.0.0.1 and the advertise address (`--etcd-client-port`, 2379); peers: https on the
 *    advertise address (`--etcd-peer-port`, 2380), both with client-certificate authentication against the CA;
 *  - health from a plain-HTTP metrics listener on loopback; a member that exits unexpectedly is started again
 *    after a second (supervision), and stopped with SIGTERM (SIGKILL after 10 s) when the server stops.
 * A member whose data dir already exists restarts as itself: etcd ignores the initial-cluster flags then. A member
 * left running by a server killed with SIGKILL (children outlive their parent) is found by `<data-dir>/db/etcd.pid`
 * and killed at the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

import type { Logger } from '../base/log/logger.js';
import { freePort } from '../base/net/free-port.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { addEtcdMember } from '../storage/etcd/etcd-members.js';

/** ETCD_BINARY is Debian's etcd (package etcd-server). */
export const ETCD_BINARY = '/usr/bin/etcd';

/** EmbeddedEtcdConfig says where and how the member runs. */
export interface EmbeddedEtcdConfig {
  readonly dataDir: string;
  /** The member name (the server identity). */
  readonly name: string;
  readonly advertiseIp: string;
  /** 0 = a free port (tests; a restart then gets another one, so keep fixed ports in real use). */
  readonly clientPort: number;
  readonly peerPort: number;
  readonly ca: CertificateAuthority;
  /** Client URLs of a running cluster to join; absent: start a new cluster of one. */
  readonly join?: readonly string[];
  readonly log: Logger;
  /** @default 30000 */
  readonly startTimeoutMs?: number;
}

/** RunningEtcd is a started member. */
export interface RunningEtcd {
  readonly clientUrl: string;
  readonly advertisedClientUrl: string;
  readonly tls: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  stop(): Promise<void>;
}

function hostOf(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

/** startEmbeddedEtcd makes the certificates, joins if told, starts the member and waits until it is healthy. */
export async function startEmbeddedEtcd(c: EmbeddedEtcdConfig): Promise<RunningEtcd> {
  if (!existsSync(ETCD_BINARY)) throw new Error(`Cannot run an etcd member: ${ETCD_BINARY} is missing (apt-get install etcd-server)`);
  const tlsDir = join(c.dataDir, 'tls', 'etcd');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const ips = [...new Set(['127.0.0.1', c.advertiseIp])];
  const member = await c.ca.issue({ commonName: `etcd-${c.name}`, ipAddresses: ips, dnsNames: ['localhost'], usage: 'both' });
  const client = await c.ca.issue({ commonName: 'tkube-apiserver-etcd-client', usage: 'client' });
  const files = { caFile: join(tlsDir, 'ca.crt'), memberCert: join(tlsDir, 'member.crt'), memberKey: join(tlsDir, 'member.key'), certFile: join(tlsDir, 'client.crt'), keyFile: join(tlsDir, 'client.key') };
  writeFileSync(files.caFile, c.ca.pem.certPem);
  writeFileSync(files.memberCert, member.certPem);
  writeFileSync(files.memberKey, member.keyPem, { mode: 0o600 });
  writeFileSync(files.certFile, client.certPem);
  writeFileSync(files.keyFile, client.keyPem, { mode: 0o600 });

  const clientPort = c.clientPort || (await freePort());
  const peerPort = c.peerPort || (await freePort());
  const metricsPort = await freePort();
  const advertisedClientUrl = `https://${hostOf(c.advertiseIp)}:${clientPort}`;
  const peerUrl = `https://${hostOf(c.advertiseIp)}:${peerPort}`;
  const dataDir = join(c.dataDir, 'db', 'etcd');
  const fresh = !existsSync(join(dataDir, 'member'));
  let initialCluster = `${c.name}=${peerUrl}`;
  if (fresh && c.join) {
    initialCluster = await addEtcdMember(c.join, { caPem: c.ca.pem.certPem, certPem: client.certPem, keyPem: client.keyPem }, c.name, peerUrl);
    c.log.info('Added this server as an etcd member', { peerUrl });
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pidFile = join(c.dataDir, 'db', 'etcd.pid');
  await stopLeftover(pidFile, dataDir, c.log);
  const listenClient = [...new Set([`https://127.0.0.1:${clientPort}`, advertisedClientUrl])].join(',');
  const args = [
    '--name', c.name, '--data-dir', dataDir,
    '--listen-client-urls', listenClient, '--advertise-client-urls', advertisedClientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', initialCluster, '--initial-cluster-state', c.join ? 'existing' : 'new',
    '--listen-metrics-urls', `http://127.0.0.1:${metricsPort}`,
    '--cert-file', files.memberCert, '--key-file', files.memberKey, '--trusted-ca-file', files.caFile, '--client-cert-auth',
    '--peer-cert-file', files.memberCert, '--peer-key-file', files.memberKey, '--peer-trusted-ca-file', files.caFile, '--peer-client-cert-auth',
    '--logger', 'zap', '--log-level', 'error',
  ];
  let child: ChildProcess | undefined;
  let stopping = false;
  let output = '';
  const launch = (): void => {
    const p = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    if (p.pid !== undefined) writeFileSync(pidFile, `${p.pid}\n`);
    const keep = (d: string): void => void (output = (output + d).slice(-8_000));
    p.stdout.setEncoding('utf8').on('data', keep);
    p.stderr.setEncoding('utf8').on('data', keep);
    p.once('exit', (code, signal) => {
      if (stopping) return;
      c.log.error('etcd member exited; starting it again', { code, signal, output: output.slice(-1_000) });
      setTimeout(() => {
        if (!stopping) launch();
      }, 1_000).unref();
    });
  };
  const stop = async (): Promise<void> => {
    stopping = true;
    const p = child;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  launch();
  const deadline = Date.now() + (c.startTimeoutMs ?? 30_000);
  while (!(await healthy(metricsPort))) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Cannot start the etcd member: not healthy within ${c.startTimeoutMs ?? 30_000} ms:\n${output.slice(-2_000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  c.log.info('etcd member ready', { clientUrl: advertisedClientUrl, peerUrl, dataDir });
  return { clientUrl: `https://127.0.0.1:${clientPort}`, advertisedClientUrl, tls: { caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile }, stop };
}

/**
 * stopLeftover kills the member a server killed hard left running (a child outlives a SIGKILLed parent): it holds
 * the data dir and the ports. Only a process that is etcd on this very data dir is touched.
 */
async function stopLeftover(pidFile: string, dataDir: string, log: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  let cmdline: string[];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || !(cmdline[0] ?? '').endsWith('etcd') || !cmdline.includes(dataDir)) return;
  log.warn('Stopping the etcd member a previous run left behind', { pid });
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
}

/** healthy asks the metrics listener whether the member sees a leader. */
function healthy(port: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request(`http://127.0.0.1:${port}/health`, { timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => done(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}
