/**
 * UdpFrontend: one UDP socket of the userspace proxy. Datagrams have no connection, so the frontend keeps a session
 * per client address and port: the first datagram picks an endpoint (the chooser's first candidate) and opens a
 * socket connected to it; replies arriving on that socket go back to the client from the frontend's address. A
 * session ends after `idleTimeoutMs` without traffic either way, when its socket reports an error (e.g. the
 * endpoint's port is closed), or when its endpoint leaves the list (`prune`); the client's next datagram starts a
 * new one on another endpoint. An endpoint that answers with "port unreachable" before it ever replied is skipped
 * at once: the session's last datagram goes to the next endpoint (a dead endpoint → the next, as for TCP). Without
 * endpoints datagrams are dropped.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { type EndpointChooser, endpointKey } from './endpoint-chooser.js';

/** UdpFrontendConfig constructs a UdpFrontend. */
export interface UdpFrontendConfig {
  readonly chooser: EndpointChooser;
  readonly idleTimeoutMs: number;
  readonly clock: Clock;
  /** Asked before a client's session opens (loadBalancerSourceRanges): false drops its datagrams. */
  readonly allowClient?: (ip: string) => boolean;
  readonly log: Logger;
}

interface Session {
  readonly endpoint: string;
  /** Endpoints this client's session already found closed, itself included. */
  readonly tried: ReadonlySet<string>;
  replied: boolean;
  /** The latest datagram from the client, resent to the next endpoint if this one turns out closed. */
  last: Buffer | undefined;
  readonly upstream: Socket;
  connected: boolean;
  /** Datagrams received while the upstream socket was still connecting. */
  readonly pending: Buffer[];
  lastActive: number;
  timer: Timer | undefined;
}

/** Datagrams held per session while its socket connects; more are dropped (UDP may drop). */
const MAX_PENDING = 64;

/** UdpFrontend: see the file comment. */
export class UdpFrontend {
  readonly #c: UdpFrontendConfig;
  #socket: Socket | undefined;
  readonly #sessions = new Map<string, Session>();

  constructor(config: UdpFrontendConfig) {
    this.#c = config;
  }

  /** listen binds host:port (0: any free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<{ address: string; port: number }> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.#socket = socket;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', (err) => this.#c.log.warn('userspace proxy UDP socket failed', { error: err.message }));
        socket.on('message', (msg, rinfo) => this.#receive(msg, rinfo));
        resolve(socket.address());
      });
    });
  }

  /** Open sessions. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** prune ends the sessions whose endpoint is no longer listed (called after the chooser's endpoints changed). */
  prune(): void {
    const live = new Set(this.#c.chooser.endpoints.map(endpointKey));
    for (const [key, s] of this.#sessions) if (!live.has(s.endpoint)) this.#end(key, s);
  }

  /** close stops the frontend and ends every session. */
  close(): void {
    for (const [key, s] of this.#sessions) this.#end(key, s);
    try {
      this.#socket?.close();
    } catch {
      // already closed
    }
  }

  #receive(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let s = this.#sessions.get(key);
    if (!s) {
      if (this.#c.allowClient && !this.#c.allowClient(rinfo.address)) return;
      s = this.#open(key, rinfo);
      if (!s) return;
    }
    s.lastActive = this.#c.clock.now();
    s.last = msg;
    if (s.connected) s.upstream.send(msg);
    else if (s.pending.length < MAX_PENDING) s.pending.push(msg);
  }

  #open(key: string, client: RemoteInfo, tried: ReadonlySet<string> = new Set()): Session | undefined {
    const ep = this.#c.chooser.candidates(client.address).find((e) => !tried.has(endpointKey(e)));
    if (!ep) return undefined;
    this.#c.chooser.reached(client.address, ep);
    const upstream = createSocket(ep.ip.includes(':') ? 'udp6' : 'udp4');
    const endpoint = endpointKey(ep);
    const s: Session = {
      endpoint, tried: new Set([...tried, endpoint]), replied: false, last: undefined,
      upstream, connected: false, pending: [], lastActive: this.#c.clock.now(), timer: undefined,
    };
    this.#sessions.set(key, s);
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      this.#end(key, s);
      if (err.code !== 'ECONNREFUSED' || s.replied || !s.last || this.#sessions.has(key)) return;
      const next = this.#open(key, client, s.tried);
      if (next) next.pending.push(s.last);
    });
    upstream.on('message', (reply) => {
      s.lastActive = this.#c.clock.now();
      s.replied = true;
      this.#socket?.send(reply, client.port, client.address);
    });
    upstream.connect(ep.port, ep.ip, () => {
      s.connected = true;
      for (const m of s.pending.splice(0)) upstream.send(m);
    });
    this.#arm(key, s, this.#c.idleTimeoutMs);
    return s;
  }

  /** arm checks the session for idleness after `ms`; activity in between pushes the check out again. */
  #arm(key: string, s: Session, ms: number): void {
    s.timer = this.#c.clock.setTimer(ms, () => {
      if (this.#sessions.get(key) !== s) return;
      const idle = this.#c.clock.now() - s.lastActive;
      if (idle >= this.#c.idleTimeoutMs) this.#end(key, s);
      else this.#arm(key, s, this.#c.idleTimeoutMs - idle);
    });
  }

  #end(key: string, s: Session): void {
    if (this.#sessions.get(key) === s) this.#sessions.delete(key);
    s.timer?.cancel();
    try {
      s.upstream.close();
    } catch {
      // already closed
    }
  }
}
