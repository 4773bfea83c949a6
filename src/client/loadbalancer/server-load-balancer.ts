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
 *
 * The same proxy fronts kubectl (`tkube load-balancer`, a dev cluster's kubeconfig): then it is given every server
 * up front (`servers`), listens on a fixed address (`listen`) and may probe each server's `/readyz` (`healthCheck`),
 * so a server that accepts connections but cannot serve (lost its etcd quorum, still starting) is skipped too.
 */
import { request } from 'node:https';
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
  /** Further servers given up front (URLs); like the default server they stay in the list as a last resort. */
  readonly servers?: readonly string[];
  /** Where to listen. @default 127.0.0.1, a free port */
  readonly listen?: { readonly host: string; readonly port: number };
  /**
   * Probe every server's `/readyz` this often (no credentials: the path is public; the certificate is not checked,
   * as nothing secret is sent and the answer only orders the list). New connections prefer servers that answered
   * 200 at the last probe. @default no probes: only a failed dial moves the balancer on
   */
  readonly healthCheckIntervalMs?: number;
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
  /** The servers given up front, the default first: never dropped from the list. */
  readonly #given: ServerAddress[];
  readonly #dialTimeoutMs: number;
  readonly #log: Logger;
  readonly #listen: { readonly host: string; readonly port: number };
  readonly #healthCheckIntervalMs: number | undefined;
  #servers: ServerAddress[];
  #current = 0;
  #server: Server | undefined;
  #port = 0;
  readonly #sockets = new Set<Socket>();
  /** Servers whose last `/readyz` probe failed (only with health checks). */
  readonly #unready = new Set<string>();
  #healthTimer: NodeJS.Timeout | undefined;

  constructor(config: ServerLoadBalancerConfig) {
    this.#default = addressOf(config.defaultServer);
    const given = [this.#default, ...(config.servers ?? []).map(addressOf)];
    this.#given = given.filter((s, i) => given.findIndex((t) => key(t) === key(s)) === i);
    this.#servers = [...this.#given];
    this.#dialTimeoutMs = config.dialTimeoutMs ?? 3_000;
    this.#log = config.log ?? newLogger('server-load-balancer');
    this.#listen = config.listen ?? { host: '127.0.0.1', port: 0 };
    this.#healthCheckIntervalMs = config.healthCheckIntervalMs;
  }

  /** url is what the clients use (after start). */
  get url(): string {
    const host = this.#listen.host.includes(':') ? `[${this.#listen.host}]` : this.#listen.host;
    return `https://${host}:${this.#port}`;
  }

  /** current is the server new connections go to first, `host:port`. */
  current(): string {
    return key(this.#servers[this.#current] ?? this.#default);
  }

  /** servers lists the servers in use, current first. */
  servers(): string[] {
    const n = this.#servers.length;
    return this.#servers.map((_, i) => key(this.#servers[(this.#current + i) % n] ?? this.#default));
  }

  /** start listens (rejects when the address cannot be bound, e.g. EADDRINUSE) and starts the health checks. */
  async start(): Promise<void> {
    const server = createServer((socket) => this.#proxy(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#listen.port, this.#listen.host, () => resolve());
    });
    const address = server.address();
    this.#port = typeof address === 'object' && address ? address.port : 0;
    this.#server = server;
    if (this.#healthCheckIntervalMs !== undefined) {
      const interval = this.#healthCheckIntervalMs;
      void this.#probeAll();
      this.#healthTimer = setInterval(() => void this.#probeAll(), interval);
      this.#healthTimer.unref();
    }
  }

  /** stop closes the listener and every proxied connection. */
  async stop(): Promise<void> {
    if (this.#healthTimer) clearInterval(this.#healthTimer);
    this.#healthTimer = undefined;
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** setServers replaces the list (the given servers are kept last); the current server stays current if listed. */
  setServers(servers: readonly ServerAddress[]): void {
    const current = this.#servers[this.#current];
    const next = servers.filter((s, i) => servers.findIndex((t) => key(t) === key(s)) === i);
    for (const g of this.#given) if (!next.some((s) => key(s) === key(g))) next.push(g);
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
    this.#preferReady();
    this.#dial(0, client);
  }

  /** #preferReady moves off a current server that failed its last probe when another one passed it. */
  #preferReady(): void {
    const from = this.#servers[this.#current];
    if (!from || !this.#unready.has(key(from))) return;
    const n = this.#servers.length;
    for (let i = 1; i < n; i++) {
      const at = (this.#current + i) % n;
      const s = this.#servers[at];
      if (s && !this.#unready.has(key(s))) {
        this.#current = at;
        this.#log.warn('API server not ready, switching', { from: key(from), to: key(s) });
        return;
      }
    }
  }

  async #probeAll(): Promise<void> {
    await Promise.all(
      this.#servers.map(async (s) => {
        const ok = await probeReadyz(s, Math.min(this.#dialTimeoutMs, this.#healthCheckIntervalMs ?? this.#dialTimeoutMs));
        if (ok) this.#unready.delete(key(s));
        else this.#unready.add(key(s));
      }),
    );
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

/** probeReadyz tells whether `GET /readyz` of a server answers 200 within `timeoutMs`. */
function probeReadyz(s: ServerAddress, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host: s.host, port: s.port, path: '/readyz', method: 'GET', rejectUnauthorized: false, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(false));
    req.end();
  });
}
