/**
 * ApiServer: the API server's HTTPS front. Every request passes the same chain, in upstream's order:
 *
 *   Audit-ID → URL and RequestInfo → authentication → in-flight limit → impersonation → authorization → body → route
 *
 * and then either a route served here (health, version, metrics, discovery, OpenAPI) or the ResourceHandler.
 * Guarantees: every failure is answered with a JSON `Status` carrying its HTTP code (never a stack trace, never a
 * hang); a handler's StatusError is written as is, any other exception becomes 500 InternalError and is logged
 * once; credentials are never logged. `stop()` drains gracefully: no new connections, 429 for new requests on
 * open ones, watch streams told to end through their signal, in-flight requests awaited up to a timeout.
 */
import { isDashboardPath, type DashboardAssets } from './dashboard/dashboard-assets.js';
import { adoptWebSocketBearerToken } from './filters/websocket-bearer.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chmodSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { InProcessSocket } from '../base/net/in-process-connection.js';
import { parseGoDuration } from '../api/protobuf/go-duration.js';
import { KUBERNETES_VERSION, SERVER_GIT_VERSION } from '../api/version.js';
import { badRequest, internalError, newStatus, StatusError, tooManyRequests, unauthorized, forbidden, methodNotAllowed } from '../api/meta/status-error.js';
import type { Status } from '../api/meta/types.js';
import { RealClock, type Clock } from '../base/clock/clock.js';
import { newLogger, type Logger } from '../base/log/logger.js';
import type { StorageStats } from '../storage/storage.js';
import { ANONYMOUS_USER, authenticateRequest, rejectionReason, type Authenticator } from './filters/authentication.js';
import { AuthenticatedAuthorizer, forbiddenMessage, isAnonymousDiscovery, isPublicInfoPath, type Authorizer } from './filters/authorization.js';
import { hasImpersonationHeaders, impersonate } from './filters/impersonation.js';
import { isLongRunning, MaxInFlightLimit, releaseWhenDone } from './filters/max-in-flight.js';
import { BacklogPacer } from './filters/backlog-pacer.js';
import { ConnectionThrottle, DEFAULT_MAX_PAUSE_MS } from './filters/connection-throttle.js';
import { PriorityAndFairness } from './filters/priority-and-fairness.js';
import { readRequestBody } from './filters/request-body.js';
import { logRequest } from './filters/request-log.js';
import type { AuditRecord, Auditor } from './filters/audit.js';
import { HealthEndpoint, PING_CHECK, type HealthCheck } from './health/health-checks.js';
import { ApiServerMetrics } from './metrics/api-server-metrics.js';
import {
  acceptsJson,
  AGGREGATED_DISCOVERY_V2_MEDIA_TYPE,
  negotiateDiscovery,
  notAcceptable,
  serveDocument,
  type ServedDocument,
} from './negotiation/served-document.js';
import { encodeStatus, writeEncodedStatus, writeJson, writeStatus, writeStatusToSocket } from './negotiation/write.js';
import { negotiateOpenApiV2, OPENAPI_V2_PROTOBUF_MEDIA_TYPE, openApiV2ProtobufDocument, serveOpenApiV2Protobuf } from './openapi/openapi-v2-protobuf.js';
import { resolveRequestInfo } from './request/request-info-resolver.js';
import type { RequestInfo, UserInfo } from './request/request-info.js';
import { MAX_REQUEST_BODY_BYTES, type RequestScope, type ResourceHandler } from './request/request-scope.js';
import { RequestCancellation } from './request/request-cancellation.js';
import { feedParserThroughStream } from './request/parser-feed.js';

type MaybePromise<T> = T | Promise<T>;

/**
 * DiscoveryProvider renders the discovery documents (implemented by discovery/DiscoveryDocuments). Each method
 * returns undefined for a group or version that is not served (answered 404).
 */
export interface DiscoveryProvider {
  /** `/api` legacy document (APIVersions). */
  apiVersions(): MaybePromise<ServedDocument>;
  /** `/apis` legacy document (APIGroupList). */
  apiGroupList(): MaybePromise<ServedDocument>;
  /** `/apis/<group>` (APIGroup). */
  apiGroup(group: string): MaybePromise<ServedDocument | undefined>;
  /** `/api/v1` and `/apis/<group>/<version>` (APIResourceList); group '' is the core group. */
  apiResourceList(group: string, version: string): MaybePromise<ServedDocument | undefined>;
  /** Aggregated discovery v2 (APIGroupDiscoveryList) for `/api` or `/apis`. */
  aggregated(prefix: 'api' | 'apis'): MaybePromise<ServedDocument>;
}

/** OpenApiProvider renders the OpenAPI documents (implemented by the openapi builders). */
export interface OpenApiProvider {
  /** `/openapi/v2` (Swagger 2.0 JSON), or undefined when not served (404). */
  v2(): MaybePromise<ServedDocument | undefined>;
  /** `/openapi/v3`: `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=<hash>"},…}}`. */
  v3Index(): MaybePromise<ServedDocument>;
  /** `/openapi/v3/<path>` for a path like `api/v1` or `apis/apps/v1`, or undefined (404). */
  v3(path: string): MaybePromise<ServedDocument | undefined>;
}

/** TlsConfig is the server's certificate and the CA its client certificates must chain to. */
export interface TlsConfig {
  /** Serving certificate chain (PEM). */
  readonly certPem: string;
  /** Serving private key (PEM). */
  readonly keyPem: string;
  /** CA bundle that signs client certificates (PEM); without it no client certificate authenticates. */
  readonly clientCaPem?: string;
}

/** VersionInfo is the `/version` document (upstream's version.Info). */
export interface VersionInfo {
  readonly major: string;
  readonly minor: string;
  readonly gitVersion: string;
  readonly gitCommit: string;
  readonly gitTreeState: string;
  readonly buildDate: string;
  readonly goVersion: string;
  readonly compiler: string;
  readonly platform: string;
}

/** ApiServerConfig is the construction input of ApiServer. */
export interface ApiServerConfig {
  /** Address to listen on. @default '0.0.0.0' */
  readonly bindAddress?: string;
  /** Port to listen on; 0 picks a free port (read it from start()). @default 6443 */
  readonly port?: number;
  /** Serving certificate, key and client CA. */
  readonly tls: TlsConfig;
  /** Tried in order; the first to recognise a request's credentials wins. @default [] */
  readonly authenticators?: readonly Authenticator[];
  /** Decides every authenticated request. @default AuthenticatedAuthorizer (allows every authenticated user) */
  readonly authorizer?: Authorizer;
  /** Serves resource requests (/api/v1/..., /apis/<g>/<v>/...). */
  readonly resourceHandler: ResourceHandler;
  /**
   * Serves upgrade requests (`Connection: Upgrade`). Without it upgrade requests travel the normal path to the
   * ResourceHandler, which cannot take over the socket.
   */
  readonly upgradeHandler?: UpgradeHandler;
  /** Serves discovery; without it /api and /apis answer 404. */
  readonly discovery?: DiscoveryProvider;
  /** Serves OpenAPI; without it /openapi/* answers 404. */
  readonly openApi?: OpenApiProvider;
  /** Concurrent read-only requests (get, list, watch until it streams). 0 = unlimited. @default 400 */
  readonly maxReadOnlyInFlight?: number;
  /** Concurrent mutating requests. 0 = unlimited. @default 200 */
  readonly maxMutatingInFlight?: number;
  /**
   * Priority and fairness (upstream's APF, see filters/priority-and-fairness.ts) in place of the two plain limits:
   * their sum becomes the seats the priority levels share. @default true
   */
  readonly enablePriorityAndFairness?: boolean;
  /** How long a request may wait in its flow's queue for a seat before 429. @default 500 */
  readonly flowControlQueueWaitMs?: number;
  /**
   * Longest time a connection whose request priority and fairness refused stays unread (filters/connection-throttle.ts);
   * it is read again earlier when its flow has room. 0 = never hold connections. @default DEFAULT_MAX_PAUSE_MS
   */
  readonly flowControlMaxPauseMs?: number;
  /**
   * Connections one flow may have held unread at once; a refused connection past that is closed with its 429
   * (`Connection: close`) instead of held. @default DEFAULT_MAX_HELD_PER_FLOW (64)
   */
  readonly flowControlMaxHeldConnectionsPerFlow?: number;
  /** Fraction of flowControlMaxPauseMs by which a hold may be shorter, at random (ConnectionThrottleConfig.jitter). @default DEFAULT_PAUSE_JITTER (0.5) */
  readonly flowControlPauseJitter?: number;
  /**
   * Event-loop busy fraction above which priority and fairness paces flows that already have a backlog in the
   * global-default and workload-high levels (filters/backlog-pacer.ts), so a flood leaves the loop idle time for
   * other users. 0 = never pace (work-conserving, as upstream). @default DEFAULT_TARGET_UTILIZATION (0.35)
   */
  readonly flowControlTargetUtilization?: number;
  /** Checks of /livez (after the built-in `ping`). @default [] */
  readonly livezChecks?: readonly HealthCheck[];
  /** Checks of /readyz (after `ping` and the built-in `shutdown`, which fails while stopping). @default [] */
  readonly readyzChecks?: readonly HealthCheck[];
  /** Object counts per resource for apiserver_storage_objects. */
  readonly storageObjectCounts?: () => Promise<ReadonlyMap<string, number> | Readonly<Record<string, number>>>;
  /** Storage figures for the storage gauges. */
  readonly storageStats?: () => Promise<StorageStats>;
  /**
   * Figures of in-process components (controller manager, scheduler) in the Prometheus text format, appended to
   * /metrics: they have no port of their own. A failure is logged and leaves them out of that scrape.
   */
  readonly extraMetrics?: () => Promise<string>;
  /** Overrides of the `/version` document (e.g. gitCommit and buildDate from the build). */
  readonly version?: Partial<VersionInfo>;
  /** Largest accepted request body. @default MAX_REQUEST_BODY_BYTES (3 MiB) */
  readonly maxRequestBodyBytes?: number;
  /** Longest time a non-long-running request may take before it is answered 504 Timeout. @default 60000 */
  readonly requestTimeoutMs?: number;
  /** Time allowed to receive a request body. @default 60000 */
  readonly requestBodyTimeoutMs?: number;
  /**
   * Time allowed to receive a request's headers, from its first byte (slow-loris clients dripping headers are
   * answered 408 and disconnected). Idle keep-alive connections are not affected. @default 32000 (upstream's
   * ReadHeaderTimeout)
   */
  readonly headersTimeoutMs?: number;
  /** How often connections are checked against the header and request timeouts. @default 1000 */
  readonly connectionsCheckingIntervalMs?: number;
  /** Time stop() waits for in-flight requests before closing connections. @default 30000 */
  readonly shutdownTimeoutMs?: number;
  /** Request (debug) and failure (error) log. @default newLogger('apiserver') */
  readonly log?: Logger;
  /** Time source for body timeouts. @default RealClock */
  readonly clock?: Clock;
  /** Records audit events of the requests its policy selects; without it nothing is audited. */
  readonly audit?: Auditor;
  /**
   * Extra non-resource documents served on GET by exact path (e.g. `/.well-known/openid-configuration`); each call
   * renders the current body.
   */
  readonly extraDocuments?: ReadonlyMap<string, () => { readonly contentType: string; readonly body: string }>;
  /**
   * The web dashboard's static files, served under `/dashboard/` to anyone (they hold no cluster data; the page
   * calls the API with the viewer's credentials). Without it `/dashboard/` answers 404.
   */
  readonly dashboard?: DashboardAssets;
  /**
   * A Unix socket path for this process's own components (loopback.ts): plain HTTP, no TLS, served by the same
   * chain as the HTTPS port (authentication, authorization, admission, audit). The socket is made mode 0600; a
   * stale one left by a killed server is replaced. Without it only the HTTPS port listens.
   */
  readonly loopbackSocketPath?: string;
}

/**
 * clientErrorStatus is the answer to a request Node's parser refused before it reached us: headers past the size
 * limit (16 KiB) are a 431, headers or a request that did not arrive in time a 408, anything else a 400.
 */
function clientErrorStatus(err: NodeJS.ErrnoException): Status {
  if (err.code === 'HPE_HEADER_OVERFLOW') return newStatus(431, 'BadRequest', 'Cannot parse request: request headers are too large');
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return newStatus(408, 'Timeout', 'Cannot parse request: the request did not arrive in time');
  return newStatus(400, 'BadRequest', 'Cannot parse request: malformed HTTP request');
}

/** IDLE_CONNECTION_TIMEOUT_MS: how long an idle keep-alive connection stays open (longer than clients' 90 s). */
const IDLE_CONNECTION_TIMEOUT_MS = 120_000;

/** SHUTDOWN_MESSAGE answers requests that arrive while the server drains. */
const SHUTDOWN_MESSAGE = 'The apiserver is shutting down, please try again later.';
/** Upstream's message for a request refused by the in-flight limit or by priority and fairness. */
const TOO_MANY_REQUESTS_MESSAGE = 'Too many requests, please try again later.';
/**
 * TOO_MANY_REQUESTS is the one refusal every flow-control 429 throws: built once, because under a flood the refusals
 * are most of the requests and each new Error would capture a stack trace for nothing. Never mutated.
 */
const TOO_MANY_REQUESTS = tooManyRequests(TOO_MANY_REQUESTS_MESSAGE, 1);
/** TOO_MANY_REQUESTS_ENCODED is that refusal's body, serialised once (#fail writes it as is). */
const TOO_MANY_REQUESTS_ENCODED = encodeStatus(TOO_MANY_REQUESTS);
/**
 * REQUEST_FINISHED is the reason every finished request's cancellation carries: one Error for all of them, as nothing
 * reads its stack and building one per request (a stack trace each) was measurable under a flood of short requests.
 */
const REQUEST_FINISHED = new Error('the request is finished');
/** NOT_FOUND_MESSAGE is upstream's answer for a path nothing serves. */
const NOT_FOUND_MESSAGE = 'the server could not find the requested resource';
const ROOT_PATHS = ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/metrics', '/openapi/v2', '/openapi/v3', '/readyz', '/version'];

function notFound(): StatusError {
  return new StatusError(newStatus(404, 'NotFound', NOT_FOUND_MESSAGE, {}));
}

function platform(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return `${process.platform}/${arch}`;
}

/** defaultVersionInfo is the `/version` document of this build. */
export function defaultVersionInfo(): VersionInfo {
  const [major = '1', minor = '0'] = KUBERNETES_VERSION.replace(/^v/, '').split('.');
  return {
    major,
    minor,
    gitVersion: SERVER_GIT_VERSION,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: platform(),
  };
}

/** InFlight is one request the server is serving. */
interface InFlight {
  readonly abort: RequestCancellation;
  longRunning: boolean;
  /** The raw socket of an upgrade request, destroyed if still open when the drain times out. */
  socket?: Duplex;
}

/** Observed is what the chain has learnt about a request, for its metrics and log line. */
interface Observed {
  info?: RequestInfo;
  user?: UserInfo;
  audit?: AuditRecord;
}

/**
 * UpgradeScope is an authenticated and authorized connection upgrade (WebSocket or SPDY) of a resource request,
 * typically pods/exec, pods/attach, pods/portforward or a proxy subresource.
 */
export interface UpgradeScope {
  readonly info: RequestInfo;
  readonly user: UserInfo;
  readonly req: IncomingMessage;
  /** The raw connection; after a successful handshake the handler owns it. */
  readonly socket: Duplex;
  /** Bytes the client sent after the request headers (pass to `ws`'s handleUpgrade). */
  readonly head: Buffer;
  readonly url: URL;
  readonly auditId: string;
  /** Aborted when the server shuts down or the socket closes. */
  readonly signal: AbortSignal;
}

/**
 * UpgradeHandler serves upgrade requests. Contract: either complete the handshake (and then own the socket until it
 * closes, ending it when `signal` aborts), or throw a StatusError before writing anything: the chain writes it as
 * an HTTP response and closes the socket.
 */
export interface UpgradeHandler {
  handleUpgrade(scope: UpgradeScope): Promise<void>;
}

/** ApiServer serves the Kubernetes API over HTTPS. */
export class ApiServer {
  readonly #config: ApiServerConfig;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #authenticators: readonly Authenticator[];
  readonly #authorizer: Authorizer;
  readonly #metrics: ApiServerMetrics;
  readonly #limit: MaxInFlightLimit;
  readonly #flowControl: PriorityAndFairness | undefined;
  readonly #throttle: ConnectionThrottle;
  readonly #pacer: BacklogPacer;
  readonly #health: readonly HealthEndpoint[];
  readonly #versionInfo: VersionInfo;
  readonly #requests = new Set<InFlight>();
  #server: Server | undefined;
  /** The plain-HTTP listener on loopbackSocketPath, while started. */
  #loopback: HttpServer | undefined;
  #stopping = false;
  #drained: (() => void) | undefined;

  constructor(config: ApiServerConfig) {
    if (!config.tls.certPem || !config.tls.keyPem) throw new Error('Cannot create ApiServer: tls.certPem and tls.keyPem are required');
    this.#config = config;
    this.#log = config.log ?? newLogger('apiserver');
    this.#clock = config.clock ?? new RealClock();
    this.#authenticators = config.authenticators ?? [];
    this.#authorizer = config.authorizer ?? new AuthenticatedAuthorizer();
    const maxReadOnly = config.maxReadOnlyInFlight ?? 400;
    const maxMutating = config.maxMutatingInFlight ?? 200;
    const throttle = new ConnectionThrottle({
      clock: this.#clock,
      ...(config.flowControlMaxPauseMs !== undefined ? { maxPauseMs: config.flowControlMaxPauseMs } : {}),
      ...(config.flowControlMaxHeldConnectionsPerFlow !== undefined ? { maxHeldPerFlow: config.flowControlMaxHeldConnectionsPerFlow } : {}),
      ...(config.flowControlPauseJitter !== undefined ? { jitter: config.flowControlPauseJitter } : {}),
    });
    this.#throttle = throttle;
    this.#pacer = new BacklogPacer({ clock: this.#clock, ...(config.flowControlTargetUtilization !== undefined ? { targetUtilization: config.flowControlTargetUtilization } : {}) });
    this.#flowControl =
      config.enablePriorityAndFairness === false
        ? undefined
        : new PriorityAndFairness({
            // 0 means unlimited for either plain limit, so it does for their sum only when both are 0.
            serverConcurrencyLimit: maxReadOnly === 0 && maxMutating === 0 ? 0 : Math.max(1, maxReadOnly + maxMutating),
            clock: this.#clock,
            ...(config.flowControlQueueWaitMs !== undefined ? { queueWaitMs: config.flowControlQueueWaitMs } : {}),
            // A refused flow's connections are read again when its level has room (see #holdConnection).
            onRoom: (level, flow) => (flow === undefined ? throttle.wakeLevel(level) : throttle.wakeFlow(level, flow)),
            pacer: this.#pacer,
          });
    this.#metrics = new ApiServerMetrics({
      storageObjectCounts: config.storageObjectCounts,
      storageStats: config.storageStats,
      onError: (err) => this.#log.error('Cannot collect storage metrics', { err }),
      flowControlLevels: () => this.#flowControl?.levels() ?? [],
      flowControlBacklogGapMs: () => this.#pacer.gapMs,
    });
    // With priority and fairness the plain limit only counts, for the in-flight gauge.
    this.#limit = new MaxInFlightLimit({
      maxReadOnly: this.#flowControl ? 0 : maxReadOnly,
      maxMutating: this.#flowControl ? 0 : maxMutating,
      onChange: (kind, count) => this.#metrics.setInflight(kind, count),
    });
    const shutdownCheck: HealthCheck = {
      name: 'shutdown',
      check: () => (this.#stopping ? Promise.reject(new Error('Cannot serve: the server is shutting down')) : Promise.resolve()),
    };
    const onFailure = (name: string, err: Error): void => this.#log.warn('Health check failed', { check: name, err });
    const livez = [PING_CHECK, ...(config.livezChecks ?? [])];
    const readyz = [PING_CHECK, shutdownCheck, ...(config.readyzChecks ?? [])];
    this.#health = [
      new HealthEndpoint({ name: 'livez', checks: () => livez, onFailure, clock: this.#clock }),
      new HealthEndpoint({ name: 'readyz', checks: () => readyz, onFailure, clock: this.#clock }),
      new HealthEndpoint({ name: 'healthz', checks: () => readyz, onFailure, clock: this.#clock }),
    ];
    this.#versionInfo = { ...defaultVersionInfo(), ...config.version };
  }

  /** loopbackListening says whether the loopback socket (config.loopbackSocketPath) is being served. */
  get loopbackListening(): boolean {
    return this.#loopback !== undefined;
  }

  /**
   * connectLoopback opens an in-process connection to the loopback listener (base/net/in-process-connection.ts):
   * the same plain-HTTP chain as the loopback socket, the loopback token authenticating, without a kernel socket
   * between this process's components and the server. Undefined while the loopback is not served.
   */
  connectLoopback(): Duplex | undefined {
    const loopback = this.#loopback;
    if (loopback === undefined) return undefined;
    const [client, server] = InProcessSocket.pair();
    loopback.emit('connection', server);
    return client;
  }

  /** start listens and resolves with the bound port. Rejects if listening fails or the server already started. */
  start(): Promise<{ port: number }> {
    if (this.#server) return Promise.reject(new Error('Cannot start ApiServer: already started'));
    const { tls } = this.#config;
    const server = createServer(
      {
        cert: tls.certPem,
        key: tls.keyPem,
        ...(tls.clientCaPem ? { ca: tls.clientCaPem } : {}),
        // Ask for client certificates but let requests without (or with untrusted) ones through: bearer tokens and
        // anonymous health probes must still work. ClientCertAuthenticator checks socket.authorized.
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
        // Node checks the header and request timeouts only this often (30 s by default, which would let a
        // slow-loris connection live up to 30 s past its deadline).
        connectionsCheckingInterval: this.#config.connectionsCheckingIntervalMs ?? 1_000,
      },
      (req, res) => void this.#serve(req, res),
    );
    const upgrades = this.#config.upgradeHandler;
    if (upgrades) server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#serveUpgrade(upgrades, req, socket, head));
    // Our own body timeout answers with a Status; Node's is only the backstop.
    server.requestTimeout = (this.#config.requestBodyTimeoutMs ?? 60_000) + 30_000;
    // Clients keep idle connections for up to 90 s (Go's default transport) and do not retry a POST whose connection
    // the server closed under it: idle connections must outlive theirs, or a create fails with "socket hang up".
    server.keepAliveTimeout = IDLE_CONNECTION_TIMEOUT_MS;
    // Counted from a request's first byte, so it does not cut idle keep-alive connections (Node ≥ 18).
    server.headersTimeout = Math.min(this.#config.headersTimeoutMs ?? 32_000, server.requestTimeout);
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => writeStatusToSocket(socket, clientErrorStatus(err)));
    // After Node's own listener (added by createServer): a request arriving while a large response drains must not be
    // lost to a paused parser (request/parser-feed.ts).
    server.on('secureConnection', (socket: TLSSocket) => feedParserThroughStream(socket));
    this.#server = server;
    return new Promise<{ port: number }>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.#server = undefined;
        reject(err);
      };
      server.once('error', onError);
      server.listen(this.#config.port ?? 6443, this.#config.bindAddress ?? '0.0.0.0', () => {
        server.off('error', onError);
        this.#pacer.start();
        resolve({ port: (server.address() as AddressInfo).port });
      });
    }).then(async (bound) => {
      const path = this.#config.loopbackSocketPath;
      if (path !== undefined) {
        // Without the socket the components fall back to the HTTPS port (see loopbackListening): slower, not broken.
        this.#loopback = await this.#listenLoopback(path, server).catch((err: unknown) => {
          this.#log.warn('Cannot listen on the loopback socket; in-process components use the HTTPS port', { path, err: err instanceof Error ? err.message : String(err) });
          return undefined;
        });
      }
      return bound;
    });
  }

  /**
   * #listenLoopback serves the same chain as plain HTTP on a Unix socket, with the HTTPS server's timeouts. A
   * request arriving here carries no client certificate: only the loopback token (LoopbackAuthenticator) or
   * another bearer credential authenticates it. Rejects when the socket cannot be made.
   */
  async #listenLoopback(path: string, tlsServer: Server): Promise<HttpServer> {
    const loopback = createHttpServer({ connectionsCheckingInterval: this.#config.connectionsCheckingIntervalMs ?? 1_000 }, (req, res) => void this.#serve(req, res));
    const upgrades = this.#config.upgradeHandler;
    if (upgrades) loopback.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#serveUpgrade(upgrades, req, socket, head));
    loopback.requestTimeout = tlsServer.requestTimeout;
    loopback.keepAliveTimeout = tlsServer.keepAliveTimeout;
    loopback.headersTimeout = tlsServer.headersTimeout;
    loopback.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => writeStatusToSocket(socket, clientErrorStatus(err)));
    // A server killed with -9 leaves its socket file behind, and listen() refuses an existing path.
    rmSync(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      loopback.once('error', reject);
      loopback.listen(path, () => {
        loopback.off('error', reject);
        resolve();
      });
    });
    // Only this user (the server's) may connect; without the token a connection gets no further than 401 anyway.
    chmodSync(path, 0o600);
    return loopback;
  }

  /**
   * stop drains and closes, as upstream with --shutdown-send-retry-after: the listener stays open while in-flight
   * requests finish, and every new request meanwhile is answered 429 with Retry-After and `Connection: close`;
   * long-running requests (watches) are told to end through their signal at once. When the in-flight requests are
   * done, or after shutdownTimeoutMs, the listener and all connections close. Idempotent; resolves when closed.
   */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    if (this.#stopping) return new Promise((resolve) => server.once('close', () => resolve()));
    this.#stopping = true;
    // Held connections are read again at once, so their requests get the shutdown 429 without waiting out a pause;
    // queued requests are dispatched (to finish or time out) without pacing.
    this.#throttle.releaseAll();
    this.#pacer.stop();
    for (const r of this.#requests) if (r.longRunning) r.abort.cancel(new Error('the server is shutting down'));
    if (this.#requests.size > 0) {
      const drained = new Promise<void>((resolve) => (this.#drained = resolve));
      const timer = this.#clock.setTimer(this.#config.shutdownTimeoutMs ?? 30_000, () => this.#drained?.());
      await drained;
      timer.cancel();
    }
    for (const r of this.#requests) {
      r.abort.cancel(new Error('the server is shutting down'));
      r.socket?.destroy();
    }
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    const loopback = this.#loopback;
    const loopbackClosed = loopback ? new Promise<void>((resolve) => loopback.close(() => resolve())) : Promise.resolve();
    loopback?.closeAllConnections();
    await Promise.all([closed, loopbackClosed]);
    if (loopback && this.#config.loopbackSocketPath !== undefined) rmSync(this.#config.loopbackSocketPath, { force: true });
    this.#loopback = undefined;
    this.#server = undefined;
  }

  /**
   * #track registers a request for draining and, when `done` is called, records its metrics and log line.
   * `observed` is filled in by the caller as the chain learns the request's info and user.
   */
  #track(req: IncomingMessage, auditId: string, longRunning: boolean): { entry: InFlight; observed: Observed; done: (code: number) => void } {
    const started = performance.now();
    const entry: InFlight = { abort: new RequestCancellation(), longRunning };
    const observed: Observed = {};
    this.#requests.add(entry);
    let finished = false;
    const done = (code: number): void => {
      if (finished) return;
      finished = true;
      entry.abort.cancel(REQUEST_FINISHED);
      this.#requests.delete(entry);
      if (this.#requests.size === 0) this.#drained?.();
      const durationMs = performance.now() - started;
      observed.audit?.complete(code);
      const { info, user } = observed;
      if (info) {
        this.#metrics.observeRequest(
          {
            info,
            method: req.method ?? 'GET',
            contentType: req.headers['content-type'],
            dryRun: (req.url ?? '').includes('dryRun='),
            code,
            durationSeconds: durationMs / 1000,
          },
          entry.longRunning,
        );
      }
      logRequest(this.#log, {
        auditId,
        method: req.method ?? '',
        path: info?.path ?? (req.url ?? '').split('?')[0] ?? '',
        verb: info?.verb ?? '',
        username: user?.username ?? '',
        code,
        durationMs,
        userAgent: req.headers['user-agent'] ?? '',
        remoteAddress: req.socket.remoteAddress ?? '',
      });
    };
    return { entry, observed, done };
  }

  /**
   * #admit runs the chain up to dispatch: URL and RequestInfo, drain check, authentication, in-flight limit
   * (when `res` is given), authorization. Throws the StatusError to answer with.
   */
  async #admit(req: IncomingMessage, res: ServerResponse | undefined, auditId: string, entry: InFlight, observed: Observed): Promise<{ url: URL; info: RequestInfo; user: UserInfo }> {
    const url = parseRequestUrl(req.url);
    const info = resolveRequestInfo(req.method ?? 'GET', url);
    observed.info = info;
    const publicInfo = !info.isResourceRequest && isPublicInfoPath(info.path);
    // The dashboard's static files: no credentials needed and nothing to authorize, but still rate-limited.
    const publicAsset = !info.isResourceRequest && this.#config.dashboard !== undefined && isDashboardPath(info.path);
    // While draining, only probes are served (readyz then reports the failing `shutdown` check).
    if (this.#stopping && !publicInfo) {
      res?.setHeader('Connection', 'close');
      throw tooManyRequests(SHUTDOWN_MESSAGE, 1);
    }
    entry.longRunning ||= isLongRunning(info);
    let user = await authenticateRequest(this.#authenticators, req, (err) => this.#log.error('Cannot authenticate request', { auditID: auditId, err }));
    if (!user) {
      if (!publicInfo && !publicAsset && !isAnonymousDiscovery(info)) {
        observed.audit = this.#config.audit?.begin({ req, res, auditId, info, longRunning: entry.longRunning });
        throw unauthorized(await rejectionReason(this.#authenticators, req));
      }
      user = ANONYMOUS_USER;
    }
    observed.user = user;
    observed.audit = this.#config.audit?.begin({ req, res, auditId, info, user, longRunning: entry.longRunning });
    // Health and version stay reachable under overload, so probes see the server as alive.
    if (res && !publicInfo) await this.#takeSeat(info, user, res);
    if (!publicInfo && !publicAsset) {
      // Impersonation (kubectl --as) swaps the identity before authorization; the requestor needs `impersonate`.
      if (hasImpersonationHeaders(req)) {
        user = await impersonate(req, user, this.#authorizer);
        observed.user = user;
        observed.audit?.impersonated(user);
      }
      const decision = await this.#authorizer.authorize(user, info);
      if (!decision.allowed) throw forbidden(forbiddenMessage(user, info, decision.reason));
    }
    return { url, info, user };
  }

  /**
   * #takeSeat holds a seat of the request's priority level (or, without priority and fairness, a plain in-flight
   * slot) until the response closes, or for long-running requests until they start streaming. Throws 429 with
   * Retry-After when refused.
   */
  async #takeSeat(info: RequestInfo, user: UserInfo, res: ServerResponse): Promise<void> {
    const flowControl = this.#flowControl;
    if (!flowControl) {
      if (!this.#limit.tryAcquire(info, res)) throw TOO_MANY_REQUESTS;
      return;
    }
    // A client that gives up while queued must not keep the seat it is granted later.
    let closed = false;
    res.once('close', () => (closed = true));
    const admission = await flowControl.acquire(info, user);
    if (!admission.admitted) {
      this.#metrics.observeRejected(admission.flowSchema, admission.level, admission.reason);
      this.#holdConnection(res, admission.level, user.username);
      throw TOO_MANY_REQUESTS;
    }
    if (closed) {
      admission.release();
      this.#metrics.observeRejected(admission.flowSchema, admission.level, 'cancelled');
      throw TOO_MANY_REQUESTS;
    }
    if (res.socket) this.#throttle.admitted(res.socket);
    releaseWhenDone(info, res, admission.release);
    this.#limit.tryAcquire(info, res);
  }

  /**
   * #holdConnection stops reading the connection of a refused request once its 429 is written, until its flow has
   * room (filters/connection-throttle.ts): a client that ignores Retry-After then costs the server nothing meanwhile.
   * The pause starts at the response's `close`, after Node's own end-of-response handling, which may resume the socket.
   */
  #holdConnection(res: ServerResponse, level: string, flow: string): void {
    const socket = res.socket;
    if (!socket || (this.#config.flowControlMaxPauseMs ?? DEFAULT_MAX_PAUSE_MS) <= 0) return;
    if (!this.#throttle.canHold(level, flow)) {
      // The flow already has its share of held connections: this one is closed with its 429 rather than kept.
      res.setHeader('Connection', 'close');
      return;
    }
    res.once('close', () => {
      if (!this.#stopping) this.#throttle.hold(socket, level, flow);
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auditId = randomUUID();
    res.setHeader('Audit-Id', auditId);
    const { entry, observed, done } = this.#track(req, auditId, false);
    res.once('close', () => done(res.statusCode));
    try {
      const { url, info, user } = await this.#admit(req, res, auditId, entry, observed);
      if (!entry.longRunning) this.#startDeadline(url, res, entry);
      if (info.isResourceRequest) await this.#serveResource(req, res, url, info, user, entry.abort, observed.audit);
      else await this.#serveNonResource(req, res, url, info.path);
    } catch (err) {
      this.#fail(res, err, auditId);
    }
  }

  /**
   * #startDeadline bounds a non-long-running request by requestTimeoutMs, or by a shorter `?timeout=` (a Go
   * duration, as client-go sends): when it passes, an unanswered request gets 504 Timeout and its signal aborts.
   */
  #startDeadline(url: URL, res: ServerResponse, entry: InFlight): void {
    const maxMs = this.#config.requestTimeoutMs ?? 60_000;
    let ms = maxMs;
    const param = url.searchParams.get('timeout');
    if (param !== null && param !== '') {
      const nanos = parseGoDuration(param);
      if (nanos === undefined) throw badRequest('invalid timeout specified in the request URL');
      if (nanos > 0) ms = Math.min(maxMs, nanos / 1e6);
    }
    const timer = this.#clock.setTimer(ms, () => {
      if (!res.headersSent) writeStatus(res, new StatusError(newStatus(504, 'Timeout', 'Timeout: request did not complete within requested timeout - context deadline exceeded', {})));
      entry.abort.cancel(new Error('the request timed out'));
    });
    res.once('close', () => timer.cancel());
  }

  /** #serveUpgrade runs the chain for an upgrade request and hands the socket to the UpgradeHandler. */
  async #serveUpgrade(handler: UpgradeHandler, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A browser's bearer token arrives as a WebSocket subprotocol; authentication reads it from the header.
    adoptWebSocketBearerToken(req);
    const auditId = randomUUID();
    const { entry, observed, done } = this.#track(req, auditId, true);
    entry.socket = socket;
    let code = 101;
    socket.once('close', () => done(code));
    socket.on('error', () => socket.destroy());
    try {
      const { url, info, user } = await this.#admit(req, undefined, auditId, entry, observed);
      if (!info.isResourceRequest) throw notFound();
      await handler.handleUpgrade({ info, user, req, socket, head, url, auditId, signal: entry.abort.signal });
    } catch (err) {
      const status = this.#statusFor(err, auditId);
      code = status.status.code;
      writeStatusToSocket(socket, status, { 'Audit-Id': auditId });
    }
  }

  async #serveResource(req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, user: UserInfo, cancellation: RequestCancellation, audit: AuditRecord | undefined): Promise<void> {
    const body = await readRequestBody(req, {
      limitBytes: this.#config.maxRequestBodyBytes ?? MAX_REQUEST_BODY_BYTES,
      timeoutMs: this.#config.requestBodyTimeoutMs ?? 60_000,
      clock: this.#clock,
    });
    this.#config.audit?.recordRequestBody(req, body);
    const scope: RequestScope = {
      info,
      user,
      req,
      res,
      url,
      body,
      get signal() {
        return cancellation.signal;
      },
      ...(audit ? { annotateAudit: (key: string, value: string) => audit.annotate(key, value) } : {}),
    };
    await this.#config.resourceHandler.handle(scope);
    if (!res.headersSent) throw internalError('the handler returned without answering');
  }

  async #serveNonResource(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const health = this.#health.find((h) => path === h.path || path.startsWith(`${h.path}/`));
    const dashboard = this.#config.dashboard;
    if (dashboard && isDashboardPath(path)) {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(`the server does not allow this method on the requested resource`);
      return dashboard.serve(path, req, res);
    }
    if (method !== 'GET' && method !== 'HEAD') {
      if (health || ROOT_PATHS.includes(path) || path.startsWith('/apis') || path.startsWith('/api/') || path.startsWith('/openapi/')) {
        throw methodNotAllowed(`the server does not allow this method on the requested resource`);
      }
      throw notFound();
    }
    if (health) return health.serve(path, url.searchParams, res);
    const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
    if (trimmed === '/version') return writeJson(res, 200, JSON.stringify(this.#versionInfo, null, 2));
    const extra = this.#config.extraDocuments?.get(trimmed);
    if (extra) {
      const doc = extra();
      res.statusCode = 200;
      res.setHeader('Content-Type', doc.contentType);
      res.end(doc.body);
      return;
    }
    if (trimmed === '/metrics') {
      let text = await this.#metrics.render();
      if (this.#config.extraMetrics) {
        const extra = await this.#config.extraMetrics().catch((err: unknown) => {
          this.#log.error('Cannot collect component metrics', { err: err instanceof Error ? err.message : String(err) });
          return '';
        });
        if (extra !== '') text = `${text.endsWith('\n') || text === '' ? text : `${text}\n`}${extra}`;
      }
      res.statusCode = 200;
      res.setHeader('Content-Type', this.#metrics.contentType);
      res.end(text);
      return;
    }
    if (trimmed === '/') return writeJson(res, 200, { paths: ROOT_PATHS });
    const parts = trimmed.split('/').filter((p) => p !== '');
    if (parts[0] === 'api' || parts[0] === 'apis') return this.#serveDiscovery(req, res, parts);
    if (parts[0] === 'openapi') return this.#serveOpenApi(req, res, url, parts.slice(1));
    throw notFound();
  }

  async #serveDiscovery(req: IncomingMessage, res: ServerResponse, parts: readonly string[]): Promise<void> {
    const discovery = this.#config.discovery;
    if (!discovery) throw notFound();
    const [prefix, a, b] = parts;
    if (parts.length === 1 && (prefix === 'api' || prefix === 'apis')) {
      if (negotiateDiscovery(req.headers.accept) === 'aggregated') {
        return serveDocument(req, res, await discovery.aggregated(prefix), { contentType: AGGREGATED_DISCOVERY_V2_MEDIA_TYPE, varyAccept: true });
      }
      const doc = prefix === 'api' ? await discovery.apiVersions() : await discovery.apiGroupList();
      return serveDocument(req, res, doc, { varyAccept: true });
    }
    let doc: ServedDocument | undefined;
    if (prefix === 'api' && parts.length === 2 && a) doc = await discovery.apiResourceList('', a);
    else if (prefix === 'apis' && parts.length === 2 && a) doc = await discovery.apiGroup(a);
    else if (prefix === 'apis' && parts.length === 3 && a && b) doc = await discovery.apiResourceList(a, b);
    if (!doc) throw notFound();
    if (!acceptsJson(req.headers.accept)) throw notAcceptable(['application/json']);
    return serveDocument(req, res, doc);
  }

  async #serveOpenApi(req: IncomingMessage, res: ServerResponse, url: URL, parts: readonly string[]): Promise<void> {
    const openApi = this.#config.openApi;
    if (!openApi) throw notFound();
    const [version, ...rest] = parts;
    let doc: ServedDocument | undefined;
    let cacheControl: string | undefined;
    if (version === 'v2' && rest.length === 0) {
      doc = await openApi.v2();
      if (!doc) throw notFound();
      // kubectl 1.27 and 1.28 accept only the protobuf form here; it is derived from (and cached with) the JSON.
      const format = negotiateOpenApiV2(req.headers.accept);
      if (format === undefined) throw notAcceptable(['application/json', OPENAPI_V2_PROTOBUF_MEDIA_TYPE]);
      if (format === 'protobuf') return serveOpenApiV2Protobuf(req, res, openApiV2ProtobufDocument(doc));
      return serveDocument(req, res, doc, { varyAccept: true });
    } else if (version === 'v3' && rest.length === 0) {
      doc = await openApi.v3Index();
    } else if (version === 'v3') {
      const path = rest.join('/');
      doc = await openApi.v3(path);
      const hash = url.searchParams.get('hash');
      if (doc && hash !== null) {
        if (hash !== doc.hash) {
          // A stale link: send the client to the current version of the document, as upstream does.
          res.statusCode = 301;
          res.setHeader('Location', `/openapi/v3/${path}?hash=${doc.hash}`);
          res.end();
          return;
        }
        cacheControl = 'public, immutable, max-age=31536000';
      }
    }
    if (!doc) throw notFound();
    // We render JSON only; clients that insist on the protobuf forms get 406 and can retry with JSON.
    if (!acceptsJson(req.headers.accept)) throw notAcceptable(['application/json']);
    return serveDocument(req, res, doc, cacheControl ? { cacheControl } : {});
  }

  /** #statusFor turns a thrown value into the Status to answer; unexpected errors are logged once, here. */
  #statusFor(err: unknown, auditId: string): StatusError {
    if (err instanceof StatusError) return err;
    const message = err instanceof Error ? err.message : String(err);
    this.#log.error('Cannot serve request', { auditID: auditId, err: message, stack: err instanceof Error ? err.stack : undefined });
    return internalError(message);
  }

  #fail(res: ServerResponse, err: unknown, auditId: string): void {
    const status = this.#statusFor(err, auditId);
    if (res.headersSent) {
      // A stream broke after its headers went out: the only honest signal left is closing the connection.
      res.destroy();
      return;
    }
    const code = status.status.code;
    // A refused upload is drained so the client reads its 413 (see drainBody); a body that never arrived (408)
    // ends the connection.
    if (code === 413) drainBody(res);
    else if (code === 408) res.setHeader('Connection', 'close');
    if (status === TOO_MANY_REQUESTS) writeEncodedStatus(res, TOO_MANY_REQUESTS_ENCODED);
    else writeStatus(res, status);
  }
}

/** DRAIN_LIMIT_BYTES, DRAIN_LIMIT_MS bound how much of a refused body the server reads and throws away. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
const DRAIN_LIMIT_MS = 10_000;

/**
 * drainBody reads and discards the rest of a refused (413) request body. A client is usually still uploading when
 * the 413 is written; closing the connection then resets it under the client, which reports "broken pipe" instead
 * of the 413. So the connection stays open while the body drains, bounded in bytes and time: past either bound the
 * socket is destroyed.
 */
function drainBody(res: ServerResponse): void {
  const req = res.req;
  const socket = req.socket;
  let seen = 0;
  const stop = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(stop, DRAIN_LIMIT_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_LIMIT_BYTES) stop();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * parseRequestUrl turns a request target into a URL. Only origin-form targets (`/path?query`) are served;
 * anything else, or a target the URL parser refuses, is a 400.
 */
function parseRequestUrl(target: string | undefined): URL {
  if (!target || !target.startsWith('/')) throw new StatusError(newStatus(400, 'BadRequest', `Cannot parse request URL "${target ?? ''}": not a path`));
  try {
    // A fixed origin: the target must never be read as a protocol-relative URL (`//host/...`).
    return new URL(`https://apiserver.invalid${target}`);
  } catch {
    throw new StatusError(newStatus(400, 'BadRequest', `Cannot parse request URL "${target}"`));
  }
}
