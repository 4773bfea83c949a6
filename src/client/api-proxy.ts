/**
 * ApiProxy: a local HTTP front for one API server, in the manner of `kubectl proxy` (what `minikube dashboard`
 * runs). It listens on loopback and forwards every request — plain, streaming (watches, logs) and upgrades
 * (exec WebSockets) — to the server with the kubeconfig's credentials, so a browser on this machine reaches the
 * cluster with no certificate warning and no token to paste.
 *
 * Because anything on this machine can reach a loopback port, the proxy only lends its credentials to requests a
 * page of its own could have made:
 *   - the Host header must name a loopback host (a DNS-rebinding page's Host names the attacker's domain);
 *   - requests that change state (any method but GET/HEAD/OPTIONS) must carry `X-Tkube-Proxy: 1` — a custom header
 *     another origin's page can only send after a CORS preflight, which this proxy never grants;
 *   - an upgrade (browsers open cross-origin WebSockets without any preflight) must come with no Origin or with
 *     the proxy's own origin.
 * Refusals are a Kubernetes Status (403) so clients show them like any other answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RestClientConfig } from './rest-client.js';

/** The header a state-changing request must carry (see the file comment). */
export const PROXY_INTENT_HEADER = 'x-tkube-proxy';

/** ApiProxyConfig says where to listen and which server to front. */
export interface ApiProxyConfig {
  /** The server and credentials (from a kubeconfig: restConfigFromKubeconfig). */
  readonly upstream: RestClientConfig;
  /** @default 127.0.0.1 */
  readonly address?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1); credentials are the proxy's own. */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'host', 'authorization', PROXY_INTENT_HEADER]);

function hostName(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0] ?? '';
}

function forbiddenStatus(message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', code: 403 });
}

/** ApiProxy forwards loopback HTTP to the API server; see the file comment. */
export class ApiProxy {
  readonly #c: ApiProxyConfig;
  readonly #base: URL;
  readonly #agent: Agent;
  readonly #server: Server;
  readonly #sockets = new Set<Socket | Duplex>();

  constructor(config: ApiProxyConfig) {
    this.#c = config;
    this.#base = new URL(config.upstream.server);
    const u = config.upstream;
    this.#agent = new Agent({
      keepAlive: true,
      ...(u.caPem ? { ca: u.caPem } : {}),
      ...(u.clientCertPem && u.clientKeyPem ? { cert: u.clientCertPem, key: u.clientKeyPem } : {}),
    });
    this.#server = createServer((req, res) => this.#forward(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
  }

  /** listen starts serving; resolves with the proxy's base URL (e.g. http://127.0.0.1:40123). */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#c.port ?? 0, this.#c.address ?? '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve(this.url());
      });
    });
  }

  /** url is the base URL the proxy listens on (after listen). */
  url(): string {
    const a = this.#server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  /** close stops listening and cuts open streams (watches, exec sessions). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    this.#agent.destroy();
    await closed;
  }

  #headers(req: IncomingMessage): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROPPED_HEADERS.has(k)) out[k] = v;
    if (this.#c.upstream.token) out['authorization'] = `Bearer ${this.#c.upstream.token}`;
    return out;
  }

  /** #refusal says why a request may not borrow the proxy's credentials, or undefined when it may. */
  #refusal(req: IncomingMessage, upgrade: boolean): string | undefined {
    if (!LOOPBACK_HOSTS.has(hostName(req.headers.host))) return `the proxy only answers requests for a loopback host, not "${req.headers.host ?? ''}"`;
    if (upgrade) {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return `the proxy refuses upgrades from another origin ("${origin}")`;
      return undefined;
    }
    if (!SAFE_METHODS.has(req.method ?? 'GET') && req.headers[PROXY_INTENT_HEADER] !== '1') return `a ${req.method ?? ''} through the proxy needs the header "X-Tkube-Proxy: 1"`;
    return undefined;
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const refusal = this.#refusal(req, false);
    if (refusal) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(forbiddenStatus(refusal));
      return;
    }
    const up = httpsRequest(
      { protocol: 'https:', hostname: this.#base.hostname, port: this.#base.port || 443, method: req.method, path: req.url, headers: this.#headers(req), agent: this.#agent },
      (answer) => {
        const headers = { ...answer.headers };
        delete headers['connection'];
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, headers);
        // Watches and followed logs stream: write each chunk as it comes.
        answer.pipe(res);
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' }).end(
          JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the proxy cannot reach ${this.#base.origin}: ${err.message}`, reason: 'ServiceUnavailable', code: 502 }),
        );
      } else res.destroy();
    });
    res.once('close', () => up.destroy());
    req.pipe(up);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const refusal = this.#refusal(req, true);
    if (refusal) {
      const body = forbiddenStatus(refusal);
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const headers = this.#headers(req);
    headers['connection'] = 'Upgrade';
    // Upgrades get a connection of their own: a pooled keep-alive socket cannot be handed over.
    const up = httpsRequest({
      protocol: 'https:',
      hostname: this.#base.hostname,
      port: this.#base.port || 443,
      method: req.method,
      path: req.url,
      headers,
      ...(this.#c.upstream.caPem ? { ca: this.#c.upstream.caPem } : {}),
      ...(this.#c.upstream.clientCertPem && this.#c.upstream.clientKeyPem ? { cert: this.#c.upstream.clientCertPem, key: this.#c.upstream.clientKeyPem } : {}),
    });
    up.on('upgrade', (answer, upSocket, upHead) => {
      this.#sockets.add(upSocket);
      upSocket.once('close', () => this.#sockets.delete(upSocket));
      const lines = [`HTTP/1.1 ${answer.statusCode ?? 101} ${answer.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) lines.push(`${answer.rawHeaders[i] ?? ''}: ${answer.rawHeaders[i + 1] ?? ''}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      upSocket.on('error', () => socket.destroy());
      socket.on('close', () => upSocket.destroy());
      upSocket.on('close', () => socket.destroy());
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });
    up.on('response', (answer) => {
      // The server refused the upgrade (401, 403, 404 …): pass its answer on and close.
      const lines = [`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}`];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        const name = answer.rawHeaders[i] ?? '';
        if (name.toLowerCase() !== 'transfer-encoding' && name.toLowerCase() !== 'connection') lines.push(`${name}: ${answer.rawHeaders[i + 1] ?? ''}`);
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        socket.end(Buffer.concat([Buffer.from(`${lines.filter((l) => !/^content-length:/i.test(l)).join('\r\n')}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
      });
    });
    up.on('error', () => socket.destroy());
    up.end();
  }
}
