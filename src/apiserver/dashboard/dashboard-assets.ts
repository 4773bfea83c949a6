/**
 * DashboardAssets: the web dashboard's static files (the app shell: HTML, one script bundle, CSS), served by the
 * API server under `/dashboard/`. The files carry no cluster data — the page asks the API for everything, with the
 * viewer's own credentials — so they are served to anyone, like a login page; every API call the page makes is
 * authenticated and authorized as usual. `/dashboard` and `/dashboard/*` are the only such paths besides the
 * health and version probes (see docs/dashboard.md).
 *
 * The directory is read once at construction: only the files found then are served (no path from a request ever
 * reaches the file system), each kept in memory with its gzip form for clients that accept it. A missing directory
 * serves a short page saying how to build the dashboard.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** DASHBOARD_PATH is where the dashboard is served. */
export const DASHBOARD_PATH = '/dashboard';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
}

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>tkube dashboard</title>
<p>The dashboard is not built on this machine. Run <code>./tkube</code> (it builds it) or <code>node hack/build-dashboard.mjs</code>, then reload.</p>`;

/** isDashboardPath tells whether a request path is the dashboard's. */
export function isDashboardPath(path: string): boolean {
  return path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`);
}

/** DashboardAssets serves the files of one built dashboard directory; see the file comment. */
export class DashboardAssets {
  readonly #assets = new Map<string, Asset>();

  /** @param dir the built dashboard (index.html at its root), or undefined when there is none. */
  constructor(dir: string | undefined) {
    if (dir && existsSync(join(dir, 'index.html'))) this.#load(dir, '');
  }

  /** built tells whether there is a dashboard to serve. */
  get built(): boolean {
    return this.#assets.has('index.html');
  }

  #load(dir: string, prefix: string): void {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) {
        this.#load(full, `${prefix}${name}/`);
        continue;
      }
      const type = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
      const body = readFileSync(full);
      // Text compresses; images are compressed already.
      const gzip = type.startsWith('text/') || type === 'application/json' || type === 'image/svg+xml' ? gzipSync(body, { level: 9 }) : undefined;
      this.#assets.set(`${prefix}${name}`, { type, body, gzip });
    }
  }

  /**
   * serve answers a GET or HEAD for a dashboard path. `/dashboard` redirects to `/dashboard/`; `/dashboard/` and any
   * path that names no file (the app's own routes, e.g. `/dashboard/pods`) get index.html; unknown files with an
   * extension get 404.
   */
  serve(path: string, req: IncomingMessage, res: ServerResponse): void {
    if (path === DASHBOARD_PATH) {
      res.writeHead(301, { Location: `${DASHBOARD_PATH}/` }).end();
      return;
    }
    if (!this.built) {
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(NOT_BUILT_PAGE);
      return;
    }
    const rel = path.slice(DASHBOARD_PATH.length + 1);
    let asset = this.#assets.get(rel);
    if (!asset) {
      if (extname(rel) !== '') {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      asset = this.#assets.get('index.html');
    }
    if (!asset) return;
    const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? asset.gzip : undefined;
    const body = gzip ?? asset.body;
    res.writeHead(200, {
      'Content-Type': asset.type,
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      // The page may talk only to this origin (the API it was served by) and load only its own files.
      'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      Vary: 'Accept-Encoding',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
