/**
 * The Ingress data plane: an HTTP and an HTTPS reverse proxy (node:http / node:https) that route each request
 * with the controller's current routing table.
 *  - No matching rule: 404. A rule whose Service has no ready endpoint: 503. An endpoint that fails: 502.
 *  - Endpoints of a backend are used round robin.
 *  - The Host header is passed through; `X-Forwarded-For`, `-Host`, `-Proto`, `-Port` and `X-Real-Ip` are set
 *    (replacing any the client sent: the proxy is the edge); hop-by-hop headers are dropped both ways.
 *  - `Connection: Upgrade` requests (WebSocket) are relayed as raw byte streams once the backend connects.
 *  - A route's `rewrite-target` replaces the path the backend sees; `backend-protocol: HTTPS` speaks TLS to it
 *    (ingress-annotations.ts).
 *  - HTTPS picks the certificate by SNI from the Ingresses' TLS Secrets, else the default certificate.
 */
import { createServer as createHttpServer, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { Logger } from '../base/log/logger.js';
import type { PemPair } from '../pki/certificate-authority.js';
import { rewriteUrl } from './ingress-annotations.js';
import type { IngressMetrics } from './ingress-metrics.js';
import type { Backend, Endpoint, RouteMatch, RoutingTable } from './routing-table.js';
import type { CertificateTable } from './tls-certificates.js';

/** RouteSource is what the proxy reads its tables from (the IngressController). */
export interface RouteSource {
  table(): RoutingTable;
  certificates(): CertificateTable;
}

/** IngressProxyConfig constructs an IngressProxy. */
export interface IngressProxyConfig {
  readonly routes: RouteSource;
  /** Address both listeners bind, e.g. "0.0.0.0". */
  readonly bindAddress: string;
  /** HTTP port; 0 picks a free port. */
  readonly httpPort: number;
  /** HTTPS port; 0 picks a free port. */
  readonly httpsPort: number;
  /** Served to clients whose SNI name no Ingress TLS entry covers. */
  readonly defaultCertificate: PemPair;
  /** Counts each answered request (its route, method and status). */
  readonly metrics?: IngressMetrics;
  readonly log: Logger;
  /** How long a backend may take to accept a connection and answer headers. @default 60 s */
  readonly upstreamTimeoutMs?: number;
}

/** ListeningPorts are the bound ports. */
export interface ListeningPorts {
  readonly httpPort: number;
  readonly httpsPort: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** IngressProxy serves the routing table on an HTTP and an HTTPS port. */
export class IngressProxy {
  readonly #c: IngressProxyConfig;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  readonly #tlsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  readonly #roundRobin = new Map<string, number>();
  readonly #contexts = new Map<string, SecureContext>();
  readonly #tunnels = new Set<Socket>();
  readonly #http: Server;
  readonly #https: Server;

  constructor(config: IngressProxyConfig) {
    this.#c = config;
    this.#http = createHttpServer((req, res) => this.#serve(req, res, 'http'));
    this.#https = createHttpsServer(
      {
        cert: config.defaultCertificate.certPem,
        key: config.defaultCertificate.keyPem,
        SNICallback: (name, cb) => cb(null, this.#contextFor(name)),
      },
      (req, res) => this.#serve(req, res, 'https'),
    );
    for (const [server, scheme] of [[this.#http, 'http'], [this.#https, 'https']] as const) {
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.#tunnel(req, socket, head, scheme));
      server.on('clientError', (_err, socket: Socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
    }
  }

  /** start listens on both ports; rejects (closing what opened) when one cannot be bound. */
  async start(): Promise<ListeningPorts> {
    try {
      const httpPort = await listen(this.#http, this.#c.httpPort, this.#c.bindAddress);
      const httpsPort = await listen(this.#https, this.#c.httpsPort, this.#c.bindAddress);
      return { httpPort, httpsPort };
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** stop closes the listeners, open client connections, tunnels and pooled backend connections. */
  async stop(): Promise<void> {
    for (const t of this.#tunnels) t.destroy();
    this.#tunnels.clear();
    await Promise.all([this.#http, this.#https].map((s) => closeServer(s)));
    this.#agent.destroy();
    this.#tlsAgent.destroy();
  }

  #contextFor(serverName: string): SecureContext | undefined {
    const cert = this.#c.routes.certificates().lookup(serverName);
    // undefined makes node use the server's own (default) certificate.
    if (!cert) return undefined;
    let ctx = this.#contexts.get(cert.version);
    if (!ctx) {
      try {
        ctx = createSecureContext({ cert: cert.certPem, key: cert.keyPem });
      } catch (err) {
        this.#c.log.warn('Cannot use TLS Secret; serving the default certificate', { secret: cert.version, error: err instanceof Error ? err.message : String(err) });
        return undefined;
      }
      if (this.#contexts.size > 1000) this.#contexts.clear();
      this.#contexts.set(cert.version, ctx);
    }
    return ctx;
  }

  #pick(backend: Backend): Endpoint | undefined {
    const n = backend.endpoints.length;
    if (n === 0) return undefined;
    const i = this.#roundRobin.get(backend.key) ?? 0;
    this.#roundRobin.set(backend.key, (i + 1) % n);
    return backend.endpoints[i % n];
  }

  /** #route picks the endpoint, the URL the backend sees (rewrite-target applied) and the protocol to speak. */
  #route(req: IncomingMessage): { status: 404 | 503; endpoint?: undefined; match?: RouteMatch } | { status: 200; endpoint: Endpoint; url: string; tls: boolean; match: RouteMatch } {
    const host = req.headers.host ?? (req.socket as Partial<TLSSocket>).servername ?? undefined;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = this.#c.routes.table().match(typeof host === 'string' ? host : undefined, path);
    if (!match) return { status: 404 };
    const endpoint = this.#pick(match.backend);
    if (!endpoint) return { status: 503, match };
    const route = match.route;
    const url = route?.regex && route.rewriteTarget !== undefined ? rewriteUrl(route.regex, route.rewriteTarget, req.url ?? '/') : (req.url ?? '/');
    return { status: 200, endpoint, url, tls: route?.backendProtocol === 'HTTPS', match };
  }

  #serve(req: IncomingMessage, res: ServerResponse, scheme: 'http' | 'https'): void {
    const routed = this.#route(req);
    const metrics = this.#c.metrics;
    if (metrics) {
      const started = performance.now();
      res.once('close', () =>
        metrics.observe(
          { ...(routed.match?.route ? { ingress: routed.match.route.ingress } : {}), ...(routed.match ? { service: routed.match.backend.service } : {}), method: req.method ?? '', status: res.statusCode },
          (performance.now() - started) / 1000,
        ),
      );
    }
    if (routed.status !== 200) {
      req.resume();
      sendText(res, routed.status, routed.status === 404 ? '404 page not found\n' : 'Service Unavailable\n');
      return;
    }
    const { endpoint } = routed;
    const options = {
      host: endpoint.host,
      port: endpoint.port,
      method: req.method,
      path: routed.url,
      headers: forwardedHeaders(req, scheme, false),
      timeout: this.#c.upstreamTimeoutMs ?? 60_000,
    };
    // backend-protocol HTTPS: TLS to the endpoint, its certificate not verified (ingress-nginx's default).
    const upstream = routed.tls ? httpsRequest({ ...options, agent: this.#tlsAgent, rejectUnauthorized: false }) : httpRequest({ ...options, agent: this.#agent });
    upstream.on('response', (ur) => {
      const headers: IncomingHttpHeaders = {};
      const dropped = connectionTokens(ur.headers);
      for (const [k, v] of Object.entries(ur.headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !dropped.has(k)) headers[k] = v;
      res.writeHead(ur.statusCode ?? 502, headers);
      ur.pipe(res);
      ur.on('error', () => res.destroy());
    });
    upstream.on('timeout', () => upstream.destroy(new Error('backend timed out')));
    upstream.on('error', (err) => {
      this.#c.log.debug('Backend request failed', { endpoint: `${endpoint.host}:${endpoint.port}`, error: err.message });
      if (!res.headersSent) sendText(res, 502, 'Bad Gateway\n');
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  #tunnel(req: IncomingMessage, socket: Socket, head: Buffer, scheme: 'http' | 'https'): void {
    socket.on('error', () => socket.destroy());
    const routed = this.#route(req);
    if (routed.status !== 200) {
      const text = routed.status === 404 ? 'Not Found' : 'Service Unavailable';
      socket.end(`HTTP/1.1 ${routed.status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const { endpoint } = routed;
    const upstream = routed.tls ? tlsConnect({ host: endpoint.host, port: endpoint.port, rejectUnauthorized: false }) : connect({ host: endpoint.host, port: endpoint.port });
    this.#tunnels.add(socket);
    this.#tunnels.add(upstream);
    const close = (): void => {
      socket.destroy();
      upstream.destroy();
      this.#tunnels.delete(socket);
      this.#tunnels.delete(upstream);
    };
    let connected = false;
    upstream.on('error', () => {
      if (connected) return close();
      // The backend never answered: tell the client, then let its socket close after the write.
      upstream.destroy();
      this.#tunnels.delete(upstream);
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    socket.on('close', close);
    upstream.on(routed.tls ? 'secureConnect' : 'connect', () => {
      connected = true;
      upstream.on('close', close);
      const lines = [`${req.method ?? 'GET'} ${routed.url} HTTP/1.1`];
      for (const [k, v] of Object.entries(forwardedHeaders(req, scheme, true))) {
        for (const value of Array.isArray(v) ? v : [v]) if (value !== undefined) lines.push(`${k}: ${value}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  }
}

/** connectionTokens are the header names a Connection header declares hop-by-hop. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const c = headers.connection;
  return new Set((typeof c === 'string' ? c : '').split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '' && t !== 'upgrade'));
}

/**
 * forwardedHeaders copies the client's headers for the backend, without hop-by-hop ones (an upgrade keeps
 * `Connection: Upgrade` and `Upgrade`), with the X-Forwarded-* set.
 */
function forwardedHeaders(req: IncomingMessage, scheme: 'http' | 'https', upgrade: boolean): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const dropped = connectionTokens(req.headers);
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || dropped.has(k)) continue;
    out[k] = v;
  }
  if (upgrade) {
    out.connection = 'Upgrade';
    if (req.headers.upgrade) out.upgrade = req.headers.upgrade;
  }
  // The proxy is the edge: forwarding headers a client sent are not trusted (they would let it pose as another
  // address, as Traefik's default untrusted mode also refuses), so each is replaced by what the proxy saw.
  for (const k of Object.keys(out)) if (k.startsWith('x-forwarded-') || k === 'x-real-ip' || k === 'forwarded') delete out[k];
  const clientIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  out['x-forwarded-for'] = clientIp;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = scheme;
  out['x-forwarded-port'] = String(req.socket.localPort ?? '');
  out['x-real-ip'] = clientIp;
  return out;
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
