/**
 * ControlPlane: the API server assembled from its parts — resource dispatcher (generic stores, watch caches),
 * review APIs, discovery and OpenAPI documents, authentication, health checks, metrics, bootstrap objects and
 * the compaction loop — over one Storage. boot/ supplies storage, certificates and configuration.
 */
import type { Duplex } from 'node:stream';
import type { ResourceHandler } from './request/request-scope.js';
import type { DashboardAssets } from './dashboard/dashboard-assets.js';
import { WebSocketWatch } from './watch/websocket-watch.js';
import { StatusError } from '../api/meta/status-error.js';
import { decodeKubernetesProtobuf } from '../api/protobuf/kubernetes-protobuf.js';
import { builtinSchemas } from '../api/schema/schema-registry.js';
import { BUILTIN_RESOURCES } from '../api/scheme.js';
import type { UserInfo } from './request/request-info.js';
import { RealClock, type Clock, type Timer } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { Storage } from '../storage/storage.js';
import { DiscoveryDocuments } from './discovery/discovery-documents.js';
import { ClientCertAuthenticator, TokenAuthenticator, type Authenticator } from './filters/authentication.js';
import { AuthenticatedAuthorizer, type Authorizer } from './filters/authorization.js';
import { NodeAuthorizer } from './authorization/node-authorizer.js';
import { NodeRestriction } from './authorization/node-restriction.js';
import { bootstrapPolicy } from './authorization/policy-bootstrap.js';
import type { PolicyRule } from './authorization/policy-rule.js';
import { RbacAuthorizer } from './authorization/rbac-authorizer.js';
import { RBAC_GROUP, RbacCacheFeed } from './authorization/rbac-cache-feed.js';
import { RbacEscalationCheck } from './authorization/rbac-escalation.js';
import { StoreNodeGraph } from './authorization/store-node-graph.js';
import { UnionAuthorizer } from './authorization/union-authorizer.js';
import { ResourceDispatcher } from './handlers/resource-dispatcher.js';
import type { AdmissionPlugin } from './admission/admission.js';
import { newAdmissionChain, type BuiltAdmission } from './admission/admission-plugins.js';
import { CertificateApproval, CertificateSigning } from './admission/certificate-signer-permission.js';
import { SYSTEM_PRIORITY_CLASSES } from './admission/priority.js';
import { StoreObjectReader } from './admission/store-object-reader.js';
import { KubeDirectorClusterAdmission } from './admission/kubedirector-cluster.js';
import { ApiExtensionsHandler } from './apiextensions/apiextensions-handler.js';
import { CrdController } from './apiextensions/crd-controller.js';
import { withCrdStrategy } from './apiextensions/crd-strategy.js';
import { OpenApiDocuments } from './openapi/openapi-documents.js';
import { bootstrapCluster } from './registry/bootstrap.js';
import { Compactor } from './registry/compactor.js';
import { BUILTIN_STRATEGIES } from './registry/resources/index.js';
import { ReviewHandler } from './reviews/review-handler.js';
import { PodLogHandler } from './podlogs/pod-log-handler.js';
import { kubeletLogStreamer, type KubeletClientConfig } from './podlogs/kubelet-log-streamer.js';
import { PodStreamProxy } from './podstreams/pod-stream-proxy.js';
import { ServiceAccountAuthenticator } from './serviceaccount/service-account-authenticator.js';
import { TokenRequestHandler } from './serviceaccount/token-request-handler.js';
import { SERVICE_ACCOUNT_ISSUER, TokenSigner } from './serviceaccount/token-signer.js';
import { issuerDiscoveryDocuments } from './serviceaccount/service-account-issuer-discovery.js';
import { BootstrapTokenAuthenticator } from './filters/bootstrap-token-authenticator.js';
import { LegacyTokenController } from './serviceaccount/legacy-token-controller.js';
import { Auditor } from './filters/audit.js';
import type { AuditEvent } from './audit/audit-event.js';
import type { AuditPolicy } from './audit/audit-policy.js';
import { decodeBody } from './negotiation/decode-body.js';
import { resolveServiceReference } from './webhook/service-reference.js';
import { ApiServer, type OpenApiProvider } from './server.js';
import { MetricsApiHandler } from './metrics-apis/metrics-api-handler.js';
import type { MetricsApiProvider } from './metrics-apis/metrics-api-provider.js';
import type { CustomMetricsProvider } from '../api/custommetrics/custom-metrics-provider.js';
import type { ResourceInfo } from '../api/scheme.js';
import { LoopbackAuthenticator } from './filters/loopback-authentication.js';
import { CustomMetricsHandler } from './custommetrics/custom-metrics-handler.js';
import { customMetricsResources } from './custommetrics/custom-metrics-discovery.js';

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
  /**
   * The loopback socket for this process's own components (plain HTTP on a Unix socket, same chain) and the
   * per-boot tokens that authenticate on it only (LoopbackAuthenticator). Without it components use HTTPS.
   */
  readonly loopback?: { readonly socketPath: string; readonly tokens: ReadonlyMap<string, UserInfo> };
  /** The Service ranges, comma-separated, at most one per family (dual-stack), e.g. "10.43.0.0/16,fd00:43::/112". */
  readonly serviceCidr: string;
  /** The `kubernetes` Service's cluster IP (first address of the IPv4 service range; single-stack, as upstream). */
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
  /** Audit policy and where its events go; without it nothing is audited. */
  readonly audit?: { readonly policy: AuditPolicy; readonly sink: (event: AuditEvent) => void };
  /** Admission plugins to run, by upstream name (selectAdmissionPlugins). @default DEFAULT_ADMISSION_PLUGINS */
  readonly enabledAdmissionPlugins?: readonly string[];
  /** Seconds new pods tolerate not-ready / unreachable nodes (DefaultTolerationSeconds). @default 300 each */
  readonly defaultTolerationSeconds?: { readonly notReady?: number; readonly unreachable?: number };
  /** How the API server calls kubelets (pods/log); without it bound pods' logs answer 503. */
  readonly kubeletClient?: KubeletClientConfig;
  /** In-process admission plugins (the TypeScript extension point), run after the built-in ones of each phase. */
  readonly admissionPlugins?: readonly AdmissionPlugin[];
  /** "RBAC" (RBAC, then the Node authorizer) or "AlwaysAllow" (every authenticated user may do anything). @default "RBAC" */
  readonly authorizationMode?: 'RBAC' | 'AlwaysAllow';
  /**
   * API groups served from memory instead of storage (metrics.k8s.io, custom and external metrics): published in
   * discovery beside the built-in groups and routed to their provider before the dispatcher. @default []
   */
  readonly metricsApis?: readonly MetricsApiProvider[];
  /** Prometheus text of in-process components, appended to /metrics (ApiServerConfig.extraMetrics). */
  readonly extraMetrics?: () => Promise<string>;
  /** The web dashboard's built files, served under /dashboard/; without it /dashboard/ answers 404. */
  readonly dashboard?: DashboardAssets;
  /** ApiServerConfig.maxReadOnlyInFlight (`--max-requests-inflight`). @default 400 */
  readonly maxReadOnlyInFlight?: number;
  /** ApiServerConfig.maxMutatingInFlight (`--max-mutating-requests-inflight`). @default 200 */
  readonly maxMutatingInFlight?: number;
}

/** How often a bootstrap refused by a full store (507) is tried again. */
const BOOTSTRAP_RETRY_MS = 5000;

/** ControlPlane runs the API server. */
export class ControlPlane {
  readonly #config: ControlPlaneConfig;
  readonly #dispatcher: ResourceDispatcher;
  readonly #server: ApiServer;
  readonly #compactor: Compactor;
  #legacyTokens: LegacyTokenController | undefined;
  readonly #admission: BuiltAdmission;
  readonly #crdController: CrdController;
  readonly #rbacFeed: RbacCacheFeed | undefined;
  readonly #customMetrics: CustomMetricsHandler;
  /** Publishes built-in + custom resources and the metrics APIs' entries to discovery. */
  readonly #publishDiscovery: (resources?: readonly ResourceInfo[]) => void;
  #policyBootstrapped = false;
  #port = 0;
  readonly #clock: Clock;
  /** The next bootstrap attempt, while a store over its size quota keeps the bootstrap from finishing. */
  #bootstrapRetry: Timer | undefined;
  #stopped = false;

  constructor(config: ControlPlaneConfig) {
    this.#config = config;
    const clock = config.clock ?? new RealClock();
    this.#clock = clock;
    const schemas = builtinSchemas();
    // RBAC decisions come from memory fed by the RBAC watch caches; the Node authorizer reads the pods cache.
    const rbac = (config.authorizationMode ?? 'RBAC') === 'RBAC' ? new RbacAuthorizer() : undefined;
    const authorizer: Authorizer = rbac
      ? new UnionAuthorizer([rbac, new NodeAuthorizer(new StoreNodeGraph(() => this.#dispatcher.storeFor('', 'pods')))])
      : new AuthenticatedAuthorizer();
    this.#rbacFeed = rbac ? new RbacCacheFeed({ authorizer: rbac, storeFor: (g, r) => this.#dispatcher.storeFor(g, r), log: config.log.child('rbac') }) : undefined;
    const rbacPlugins: AdmissionPlugin[] = rbac ? [new RbacEscalationCheck({ rbac, authorizer, roleRules: (kind, ns, name) => this.#roleRules(kind, ns, name) })] : [];
    // Plugins read through the dispatcher's stores (watch caches); the reader resolves them lazily.
    const admissionReader = new StoreObjectReader((group, resource) => this.#dispatcher.storeFor(group, resource));
    this.#admission = newAdmissionChain({
      reader: admissionReader,
      enabled: config.enabledAdmissionPlugins,
      factories: new Map<string, () => AdmissionPlugin>([
        ['NodeRestriction', () => new NodeRestriction()],
        ['CertificateApproval', () => new CertificateApproval(authorizer)],
        ['CertificateSigning', () => new CertificateSigning(authorizer)],
      ]),
      // KubeDirectorCluster checks (KubeDirector's webhook, built in) look only at the KubeDirector groups' clusters.
      extraPlugins: [...rbacPlugins, new KubeDirectorClusterAdmission(admissionReader), ...(config.admissionPlugins ?? [])],
      onError: (err) => config.log.warn('Cannot refresh ResourceQuota status', { err }),
      defaultTolerationSeconds: config.defaultTolerationSeconds,
    });
    if (this.#admission.skipped.length > 0) config.log.info('Admission plugins accepted but not implemented', { plugins: this.#admission.skipped.join(',') });
    this.#dispatcher = new ResourceDispatcher({
      admission: this.#admission.chain,
      storage: config.storage,
      clock,
      resources: BUILTIN_RESOURCES,
      strategies: withCrdStrategy(BUILTIN_STRATEGIES),
      schemas,
      decodeProtobuf: (body) => decodeKubernetesProtobuf(body, schemas).object,
      serviceCidr: config.serviceCidr,
    });
    const metricsApis = config.metricsApis ?? [];
    const metricsResources = metricsApis.flatMap((p) => p.resources);
    const discovery = new DiscoveryDocuments({ resources: [...BUILTIN_RESOURCES, ...metricsResources] });
    // Discovery = the CRD controller's list (built-ins + custom resources) + metrics.k8s.io + the custom and
    // external metrics APIs' current metrics.
    let servedResources: readonly ResourceInfo[] = BUILTIN_RESOURCES;
    this.#publishDiscovery = (resources) => {
      if (resources) servedResources = resources;
      discovery.setResources([...servedResources, ...metricsResources, ...customMetricsResources(this.#customMetrics.provider)]);
    };
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
    const bootstrapTokens = new BootstrapTokenAuthenticator({ secrets: () => dispatcher.storeFor('', 'secrets'), clock });
    const secretStore = dispatcher.storeFor('', 'secrets');
    const serviceAccountStore = dispatcher.storeFor('', 'serviceaccounts');
    if (secretStore && serviceAccountStore) {
      this.#legacyTokens = new LegacyTokenController({
        secrets: secretStore,
        serviceAccounts: serviceAccountStore,
        signer,
        caPem: config.tls.clientCaPem,
        log: config.log.child('legacy-tokens'),
      });
    }
    const authenticators: Authenticator[] = [
      ...(config.loopback ? [new LoopbackAuthenticator(config.loopback.tokens)] : []),
      new ClientCertAuthenticator(),
      tokens,
      bootstrapTokens,
      serviceAccounts,
    ];
    const crdStore = dispatcher.storeFor('apiextensions.k8s.io', 'customresourcedefinitions');
    if (!crdStore) throw new Error('Cannot build the control plane: no CustomResourceDefinition store');
    this.#crdController = new CrdController({
      crds: crdStore,
      served: dispatcher,
      published: {
        setDiscovery: (resources) => this.#publishDiscovery(resources),
        setOpenApi: (resources, custom) => openapi.setResources(resources, { custom }),
      },
      builtins: BUILTIN_RESOURCES,
      clock,
      log: config.log.child('apiextensions'),
      resolveService: (ref) => resolveServiceReference(new StoreObjectReader((group, resource) => this.#dispatcher.storeFor(group, resource)), ref),
    });
    const apiExtensions = new ApiExtensionsHandler({ next: dispatcher, controller: this.#crdController, schemas });
    const kubeletClient = config.kubeletClient;
    const podLogs = new PodLogHandler({
      next: apiExtensions,
      pods: () => dispatcher.storeFor('', 'pods'),
      ...(kubeletClient ? { streamer: kubeletLogStreamer(() => dispatcher.storeFor('', 'nodes'), kubeletClient) } : {}),
    });
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
      tokenReview: async (token, audiences) => {
        // Static and bootstrap tokens know no audience: they are valid for the API server's own only.
        const wanted = audiences.length > 0 ? audiences : [SERVICE_ACCOUNT_ISSUER];
        if (wanted.includes(SERVICE_ACCOUNT_ISSUER)) {
          const plain = tokens.authenticateToken(token) ?? (await bootstrapTokens.authenticateToken(token));
          if (plain) return { user: plain, audiences: [SERVICE_ACCOUNT_ISSUER] };
        }
        let user: UserInfo | undefined;
        const valid: string[] = [];
        for (const audience of wanted) {
          const u = await serviceAccounts.authenticateToken(token, audience);
          if (!u) continue;
          user ??= u;
          valid.push(audience);
        }
        return user ? { user, audiences: valid } : undefined;
      },
      ...(rbac ? { rules: (user: UserInfo, namespace: string) => rbac.subjectRules(user, namespace) } : {}),
    });
    this.#customMetrics = new CustomMetricsHandler({ next: reviews });
    const resourceHandler: ResourceHandler = metricsApis.length > 0 ? new MetricsApiHandler({ providers: metricsApis, next: this.#customMetrics }) : this.#customMetrics;
    this.#server = new ApiServer({
      bindAddress: config.bindAddress,
      port: config.port,
      tls: config.tls,
      ...(config.loopback ? { loopbackSocketPath: config.loopback.socketPath } : {}),
      authenticators,
      authorizer,
      resourceHandler,
      // Watches over WebSocket (browsers), then pods' exec/attach/portforward streams.
      upgradeHandler: new WebSocketWatch({
        resources: resourceHandler,
        next: new PodStreamProxy({
          pods: () => dispatcher.storeFor('', 'pods'),
          nodes: () => dispatcher.storeFor('', 'nodes'),
          authorizer,
          ...(kubeletClient ? { kubeletClient } : {}),
        }),
      }),
      discovery,
      openApi: openApiProvider,
      ...(config.maxReadOnlyInFlight !== undefined ? { maxReadOnlyInFlight: config.maxReadOnlyInFlight } : {}),
      ...(config.maxMutatingInFlight !== undefined ? { maxMutatingInFlight: config.maxMutatingInFlight } : {}),
      readyzChecks: [
        { name: 'etcd', check: async () => void (await config.storage.currentRevision()) },
        {
          name: 'poststarthook/rbac/bootstrap-roles',
          check: async () => {
            if (rbac && !this.#policyBootstrapped) throw new Error('not finished');
          },
        },
      ],
      livezChecks: [{ name: 'etcd', check: async () => void (await config.storage.currentRevision()) }],
      storageStats: () => config.storage.stats(),
      ...(config.extraMetrics ? { extraMetrics: config.extraMetrics } : {}),
      log: config.log,
      extraDocuments: issuerDiscoveryDocuments(signer),
      ...(config.dashboard ? { dashboard: config.dashboard } : {}),
      ...(config.audit
        ? {
            audit: new Auditor({
              ...config.audit,
              decodeBody: (contentType, body) => decodeBody(contentType, body, { schemaLookup: schemas }),
            }),
          }
        : {}),
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
    // Phase durations go to the log: /readyz after a restart is bounded by their sum (docs/reliability.md, item 8).
    const phases: Record<string, number> = {};
    let mark = performance.now();
    const phase = (name: string): void => {
      const now = performance.now();
      phases[name] = Math.round(now - mark);
      mark = now;
    };
    await this.#dispatcher.start();
    phase('watchCachesMs');
    this.#legacyTokens?.start();
    await this.#crdController.start();
    phase('crdsMs');
    await this.#rbacFeed?.start();
    phase('rbacMs');
    const { port } = await this.#server.start();
    phase('listenMs');
    this.#port = port;
    // Compaction first: it is what brings a store over its size quota back under it.
    this.#compactor.start();
    await this.#bootstrapOrDefer(port);
    phase('bootstrapMs');
    this.#config.log.info('Control plane started', { ...phases, processUptimeMs: Math.round(process.uptime() * 1000) });
    return port;
  }

  /**
   * A store at its size quota (or on a full disk) refuses the bootstrap's creates and updates — the `kubernetes`
   * Endpoints change at every start — yet the server must come up, since reads and deletes are how an operator gets
   * it back under the quota. So a 507 there is logged, and the bootstrap is retried every 5 s until it succeeds;
   * until then /readyz reports the RBAC bootstrap as not finished. Any other failure still fails the start.
   */
  async #bootstrapOrDefer(port: number): Promise<void> {
    try {
      await this.#bootstrap(port);
    } catch (err) {
      if (!(err instanceof StatusError && err.status.code === 507)) throw err;
      this.#config.log.warn('Cannot finish bootstrapping the cluster: storage is full; retrying every 5s', { err: err.message });
      this.#bootstrapRetry = this.#clock.setTimer(BOOTSTRAP_RETRY_MS, () => {
        this.#bootstrapRetry = undefined;
        if (this.#stopped) return;
        this.#bootstrapOrDefer(port).catch((e: unknown) =>
          this.#config.log.error('Cannot bootstrap the cluster', { err: e instanceof Error ? e.message : String(e) }),
        );
      });
    }
  }

  /** #bootstrap creates or reconciles what every cluster has: namespaces, the kubernetes Service, RBAC policy. */
  async #bootstrap(port: number): Promise<void> {
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
      storageClasses: this.#dispatcher.storeFor('storage.k8s.io', 'storageclasses'),
      kubernetesServiceIp: this.#config.kubernetesServiceIp,
      advertiseAddress: this.#config.advertiseAddress,
      securePort: port,
    });
    await this.#createSystemPriorityClasses();
    if (this.#rbacFeed) {
      const { created, updated } = await bootstrapPolicy((g, r) => this.#dispatcher.storeFor(g, r));
      if (created + updated > 0) this.#config.log.info('Reconciled the bootstrap RBAC policy', { created, updated });
      this.#policyBootstrapped = true;
    }
  }

  /** #createSystemPriorityClasses stores the two system PriorityClasses, as upstream's start-up hook does. */
  async #createSystemPriorityClasses(): Promise<void> {
    const store = this.#dispatcher.storeFor('scheduling.k8s.io', 'priorityclasses');
    if (!store) return;
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      try {
        await store.create('', structuredClone(pc));
      } catch (err) {
        if (!(err instanceof StatusError && err.status.code === 409)) throw err;
      }
    }
  }

  /** #roleRules reads a Role's or ClusterRole's rules for the escalation check; undefined when it does not exist. */
  async #roleRules(kind: 'Role' | 'ClusterRole', namespace: string, name: string): Promise<readonly PolicyRule[] | undefined> {
    const store = this.#dispatcher.storeFor(RBAC_GROUP, kind === 'Role' ? 'roles' : 'clusterroles');
    try {
      const role = await store?.get(kind === 'Role' ? namespace : '', name);
      return Array.isArray(role?.rules) ? (role.rules as PolicyRule[]) : role ? [] : undefined;
    } catch (err) {
      if (err instanceof StatusError && err.status.code === 404) return undefined;
      throw err;
    }
  }

  /**
   * setCustomMetricsProvider connects the metrics collector to custom.metrics.k8s.io and external.metrics.k8s.io
   * (boot/ calls it once the collector runs; until then those groups answer 503) and keeps discovery current.
   */
  setCustomMetricsProvider(provider: CustomMetricsProvider): void {
    this.#customMetrics.setProvider(provider);
    provider.onMetricsChanged(() => this.#publishDiscovery());
    this.#publishDiscovery();
  }

  /** loopbackListening says whether the loopback socket is served (it may fail to listen; HTTPS still works). */
  get loopbackListening(): boolean {
    return this.#server.loopbackListening;
  }

  /**
   * watchEventsAfter counts the events the watch cache of a resource holds above `revision` (WatchCache.eventsAfter):
   * how far a watch of the whole collection that has delivered up to `revision` is behind. Undefined for a resource
   * without a cache.
   */
  watchEventsAfter(group: string, resource: string, revision: number): number | undefined {
    return this.#dispatcher.storeFor(group, resource)?.watchCache?.eventsAfter(revision);
  }

  /** connectLoopback opens an in-process connection to the loopback listener (ApiServer.connectLoopback). */
  connectLoopback(): Duplex | undefined {
    return this.#server.connectLoopback();
  }

  /** The port the API server listens on (after start). */
  get port(): number {
    return this.#port;
  }

  /** stop drains the API server and stops background loops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#bootstrapRetry?.cancel();
    this.#bootstrapRetry = undefined;
    this.#compactor.stop();
    this.#admission.stop();
    await this.#server.stop();
    this.#crdController.stop();
    this.#rbacFeed?.stop();
    await this.#legacyTokens?.stop();
    this.#dispatcher.stop();
  }
}
