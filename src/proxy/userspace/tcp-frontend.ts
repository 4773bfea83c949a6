/**
 * TcpFrontend: one TCP listener of the userspace proxy. Each accepted connection is held paused while an endpoint
 * is dialled (the chooser's candidates in order: an endpoint that refuses or does not answer within the dial
 * timeout is skipped), then bytes are copied both ways with half-close passed on (a client's FIN becomes a FIN to
 * the endpoint and vice versa). No endpoint at all, or none reachable: the client gets a reset, like the REJECT of
 * the kernel modes.
 *
 * `close()` stops accepting and leaves established connections alone (a removed service does not cut streams
 * already running, as conntrack keeps them in the kernel modes); `destroy()` also cuts them (proxier cleanup).
 */
import { connect, createServer, type AddressInfo, type Server, type Socket, type TcpNetConnectOpts } from 'node:net';
import type { Logger } from '../../base/log/logger.js';
import type { ProxyEndpoint } from '../proxy-state.js';
import type { EndpointChooser } from './endpoint-chooser.js';

/**
 * Stream buffer per socket direction: 256 KiB instead of Node's 16 KiB default means fewer, larger reads and
 * writes; it raised the proxied stream from 60–110 to 120–145 MiB/s in noisy runs (docs/benchmarks.md, issue 7).
 */
const BUFFER_BYTES = 256 * 1024;

/** TcpFrontendConfig constructs a TcpFrontend. */
export interface TcpFrontendConfig {
  /** The chooser of the frontend's service port; read on every connection, so swapped endpoints apply at once. */
  readonly chooser: EndpointChooser;
  readonly dialTimeoutMs: number;
  /**
   * Asked for each accepted connection (loadBalancerSourceRanges on load-balancer listeners): false closes it at
   * once, before any endpoint is dialled. Read per connection, so a changed list applies to the next client.
   */
  readonly allowClient?: (ip: string) => boolean;
  readonly log: Logger;
}

/** TcpFrontend: see the file comment. */
export class TcpFrontend {
  readonly #c: TcpFrontendConfig;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(config: TcpFrontendConfig) {
    this.#c = config;
    this.#server = createServer({ pauseOnConnect: true, allowHalfOpen: true, highWaterMark: BUFFER_BYTES }, (client) => this.#accept(client));
  }

  /** listen binds host:port (0: any free port) and resolves with the bound address. */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ host, port, exclusive: true }, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => this.#c.log.warn('userspace proxy listener failed', { error: err.message }));
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Open sockets (clients and their endpoint connections). */
  get sockets(): number {
    return this.#sockets.size;
  }

  close(): void {
    this.#server.close();
  }

  destroy(): void {
    this.#server.close();
    for (const s of this.#sockets) s.destroy();
  }

  #track(s: Socket): void {
    this.#sockets.add(s);
    s.once('close', () => this.#sockets.delete(s));
  }

  #accept(client: Socket): void {
    this.#track(client);
    client.on('error', () => client.destroy());
    const clientIP = client.remoteAddress ?? '';
    if (this.#c.allowClient && !this.#c.allowClient(clientIP)) {
      client.destroy();
      return;
    }
    const candidates = this.#c.chooser.candidates(clientIP);
    const tryNext = (i: number): void => {
      if (client.destroyed) return;
      const ep = candidates[i];
      if (!ep) {
        client.resetAndDestroy();
        return;
      }
      this.#dial(ep, (upstream) => {
        if (!upstream) {
          tryNext(i + 1);
          return;
        }
        // The client may have gone while the endpoint was being dialled.
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        this.#c.chooser.reached(clientIP, ep);
        this.#splice(client, upstream);
      });
    };
    tryNext(0);
  }

  /** dial connects to `ep` and calls back with the socket, or with undefined when it refused or timed out. */
  #dial(ep: ProxyEndpoint, done: (s: Socket | undefined) => void): void {
    // The socket options reach stream.Duplex, which takes highWaterMark (the typings do not list it).
    const options: TcpNetConnectOpts & { highWaterMark: number } = { host: ep.ip, port: ep.port, allowHalfOpen: true, highWaterMark: BUFFER_BYTES };
    const upstream = connect(options);
    let settled = false;
    const fail = (): void => {
      if (settled) return;
      settled = true;
      upstream.destroy();
      done(undefined);
    };
    upstream.setTimeout(this.#c.dialTimeoutMs, fail);
    upstream.once('error', fail);
    upstream.once('connect', () => {
      if (settled) return;
      settled = true;
      upstream.setTimeout(0);
      upstream.off('error', fail);
      done(upstream);
    });
  }

  #splice(client: Socket, upstream: Socket): void {
    this.#track(upstream);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    // An error or a full close on either side ends the pair; a half-close (end) is passed on by pipe().
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', cut);
    client.on('error', cut);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}
