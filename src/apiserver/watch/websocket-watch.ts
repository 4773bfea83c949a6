/**
 * WebSocketWatch: watches over a WebSocket, as upstream's API server serves them to clients that ask with
 * `Upgrade: websocket` — each event one text message holding the same `{"type":…,"object":…}` JSON as a line of
 * the chunked HTTP stream. Browsers need this: they open at most six HTTP/1.1 connections per host, and every
 * chunked watch holds one for its lifetime, while WebSockets are not counted against that limit.
 *
 * The watch itself is the ordinary watch handler (handlers/watch.ts), run with a response object that writes
 * WebSocket messages (WebSocketWatchResponse), so selectors, resource versions, bookmarks, 410s and timeouts behave
 * exactly as over HTTP. Upgrades that are not watches go to `next`.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { newStatus, StatusError } from '../../api/meta/status-error.js';
import type { ResourceHandler } from '../request/request-scope.js';
import type { UpgradeHandler, UpgradeScope } from '../server.js';

/** A client falls behind when this many bytes wait unsent; the watch then waits (as for a full TCP buffer). */
const HIGH_WATER_BYTES = 1024 * 1024;

/**
 * WebSocketWatchResponse is the part of ServerResponse the watch handler uses, writing each chunk as one message.
 * Events: 'drain' when buffered bytes fall below HIGH_WATER_BYTES again, 'close' when the socket closes.
 */
class WebSocketWatchResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  readonly #ws: WebSocket;

  constructor(ws: WebSocket) {
    super();
    this.#ws = ws;
    ws.once('close', () => {
      this.writableEnded = true;
      this.emit('close');
    });
  }

  get destroyed(): boolean {
    return this.#ws.readyState !== this.#ws.OPEN;
  }

  setHeader(): this {
    return this;
  }

  flushHeaders(): void {
    this.headersSent = true;
  }

  write(chunk: string | Buffer): boolean {
    this.headersSent = true;
    const text = (typeof chunk === 'string' ? chunk : chunk.toString('utf8')).replace(/\n$/, '');
    this.#ws.send(text, () => {
      if (this.#ws.bufferedAmount < HIGH_WATER_BYTES) this.emit('drain');
    });
    return this.#ws.bufferedAmount < HIGH_WATER_BYTES;
  }

  end(chunk?: string | Buffer): this {
    if (this.writableEnded) return this;
    if (chunk !== undefined && chunk !== '') this.write(chunk);
    this.writableEnded = true;
    this.#ws.close(1000);
    return this;
  }
}

/** WebSocketWatchConfig wires the handler to the resource handler chain. */
export interface WebSocketWatchConfig {
  /** The resource handler that serves ordinary watches. */
  readonly resources: ResourceHandler;
  /** Upgrades that are not watches. */
  readonly next?: UpgradeHandler;
}

/** WebSocketWatch implements UpgradeHandler; see the file comment. */
export class WebSocketWatch implements UpgradeHandler {
  readonly #c: WebSocketWatchConfig;
  // Echo the client's first offered subprotocol, if any: browsers fail a handshake that selects none of several.
  readonly #wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols][0] ?? false });

  constructor(config: WebSocketWatchConfig) {
    this.#c = config;
  }

  async handleUpgrade(scope: UpgradeScope): Promise<void> {
    const isWebSocket = String(scope.req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (scope.info.verb !== 'watch' || !isWebSocket) {
      if (this.#c.next) return this.#c.next.handleUpgrade(scope);
      throw new StatusError(newStatus(404, 'NotFound', 'the server could not find the requested resource'));
    }
    const ws = await new Promise<WebSocket>((resolve) => this.#wss.handleUpgrade(scope.req, scope.socket, scope.head, resolve));
    const res = new WebSocketWatchResponse(ws);
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    ws.once('close', stop);
    scope.signal.addEventListener('abort', stop, { once: true });
    // Messages from the client mean nothing to a watch; a closed socket ends it.
    ws.on('message', () => undefined);
    try {
      await this.#c.resources.handle({
        info: scope.info,
        user: scope.user,
        req: scope.req,
        res: res as unknown as ServerResponse,
        url: scope.url,
        body: Buffer.alloc(0),
        signal: abort.signal,
      });
    } catch (err) {
      // The handshake is done, so a refusal (a bad resourceVersion, an unknown resource) travels as an ERROR event.
      const status = err instanceof StatusError ? err.status : newStatus(500, 'InternalError', 'the watch failed');
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'ERROR', object: status }));
    } finally {
      scope.signal.removeEventListener('abort', stop);
      if (ws.readyState === ws.OPEN) ws.close(1000);
    }
  }
}
