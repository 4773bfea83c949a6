/**
 * ServerLoadBalancer: the client-side failover of an agent (k3s's agent load balancer). A TCP proxy on loopback
 * that the agent's API clients dial instead of a server; each new connection goes to the current server, and when
 * that one cannot be dialled the next one in the list is tried and becomes current. TLS passes through untouched:
 * clients verify the server's certificate for 127.0.0.1, which every server's certificate covers.
 *
 * The list starts with the server the agent was given and is refreshed from the `kubernetes` Endpoints in
 * `default`, which list every live server (boot/apiserver-peers.ts); the given server stays in the list as a last
 * resort, so an agent whose Endpoints are stale can still find its way back. Connections open to a server that
 * dies break (watches end and the clients re-dial); new ones go to a live server.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

import { newLogger, type Logger } from '../../base/log/logger.js';
import type { RestClient } from '../rest-client.js';

/** ServerAddress is one API server, `host:port`. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** ServerLoadBalancerConfig configures a ServerLoadBalancer. */
export interface ServerLoadBalancerConfig {
  /** The server the agent was given (`--server` URL). */
  readonly defaultServer: string;
  /** How long a dial may take before the next server is tried. @default 3000 */
  readonly dialTimeoutMs?: number;
  /** @default a logger named "server-load-balancer" */
  readonly log?: Logger;
}

function addressOf(url: string): ServerAddress {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443) };
}

function key(a: ServerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** ServerLoadBalancer proxies the agent's API connections to a live server. */
export class ServerLoadBalancer {
  readonly #default: ServerAddress;
  readonly #dialTimeoutMs: number;
  readonly #log: Logger;
  #servers: ServerAddress[];
  #current = 0;
  #server: Server | undefined;
  #port = 0;
  readonly #sockets = new Set<Socket>();

  constructor(config: ServerLoadBalancerConfig) {
    this.#default = addressOf(config.defaultServer);
    this.#servers = [this.#default];
    this.#dialTimeoutMs = config.dialTimeoutMs ?? 3_000;
    this.#log = config.log ?? newLogger('server-load-balancer');
  }

  /** url is what the agent's clients use (after start). */
  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** servers lists the servers in use, current first. */
  servers(): string[] {
    const n = this.#servers.length;
    return this.#servers.map((_, i) => key(this.#servers[(this.#current + i) % n] ?? this.#default));
  }

  /** start listens on a free loopback port. */
  async start(): Promise<void> {
    const server = createServer((socket) => this.#proxy(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.#port = typeof address === 'object' && address ? address.port : 0;
    this.#server = server;
  }

  /** stop closes the listener and every proxied connection. */
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** setServers replaces the list (the default server is kept last); the current server stays current if listed. */
  setServers(servers: readonly ServerAddress[]): void {
    const current = this.#servers[this.#current];
    const next = servers.filter((s, i) => servers.findIndex((t) => key(t) === key(s)) === i);
    if (!next.some((s) => key(s) === key(this.#default))) next.push(this.#default);
    const before = this.servers().slice().sort().join(',');
    this.#servers = next;
    const at = current ? next.findIndex((s) => key(s) === key(current)) : -1;
    this.#current = at >= 0 ? at : 0;
    const after = this.servers().slice().sort().join(',');
    if (before !== after) this.#log.info('API servers', { servers: this.servers().join(',') });
  }

  /**
   * followEndpoints reads the `kubernetes` Endpoints every `intervalMs` through `client` (which dials through this
   * balancer) and updates the list, until `signal` aborts. Failures keep the list as it is.
   */
  followEndpoints(client: RestClient, signal: AbortSignal, intervalMs = 10_000): void {
    const tick = async (): Promise<void> => {
      try {
        const ep = await client.get({ version: 'v1', resource: 'endpoints', namespace: 'default', name: 'kubernetes' });
        const subsets = Array.isArray(ep['subsets']) ? (ep['subsets'] as { addresses?: { ip?: string }[]; ports?: { port?: number }[] }[]) : [];
        const servers: ServerAddress[] = [];
        for (const s of subsets) {
          const port = s.ports?.[0]?.port;
          if (typeof port !== 'number') continue;
          for (const a of s.addresses ?? []) if (a.ip) servers.push({ host: a.ip, port });
        }
        if (servers.length > 0 && !signal.aborted) this.setServers(servers);
      } catch {
        // Keep the list: the next tick tries again (through whichever server answers).
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), intervalMs);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  #proxy(client: Socket): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    this.#dial(0, client);
  }

  /** #dial tries the current server, then the others in order; `tried` counts servers tried for this connection. */
  #dial(tried: number, client: Socket): void {
    if (client.destroyed) return;
    if (tried >= this.#servers.length) {
      this.#log.warn('No API server answers', { servers: this.servers().join(',') });
      client.destroy();
      return;
    }
    const index = this.#current;
    const target = this.#servers[index] ?? this.#default;
    const upstream = connect({ host: target.host, port: target.port });
    let connected = false;
    upstream.setTimeout(this.#dialTimeoutMs, () => {
      if (!connected) upstream.destroy(new Error('dial timeout'));
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      this.#sockets.add(upstream);
      upstream.on('close', () => {
        this.#sockets.delete(upstream);
        client.destroy();
      });
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', (err) => {
      if (connected) {
        upstream.destroy();
        return;
      }
      // The current server is down: move on (unless another connection already moved the balancer).
      if (this.#current === index && this.#servers.length > 1) {
        this.#current = (index + 1) % this.#servers.length;
        this.#log.warn('API server unreachable, switching', { from: key(target), to: key(this.#servers[this.#current] ?? this.#default), err: err.message });
      }
      this.#dial(tried + 1, client);
    });
  }
}
