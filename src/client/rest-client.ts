/**
 * RestClient: the one way components talk to the API server — JSON over HTTPS with keep-alive, authenticated by a
 * client certificate or a bearer token, against a CA; or, for the server's own components, plain HTTP over the
 * server's loopback Unix socket (`unixSocket`) or, in the server's own process, its in-process loopback connections
 * (`connect`), authenticated by a loopback token. Every failure reaches the caller as an ApiError carrying a
 * Status; watches are async iterables of parsed events that end quietly when their AbortSignal fires.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { sharedWatchEvent } from '../api/meta/shared-watch-lines.js';
import type { KubeList, KubeObject } from '../api/meta/types.js';
import { ApiError, statusFromResponse, transportError } from './api-error.js';
import { readKubeconfig } from './kubeconfig.js';
import { resourceUrlPath, type ResourcePath } from './resource-path.js';
import { sharedSecureContext } from './secure-context-cache.js';

/** RestClientConfig is what a RestClient needs to reach and authenticate to one API server. */
export interface RestClientConfig {
  /** The server's base URL, e.g. https://127.0.0.1:6443. */
  readonly server: string;
  /** The CA that signed the serving certificate. @default the system's trusted CAs */
  readonly caPem?: string;
  /** Client certificate authentication (both or neither). */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  /** Bearer token authentication. */
  readonly token?: string;
  /** @default "tkube" */
  readonly userAgent?: string;
  /** How long a non-watch request may take. @default 60_000 */
  readonly requestTimeoutMs?: number;
  /**
   * Reach the server through this Unix socket, in plain HTTP, instead of `server` over TLS: the API server's
   * loopback socket, for components in the server's own process (authenticated by `token`, a loopback token).
   * `server` and `caPem` are still what the client reports (they name the server for anything the component
   * hands on, e.g. a join command). No client certificate with it.
   */
  readonly unixSocket?: string;
  /**
   * With `unixSocket`, the components of the API server's own process: open each connection with this instead of
   * dialling the socket (the server's in-process loopback connection, ApiServer.connectLoopback; undefined when it
   * is not served, which fails the request as a refused dial would). Same plain HTTP and token as over the socket,
   * but no kernel socket buffer between the two ends: over the socket a busy event loop moves about one buffer
   * (~100 KiB) a turn, which capped this process's watches (docs/benchmarks.md, issue 5, session 11).
   */
  readonly connect?: () => Duplex | undefined;
}

/** ListOptions select and page a list. */
export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** "" (default): the latest, consistent; "0": any cached state; otherwise not older than this. */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  readonly limit?: number;
  readonly continue?: string;
  /** Ask for PartialObjectMetadata (metadata only), as metadata informers do: far less to transfer and parse. */
  readonly metadataOnly?: boolean;
}

/** WatchOptions open a watch. */
export interface WatchOptions {
  /** Start after this resourceVersion; "" or "0" start with ADDED events for the current state. */
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** The server ends the watch after this long. */
  readonly timeoutSeconds?: number;
  /** Aborting ends the iteration without an error. */
  readonly signal?: AbortSignal;
  /** Events carry PartialObjectMetadata (metadata only). */
  readonly metadataOnly?: boolean;
}

/** WriteOptions tune create, update and patch. */
export interface WriteOptions {
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  /** Server-side apply: take over conflicting fields. */
  readonly force?: boolean;
}

/** DeleteOptions is the body of a DELETE (meta/v1 DeleteOptions). */
export interface DeleteOptions {
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: boolean;
}

/** PatchType names the patch formats the server accepts. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPE: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** WatchEventType is the `type` of a watch event. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** WatchEvent is one line of a watch stream. For ERROR the object is a Status. */
export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

type Query = Record<string, string | number | boolean | undefined>;

interface SendOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
  /** Overrides the Accept header. */
  readonly accept?: string;
}

function queryString(q: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function describe(method: string, urlPath: string): string {
  return `${method.toLowerCase()} ${urlPath}`;
}

/**
 * newAgent is a keep-alive agent for these credentials. `ca`, `cert` and `key` stay in the options because the agent
 * names its connection pools and TLS session cache by them; `secureContext` (shared, see secure-context-cache.ts)
 * is what the connections use, so they do not parse the PEMs again each.
 */
function newAgent(caPem: string | undefined, certPem: string | undefined, keyPem: string | undefined): Agent {
  const cert = certPem && keyPem ? { cert: certPem, key: keyPem } : {};
  return new Agent({ keepAlive: true, ...(caPem ? { ca: caPem } : {}), ...cert, secureContext: sharedSecureContext({ caPem, certPem, keyPem }) });
}

/** RestClient calls one API server. Create it once and share it: it keeps connections alive. */
export class RestClient {
  readonly #base: URL;
  #agent: Agent;
  /** The plain-HTTP keep-alive agent when the client goes through a Unix socket (config.unixSocket). */
  readonly #unix: { readonly path: string; readonly agent: HttpAgent } | undefined;
  /** Agents replaced by setClientCertificate: their open connections (watches) finish on the old certificate. */
  readonly #retiredAgents: Agent[] = [];
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  /** The CA bundle the server's certificate is checked against (PEM), when one was given. */
  readonly caPem: string | undefined;

  constructor(config: RestClientConfig) {
    this.#base = new URL(config.server);
    if (this.#base.protocol !== 'https:') throw new Error(`Cannot create REST client for "${config.server}": only https:// servers are supported`);
    if (Boolean(config.clientCertPem) !== Boolean(config.clientKeyPem)) {
      throw new Error('Cannot create REST client: a client certificate needs its key (and the other way round)');
    }
    if (config.unixSocket !== undefined && config.clientCertPem) throw new Error('Cannot create REST client: a Unix-socket client authenticates with a token, not a client certificate');
    this.#agent = newAgent(config.caPem, config.clientCertPem, config.clientKeyPem);
    this.#unix = config.unixSocket === undefined ? undefined : { path: config.unixSocket, agent: unixAgent(config.connect) };
    this.#headers = { 'User-Agent': config.userAgent ?? 'tkube', Accept: 'application/json' };
    if (config.token) this.#headers['Authorization'] = `Bearer ${config.token}`;
    this.#timeoutMs = config.requestTimeoutMs ?? 60_000;
    this.caPem = config.caPem;
  }

  /**
   * fromKubeconfig builds a client from a kubeconfig file's context (default: its current-context), reading
   * inline `*-data` fields or the files they name.
   */
  static fromKubeconfig(path: string, options: { context?: string; userAgent?: string; server?: string } = {}): RestClient {
    // `server` overrides the kubeconfig's (an agent dialling through its local load balancer).
    return new RestClient({
      ...restConfigFromKubeconfig(path, options),
      ...(options.server ? { server: options.server } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    });
  }

  /** server is the origin requests go to, e.g. https://10.0.0.1:6443. */
  get server(): string {
    return this.#base.origin;
  }

  /** get reads one object (or subresource). 404 → ApiError NotFound. */
  get(path: ResourcePath): Promise<KubeObject> {
    return this.#json('GET', resourceUrlPath(path)) as Promise<KubeObject>;
  }

  /** list reads a collection. A too-old resourceVersion or continue token → ApiError 410 Expired. */
  list(path: ResourcePath, options: ListOptions = {}): Promise<KubeList> {
    const { metadataOnly, ...query } = options;
    const accept = metadataOnly ? PARTIAL_METADATA_LIST : undefined;
    return this.#json('GET', resourceUrlPath({ ...path, name: undefined, subresource: undefined }), { query: { ...query }, accept }) as Promise<KubeList>;
  }

  /** create posts a new object into the collection `path`. An existing name → ApiError AlreadyExists. */
  create(path: ResourcePath, body: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    return this.#json('POST', resourceUrlPath(path), { body, query: writeQuery(options) }) as Promise<KubeObject>;
  }

  /** update replaces an object or subresource (PUT). A stale metadata.resourceVersion → ApiError Conflict. */
  update(path: ResourcePath, body: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    return this.#json('PUT', resourceUrlPath(path), { body, query: writeQuery(options) }) as Promise<KubeObject>;
  }

  /** patch changes an object or subresource with a JSON, merge, strategic merge or apply patch. */
  patch(path: ResourcePath, type: PatchType, body: unknown, options: WriteOptions = {}): Promise<KubeObject> {
    return this.#json('PATCH', resourceUrlPath(path), { body, contentType: PATCH_CONTENT_TYPE[type], query: writeQuery(options) }) as Promise<KubeObject>;
  }

  /**
   * delete removes an object. Resolves with what the server answers: the object (still present while finalizers
   * or a grace period hold it, or as it was) or a Success Status. A missing object → ApiError NotFound.
   */
  delete(path: ResourcePath, options: DeleteOptions = {}): Promise<KubeObject> {
    const { dryRun, ...rest } = options;
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', ...rest };
    return this.#json('DELETE', resourceUrlPath(path), { body, query: { dryRun: dryRun ? 'All' : undefined } }) as Promise<KubeObject>;
  }

  /** deleteCollection deletes every selected object of a collection; resolves with the server's answer (a list or Status). */
  deleteCollection(path: ResourcePath, listOptions: ListOptions = {}, options: DeleteOptions = {}): Promise<KubeObject> {
    const { dryRun, ...rest } = options;
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', ...rest };
    const urlPath = resourceUrlPath({ ...path, name: undefined, subresource: undefined });
    return this.#json('DELETE', urlPath, { body, query: { ...listOptions, dryRun: dryRun ? 'All' : undefined } }) as Promise<KubeObject>;
  }

  /** getPath reads any JSON document by URL path (discovery: /api, /apis, /api/v1); `accept` overrides the Accept header. */
  getPath(urlPath: string, accept?: string): Promise<unknown> {
    return this.#json('GET', urlPath, accept ? { accept } : {});
  }

  /**
   * watch streams events of a collection (or of one object when `path.name` is set). A failure to start (e.g.
   * HTTP 410) throws an ApiError; an ERROR event is yielded as it comes (the caller decides, e.g. relists on
   * 410). The iteration ends when the server closes the stream or `options.signal` aborts. With
   * `timeoutSeconds`, a connection silent for 60 s longer than that is treated as dead (ApiError, code 0).
   */
  async *watch(path: ResourcePath, options: WatchOptions = {}): AsyncGenerator<WatchEvent, void, undefined> {
    const { signal, metadataOnly, ...rest } = options;
    const collection = resourceUrlPath({ ...path, name: undefined, subresource: undefined });
    const query: Query = { ...rest, watch: 'true' };
    if (path.name) query['fieldSelector'] = [`metadata.name=${path.name}`, rest.fieldSelector].filter(Boolean).join(',');
    const urlPath = collection + queryString(query);
    if (signal?.aborted) return;
    let res: IncomingMessage;
    try {
      // A watch promised to end after timeoutSeconds; silence well beyond that means a dead connection.
      const idleMs = rest.timeoutSeconds !== undefined && rest.timeoutSeconds > 0 ? (rest.timeoutSeconds + 60) * 1000 : undefined;
      res = await this.#open('GET', urlPath, undefined, undefined, signal, idleMs, metadataOnly ? PARTIAL_METADATA : undefined);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    try {
      if ((res.statusCode ?? 0) !== 200) {
        const body = await readBody(res);
        throw new ApiError(statusFromResponse(res.statusCode ?? 0, body));
      }
      res.setEncoding('utf8');
      let buffered = '';
      try {
        for await (const chunk of res) {
          buffered += chunk as string;
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line !== '') yield parseWatchEvent(line, urlPath);
          }
        }
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof ApiError) throw err;
        throw transportError(`watch ${urlPath}`, err);
      }
      if (buffered.trim() !== '') yield parseWatchEvent(buffered.trim(), urlPath);
    } finally {
      res.destroy();
    }
  }

  /**
   * setClientCertificate makes new connections authenticate with another client certificate (a rotated one).
   * Connections already open keep theirs until they close: a watch is not cut, it resumes on the new certificate
   * whenever it next reconnects. Only for a client made with a client certificate.
   */
  setClientCertificate(certPem: string, keyPem: string): void {
    if (this.#unix) throw new Error('Cannot rotate the client certificate of a Unix-socket client: it authenticates with a token');
    const old = this.#agent;
    this.#agent = newAgent(this.caPem, certPem, keyPem);
    this.#retiredAgents.push(old);
    // Idle kept-alive sockets of the old certificate are dropped now; busy ones close when their request ends
    // (an agent keeping no free sockets destroys each one it gets back).
    old.maxFreeSockets = 0;
    for (const sockets of Object.values(old.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  /** close drops idle kept-alive connections; open watches end on their own signals. */
  close(): void {
    this.#agent.destroy();
    this.#unix?.agent.destroy();
    for (const a of this.#retiredAgents.splice(0)) a.destroy();
  }

  async #json(method: string, urlPath: string, options: SendOptions = {}): Promise<unknown> {
    const fullPath = urlPath + queryString(options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const contentType = body === undefined ? undefined : (options.contentType ?? 'application/json');
    let text: string;
    let code: number;
    try {
      const res = await this.#open(method, fullPath, body, contentType, undefined, this.#timeoutMs, options.accept);
      code = res.statusCode ?? 0;
      text = await readBody(res);
    } catch (err) {
      throw transportError(describe(method, urlPath), err);
    }
    if (code < 200 || code > 299) throw new ApiError(statusFromResponse(code, text));
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw transportError(`${describe(method, urlPath)} (reading the answer)`, err);
    }
  }

  #open(method: string, fullPath: string, body: string | undefined, contentType: string | undefined, signal?: AbortSignal, timeoutMs?: number, accept?: string): Promise<IncomingMessage> {
    const headers: Record<string, string> = { ...this.#headers };
    if (accept) headers['Accept'] = accept;
    if (contentType) headers['Content-Type'] = contentType;
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const unix = this.#unix;
      const req = unix
        ? httpRequest({ socketPath: unix.path, path: fullPath, method, headers: { ...headers, Host: this.#base.host }, agent: unix.agent, ...(signal ? { signal } : {}) }, resolve)
        : httpsRequest(new URL(fullPath, this.#base), { method, headers, agent: this.#agent, ...(signal ? { signal } : {}) }, resolve);
      req.on('error', reject);
      if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.end(body);
    });
  }
}

/**
 * unixAgent is the keep-alive agent of a Unix-socket client: it dials the socket, or with `connect` opens
 * in-process connections instead (RestClientConfig.connect).
 */
function unixAgent(connect: (() => Duplex | undefined) | undefined): HttpAgent {
  const agent = new HttpAgent({ keepAlive: true });
  if (connect === undefined) return agent;
  // Node's Agent takes any Duplex from createConnection; the callback form reports a refused connection as the
  // request's error.
  agent.createConnection = ((_options: unknown, onCreate: (err: Error | null, socket?: Duplex) => void): undefined => {
    const socket = connect();
    if (socket === undefined) onCreate(Object.assign(new Error('connect ECONNREFUSED: the in-process loopback is not served'), { code: 'ECONNREFUSED' }));
    else onCreate(null, socket);
    return undefined;
  }) as unknown as HttpAgent['createConnection'];
  return agent;
}

/** The media types of metadata-only reads (upstream's metadata client asks for these). */
const PARTIAL_METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

function writeQuery(options: WriteOptions): Query {
  return { dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager, force: options.force };
}

async function readBody(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

function parseWatchEvent(line: string, urlPath: string): WatchEvent {
  // A line the API server of this process just made from one of its cached objects: that object, not a copy.
  const shared = sharedWatchEvent(line);
  if (shared !== undefined) return { type: shared.type as WatchEventType, object: shared.object as KubeObject };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw transportError(`watch ${urlPath}: the server sent a line that is not JSON`, err);
  }
  const ev = parsed as { type?: unknown; object?: unknown };
  if (typeof ev !== 'object' || ev === null || typeof ev.type !== 'string' || !EVENT_TYPES.has(ev.type) || typeof ev.object !== 'object' || ev.object === null) {
    throw transportError(`watch ${urlPath}`, new Error(`unexpected event ${line.slice(0, 200)}`));
  }
  return { type: ev.type as WatchEventType, object: ev.object as KubeObject };
}

/**
 * restConfigFromKubeconfig resolves a kubeconfig file's context (default: its current-context) to the server and
 * credentials a client needs, reading inline `*-data` fields or the files they name. A missing context or cluster
 * throws an Error that names the file and what is missing.
 */
export function restConfigFromKubeconfig(path: string, options: { context?: string } = {}): RestClientConfig {
  const kc = readKubeconfig(path);
  const ctxName = options.context ?? kc['current-context'];
  const ctx = kc.contexts.find((c) => c.name === ctxName)?.['context'] as { cluster?: string; user?: string } | undefined;
  if (!ctx) throw new Error(`Cannot read kubeconfig "${path}": context "${ctxName}" not found`);
  const cluster = kc.clusters.find((c) => c.name === ctx.cluster)?.['cluster'] as Record<string, unknown> | undefined;
  if (!cluster || typeof cluster['server'] !== 'string') throw new Error(`Cannot read kubeconfig "${path}": cluster "${String(ctx.cluster)}" has no server`);
  const user = (kc.users.find((u) => u.name === ctx.user)?.['user'] ?? {}) as Record<string, unknown>;
  const pem = (section: Record<string, unknown>, field: string): string | undefined => {
    const data = section[`${field}-data`];
    if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
    const file = section[field];
    if (typeof file === 'string' && file !== '') return readFileSync(file, 'utf8');
    return undefined;
  };
  const tokenFile = user['tokenFile'];
  const token = typeof user['token'] === 'string' ? user['token'] : typeof tokenFile === 'string' ? readFileSync(tokenFile, 'utf8').trim() : undefined;
  const caPem = pem(cluster, 'certificate-authority');
  const clientCertPem = pem(user, 'client-certificate');
  const clientKeyPem = pem(user, 'client-key');
  return {
    server: cluster['server'],
    ...(caPem ? { caPem } : {}),
    ...(clientCertPem ? { clientCertPem } : {}),
    ...(clientKeyPem ? { clientKeyPem } : {}),
    ...(token ? { token } : {}),
  };
}
