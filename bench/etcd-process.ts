/**
 * EtcdProcess: Debian's etcd 3.4 (/usr/bin/etcd) in a temp dir on loopback ports, with its default durability
 * (every commit fsynced by its WAL), as the reference for the API's write figures. It is driven through the v3
 * gRPC-gateway JSON API (`POST /v3/kv/put`, base64 key and value) over a keep-alive Node HTTP agent, so both
 * sides of a comparison are measured with similar Node HTTP clients. Stopped by its own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { freePort } from '../src/base/net/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** ETCD_BINARY is the etcd executable benchmarks start. */
export const ETCD_BINARY = '/usr/bin/etcd';

/** EtcdProcess is one running single-member etcd. */
export class EtcdProcess {
  readonly #dir: string;
  readonly #child: ChildProcess;
  readonly #clientUrl: string;
  #log = '';

  private constructor(dir: string, child: ChildProcess, clientUrl: string) {
    this.#dir = dir;
    this.#child = child;
    this.#clientUrl = clientUrl;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.#log = (this.#log + d).slice(-50_000)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.#log = (this.#log + d).slice(-50_000)));
  }

  /** start launches etcd in a fresh temp dir and resolves when /health says true. */
  static async start(timeoutMs = 30_000): Promise<EtcdProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-bench-etcd-'));
    const clientPort = await freePort();
    const peerPort = await freePort();
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const child = spawn(ETCD_BINARY, [
      '--name', 'bench', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `bench=${peer}`,
      '--log-level', 'error',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const etcd = new EtcdProcess(dir, child, client);
    const agent = new Agent({ keepAlive: false });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Cannot start etcd: it exited (${child.exitCode ?? child.signalCode}):\n${etcd.#log.slice(-3000)}`);
        const healthy = await etcd.#get(agent, '/health').then((b) => b.includes('"true"'), () => false);
        if (healthy) return etcd;
        if (Date.now() > deadline) throw new Error(`Cannot start etcd: not healthy within ${timeoutMs} ms:\n${etcd.#log.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } catch (err) {
      await etcd.stop();
      throw err;
    } finally {
      agent.destroy();
    }
  }

  /** The client URL (for gRPC clients such as etcd3). */
  get clientUrl(): string {
    return this.#clientUrl;
  }

  /** pid of the etcd process. */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** agent makes a keep-alive HTTP agent for up to maxSockets connections. */
  agent(maxSockets: number): Agent {
    return new Agent({ keepAlive: true, maxSockets });
  }

  /** put writes key = value through the gateway on agent; resolves after etcd answered 200 (the entry is committed). */
  put(agent: Agent, key: string, value: Buffer): Promise<void> {
    const body = JSON.stringify({ key: Buffer.from(key).toString('base64'), value: value.toString('base64') });
    return new Promise((done, fail) => {
      const req = request(`${this.#clientUrl}/v3/kv/put`, { agent, method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? done() : fail(new Error(`Cannot put ${key} into etcd: HTTP ${res.statusCode}`))));
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end(body);
    });
  }

  #get(agent: Agent, path: string): Promise<string> {
    return new Promise((done, fail) => {
      const req = request(`${this.#clientUrl}${path}`, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => done(body));
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end();
    });
  }

  /** stop kills etcd by its pid (SIGTERM, SIGKILL after 10 s), waits for the exit and removes its temp dir. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
