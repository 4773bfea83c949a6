/**
 * KubeletServer: the node's HTTPS endpoint (port 10250 by default) the API server calls for what only the node
 * has. So far: `GET /healthz` and `GET /containerLogs/{namespace}/{pod}/{container}` with upstream's query
 * options (follow, previous, timestamps, tailLines, sinceSeconds, sinceTime, limitBytes), read from the CRI log
 * files. Exec, attach and port-forward come next.
 *
 * Security: a client certificate signed by the cluster CA is required; only the API server's identity (group
 * `system:masters` or user `kube-apiserver-kubelet-client`) is allowed, everything else gets 403. Failures are one
 * plain-text line with the HTTP code upstream's kubelet uses (400 for a missing previous container, 404 for an
 * unknown pod or container).
 */
import { open, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../base/log/logger.js';
import { parseCriLog, renderLog, type LogOptions } from '../kubelet/cri-log.js';

/** ContainerLogSource finds a container's log file (the kubelet implements it). */
export interface ContainerLogSource {
  /**
   * logFile resolves with the log of the container's current (or, with `previous`, its last exited) instance and
   * whether that instance still runs; undefined when there is no such container.
   */
  logFile(namespace: string, pod: string, container: string, previous: boolean): Promise<{ path: string; running: boolean } | undefined>;
}

/** KubeletServerConfig constructs a KubeletServer. */
export interface KubeletServerConfig {
  readonly logs: ContainerLogSource;
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly clientCaPem: string };
  /** @default 10250; 0 picks a free port */
  readonly port?: number;
  /** @default "0.0.0.0" */
  readonly bindAddress?: string;
  readonly log: Logger;
}

const FOLLOW_POLL_MS = 200;

class HttpFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** KubeletServer serves the node API; see the file comment. */
export class KubeletServer {
  readonly #c: KubeletServerConfig;
  #server: Server | undefined;

  constructor(config: KubeletServerConfig) {
    this.#c = config;
  }

  /** start listens and resolves with the port. */
  async start(): Promise<number> {
    const server = createServer({ cert: this.#c.tls.certPem, key: this.#c.tls.keyPem, ca: this.#c.tls.clientCaPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      this.#serve(req, res).catch((err: unknown) => {
        const code = err instanceof HttpFailure ? err.code : 500;
        if (!(err instanceof HttpFailure)) this.#c.log.warn('Kubelet request failed', { path: req.url, error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) {
          res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`${err instanceof Error ? err.message : String(err)}\n`);
        } else res.end();
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
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cert = (req.socket as TLSSocket).getPeerCertificate();
    const groups = ([] as string[]).concat(cert.subject?.O ?? []);
    if (cert.subject?.CN !== 'kube-apiserver-kubelet-client' && !groups.includes('system:masters')) {
      throw new HttpFailure(403, `Forbidden (user=${cert.subject?.CN ?? ''}, verb=${req.method?.toLowerCase() ?? ''}, resource=nodes, subresource=proxy)`);
    }
    const url = new URL(req.url ?? '/', 'https://kubelet');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
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
    let offset = 0;
    const readNew = async (): Promise<string> => {
      let size: number;
      try {
        size = (await stat(file.path)).size;
      } catch {
        return '';
      }
      if (size <= offset) return '';
      const fh = await open(file.path, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        // Only whole lines: a line still being written is read on the next pass.
        const end = buf.lastIndexOf(0x0a) + 1;
        offset += end;
        return buf.subarray(0, end).toString('utf8');
      } finally {
        await fh.close();
      }
    };
    res.write(renderLog(parseCriLog(await readNew()), options));
    if (q.get('follow') !== 'true' || !file.running) {
      res.end();
      return;
    }
    let closed = false;
    req.on('close', () => (closed = true));
    const followOptions: LogOptions = { timestamps: options.timestamps === true };
    while (!closed) {
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      const more = await readNew();
      if (more !== '') res.write(renderLog(parseCriLog(more), followOptions));
      const now = await this.#c.logs.logFile(namespace, pod, container, false);
      if (!now || now.path !== file.path || !now.running) {
        const rest = await readNew();
        if (rest !== '') res.write(renderLog(parseCriLog(rest), followOptions));
        break;
      }
    }
    res.end();
  }
}
