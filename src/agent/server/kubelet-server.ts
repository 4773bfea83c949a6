/**
 * KubeletServer: the node's HTTPS endpoint (port 10250 by default) the API server calls for what only the node
 * has: `GET /healthz`, `GET /containerLogs/{namespace}/{pod}/{container}` with upstream's query options (follow,
 * previous, timestamps, tailLines, sinceSeconds, sinceTime, limitBytes), read from the CRI log files,
 * `GET /stats/summary` (the Summary API), `/metrics` and `/metrics/resource` (Prometheus text, resource-metrics.ts)
 * when a SummarySource is given, and the streaming upgrades:
 * `/exec/{namespace}/{pod}/{container}?command=…` and `/attach/{namespace}/{pod}/{container}` over the WebSocket
 * channel protocols (remote-command.ts) or SPDY (kubectl's fallback; spdy-remote-command.ts), and
 * `/portForward/{namespace}/{pod}` in its three wire forms (port-forward.ts). Upgrade requests go through a
 * dispatch table (UPGRADE_ROUTES).
 *
 * Security: a client certificate signed by the cluster CA is required; only the API server's identity (group
 * `system:masters` or user `kube-apiserver-kubelet-client`) is allowed, everything else gets 403. Failures are one
 * plain-text line with the HTTP code upstream's kubelet uses (400 for a missing previous container, 404 for an
 * unknown pod or container).
 */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../base/log/logger.js';
import type { RuntimeService } from '../cri/runtime-service.js';
import { rotatedLogFiles } from '../kubelet/container-log-manager.js';
import { parseCriLog, renderLog, type LogOptions } from '../kubelet/cri-log.js';
import { PROMETHEUS_TEXT_CONTENT_TYPE, renderKubeletMetrics, renderResourceMetrics } from '../kubelet/resource-metrics.js';
import type { Summary } from '../kubelet/stats-provider.js';
import { parseRemoteCommandOptions, serveRemoteCommand } from './remote-command.js';
import { CHANNEL_PROTOCOLS, negotiateProtocol } from './websocket-channels.js';
import { handlePortForwardUpgrade, type PodPortForwarder } from './port-forward.js';
import { remoteCommandOptions, type RemoteCommandRunner } from './remote-command-streams.js';
import { serveSpdyRemoteCommand } from './spdy-remote-command.js';
import { isSpdyUpgrade } from './spdy-upgrade.js';

/** ContainerLogSource finds a container's log file (the kubelet implements it). */
export interface ContainerLogSource {
  /**
   * logFile resolves with the log of the container's current (or, with `previous`, its last exited) instance and
   * whether that instance still runs; undefined when there is no such container.
   */
  logFile(namespace: string, pod: string, container: string, previous: boolean): Promise<{ path: string; running: boolean } | undefined>;
}

/** SummarySource builds the node's stats/v1alpha1 Summary (the kubelet's StatsProvider implements it). */
export interface SummarySource {
  summary(): Promise<Summary>;
}

/** ContainerLocator finds the running container a stream request names (the kubelet implements it). */
export interface ContainerLocator {
  /** containerId resolves with the ID of the container's current instance; undefined when there is none. */
  containerId(namespace: string, pod: string, container: string): Promise<string | undefined>;
}

/** KubeletServerConfig constructs a KubeletServer. */
export interface KubeletServerConfig {
  readonly logs: ContainerLogSource;
  /** Serves /stats/summary, /metrics and /metrics/resource (Prometheus text); absent: 404. */
  readonly stats?: SummarySource;
  /** More Prometheus text for /metrics (the node's service proxy: it has no port of its own). */
  readonly extraMetrics?: () => Promise<string>;
  /** Exec and attach; absent: their requests answer 501. */
  readonly streams?: { readonly containers: ContainerLocator; readonly runtime: Pick<RuntimeService, 'exec' | 'attach'> };
  /** Reaches ports in pods; without it `/portForward` answers 404. */
  readonly portForward?: PodPortForwarder;
  /** Runs exec/attach sessions; without it `/exec` and `/attach` upgrades answer 404. */
  readonly remoteCommand?: RemoteCommandRunner;
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly clientCaPem: string };
  /** @default 10250; 0 picks a free port */
  readonly port?: number;
  /** @default "0.0.0.0" */
  readonly bindAddress?: string;
  readonly log: Logger;
}

const FOLLOW_POLL_MS = 200;
/** When this process started, for process_start_time_seconds. */
const PROCESS_START_MS = Date.now() - process.uptime() * 1000;

class HttpFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** UpgradeRoute serves one kind of upgrade request; `params` are the path's decoded captures. */
interface UpgradeRoute {
  readonly pattern: RegExp;
  serve(server: KubeletServer, params: string[], url: URL, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}

/** writeSocketError answers an upgrade request that is refused before the handshake, as one plain-text line. */
function writeSocketError(socket: Duplex, code: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Unknown'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The upgrade dispatch table; the first matching pattern serves the request. */
const UPGRADE_ROUTES: readonly UpgradeRoute[] = [
  { pattern: /^\/exec\/([^/]+)\/([^/]+)\/([^/]+)$/, serve: (s, p, url, req, socket, head) => s.remoteCommand('exec', p, url, req, socket, head) },
  { pattern: /^\/attach\/([^/]+)\/([^/]+)\/([^/]+)$/, serve: (s, p, url, req, socket, head) => s.remoteCommand('attach', p, url, req, socket, head) },
  { pattern: /^\/portForward\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/, serve: (s, p, _url, req, socket, head) => s.portForward(p, req, socket, head) },
];

/** KubeletServer serves the node API; see the file comment. */
export class KubeletServer {
  readonly #c: KubeletServerConfig;
  #server: Server | undefined;
  readonly #wss = new WebSocketServer({
    noServer: true,
    // The client's first supported protocol in our order of preference (v5 first); none: no header, v1 framing.
    handleProtocols: (offered) => negotiateProtocol(offered) ?? false,
    // Output frames can be large (kubectl cp); the limit is on what a client may send in one message.
    maxPayload: 16 * 1024 * 1024,
  });
  /** Upgraded connections leave the HTTP server's bookkeeping; stop() ends them from here. */
  readonly #upgraded = new Set<Duplex>();

  constructor(config: KubeletServerConfig) {
    this.#c = config;
  }

  /** start listens and resolves with the port. */
  async start(): Promise<number> {
    const server = createServer({ cert: this.#c.tls.certPem, key: this.#c.tls.keyPem, ca: this.#c.tls.clientCaPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (req, res) => {
      this.#serve(req, res).catch((err: unknown) => {
        const code = err instanceof HttpFailure ? err.code : 500;
        if (!(err instanceof HttpFailure)) this.#c.log.warn('Kubelet request failed', { path: req.url, error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) {
          res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`${err instanceof Error ? err.message : String(err)}\n`);
        } else res.end();
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgraded.add(socket);
      socket.once('close', () => this.#upgraded.delete(socket));
      socket.on('error', () => socket.destroy());
      this.#serveUpgrade(req, socket, head).catch((err: unknown) => {
        const code = err instanceof HttpFailure ? err.code : 500;
        if (!(err instanceof HttpFailure)) this.#c.log.warn('Kubelet upgrade failed', { path: req.url, error: err instanceof Error ? err.message : String(err) });
        writeSocketError(socket, code, err instanceof Error ? err.message : String(err));
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#c.port ?? 10250, this.#c.bindAddress ?? '0.0.0.0', () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  /** setServingCertificate serves new connections with a new certificate (rotation); open ones keep theirs. */
  setServingCertificate(certPem: string, keyPem: string): void {
    this.#server?.setSecureContext({ cert: certPem, key: keyPem, ca: this.#c.tls.clientCaPem });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    // Upgraded sockets are no longer the HTTP server's: end the sessions, which ends their commands.
    for (const ws of this.#wss.clients) ws.terminate();
    for (const socket of this.#upgraded) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** #authorize admits only the API server's identity (403 otherwise). */
  #authorize(req: IncomingMessage): void {
    const cert = (req.socket as TLSSocket).getPeerCertificate();
    const groups = ([] as string[]).concat(cert.subject?.O ?? []);
    if (cert.subject?.CN === 'kube-apiserver-kubelet-client' || groups.includes('system:masters')) return;
    throw new HttpFailure(403, `Forbidden (user=${cert.subject?.CN ?? ''}, verb=${req.method?.toLowerCase() ?? ''}, resource=nodes, subresource=proxy)`);
  }

  async #serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.#authorize(req);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    for (const route of UPGRADE_ROUTES) {
      const m = route.pattern.exec(url.pathname);
      if (m) return route.serve(this, m.slice(1).map((p) => decodeURIComponent(p)), url, req, socket, head);
    }
    throw new HttpFailure(404, `${url.pathname} not found`);
  }

  /**
   * remoteCommand serves exec and attach (params: namespace, pod, container). Refusals before the handshake are
   * plain-text answers: 404 for a container that is not running here, 400 for a bad query or an upgrade that is
   * neither WebSocket nor SPDY.
   */
  async remoteCommand(kind: 'exec' | 'attach', params: string[], url: URL, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const [namespace = '', pod = '', container = ''] = params;
    if (isSpdyUpgrade(req) && this.#c.remoteCommand) {
      const run = this.#c.remoteCommand;
      const request = { kind, namespace, pod, container, command: url.searchParams.getAll('command') } as const;
      return serveSpdyRemoteCommand(req, socket, head, remoteCommandOptions(url.searchParams), (s) => run(request, s), { log: this.#c.log });
    }
    const streams = this.#c.streams;
    if (!streams) throw new HttpFailure(501, `${kind} is not supported by this kubelet`);
    const options = parseRemoteCommandOptions(url.searchParams);
    const command = url.searchParams.getAll('command');
    if (kind === 'exec' && command.length === 0) throw new HttpFailure(400, 'you must specify at least 1 command');
    if (!options.stdin && !options.stdout && !options.stderr) throw new HttpFailure(400, 'you must specify at least 1 of stdin, stdout, stderr');
    const id = await streams.containers.containerId(namespace, pod, container);
    if (!id) throw new HttpFailure(404, `container "${container}" in pod "${pod}" is not available`);
    // Checked last: kubectl retries a failed WebSocket upgrade over SPDY, and should then hear the same reason.
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw new HttpFailure(400, `${kind} needs a WebSocket (${[...CHANNEL_PROTOCOLS.keys()].join(', ')}) or SPDY/3.1 upgrade`);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const version = CHANNEL_PROTOCOLS.get(ws.protocol) ?? 1;
      const run = kind === 'exec' ? (s: Parameters<typeof streams.runtime.exec>[2]) => streams.runtime.exec(id, command, s) : (s: Parameters<typeof streams.runtime.attach>[1]) => streams.runtime.attach(id, s);
      serveRemoteCommand(ws, version, options, run).catch((err: unknown) => {
        this.#c.log.warn(`Kubelet ${kind} session failed`, { pod: `${namespace}/${pod}`, container, error: err instanceof Error ? err.message : String(err) });
        ws.terminate();
      });
    });
  }

  /** portForward serves `/portForward/{namespace}/{pod}` (params: namespace, pod) in its three wire forms. */
  async portForward(params: string[], req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const [namespace = '', pod = ''] = params;
    if (!this.#c.portForward) throw new HttpFailure(404, 'port-forward is not served by this kubelet');
    return handlePortForwardUpgrade(req, socket, head, namespace, pod, { forwarder: this.#c.portForward, log: this.#c.log });
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#authorize(req);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (url.pathname === '/stats/summary' && req.method === 'GET' && this.#c.stats) {
      const body = JSON.stringify(await this.#c.stats.summary());
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
      return;
    }
    if ((url.pathname === '/metrics' || url.pathname === '/metrics/resource') && req.method === 'GET' && this.#c.stats) {
      const summary = await this.#c.stats.summary();
      const text = url.pathname === '/metrics' ? `${renderKubeletMetrics(summary, PROCESS_START_MS)}${(await this.#c.extraMetrics?.()) ?? ''}` : renderResourceMetrics(summary);
      res.writeHead(200, { 'Content-Type': PROMETHEUS_TEXT_CONTENT_TYPE });
      res.end(text);
      return;
    }
    if (/^\/(portForward|exec|attach)\//.test(url.pathname)) throw new HttpFailure(400, 'Upgrade request required');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m || req.method !== 'GET') throw new HttpFailure(404, `${url.pathname} not found`);
    await this.#containerLogs(decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''), decodeURIComponent(m[3] ?? ''), url.searchParams, req, res);
  }

  async #containerLogs(namespace: string, pod: string, container: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const previous = q.get('previous') === 'true';
    const file = await this.#c.logs.logFile(namespace, pod, container, previous);
    if (!file) {
      if (previous) throw new HttpFailure(400, `previous terminated container "${container}" in pod "${pod}" not found`);
      throw new HttpFailure(404, `container "${container}" in pod "${pod}" is not available`);
    }
    const num = (name: string): number | undefined => (q.get(name) !== null && q.get(name) !== '' ? Number(q.get(name)) : undefined);
    const sinceSeconds = num('sinceSeconds');
    const sinceTime = q.get('sinceTime');
    const options: LogOptions = {
      timestamps: q.get('timestamps') === 'true',
      ...(num('tailLines') !== undefined ? { tailLines: num('tailLines') } : {}),
      ...(num('limitBytes') !== undefined ? { limitBytes: num('limitBytes') } : {}),
      ...(sinceTime ? { sinceMs: Date.parse(sinceTime) } : sinceSeconds !== undefined ? { sinceMs: Date.now() - sinceSeconds * 1000 } : {}),
    };
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
    const reader = new LogFileReader(file.path);
    try {
      // As upstream: the newest rotated file (the one kept uncompressed) comes before the live one.
      const newest = (await rotatedLogFiles(file.path)).filter((r) => !r.compressed).at(-1);
      const older = newest ? await readFile(newest.path, 'utf8').catch(() => '') : '';
      res.write(renderLog(parseCriLog(older + (await reader.readNew())), options));
      if (q.get('follow') !== 'true' || !file.running) return;
      let closed = false;
      req.on('close', () => (closed = true));
      const followOptions: LogOptions = { timestamps: options.timestamps === true };
      while (!closed) {
        await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
        const more = await reader.readNew();
        if (more !== '') res.write(renderLog(parseCriLog(more), followOptions));
        const now = await this.#c.logs.logFile(namespace, pod, container, false);
        if (!now || now.path !== file.path || !now.running) {
          const rest = await reader.readNew();
          if (rest !== '') res.write(renderLog(parseCriLog(rest), followOptions));
          break;
        }
      }
    } finally {
      await reader.close();
      res.end();
    }
  }
}

/**
 * LogFileReader reads whole lines appended to a log path, following it across a rotation: it holds the file open,
 * and when the path names a different file that has data (the writer reopened the path, so the old file gets no
 * more), it drains the old file and goes on with the new one from its start.
 */
class LogFileReader {
  readonly #path: string;
  #fh: FileHandle | undefined;
  #offset = 0;

  constructor(path: string) {
    this.#path = path;
  }

  /** readNew resolves with the whole lines written since the last call ('' when none). */
  async readNew(): Promise<string> {
    if (!this.#fh) {
      try {
        this.#fh = await open(this.#path, 'r');
      } catch {
        return '';
      }
    }
    let out = await this.#drain(this.#fh);
    let onPath;
    try {
      onPath = await stat(this.#path);
    } catch {
      return out;
    }
    const held = await this.#fh.stat();
    if (onPath.ino !== held.ino && onPath.size > 0) {
      out += await this.#drain(this.#fh);
      await this.#fh.close();
      this.#fh = undefined;
      this.#offset = 0;
      out += await this.readNew();
    }
    return out;
  }

  async #drain(fh: FileHandle): Promise<string> {
    const size = (await fh.stat()).size;
    if (size <= this.#offset) return '';
    const buf = Buffer.alloc(size - this.#offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
    // Only whole lines: a line still being written is read on the next pass.
    const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
    this.#offset += end;
    return buf.subarray(0, end).toString('utf8');
  }

  async close(): Promise<void> {
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
  }
}

