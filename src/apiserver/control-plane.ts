/**
 * ControlPlane: the API server assembled from its parts — resource dispatcher (generic stores, watch caches),
 * review APIs, discovery and OpenAPI documents, authentication, health checks, metrics, bootstrap objects and
 * the compaction loop — over one Storage. boot/ supplies storage, certificates and configuration.
 */
import { StatusError } from '../api/meta/status-error.js';
import { decodeKubernetesProtobuf } from '../api/protobuf/kubernetes-protobuf.js';
import { builtinSchemas } from '../api/schema/schema-registry.js';
import { BUILTIN_RESOURCES } from '../api/scheme.js';
import type { UserInfo } from './request/request-info.js';
import { RealClock, type Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { Storage } from '../storage/storage.js';
import { DiscoveryDocuments } from './discovery/discovery-documents.js';
import { ClientCertAuthenticator, TokenAuthenticator, type Authenticator } from './filters/authentication.js';
import { AuthenticatedAuthorizer, type Authorizer } from './filters/authorization.js';
import { ResourceDispatcher } from './handlers/resource-dispatcher.js';
import { OpenApiDocuments } from './openapi/openapi-documents.js';
import { bootstrapCluster } from './registry/bootstrap.js';
import { Compactor } from './registry/compactor.js';
import { BUILTIN_STRATEGIES } from './registry/resources/index.js';
import { ReviewHandler } from './reviews/review-handler.js';
import { PodLogHandler } from './podlogs/pod-log-handler.js';
import { ServiceAccountAuthenticator } from './serviceaccount/service-account-authenticator.js';
import { TokenRequestHandler } from './serviceaccount/token-request-handler.js';
import { TokenSigner } from './serviceaccount/token-signer.js';
import { ApiServer, type OpenApiProvider } from './server.js';

/** ControlPlaneConfig is the construction input of ControlPlane. */
export interface ControlPlaneConfig {
  readonly storage: Storage;
  readonly bindAddress: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly clientCaPem: string };
  /** PKCS#8 PEM key that signs service-account tokens. */
  readonly serviceAccountKeyPem: string;
  /** Static bearer tokens. */
  readonly staticTokens?: ReadonlyMap<string, UserInfo>;
  /** @default "10.43.0.0/16" */
  readonly serviceCidr: string;
  /** The `kubernetes` Service's cluster IP (first address of serviceCidr). */
  readonly kubernetesServiceIp: string;
  /** The address in-cluster clients reach the API at (the `kubernetes` Endpoints). */
  readonly advertiseAddress: string;
  readonly log: Logger;
  /** @default 5 minutes */
  readonly compactionIntervalMs?: number;
  /** @default 1000 */
  readonly compactionKeepRevisions?: number;
  /** @default RealClock */
  readonly clock?: Clock;
}

/** ControlPlane runs the API server. */
export class ControlPlane {
  readonly #config: ControlPlaneConfig;
  readonly #dispatcher: ResourceDispatcher;
  readonly #server: ApiServer;
  readonly #compactor: Compactor;
  #port = 0;

  constructor(config: ControlPlaneConfig) {
    this.#config = config;
    const clock = config.clock ?? new RealClock();
    const schemas = builtinSchemas();
    this.#dispatcher = new ResourceDispatcher({
      storage: config.storage,
      clock,
      resources: BUILTIN_RESOURCES,
      strategies: BUILTIN_STRATEGIES,
      schemas,
      decodeProtobuf: (body) => decodeKubernetesProtobuf(body, schemas).object,
      serviceCidr: config.serviceCidr,
    });
    const discovery = new DiscoveryDocuments({ resources: BUILTIN_RESOURCES });
    const openapi = new OpenApiDocuments({ resources: BUILTIN_RESOURCES, schemas });
    const openApiProvider: OpenApiProvider = {
      v2: () => openapi.v2(),
      v3Index: () => openapi.v3Index(),
      v3: (path) => openapi.v3Document(path),
    };
    const dispatcher = this.#dispatcher;
    const storeFor = (group: string, resource: string) => dispatcher.storeFor(group, resource);
    const signer = new TokenSigner(config.serviceAccountKeyPem);
    const serviceAccounts = new ServiceAccountAuthenticator({ signer, clock, store: storeFor });
    const tokens = new TokenAuthenticator(config.staticTokens ?? new Map());
    const authenticators: Authenticator[] = [new ClientCertAuthenticator(), tokens, serviceAccounts];
    const authorizer: Authorizer = new AuthenticatedAuthorizer();
    const podLogs = new PodLogHandler({ next: dispatcher, pods: () => dispatcher.storeFor('', 'pods') });
    const tokenRequests = new TokenRequestHandler({ next: podLogs, signer, clock, schemaLookup: schemas, store: storeFor });
    const reviews = new ReviewHandler({
      next: tokenRequests,
      schemaLookup: schemas,
      review: async (attrs) => {
        const d = await authorizer.authorize(attrs.user, {
          isResourceRequest: attrs.isResourceRequest,
          path: attrs.path,
          verb: attrs.verb,
          apiPrefix: attrs.apiGroup === '' ? 'api' : 'apis',
          apiGroup: attrs.apiGroup,
          apiVersion: '',
          namespace: attrs.namespace,
          resource: attrs.resource,
          subresource: attrs.subresource,
          name: attrs.name,
          parts: [],
        });
        return { allowed: d.allowed, reason: d.reason };
      },
      tokenReview: async (token) => tokens.authenticateToken(token) ?? serviceAccounts.authenticateToken(token),
    });
    this.#server = new ApiServer({
      bindAddress: config.bindAddress,
      port: config.port,
      tls: config.tls,
      authenticators,
      authorizer,
      resourceHandler: reviews,
      discovery,
      openApi: openApiProvider,
      readyzChecks: [{ name: 'etcd', check: async () => void (await config.storage.currentRevision()) }],
      livezChecks: [{ name: 'etcd', check: async () => void (await config.storage.currentRevision()) }],
      storageStats: () => config.storage.stats(),
      log: config.log,
    });
    this.#compactor = new Compactor({
      storage: config.storage,
      clock,
      intervalMs: config.compactionIntervalMs,
      keepRevisions: config.compactionKeepRevisions,
      onError: (err) => config.log.warn('Compaction failed', { err }),
    });
  }

  /** start starts the watch caches, listens, and creates the bootstrap objects. Resolves with the port. */
  async start(): Promise<number> {
    await this.#dispatcher.start();
    const { port } = await this.#server.start();
    this.#port = port;
    const store = (group: string, resource: string) => {
      const s = this.#dispatcher.storeFor(group, resource);
      if (!s) throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, message: `no store for ${resource}` });
      return s;
    };
    await bootstrapCluster({
      namespaces: store('', 'namespaces'),
      services: store('', 'services'),
      endpoints: this.#dispatcher.storeFor('', 'endpoints'),
      endpointSlices: this.#dispatcher.storeFor('discovery.k8s.io', 'endpointslices'),
      kubernetesServiceIp: this.#config.kubernetesServiceIp,
      advertiseAddress: this.#config.advertiseAddress,
      securePort: port,
    });
    this.#compactor.start();
    return port;
  }

  /** The port the API server listens on (after start). */
  get port(): number {
    return this.#port;
  }

  /** stop drains the API server and stops background loops. */
  async stop(): Promise<void> {
    this.#compactor.stop();
    await this.#server.stop();
    this.#dispatcher.stop();
  }
}
