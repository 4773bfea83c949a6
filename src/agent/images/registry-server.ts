/**
 * RegistryServer: serves a node's image store read-only over the Docker Registry HTTP API v2, so another node
 * (or any client) can pull what this one has — a local registry with no extra software, and the mirror other
 * nodes name in their registries config (the idea k3s's embedded registry mirror has).
 *
 * Served: `GET|HEAD /v2/` (API check), `GET|HEAD /v2/<repository>/manifests/<tag|digest>` and
 * `GET|HEAD /v2/<repository>/blobs/<digest>`. A repository is matched against the stored references without
 * their registry host (`/v2/library/busybox/…` finds `docker.io/library/busybox:…`), as a mirror must.
 * Errors use the registry error body (`{"errors":[{"code":"MANIFEST_UNKNOWN",…}]}`) with upstream's codes.
 * With `basicAuth`, every request needs those credentials (401 + `WWW-Authenticate: Basic` otherwise).
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { OciImageStore } from './oci-image-store.js';

/** RegistryServerConfig constructs a RegistryServer. */
export interface RegistryServerConfig {
  readonly store: OciImageStore;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/** RegistryServer serves the store; see the file comment. */
export class RegistryServer {
  readonly #c: RegistryServerConfig;
  #server: Server | undefined;

  constructor(config: RegistryServerConfig) {
    this.#c = config;
  }

  /** start listens and resolves with the base URL (`http://host:port`). */
  async start(): Promise<string> {
    const server = createServer((req, res) => this.#serve(req, res));
    this.#server = server;
    const host = this.#c.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#c.port ?? 0, host, () => resolve());
    });
    return `http://${host}:${(server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #fail(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Docker-Distribution-Api-Version': 'registry/2.0' });
    res.end(JSON.stringify({ errors: [{ code, message }] }));
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const auth = this.#c.basicAuth;
    if (auth) {
      const want = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) {
        res.setHeader('WWW-Authenticate', 'Basic realm="tkube"');
        this.#fail(res, 401, 'UNAUTHORIZED', 'authentication required');
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.#fail(res, 405, 'UNSUPPORTED', 'this registry is read-only');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://registry').pathname;
    if (path === '/v2/' || path === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-Api-Version': 'registry/2.0' });
      res.end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    if (!m || !NAME.test(m[1] ?? '')) {
      this.#fail(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
      return;
    }
    const [, repository = '', kind, reference = ''] = m;
    if (kind === 'manifests') {
      const found = this.#c.store.manifestFor(repository, reference);
      if (!found) {
        this.#fail(res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${repository}:${reference}`);
        return;
      }
      res.writeHead(200, { 'Content-Type': found.mediaType, 'Content-Length': found.body.length, 'Docker-Content-Digest': found.digest, 'Docker-Distribution-Api-Version': 'registry/2.0' });
      res.end(req.method === 'HEAD' ? undefined : found.body);
      return;
    }
    const blob = this.#c.store.blobFile(reference);
    if (!blob) {
      this.#fail(res, 404, 'BLOB_UNKNOWN', `blob unknown to registry: ${reference}`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.size, 'Docker-Content-Digest': reference });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(blob.path).on('error', () => res.destroy()).pipe(res);
  }
}
