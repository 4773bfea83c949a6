/**
 * RegistryClient: pulls images over the Docker Registry HTTP API v2 (the OCI distribution spec) — what the node
 * does for an image it does not have.
 *
 * Contracts:
 *  - Endpoints come from the RegistriesConfig (mirrors first, then the registry); the first endpoint that
 *    serves the manifest is used for every blob of that pull. A mirror that answers 404 or fails is skipped.
 *  - Auth: a 401 with `WWW-Authenticate: Bearer realm=…,service=…` gets a token from the realm (with the
 *    credentials, when there are any: the pull's own, else the endpoint's configured ones) and the request is
 *    retried once with it; `Basic` challenges are answered with the credentials.
 *  - Image indexes (multi-arch) resolve to this machine's linux platform. Manifests are kept byte for byte, so
 *    a digest reference names the same manifest here as in the registry.
 *  - Every blob is streamed to the sink and its sha256 checked against the digest before it counts; blobs the
 *    sink has already are not downloaded again.
 *  - Failures reject with RegistryError whose `kind` says what went wrong (`NotFound`, `Unauthorized`,
 *    `Unreachable`, `Invalid`) and whose message reads like the container runtimes' own.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { AuthConfig } from '../cri/image-service.js';
import type { ImageReference } from './image-reference.js';
import type { RegistriesConfig, RegistryEndpoint } from './registries-config.js';

/** The manifest media types we accept, best first (sent as Accept). */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

const INDEX_TYPES = new Set<string>([MANIFEST_MEDIA_TYPES[0], MANIFEST_MEDIA_TYPES[1]]);
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const REQUEST_TIMEOUT_MS = 30_000;

/** RegistryErrorKind classifies a failed pull. */
export type RegistryErrorKind = 'NotFound' | 'Unauthorized' | 'Unreachable' | 'Invalid';

/** RegistryError is a failed pull; see the file comment. */
export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** BlobSink stores verified blobs (the image store implements it). */
export interface BlobSink {
  hasBlob(digest: string): boolean;
  /** putBlob stores the stream's bytes if their sha256 is `digest`; rejects (storing nothing) otherwise. */
  putBlob(digest: string, data: Readable): Promise<void>;
}

/** PulledImage is what a pull stored: the manifest (as the registry served it) and the config. */
export interface PulledImage {
  readonly manifest: Buffer;
  readonly manifestDigest: string;
  readonly config: Buffer;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: IncomingMessage;
}

/** The Go architecture name of this machine, as image platforms spell it. */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}

async function readAll(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += (chunk as Buffer).length;
    if (n > limit) {
      body.destroy();
      throw new RegistryError('Invalid', `response larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** basicOf gives `user:pass` in base64 from an AuthConfig, when it has a username/password. */
function basicOf(auth: AuthConfig | undefined): string | undefined {
  if (!auth) return undefined;
  if (auth.auth) return auth.auth;
  if (auth.username !== undefined) return Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64');
  return undefined;
}

/** parseChallenge reads `Bearer realm="…",service="…",scope="…"`. */
function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^(\w+)\s*(.*)$/.exec(header.trim());
  const params: Record<string, string> = {};
  for (const p of (m?.[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) params[p[1] ?? ''] = p[2] ?? '';
  return { scheme: (m?.[1] ?? '').toLowerCase(), params };
}

/** RegistryClientConfig constructs a RegistryClient. */
export interface RegistryClientConfig {
  readonly registries: RegistriesConfig;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** An endpoint that could not be reached is skipped for this long (ms), so a burst of pods offline does not retry it each. @default 30000 */
  readonly unreachableHoldMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** RegistryClient pulls images; see the file comment. */
export class RegistryClient {
  readonly #c: RegistryClientConfig;
  /** Endpoints that were unreachable, until when they are skipped. */
  readonly #down = new Map<string, { until: number; error: RegistryError }>();

  constructor(config: RegistryClientConfig) {
    this.#c = config;
  }

  /** pull fetches `ref`'s manifest, config and layers into `sink`. */
  async pull(ref: ImageReference, sink: BlobSink, auth?: AuthConfig): Promise<PulledImage> {
    const endpoints = this.#c.registries.endpointsFor(ref.registry);
    let last: RegistryError | undefined;
    const now = this.#c.now ?? Date.now;
    for (const endpoint of endpoints) {
      const down = this.#down.get(endpoint.url);
      if (down && down.until > now()) {
        last = down.error;
        continue;
      }
      const session = new RegistrySession(endpoint, ref.repository, auth ?? endpoint.auth, this.#c.timeoutMs ?? REQUEST_TIMEOUT_MS);
      let found: { manifest: Buffer; digest: string } | undefined;
      try {
        found = await this.#resolveManifest(session, ref);
      } catch (err) {
        last = err instanceof RegistryError ? err : new RegistryError('Unreachable', String(err));
        if (last.kind === 'Unreachable') this.#down.set(endpoint.url, { until: now() + (this.#c.unreachableHoldMs ?? 30_000), error: last });
        continue; // the next mirror, or the registry itself
      }
      this.#down.delete(endpoint.url);
      const manifest = JSON.parse(found.manifest.toString('utf8')) as { config?: Descriptor; layers?: Descriptor[] };
      if (!manifest.config || !Array.isArray(manifest.layers)) throw new RegistryError('Invalid', `${ref.name}: the manifest has no config or layers (schema 1 manifests are not supported)`);
      for (const d of [manifest.config, ...manifest.layers]) {
        if (d.mediaType?.includes('zstd')) throw new RegistryError('Invalid', `${ref.name}: zstd-compressed layers are not supported`);
        if (!sink.hasBlob(d.digest)) await sink.putBlob(d.digest, await session.blob(d.digest));
      }
      const config = await readAll(await session.blob(manifest.config.digest), MAX_MANIFEST_BYTES);
      return { manifest: found.manifest, manifestDigest: found.digest, config };
    }
    throw last ?? new RegistryError('Unreachable', `${ref.name}: no registry endpoint is configured for ${ref.registry} (the default endpoint is disabled)`);
  }

  async #resolveManifest(session: RegistrySession, ref: ImageReference): Promise<{ manifest: Buffer; digest: string }> {
    let { body, mediaType, digest } = await session.manifest(ref.digest ?? ref.tag ?? 'latest', ref.name);
    if (ref.digest && digest !== ref.digest) throw new RegistryError('Invalid', `${ref.name}: the registry served a manifest with digest ${digest}`);
    const parsed = JSON.parse(body.toString('utf8')) as { mediaType?: string; manifests?: Descriptor[] };
    if (INDEX_TYPES.has(mediaType) || INDEX_TYPES.has(parsed.mediaType ?? '') || Array.isArray(parsed.manifests)) {
      const arch = goArch();
      const pick = (parsed.manifests ?? []).find((m) => (m.platform?.os ?? 'linux') === 'linux' && m.platform?.architecture === arch);
      if (!pick) throw new RegistryError('NotFound', `${ref.name}: no manifest for linux/${arch} in the image index`);
      ({ body, mediaType, digest } = await session.manifest(pick.digest, ref.name));
      if (digest !== pick.digest) throw new RegistryError('Invalid', `${ref.name}: manifest ${pick.digest} arrived with digest ${digest}`);
    }
    return { manifest: body, digest };
  }
}

/** RegistrySession is one endpoint and repository, holding the bearer token once it has one. */
class RegistrySession {
  #token: string | undefined;
  /** Set once the registry challenged with Basic: credentials are then sent up front. */
  #basicAllowed = false;

  constructor(
    readonly endpoint: RegistryEndpoint,
    readonly repository: string,
    readonly auth: AuthConfig | undefined,
    readonly timeoutMs: number,
  ) {}

  async manifest(reference: string, name: string): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const res = await this.#get(`/v2/${this.repository}/manifests/${reference}`, { Accept: MANIFEST_MEDIA_TYPES.join(', ') }, name);
    const body = await readAll(res.body, MAX_MANIFEST_BYTES);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    return { body, mediaType: String(res.headers['content-type'] ?? '').split(';')[0] ?? '', digest };
  }

  async blob(digest: string): Promise<Readable> {
    return (await this.#get(`/v2/${this.repository}/blobs/${digest}`, {}, digest)).body;
  }

  /** #get requests a path, answering one auth challenge and following redirects; non-2xx become RegistryErrors. */
  async #get(path: string, headers: Record<string, string>, what: string): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const all: Record<string, string> = { ...headers };
      const basic = basicOf(this.auth);
      if (this.#token) all['Authorization'] = `Bearer ${this.#token}`;
      else if (basic && this.#basicAllowed) all['Authorization'] = `Basic ${basic}`;
      const res = await this.#request(`${this.endpoint.url}${path}`, all);
      if (res.status === 401 && attempt === 0) {
        res.body.resume();
        await this.#answer(String(res.headers['www-authenticate'] ?? ''), what);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res;
      const text = (await readAll(res.body, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
      let code = '';
      try {
        code = (JSON.parse(text) as { errors?: { code?: string }[] }).errors?.[0]?.code ?? '';
      } catch {
        // not a registry error body
      }
      if (res.status === 404) throw new RegistryError('NotFound', `${what}: not found`);
      if (res.status === 401 || res.status === 403) throw new RegistryError('Unauthorized', `pull access denied for ${what}, repository does not exist or may require authorization${code ? ` (${code})` : ''}`);
      throw new RegistryError('Unreachable', `${what}: unexpected status ${res.status} from ${this.endpoint.url}${code ? ` (${code})` : ''}`);
    }
  }

  async #answer(challenge: string, what: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === 'basic') {
      if (!basicOf(this.auth)) throw new RegistryError('Unauthorized', `pull access denied for ${what}: the registry asks for credentials and none are configured`);
      this.#basicAllowed = true;
      return;
    }
    if (scheme !== 'bearer' || !params['realm']) throw new RegistryError('Unauthorized', `pull access denied for ${what}: unsupported authentication challenge "${challenge}"`);
    if (this.auth?.registryToken) {
      this.#token = this.auth.registryToken;
      return;
    }
    const url = new URL(params['realm']);
    if (params['service']) url.searchParams.set('service', params['service']);
    url.searchParams.set('scope', params['scope'] ?? `repository:${this.repository}:pull`);
    const basic = basicOf(this.auth);
    const res = await this.#request(url.toString(), basic ? { Authorization: `Basic ${basic}` } : {});
    const body = await readAll(res.body, 1024 * 1024);
    if (res.status !== 200) throw new RegistryError('Unauthorized', `pull access denied for ${what}: the token service answered ${res.status}`);
    const parsed = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
    this.#token = parsed.token ?? parsed.access_token;
    if (!this.#token) throw new RegistryError('Unauthorized', `pull access denied for ${what}: the token service gave no token`);
  }

  /** #request does one GET, following redirects (without our Authorization when the host changes). */
  async #request(url: string, headers: Record<string, string>, redirects = 0): Promise<Response> {
    const u = new URL(url);
    const tls = this.endpoint.tls;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const opts = { method: 'GET', headers: { 'User-Agent': 'tkube-agent', ...headers }, timeout: this.timeoutMs };
      const req =
        u.protocol === 'https:'
          ? httpsRequest(u, { ...opts, ...(tls?.caPem ? { ca: tls.caPem } : {}), ...(tls?.insecureSkipVerify ? { rejectUnauthorized: false } : {}) }, resolve)
          : httpRequest(u, opts, resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(new RegistryError('Unreachable', `cannot reach ${u.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      req.end();
    });
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume();
      if (redirects >= MAX_REDIRECTS) throw new RegistryError('Unreachable', `${url}: too many redirects`);
      const next = new URL(location, u);
      const keep = next.host === u.host ? headers : Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      return this.#request(next.toString(), keep, redirects + 1);
    }
    return { status: res.statusCode ?? 0, headers: res.headers, body: res };
  }
}
