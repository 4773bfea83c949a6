/**
 * startServer: the boot sequence of `tkube server` (k3s's order, with readiness gates):
 *   data dir → [own etcd member with --cluster-init / --server] → storage → the cluster's CA and keys from the
 *   datastore when another server stored them (else certificates created on first start, and stored) → API server
 *   listening + bootstrap objects → this server's peer Lease and the `kubernetes` Endpoints → the components
 *   (components.ts: the controller manager and the scheduler, each under its Lease, then the simulated nodes; as the
 *   admin user over the loopback socket, loopback.ts, like any client; in this process, or in a child with
 *   `--components-process separate`) → Ingress controller and its proxy (unless `--disable ingress`; a port it
 *   cannot bind is logged, not fatal) → the node → cluster DNS → admin kubeconfig written (and merged into
 *   ~/.kube/config unless told otherwise) → state file for `tkube up`. docs/ha.md says what runs on every server
 *   and what on the elected one.
 * Shutdown runs in reverse: elected components stop and release their Leases before the API server stops.
 */
import { loadDashboard } from './dashboard.js';
import { setMaxListeners } from 'node:events';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane } from '../apiserver/control-plane.js';
import { ResourceMetricsApi } from '../apiserver/metrics-apis/resource-metrics-api.js';
import { MetricsServer } from '../metricsserver/metrics-server.js';
import { CONTROLLER_METRICS } from '../controllers/controller-metrics.js';
import { selectAdmissionPlugins } from '../apiserver/admission/admission-plugins.js';
import { newLogger } from '../base/log/logger.js';
import { mergeIntoKubeconfig, writeKubeconfig, type KubeconfigEntry } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import { renderInformerLag } from '../client/informer/informer-lag.js';
import { ensureClusterCertificates } from '../pki/cluster-certificates.js';
import { openStorage, resolveDatastore } from './datastore.js';
import { fetchBootstrapData, storeBootstrapData } from './bootstrap-data.js';
import { operatorLeaderElector, serverIdentity } from './leader-election.js';
import { ApiServerPeers } from './apiserver-peers.js';
import { startEmbeddedEtcd } from './embedded-etcd.js';
import { ensureDataDirFormat } from './migrations/migrations.js';
import { joinClusterThrough, publishBootstrapSecret } from './server-join.js';
import { RealClock } from '../base/clock/clock.js';
import { HeapCompactor } from '../base/memory/heap-compactor.js';
import { userKubeconfigPath, type ServerConfig } from './server-config.js';
import { removeServerState, writeServerState } from './server-state.js';
import { firstAddressOf, ipv4RangeOf } from './cidr.js';
import { loadEncryptionConfig, loadTokenAuthFile, openAuditLog, withEncryption } from './security.js';
import { planLoopback } from './loopback.js';
import { startNode, type RunningNode } from './node.js';
import { ManifestDeployer } from '../deploy/manifest-deployer.js';
import { IngressMetrics } from '../ingress/ingress-metrics.js';
import { startIngress, type RunningIngress } from './ingress.js';
import { clusterDnsAddressOf, startClusterDns, type RunningClusterDns } from './cluster-dns.js';
import { DnsMetrics } from '../dns/dns-metrics.js';
import { publishClusterInfo } from './cluster-info.js';
import { startKubeDirector, type RunningKubeDirector } from './kubedirector.js';
import { defaultHostIPv4 } from './host-address.js';
import { startCustomMetrics, type RunningCustomMetrics } from './custom-metrics.js';
import { OperatorHost } from './operator-host.js';
import { ComponentsProcess } from './components-process.js';
import { newComponents, type Components, type ComponentsSelection } from './components.js';
import type { ControllerSettings } from '../controllers/controller-descriptor.js';

/** RunningServer is a started server. */
export interface RunningServer {
  readonly port: number;
  /** The URL clients on this host use, e.g. https://127.0.0.1:6443. */
  readonly url: string;
  /** Stops the API server and closes storage. */
  stop(): Promise<void>;
}

/**
 * bindAddressSans adds a specific --bind-address to the serving certificate's names: the server and its clients
 * dial that address (see clientHost), so a certificate without it would fail every connection.
 */
function bindAddressSans(bindAddress: string, sans: readonly string[]): string[] {
  const specific = bindAddress !== '' && bindAddress !== '0.0.0.0' && bindAddress !== '::' && !sans.includes(bindAddress);
  return specific ? [...sans, bindAddress] : [...sans];
}

function clientHost(bindAddress: string): string {
  if (bindAddress === '0.0.0.0' || bindAddress === '::' || bindAddress === '') return '127.0.0.1';
  return bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;
}

/** FRESH_MEMBER_ATTEMPTS: how often a server tries to open the storage on its own etcd member that just started. */
const FRESH_MEMBER_ATTEMPTS = 10;

/** JOIN_WAIT_MS: how long `--server URL` waits for a first server that is still starting (servers started together). */
const JOIN_WAIT_MS = 120_000;

/**
 * startServer boots a server from its config; resolves once /readyz is green and the kubeconfig is written. With
 * `--cluster-init` (or `--server URL`, joining one) it first starts this server's own etcd member (embedded-etcd.ts)
 * and uses it as the datastore; the member stops after the server.
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const log = newLogger('server');
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Before anything reads the data dir: refuse one from a newer tkube, migrate one from an older.
  await ensureDataDirFormat(config.dataDir, log.child('format'));
  if (!config.clusterInit && !config.joinServer) return startServerOn(config, undefined);
  if (config.datastoreEndpoint) throw new Error('Cannot use --cluster-init or --server with --datastore-endpoint: the server runs its own etcd member');
  if (!config.clusterToken) throw new Error('Cannot use --cluster-init or --server without --token: servers share the CA and keys under it');
  const joined = existsSync(join(config.dataDir, 'db', 'etcd', 'member'));
  const join_ = config.joinServer && !joined ? await joinClusterThrough(config.joinServer, config.clusterToken, config.dataDir, { waitMs: JOIN_WAIT_MS, log }) : undefined;
  const { ca } = await ensureClusterCertificates({ dataDir: config.dataDir, serviceIp: firstAddressOf(ipv4RangeOf(config.serviceCidr)) });
  const bindHost = clientHost(config.bindAddress).replace(/^\[|\]$/g, '');
  const advertiseIp = config.advertiseAddress ?? (bindHost === '127.0.0.1' && config.bindAddress !== '127.0.0.1' ? (defaultHostIPv4() ?? '127.0.0.1') : bindHost);
  const etcd = await startEmbeddedEtcd({
    dataDir: config.dataDir,
    name: serverIdentity(config.dataDir),
    advertiseIp,
    clientPort: config.etcdClientPort ?? 2379,
    peerPort: config.etcdPeerPort ?? 2380,
    ca,
    ...(join_ ? { join: join_ } : {}),
    log: log.child('etcd'),
  });
  try {
    // A member that just (re)joined may still be catching up or meet an election: its first read can fail although
    // its /health said it has a leader. Opening the storage is the first thing startServerOn does, and nothing else
    // has started when it fails, so that one failure is tried again for a few seconds.
    let running: RunningServer | undefined;
    for (let attempt = 1; !running; attempt++) {
      try {
        running = await startServerOn({ ...config, datastoreEndpoint: etcd.clientUrl, datastoreTls: etcd.tls }, etcd.advertisedClientUrl);
      } catch (err) {
        if (attempt >= FRESH_MEMBER_ATTEMPTS || !(err instanceof Error) || !err.message.startsWith('Cannot reach etcd at')) throw err;
        log.warn('The etcd member does not serve yet; trying again', { err: err.message });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    return {
      ...running,
      stop: async () => {
        await running.stop();
        await etcd.stop();
      },
    };
  } catch (err) {
    await etcd.stop();
    throw err;
  }
}

/** startServerOn boots the server on its datastore; `etcdClientUrl` is its own etcd member's, when it runs one. */
async function startServerOn(config: ServerConfig, etcdClientUrl: string | undefined): Promise<RunningServer> {
  const log = newLogger('server');
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // The `kubernetes` and kube-dns Services stay single-stack IPv4 on a dual-stack cluster, as k3s's do.
  const kubernetesServiceIp = firstAddressOf(ipv4RangeOf(config.serviceCidr));
  const clusterDnsIp = config.clusterDns ?? clusterDnsAddressOf(ipv4RangeOf(config.serviceCidr));
  const clusterDomain = config.clusterDomain ?? 'cluster.local';
  const enabledAdmissionPlugins = selectAdmissionPlugins(config.enableAdmissionPlugins, config.disableAdmissionPlugins);
  const sans = bindAddressSans(config.bindAddress, config.tlsSans);
  const extraSans = config.advertiseAddress && !sans.includes(config.advertiseAddress) ? [...sans, config.advertiseAddress] : sans;
  // Start-up phases, logged with "API server ready": where a restart's time goes.
  // performance.now() counts from the process's start: its first value is the time to load the program.
  const boot: Record<string, number> = { loadMs: Math.round(performance.now()) };
  const bootStarted = performance.now();
  // Storage first: servers sharing an etcd datastore take the cluster's CA and keys from it before loading theirs.
  const rawStorage = await openStorage(config);
  boot['storageOpenMs'] = Math.round(performance.now() - bootStarted);
  let certs: Awaited<ReturnType<typeof ensureClusterCertificates>>;
  let encryption: ReturnType<typeof loadEncryptionConfig>;
  try {
    const shared = config.clusterToken && resolveDatastore(config).kind === 'etcd' ? await fetchBootstrapData(rawStorage, config.clusterToken, config.dataDir) : undefined;
    if (shared === 'adopted') log.info('Joined the cluster in the datastore: using its CA and keys');
    if (!config.clusterToken && resolveDatastore(config).kind === 'etcd') log.warn('No --token: other servers on this etcd cannot take this cluster\'s CA and keys from it (see docs/ha.md)');
    certs = await ensureClusterCertificates({ dataDir: config.dataDir, extraSans, serviceIp: kubernetesServiceIp });
    encryption = loadEncryptionConfig(config);
    if (shared === 'absent' && config.clusterToken) await storeBootstrapData(rawStorage, config.clusterToken, config.dataDir);
  } catch (err) {
    await rawStorage.close();
    throw err;
  }
  // The cluster DNS server's figures (coredns_* families), appended to /metrics like the controllers'.
  const dnsMetrics = new DnsMetrics();
  const ingressMetrics = new IngressMetrics();
  const tokens = loadTokenAuthFile(config);
  const auditLog = openAuditLog(config, (err) => log.error('Cannot write audit event', { err: err instanceof Error ? err.message : String(err) }));
  const storage = withEncryption(rawStorage, encryption);
  for (const t of config.staticTokens ?? []) tokens.set(t.token, { username: t.user, groups: t.groups });
  // metrics.k8s.io is published from the start; its figures arrive once the metrics server runs (503 until then).
  const resourceMetrics = new ResourceMetricsApi();
  // The components start after the API server; /metrics shows their figures (the controllers', the leading
  // scheduler's), from this process or from the components process, and how far this process's informers lag.
  const inProcess: { local?: Components; components?: ComponentsProcess; informers?: SharedInformerFactory } = {};
  // The components of this process reach the API through the loopback listener with a per-boot token (loopback.ts):
  // in-process connections here, its Unix socket from the components process.
  const loopback = planLoopback(config.dataDir, certs.admin.certPem);
  const cp = new ControlPlane({
    storage,
    ...(loopback ? { loopback: { socketPath: loopback.socketPath, tokens: new Map([[loopback.token, loopback.user]]) } } : {}),
    bindAddress: config.bindAddress,
    port: config.httpsPort,
    tls: { certPem: certs.serving.certPem, keyPem: certs.serving.keyPem, clientCaPem: certs.ca.pem.certPem },
    serviceAccountKeyPem: certs.serviceAccountKeyPem,
    staticTokens: tokens,
    serviceCidr: config.serviceCidr,
    kubernetesServiceIp,
    advertiseAddress: clientHost(config.bindAddress).replace(/^\[|\]$/g, ''),
    log: log.child('apiserver'),
    compactionIntervalMs: config.compactionIntervalMs,
    compactionKeepRevisions: config.compactionKeepRevisions,
    ...(auditLog ? { audit: auditLog.audit } : {}),
    enabledAdmissionPlugins,
    authorizationMode: config.authorizationMode,
    defaultTolerationSeconds: config.defaultTolerationSeconds,
    // The API server reaches kubelets (pods/log) with the admin identity, trusting the cluster CA.
    kubeletClient: { caPem: certs.ca.pem.certPem, certPem: certs.admin.certPem, keyPem: certs.admin.keyPem },
    metricsApis: [resourceMetrics],
    extraMetrics: async (): Promise<string> =>
      `${inProcess.components ? await inProcess.components.metrics() : inProcess.local ? await inProcess.local.renderMetrics() : await CONTROLLER_METRICS.render()}${inProcess.informers ? renderInformerLag(inProcess.informers, (g, r, rv) => cp.watchEventsAfter(g, r, rv)) : ''}${await dnsMetrics.render()}${await ingressMetrics.render()}`,
    ...(config.disable?.includes('dashboard') ? {} : { dashboard: loadDashboard() }),
    ...(config.maxRequestsInflight !== undefined ? { maxReadOnlyInFlight: config.maxRequestsInflight } : {}),
    ...(config.maxMutatingRequestsInflight !== undefined ? { maxMutatingInFlight: config.maxMutatingRequestsInflight } : {}),
  });
  let port: number;
  try {
    // Certificates, encryption config, audit log and the API server's construction.
    boot['setupMs'] = Math.round(performance.now() - bootStarted) - (boot['storageOpenMs'] ?? 0);
    port = await cp.start();
    boot['controlPlaneReadyAtMs'] = Math.round(performance.now());
  } catch (err) {
    // Stop what start() already set going (the listener, watch-fed caches, token follower), or their retry loops
    // keep the process alive after the store closed and the failed start never exits.
    await cp.stop().catch(() => undefined);
    await storage.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`Cannot listen on ${config.bindAddress}:${config.httpsPort}: the port is in use (is another server running? try --https-listen-port)`);
    throw err;
  }
  const url = `https://${clientHost(config.bindAddress)}:${port}`;
  // Controllers reach the API like any client, as the admin user (as k3s does): over in-process connections to the
  // loopback listener with this boot's token (no kernel socket between them and the server: on a busy loop a socket
  // let only ~100 KiB a turn through, base/net/in-process-connection.ts), or, when the loopback socket could not be
  // made, over loopback HTTPS with the admin certificate.
  const componentClient = (userAgent: string): RestClient =>
    loopback && cp.loopbackListening
      ? new RestClient({ server: url, caPem: certs.ca.pem.certPem, token: loopback.token, unixSocket: loopback.socketPath, connect: () => cp.connectLoopback(), userAgent })
      : new RestClient({ server: url, caPem: certs.ca.pem.certPem, clientCertPem: certs.admin.certPem, clientKeyPem: certs.admin.keyPem, userAgent });
  const controllerClient = componentClient('tkube-controller-manager');
  // One set of informers for every component of this process: each collection is listed, watched, decoded and
  // cached once, not once per component (a pod held by controllers, scheduler and agents is one object).
  const informerClient = componentClient('tkube-informers');
  const informerStop = new AbortController();
  // Every informer of the process listens on this one signal.
  setMaxListeners(0, informerStop.signal);
  // Without managedFields (no component reads them from a cache; client-go's controllers strip them too), and with
  // the equal parts of objects shared (ObjectInterner: a pod's defaults, volumes, tolerations and image strings are
  // one value for all pods, −2.2 KB of the 3.7 KB of a cached pod, issue 5).
  const informers = new SharedInformerFactory({ client: informerClient, log: log.child('informers'), stripManagedFields: true, internObjects: true });
  informers.start(informerStop.signal);
  inProcess.informers = informers;
  // The metrics server reads Nodes and Pods from the shared informers and calls kubelets as the API server does.
  const metricsServer = config.disable?.includes('metrics-server')
    ? undefined
    : new MetricsServer({
        informers,
        kubeletTls: { caPem: certs.ca.pem.certPem, certPem: certs.admin.certPem, keyPem: certs.admin.keyPem },
        ...(config.metricsResolutionMs !== undefined ? { resolutionMs: config.metricsResolutionMs } : {}),
        log: log.child('metrics-server'),
      });
  if (metricsServer) {
    metricsServer.start();
    resourceMetrics.attach(metricsServer);
  }
  // Memory a burst of work left in V8's heap goes back to the system once the burst is over (issue 5).
  const heapCompactor = config.disable?.includes('heap-compactor') ? undefined : new HeapCompactor({ clock: new RealClock(), log: log.child('heap-compactor') });
  heapCompactor?.start();
  const stopInformers = async (): Promise<void> => {
    heapCompactor?.stop();
    resourceMetrics.attach(undefined);
    await metricsServer?.stop();
    informerStop.abort();
    await informers.stopped();
    informerClient.close();
  };
  // What a node joining with a bootstrap token reads first (kubeadm init's bootstrap-token phase). A failure here
  // leaves token join unusable but the cluster otherwise fine, so it is logged rather than fatal.
  // Bound to every address, the server is advertised at the host's own address: the join command is for other machines.
  const advertised = config.advertiseAddress ?? (clientHost(config.bindAddress) === '127.0.0.1' && config.bindAddress !== '127.0.0.1' ? defaultHostIPv4() : undefined);
  const advertisedUrl = advertised ? `https://${clientHost(advertised)}:${port}` : url;
  await publishClusterInfo(controllerClient, { server: advertisedUrl, caPem: certs.ca.pem.certPem }).catch((err: unknown) =>
    log.warn('Cannot publish kube-public/cluster-info: nodes cannot join with bootstrap tokens', { err: err instanceof Error ? err.message : String(err) }),
  );
  // Every server runs the API server; the controller manager and the scheduler run on the one server holding
  // their Lease (leader-election.ts). This server's own address goes into the `kubernetes` Endpoints beside its peers'.
  const identity = serverIdentity(config.dataDir);
  const timing = config.leaderElection ?? {};
  // Where this server's Ingress proxy is reached: announced to the other servers through its identity Lease.
  const ingressEnabled = !config.disable?.includes('ingress');
  const ingressAddress = (config.advertiseAddress ?? clientHost(config.bindAddress)).replace(/^\[|\]$/g, '');
  // Only an etcd datastore can be shared by several servers; with SQLite this server is the only one.
  const severalServersPossible = resolveDatastore(config).kind === 'etcd';
  // With SQLite no other server can appear: the identity Lease and the `kubernetes` Endpoints only need refreshing
  // now and then (start and stop rewrite them at once), not at a failover pace: four API calls every 5 s were a
  // fifth of an idle server's requests (docs/benchmarks.md, idle CPU).
  const peerIntervalMs = severalServersPossible ? Math.max(1_000, Math.round((timing.leaseDurationMs ?? 15_000) / 3)) : 30_000;
  const peers = new ApiServerPeers({
    client: controllerClient,
    identity,
    self: { ip: (advertised ?? clientHost(config.bindAddress)).replace(/^\[|\]$/g, ''), port },
    intervalMs: peerIntervalMs,
    clock: new RealClock(),
    log: log.child('apiserver-peers'),
    ...(etcdClientUrl ? { etcdClientUrl } : {}),
    ...(ingressEnabled ? { ingressAddresses: [ingressAddress] } : {}),
  });
  // A --cluster-init cluster hands its CA and keys to joining servers through the API (server-join.ts).
  if (etcdClientUrl && config.clusterToken) {
    await publishBootstrapSecret(controllerClient, config.clusterToken, config.dataDir).catch((err: unknown) =>
      log.warn('Cannot publish the bootstrap data: other servers cannot join', { err: err instanceof Error ? err.message : String(err) }),
    );
  }
  // `--disable servicelb` is the same as leaving the controller out of `--controllers`.
  const controllerSelection = config.disable?.includes('servicelb') ? `${config.controllers ?? '*'},-servicelb` : (config.controllers ?? '*');
  const controllerSettings: ControllerSettings = {
    nodeMonitorGracePeriodMs: config.nodeMonitorGracePeriodMs,
    horizontalPodAutoscalerSyncPeriodMs: config.horizontalPodAutoscalerSyncPeriodMs,
    horizontalPodAutoscalerDownscaleStabilizationMs: config.horizontalPodAutoscalerDownscaleStabilizationMs,
    horizontalPodAutoscalerTolerance: config.horizontalPodAutoscalerTolerance,
    horizontalPodAutoscalerCpuInitializationPeriodMs: config.horizontalPodAutoscalerCpuInitializationPeriodMs,
    horizontalPodAutoscalerInitialReadinessDelayMs: config.horizontalPodAutoscalerInitialReadinessDelayMs,
    clusterCidr: config.clusterCidr,
    ...(config.nodeCidrMaskSizeIPv6 !== undefined ? { nodeCidrMaskSizeIPv6: config.nodeCidrMaskSizeIPv6 } : {}),
    rootCAPem: certs.ca.pem.certPem,
    clusterSigning: certs.ca.pem,
    ...(config.defaultLocalStoragePath ? { localPathBase: config.defaultLocalStoragePath } : {}),
  };
  // `--components-process separate`: the controller manager, the scheduler and the simulated nodes run in one child
  // process (components-process.ts), reaching this API server over the loopback socket like the in-process ones.
  const separate = config.componentsProcess === 'separate';
  const selection: ComponentsSelection = {
    identity,
    timing,
    ...(config.disableControllerManager ? {} : { controllers: { selection: controllerSelection, settings: controllerSettings } }),
    scheduler: !config.disableScheduler,
    ...((config.simulatedNodes ?? 0) > 0 ? { simulatedNodes: { count: config.simulatedNodes ?? 0, clusterCidr: ipv4RangeOf(config.clusterCidr) } } : {}),
  };
  // In process, the components run on this server's informers and its component clients (the controller manager on
  // the client the peer Lease and cluster-info use, as before); the server closes them after the components stop.
  const lentClients: RestClient[] = [];
  const lend = (userAgent: string): RestClient => {
    if (userAgent === 'tkube-controller-manager') return controllerClient;
    const c = componentClient(userAgent);
    lentClients.push(c);
    return c;
  };
  try {
    // Built before the election so a bad --controllers fails the start at once, as it does without election.
    if (!separate) inProcess.local = newComponents(selection, log, { informers, client: lend });
  } catch (err) {
    controllerClient.close();
    for (const c of lentClients) c.close();
    await stopInformers();
    await cp.stop();
    await storage.close();
    throw err;
  }
  await peers.start();
  const components = separate
    ? new ComponentsProcess({
        config: {
          ...selection,
          connection:
            loopback && cp.loopbackListening
              ? { server: url, caPem: certs.ca.pem.certPem, token: loopback.token, unixSocket: loopback.socketPath }
              : { server: url, caPem: certs.ca.pem.certPem, clientCertPem: certs.admin.certPem, clientKeyPem: certs.admin.keyPem },
        },
        log: log.child('components-process'),
      })
    : undefined;
  inProcess.components = components;
  // The child boots (loads the program, lists and watches) while this process starts the rest; it is awaited
  // just before the kubeconfig and server.json are written (so they still mean "components running"); the embedded
  // node registers meanwhile. A failed start is a value here, thrown there.
  const componentsStarted = components?.start().then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  const local = inProcess.local;
  try {
    await local?.start();
  } catch (err) {
    await components?.stop();
    await peers.stop();
    controllerClient.close();
    for (const c of lentClients) c.close();
    await stopInformers();
    await cp.stop();
    await storage.close();
    throw err;
  }
  // The custom/external metrics collector: an API client like the controllers; the API server asks it in memory.
  const metricsClient = componentClient('tkube-metrics-collector');
  let customMetrics: RunningCustomMetrics | undefined;
  try {
    customMetrics = startCustomMetrics({
      client: metricsClient,
      informers,
      ...(config.metricsScrapeIntervalMs !== undefined ? { scrapeIntervalMs: config.metricsScrapeIntervalMs } : {}),
      clusterDomain,
      log: log.child('metrics-collector'),
    });
    cp.setCustomMetricsProvider(customMetrics.provider);
  } catch (err) {
    log.error('Cannot start the metrics collector: custom and external metrics are unavailable', { error: err instanceof Error ? err.message : String(err) });
  }
  // Operators (`--operator`) run like the built-in controllers: an admin client over loopback, their own informers.
  // A broken operator file is logged by the host and never stops the server.
  const operatorClient = componentClient('tkube-operator');
  const operators = config.operators && config.operators.length > 0 ? new OperatorHost({
          paths: config.operators,
          rest: operatorClient,
          log: log.child('operators'),
          // With several servers, each operator runs on one at a time (a Lease per operator).
          leaderGate: (name) => operatorLeaderElector({ client: operatorClient, identity, timing, log: log.child('operators') }, name),
        }) : undefined;
  await operators?.start();
  // The Ingress controller serves on this host; a port it cannot bind (in use, or < 1024 without root) is
  // reported and the rest of the server runs on, as a crashed ingress controller pod would leave k3s running.
  const ingressClient = componentClient('tkube-ingress-controller');
  let ingress: RunningIngress | undefined;
  if (ingressEnabled) {
    const httpPort = config.ingressHttpPort ?? 80;
    const httpsPort = config.ingressHttpsPort ?? 443;
    try {
      ingress = await startIngress({
        client: ingressClient,
        informers,
        log: log.child('ingress'),
        bindAddress: config.bindAddress,
        httpPort,
        httpsPort,
        metrics: ingressMetrics,
        addresses: [ingressAddress],
        ...(severalServersPossible ? { election: { client: ingressClient, identity, timing, refreshMs: peerIntervalMs } } : {}),
      });
    } catch (err) {
      log.error('Cannot start the Ingress controller (use --ingress-http-port/--ingress-https-port or --disable ingress)', {
        httpPort,
        httpsPort,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  const kubeletClient = componentClient('tkube-kubelet');
  let node: RunningNode | undefined;
  if ((config.containerRuntime || config.containerRuntimeEndpoint) && !config.disableAgent) {
    try {
      const nodeIP = clientHost(config.bindAddress).replace(/^\[|\]$/g, '');
      const serving = await certs.ca.issue({ commonName: `system:node:${config.nodeName ?? 'node'}`, organizations: ['system:nodes'], ipAddresses: [nodeIP], dnsNames: ['localhost'], usage: 'server' });
      node = await startNode({
        client: kubeletClient,
        dataDir: config.dataDir,
        ...(config.containerRuntimeEndpoint ? { runtime: 'cri' as const, runtimeEndpoint: config.containerRuntimeEndpoint } : { runtime: config.containerRuntime ?? 'runc' }),
        nodeName: config.nodeName,
        nodeIP,
        tls: { serving, clientCaPem: certs.ca.pem.certPem },
        ...(config.kubeletPort !== undefined ? { kubeletPort: config.kubeletPort } : {}),
        ...(config.privateRegistry ? { privateRegistry: config.privateRegistry } : {}),
        ...(config.disableDefaultRegistryEndpoint ? { disableDefaultRegistryEndpoint: true } : {}),
        ...(config.evictionHard !== undefined ? { evictionHard: config.evictionHard } : {}),
        ...(config.containerLogs ? { containerLogs: config.containerLogs } : {}),
        ...(config.podNetwork ? { podNetwork: config.podNetwork } : {}),
        ...(config.podBridgeName ? { podBridgeName: config.podBridgeName } : {}),
        networkPolicy: config.disableNetworkPolicy !== true,
        ...(config.proxyMode ? { proxyMode: config.proxyMode } : {}),
        ...(config.proxyMinSyncPeriodMs !== undefined ? { proxyMinSyncPeriodMs: config.proxyMinSyncPeriodMs } : {}),
        clusterCidr: config.clusterCidr,
        clusterDNS: clusterDnsIp,
        clusterDomain,
        ...(config.nodeLabels ? { nodeLabels: config.nodeLabels } : {}),
        ...(config.nodeTaints ? { nodeTaints: config.nodeTaints } : {}),
        ...(config.defaultLocalStoragePath ? { localPathBase: config.defaultLocalStoragePath } : {}),
        log: log.child('kubelet'),
      });
    } catch (err) {
      await ingress?.stop();
      await operators?.stop();
      operatorClient.close();
      await components?.stop();
      await local?.stop();
      customMetrics?.stop();
      await peers.stop();
      for (const c of [...lentClients, controllerClient, kubeletClient, ingressClient, metricsClient]) c.close();
      await stopInformers();
      await cp.stop();
      await storage.close();
      throw err;
    }
  }
  // Cluster DNS after the node: its mirror pod is bound to the node, which must be registered by then.
  const dnsClient = componentClient('tkube-cluster-dns');
  const nodeIP = clientHost(config.bindAddress).replace(/^\[|\]$/g, '');
  const dns: RunningClusterDns | undefined = await startClusterDns({
    client: dnsClient,
    informers,
    dnsIP: clusterDnsIp,
    domain: clusterDomain,
    listenAddress: nodeIP,
    port: config.clusterDnsPort ?? 53,
    metrics: dnsMetrics,
    ...(config.clusterDnsMetricsPort !== undefined ? { metricsPort: config.clusterDnsMetricsPort } : {}),
    ...(node ? { node: { nodeName: node.nodeName, nodeIP } } : {}),
    log: log.child('cluster-dns'),
    signal: informerStop.signal,
  });
  // The KubeDirector operator idles until its CRDs are installed (docs/kubedirector.md).
  const kubeDirectorClient = componentClient('tkube-kubedirector');
  const kubeDirector: RunningKubeDirector | undefined = config.disable?.includes('kubedirector')
    ? undefined
    : startKubeDirector({ client: kubeDirectorClient, informers, log: log.child('kubedirector'), ...(node ? { node: { nodeName: node.nodeName, nodeIP } } : {}) });
  // Files in <data-dir>/manifests/ are applied now and whenever they change (k3s's auto-deploying manifests).
  const deployClient = componentClient('tkube-deploy');
  const manifestsDir = join(config.dataDir, 'manifests');
  mkdirSync(manifestsDir, { recursive: true, mode: 0o700 });
  const deployer = new ManifestDeployer({ client: deployClient, dir: manifestsDir, clock: new RealClock(), log: log.child('deploy') });
  void deployer.start().catch((err: unknown) => log.error('Cannot apply the manifests directory', { error: err instanceof Error ? err.message : String(err) }));
  const running: RunningServer = {
    port,
    url,
    stop: async () => {
      log.info('Stopping');
      deployer.stop();
      deployClient.close();
      await kubeDirector?.stop();
      kubeDirectorClient.close();
      await dns?.stop();
      dnsClient.close();
      await node?.stop();
      kubeletClient.close();
      await ingress?.stop();
      ingressClient.close();
      customMetrics?.stop();
      metricsClient.close();
      await operators?.stop();
      operatorClient.close();
      await components?.stop();
      await local?.stop();
      for (const c of lentClients) c.close();
      await peers.stop();
      controllerClient.close();
      await stopInformers();
      await cp.stop();
      await auditLog?.close();
      await storage.close();
      removeServerState(config.dataDir, process.pid);
    },
  };
  const componentsFailure = await componentsStarted;
  if (componentsFailure) {
    await running.stop();
    throw componentsFailure;
  }
  const entry: KubeconfigEntry = { name: 'tkube', server: url, caPem: certs.ca.pem.certPem, clientCertPem: certs.admin.certPem, clientKeyPem: certs.admin.keyPem };
  writeKubeconfig(join(config.dataDir, 'admin.kubeconfig'), entry);
  if (config.writeKubeconfig) {
    writeKubeconfig(config.writeKubeconfig, entry);
    // k3s's --write-kubeconfig-mode, for a kubeconfig other users or a service account of the host must read.
    if (config.writeKubeconfigMode !== undefined) chmodSync(config.writeKubeconfig, config.writeKubeconfigMode);
  } else if (config.mergeKubeconfig) mergeIntoKubeconfig(userKubeconfigPath(), entry);
  writeServerState(config.dataDir, {
    pid: process.pid,
    url,
    port,
    startedAt: new Date().toISOString(),
    ...(ingress ? { ingressHttpPort: ingress.httpPort, ingressHttpsPort: ingress.httpsPort } : {}),
  });
  log.info('API server ready', { url, dataDir: config.dataDir, ...boot, readyAtMs: Math.round(performance.now()) });
  return running;
}
