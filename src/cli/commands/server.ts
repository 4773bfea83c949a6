/**
 * `tkube server`: run the control plane in the foreground until SIGTERM/SIGINT. Flags follow k3s's names.
 */
import { Command, Option } from 'commander';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { startServer } from '../../boot/server.js';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS, defaultDataDir, type ServerConfig } from '../../boot/server-config.js';
import { parseGoDuration } from '../../api/protobuf/go-duration.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { formatCidr, parseCidrList } from '../../base/net/cidr.js';
import { CliError } from '../cli-error.js';
import { collectRepeatable } from './repeatable-flag.js';
import { parseNodeLabels, parseNodeTaint } from './node-flags.js';
import { runUntilSignalled } from '../run-until-signalled.js';

/** parseDurationMs reads a positive Go duration flag (5m, 30s, 200ms) into milliseconds; shared with the component commands. */
export function parseDurationMs(value: string): number {
  const nanos = parseGoDuration(value);
  if (nanos === undefined || nanos <= 0) throw new CliError(`invalid duration "${value}": want a positive duration like 5m, 30s or 200ms`);
  return Math.max(1, Math.round(nanos / 1e6));
}

function parseDurationOrZeroMs(value: string): number {
  const nanos = parseGoDuration(value);
  if (nanos === undefined || nanos < 0) throw new CliError(`invalid duration "${value}": want a duration like 5m, 30s or 0s`);
  return Math.round(nanos / 1e6);
}

function parseTolerance(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new CliError(`invalid tolerance "${value}": want a ratio from 0 to below 1, like 0.1`);
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`invalid count "${value}": want a whole number`);
  return n;
}

/** parseFileMode reads an octal file mode such as 644 or 0644 (`--write-kubeconfig-mode`). */
export function parseFileMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new CliError(`invalid file mode "${value}": want an octal mode such as 0644`);
  return parseInt(value, 8);
}

/** parseBytes reads a byte count: a whole number or a quantity such as 512Mi or 2Gi (`--datastore-quota-bytes`). */
function parseBytes(value: string): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : parseQuantity(value);
  if (n === undefined || !Number.isFinite(n) || n < 0 || !Number.isInteger(n)) throw new CliError(`invalid size "${value}": want bytes, like 2147483648 or 2Gi (0 for none)`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`invalid port "${value}": want a number from 0 to 65535`);
  return n;
}

/** parseIPv4 checks an IPv4 flag value (`--cluster-dns`); shared with `tkube agent`. */
export function parseIPv4(value: string): string {
  if (isIP(value) !== 4) throw new CliError(`invalid IP address "${value}": want an IPv4 address such as 10.43.0.10`);
  return value;
}

/**
 * cidrListParser checks a `--cluster-cidr` / `--service-cidr` value: one range, or an IPv4 and an IPv6 range
 * separated by a comma (dual-stack; the first is the primary family). An IPv4 range is required: IPv6-only
 * clusters are not supported yet (docs/network.md, "Dual-stack"). Shared with `tkube agent`.
 */
export function cidrListParser(flag: string): (value: string) => string {
  return (value: string): string => {
    let cidrs;
    try {
      cidrs = parseCidrList(value, flag);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    if (!cidrs.some((c) => c.family === 'IPv4')) throw new CliError(`invalid ${flag} "${value}": an IPv4 range is required (IPv6-only clusters are not supported; give e.g. 10.42.0.0/16,fd00:42::/56)`);
    return cidrs.map(formatCidr).join(',');
  };
}

function parseNodeCidrMaskSizeIPv6(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 126) throw new CliError(`invalid --node-cidr-mask-size-ipv6 "${value}": want a prefix length from 1 to 126, like 64`);
  return n;
}

/** parseDomain checks `--cluster-domain`; shared with `tkube agent`. */
export function parseDomain(value: string): string {
  const d = value.toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(d)) throw new CliError(`invalid cluster domain "${value}": want a DNS name such as cluster.local`);
  return d;
}

/** ServerFlags are the parsed flags of `tkube server`. */
export interface ServerFlags {
  dataDir: string;
  bindAddress: string;
  httpsListenPort: number;
  writeKubeconfig?: string;
  tlsSan: string[];
  advertiseAddress?: string;
  datastoreEndpoint?: string;
  datastoreQuotaBytes: number;
  datastoreCafile?: string;
  datastoreCertfile?: string;
  datastoreKeyfile?: string;
  serviceCidr: string;
  clusterCidr: string;
  nodeCidrMaskSizeIpv6?: number;
  clusterDns?: string;
  clusterDnsPort: number;
  clusterDnsMetricsPort?: number;
  clusterDomain: string;
  disableAgent: boolean;
  kubeconfigMerge: boolean;
  token?: string;
  tokenAuthFile?: string;
  encryptionProviderConfig?: string;
  auditPolicyFile?: string;
  auditLogPath?: string;
  auditLogMaxsize: number;
  auditLogMaxbackup: number;
  auditLogMaxage: number;
  disableAuditLog: boolean;
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  compactionInterval: number;
  compactionKeepRevisions: number;
  controllers: string;
  operator: string[];
  enableAdmissionPlugins: string[];
  disableAdmissionPlugins: string[];
  authorizationMode: 'RBAC' | 'AlwaysAllow';
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  nodeMonitorGracePeriod: number;
  metricsResolution: number;
  metricsScrapeInterval: number;
  horizontalPodAutoscalerSyncPeriod: number;
  horizontalPodAutoscalerDownscaleStabilization: number;
  horizontalPodAutoscalerTolerance: number;
  horizontalPodAutoscalerCpuInitializationPeriod: number;
  horizontalPodAutoscalerInitialReadinessDelay: number;
  simulatedNodes: number;
  componentsProcess: string;
  disableScheduler: boolean;
  disableControllerManager: boolean;
  disable: string[];
  ingressHttpPort: number;
  ingressHttpsPort: number;
  containerRuntime?: string;
  containerRuntimeEndpoint?: string;
  nodeName?: string;
  nodeLabel: string[];
  nodeTaint: string[];
  writeKubeconfigMode?: number;
  kubeletPort?: number;
  defaultLocalStoragePath?: string;
  privateRegistry?: string;
  disableDefaultRegistryEndpoint: boolean;
  evictionHard?: string;
  podNetwork?: string;
  podBridgeName?: string;
  disableNetworkPolicy: boolean;
  proxyMode?: string;
  proxyMinSyncPeriod?: number;
  containerLogMaxSize?: number;
  containerLogMaxFiles?: number;
  containerLogMonitorInterval?: number;
  leaderElectLeaseDuration: number;
  clusterInit: boolean;
  server?: string;
  etcdClientPort: number;
  etcdPeerPort: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
}

/** serverConfigFromFlags turns flags into a ServerConfig. */
export function serverConfigFromFlags(f: ServerFlags): ServerConfig {
  return {
    dataDir: resolve(f.dataDir),
    bindAddress: f.bindAddress,
    httpsPort: f.httpsListenPort,
    tlsSans: f.tlsSan,
    ...(f.advertiseAddress ? { advertiseAddress: f.advertiseAddress } : {}),
    writeKubeconfig: f.writeKubeconfig ? resolve(f.writeKubeconfig) : undefined,
    ...(f.writeKubeconfigMode !== undefined ? { writeKubeconfigMode: f.writeKubeconfigMode } : {}),
    mergeKubeconfig: f.kubeconfigMerge,
    datastoreEndpoint: f.datastoreEndpoint,
    datastoreQuotaBytes: f.datastoreQuotaBytes,
    ...(f.datastoreCafile || f.datastoreCertfile || f.datastoreKeyfile
      ? {
          datastoreTls: {
            ...(f.datastoreCafile ? { caFile: resolve(f.datastoreCafile) } : {}),
            ...(f.datastoreCertfile ? { certFile: resolve(f.datastoreCertfile) } : {}),
            ...(f.datastoreKeyfile ? { keyFile: resolve(f.datastoreKeyfile) } : {}),
          },
        }
      : {}),
    serviceCidr: f.serviceCidr,
    clusterCidr: f.clusterCidr,
    ...(f.nodeCidrMaskSizeIpv6 !== undefined ? { nodeCidrMaskSizeIPv6: f.nodeCidrMaskSizeIpv6 } : {}),
    ...(f.clusterDns ? { clusterDns: f.clusterDns } : {}),
    clusterDnsPort: f.clusterDnsPort,
    ...(f.clusterDnsMetricsPort !== undefined ? { clusterDnsMetricsPort: f.clusterDnsMetricsPort } : {}),
    clusterDomain: f.clusterDomain,
    disableAgent: f.disableAgent,
    staticTokens: f.token ? [{ token: f.token, user: 'admin', groups: ['system:masters'] }] : undefined,
    ...(f.token ? { clusterToken: f.token } : {}),
    ...(f.clusterInit ? { clusterInit: true } : {}),
    ...(f.server ? { joinServer: parseServerUrl(f.server) } : {}),
    etcdClientPort: f.etcdClientPort,
    etcdPeerPort: f.etcdPeerPort,
    leaderElection: { leaseDurationMs: f.leaderElectLeaseDuration, renewDeadlineMs: f.leaderElectRenewDeadline, retryPeriodMs: f.leaderElectRetryPeriod },
    tokenAuthFile: f.tokenAuthFile ? resolve(f.tokenAuthFile) : undefined,
    encryptionProviderConfig: f.encryptionProviderConfig ? resolve(f.encryptionProviderConfig) : undefined,
    auditPolicyFile: f.auditPolicyFile ? resolve(f.auditPolicyFile) : undefined,
    auditLogPath: auditLogPath(f),
    auditLogMaxSizeMb: f.auditLogMaxsize,
    auditLogMaxBackups: f.auditLogMaxbackup,
    auditLogMaxAgeDays: f.auditLogMaxage,
    maxRequestsInflight: f.maxRequestsInflight,
    maxMutatingRequestsInflight: f.maxMutatingRequestsInflight,
    compactionIntervalMs: f.compactionInterval,
    compactionKeepRevisions: f.compactionKeepRevisions,
    controllers: f.controllers,
    ...(f.operator.length > 0 ? { operators: f.operator.map((p) => resolve(p)) } : {}),
    enableAdmissionPlugins: f.enableAdmissionPlugins,
    disableAdmissionPlugins: f.disableAdmissionPlugins,
    authorizationMode: f.authorizationMode,
    defaultTolerationSeconds: { notReady: f.defaultNotReadyTolerationSeconds, unreachable: f.defaultUnreachableTolerationSeconds },
    nodeMonitorGracePeriodMs: f.nodeMonitorGracePeriod,
    metricsResolutionMs: f.metricsResolution,
    metricsScrapeIntervalMs: f.metricsScrapeInterval,
    horizontalPodAutoscalerSyncPeriodMs: f.horizontalPodAutoscalerSyncPeriod,
    horizontalPodAutoscalerDownscaleStabilizationMs: f.horizontalPodAutoscalerDownscaleStabilization,
    horizontalPodAutoscalerTolerance: f.horizontalPodAutoscalerTolerance,
    horizontalPodAutoscalerCpuInitializationPeriodMs: f.horizontalPodAutoscalerCpuInitializationPeriod,
    horizontalPodAutoscalerInitialReadinessDelayMs: f.horizontalPodAutoscalerInitialReadinessDelay,
    simulatedNodes: f.simulatedNodes,
    componentsProcess: parseComponentsProcess(f.componentsProcess),
    disableScheduler: f.disableScheduler,
    disableControllerManager: f.disableControllerManager,
    disable: parseDisable(f.disable),
    ingressHttpPort: f.ingressHttpPort,
    ingressHttpsPort: f.ingressHttpsPort,
    // The node runs in the server by default (as k3s's server runs its agent): runc when the machine can, else the
    // process runtime; `--disable-agent` runs a control plane only.
    ...(f.containerRuntimeEndpoint ? {} : { containerRuntime: parseContainerRuntime(f.containerRuntime ?? 'auto') }),
    ...(f.containerRuntimeEndpoint ? { containerRuntimeEndpoint: parseRuntimeEndpoint(f.containerRuntimeEndpoint, f.containerRuntime) } : {}),
    ...(f.nodeName ? { nodeName: f.nodeName } : {}),
    ...(f.nodeLabel.length > 0 ? { nodeLabels: parseNodeLabels(f.nodeLabel) } : {}),
    ...(f.nodeTaint.length > 0 ? { nodeTaints: f.nodeTaint.map(parseNodeTaint) } : {}),
    ...(f.kubeletPort !== undefined ? { kubeletPort: f.kubeletPort } : {}),
    ...(f.defaultLocalStoragePath ? { defaultLocalStoragePath: resolve(f.defaultLocalStoragePath) } : {}),
    ...(f.privateRegistry ? { privateRegistry: resolve(f.privateRegistry) } : {}),
    ...(f.disableDefaultRegistryEndpoint ? { disableDefaultRegistryEndpoint: true } : {}),
    ...(f.evictionHard !== undefined ? { evictionHard: f.evictionHard } : {}),
    ...(f.podNetwork ? { podNetwork: parsePodNetwork(f.podNetwork) } : {}),
    ...(f.podBridgeName ? { podBridgeName: parseBridgeName(f.podBridgeName) } : {}),
    ...(f.disableNetworkPolicy ? { disableNetworkPolicy: true } : {}),
    ...(f.proxyMode ? { proxyMode: parseProxyMode(f.proxyMode) } : {}),
    ...(f.proxyMinSyncPeriod !== undefined ? { proxyMinSyncPeriodMs: f.proxyMinSyncPeriod } : {}),
    ...(f.containerLogMaxSize !== undefined || f.containerLogMaxFiles !== undefined || f.containerLogMonitorInterval !== undefined
      ? {
          containerLogs: {
            ...(f.containerLogMaxSize !== undefined ? { maxSizeBytes: f.containerLogMaxSize } : {}),
            ...(f.containerLogMaxFiles !== undefined ? { maxFiles: f.containerLogMaxFiles } : {}),
            ...(f.containerLogMonitorInterval !== undefined ? { monitorIntervalMs: f.containerLogMonitorInterval } : {}),
          },
        }
      : {}),
  };
}

/** addServerFlags declares the server flags on a command (shared with `up`). */
export function addServerFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'folder for certificates, the database and kubeconfigs', defaultDataDir())
    .option('--bind-address <ip>', 'address the API server listens on', '0.0.0.0')
    .option('--https-listen-port <port>', 'HTTPS port of the API server', parsePort, 6443)
    .option('--write-kubeconfig <path>', 'write the admin kubeconfig here instead of merging it into ~/.kube/config')
    .option('--write-kubeconfig-mode <mode>', 'file mode of the kubeconfig --write-kubeconfig writes, in octal, e.g. 0644 (default 0600)', parseFileMode)
    .option('--advertise-address <ip>', 'address other machines reach the API server at, for cluster-info and join commands (default: the bind address; the host\'s first IPv4 address when binding all)')
    .option('--tls-san <name>', 'extra host name or IP for the serving certificate (repeatable, comma-separated)', collectRepeatable, [])
    .option('--datastore-quota-bytes <size>', 'SQLite datastore: refuse creates and updates (507) once its data reaches this size, like etcd\'s --quota-backend-bytes (0 = none); deletes and reads go on', parseBytes, 2 * 1024 ** 3)
    .option('--datastore-endpoint <url>', 'datastore: sqlite:///path/state.db (default: <data-dir>/db/state.db) or etcd client URLs http(s)://host:2379[,…]')
    .option('--datastore-cafile <file>', 'CA certificate that signed the etcd serving certificates')
    .option('--datastore-certfile <file>', 'client certificate for etcd (with --datastore-keyfile)')
    .option('--datastore-keyfile <file>', 'private key of --datastore-certfile')
    .option('--service-cidr <cidr>', 'IP range for Service cluster IPs; dual-stack: an IPv4 and an IPv6 range, comma-separated (e.g. 10.43.0.0/16,fd00:43::/112)', cidrListParser('--service-cidr'), '10.43.0.0/16')
    .option('--cluster-cidr <cidr>', 'IP range for pod IPs; dual-stack: an IPv4 and an IPv6 range, comma-separated (e.g. 10.42.0.0/16,fd00:42::/56)', cidrListParser('--cluster-cidr'), '10.42.0.0/16')
    .option('--node-cidr-mask-size-ipv6 <bits>', 'prefix length of each node\'s IPv6 pod CIDR, cut from the IPv6 range of --cluster-cidr (default 64)', parseNodeCidrMaskSizeIPv6)
    .option('--cluster-dns <ip>', 'IP of the kube-dns Service and nameserver of pods (default: the 10th address of --service-cidr, e.g. 10.43.0.10)', parseIPv4)
    .option('--cluster-dns-port <port>', 'port the cluster DNS server listens on at the node address, UDP and TCP (0 = any free port)', parsePort, 53)
    .option('--cluster-dns-metrics-port <port>', "also serve the cluster DNS server's Prometheus metrics on this port of the node address, as CoreDNS's :9153 (0 = any free port; default: only in the server's /metrics)", parsePort)
    .option('--cluster-domain <domain>', 'the cluster\'s DNS domain', parseDomain, 'cluster.local')
    .option('--disable-agent', 'run the control plane only, without the node agent', false)
    .option('--no-kubeconfig-merge', 'do not merge the cluster into ~/.kube/config')
    .option('--compaction-interval <duration>', 'how often storage history is compacted', parseDurationMs, 300_000)
    .option('--compaction-keep-revisions <n>', 'revisions of history kept at each compaction', parseCount, 1000)
    .option('--controllers <list>', 'controllers to run: "*" for the default set, "name" to add one, "-name" to leave one out (comma-separated)', '*')
    .option('--operator <path>', 'run the operator module at this path in the server process, reloaded when the file changes (repeatable; see docs/operators.md)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--enable-admission-plugins <list>', 'admission plugins to run besides the default ones (comma-separated, upstream names)', collectRepeatable, [])
    .option('--disable-admission-plugins <list>', 'default admission plugins not to run (comma-separated)', collectRepeatable, [])
    .option('--authorization-mode <modes>', 'authorizers, comma-separated: Node,RBAC (default) or AlwaysAllow (every authenticated user may do everything)', parseAuthorizationMode, 'RBAC')
    .option('--default-not-ready-toleration-seconds <n>', 'seconds new pods tolerate a not-ready node before eviction', parseCount, 300)
    .option('--default-unreachable-toleration-seconds <n>', 'seconds new pods tolerate an unreachable node before eviction', parseCount, 300)
    .option('--node-monitor-grace-period <duration>', 'how long a node may miss heartbeats before it is marked Unknown', parseDurationMs, DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS)
    .option('--metrics-scrape-interval <duration>', 'how often pods annotated prometheus.io/scrape and ExternalMetricSources are scraped for custom and external metrics', parseDurationMs, 15_000)
    .option('--horizontal-pod-autoscaler-sync-period <duration>', 'how often every HorizontalPodAutoscaler is evaluated', parseDurationMs, 15_000)
    .option('--horizontal-pod-autoscaler-downscale-stabilization <duration>', 'how far back the HPA looks for a higher recommendation before scaling down', parseDurationOrZeroMs, 300_000)
    .option('--horizontal-pod-autoscaler-tolerance <ratio>', 'the HPA does not scale while the usage ratio is within 1 ± this', parseTolerance, 0.1)
    .option('--horizontal-pod-autoscaler-cpu-initialization-period <duration>', 'how long after a pod starts the HPA uses its CPU samples only if taken while ready', parseDurationOrZeroMs, 300_000)
    .option('--horizontal-pod-autoscaler-initial-readiness-delay <duration>', 'how long after start a not-ready pod counts as still starting for the HPA', parseDurationOrZeroMs, 30_000)
    .option('--simulated-nodes <n>', 'run N simulated nodes (sim-0 …) in this process, for tests and demos', parseCount, 0)
    .option('--components-process <mode>', 'where the controller manager, scheduler and simulated nodes run: in-process, or separate (one child process the server restarts and stops; uses a second core)', 'in-process')
    .option('--disable-scheduler', 'run no scheduler in this process', false)
    .option('--disable-controller-manager', 'run no controllers in this process (for a `tkube controller-manager` elsewhere)', false)
    .option('--disable <components>', 'packaged components not to run: ingress (the built-in Ingress controller), servicelb (the service load balancer), kubedirector (the KubeDirector operator), metrics-server (resource metrics for kubectl top), dashboard (the web dashboard under /dashboard/) (repeatable, comma-separated)', collectRepeatable, [])
    .option('--metrics-resolution <duration>', 'how often the metrics server scrapes each kubelet for kubectl top', parseDurationMs, 15_000)
    .option('--ingress-http-port <port>', 'HTTP port of the built-in Ingress controller (0 = any free port)', parsePort, 80)
    .option('--ingress-https-port <port>', 'HTTPS port of the built-in Ingress controller (0 = any free port)', parsePort, 443)
    .option('--private-registry <file>', 'registries config for image pulls: mirrors and credentials, k3s registries.yaml format (default <data-dir>/registries.yaml when present)')
    .option('--disable-default-registry-endpoint', 'pull only from the mirrors the registries config names for a registry, never from the registry itself', false)
    .option('--container-runtime <name>', 'run a real node in this process with this runtime (default auto): runc (needs root, runc and busybox-static), process (containers as plain host processes, no root, no isolation), auto (runc when possible, else process), or containerd (root, Debian\'s containerd and containernetworking-plugins; a private daemon under <data-dir>/agent/containerd)')
    .option('--container-runtime-endpoint <url>', 'run a real node in this process with the CRI runtime at this socket: unix:///path/containerd.sock (containerd 1.6; images come from the node image store)')
    .option('--pod-network <kind>', 'network of the pods of the node run in this process: bridge (default: a bridge with the node\'s pod CIDR, hostPorts, masquerade) or none (loopback only, pods report the node IP)')
    .option('--pod-bridge-name <name>', 'name of the pod network\'s bridge (default tkube0)')
    .option('--disable-network-policy', 'do not enforce NetworkPolicies on the node run in this process (and remove its policy table)', false)
    .option('--proxy-mode <mode>', 'service proxy of the node run in this process: nftables (default for runc with the bridge network and for containerd as root), iptables, userspace (default for the process runtime; no root needed) or none')
    .option('--proxy-min-sync-period <duration>', 'least time between two service proxy syncs (default 100ms)', parseDurationMs)
    .option('--node-name <name>', 'name of the node run in this process (default: the host name)')
    .option('--node-label <key=value>', 'label of the node run in this process, set at every start (repeatable, comma-separated)', collectRepeatable, [])
    .option('--node-taint <key=value:Effect>', 'taint of the node run in this process, set when it first registers (repeatable, comma-separated)', collectRepeatable, [])
    .option('--kubelet-port <port>', "port of the node's kubelet endpoint (default 10250; 0 = any free port)", parseCount)
    .option('--eviction-hard <thresholds>', 'hard eviction thresholds of the node, e.g. "memory.available<100Mi,nodefs.available<10%" (default: upstream\'s)')
    .option('--container-log-max-size <quantity>', 'size a container log file grows to before the node rotates it, e.g. 10Mi (default 10Mi)', parseLogMaxSize)
    .option('--container-log-max-files <n>', 'log files kept per container, the live one included, at least 2 (default 5)', parseLogMaxFiles)
    .option('--default-local-storage-path <dir>', 'directory on the node for volumes of the local-path storage class (default /var/lib/tkube/storage)')
    .option('--token-auth-file <file>', 'static bearer tokens: CSV lines token,user,uid,"group1,group2"')
    .option('--encryption-provider-config <file>', 'EncryptionConfiguration for data at rest (default: secrets encrypted with a key generated into <data-dir>/cred)')
    .option('--audit-policy-file <file>', 'audit.k8s.io/v1 Policy deciding what is audited (default: a built-in policy)')
    .option('--audit-log-path <file>', 'write audit events as JSON lines here ("-" = stdout; default <data-dir>/logs/audit.log)')
    .option('--audit-log-maxsize <mb>', 'megabytes an audit log file grows to before it is rotated (0 = never)', parseCount, 100)
    .option('--audit-log-maxbackup <n>', 'rotated audit log files to keep (0 = all)', parseCount, 10)
    .option('--audit-log-maxage <days>', 'days a rotated audit log file is kept (0 = no limit)', parseCount, 30)
    .option('--disable-audit-log', 'write no audit log (it is on by default, at Metadata level)', false)
    .option('--max-requests-inflight <n>', 'concurrent read-only requests; with the mutating limit, the seats the priority levels share (0 with the other 0 = no limit)', parseCount, 400)
    .option('--max-mutating-requests-inflight <n>', 'concurrent mutating requests; added to --max-requests-inflight for the priority levels\' seats', parseCount, 200)
    .option('--cluster-init', 'run an etcd member of this server\'s own (Debian\'s /usr/bin/etcd, data in <data-dir>/db/etcd) as the datastore; needs --token', false)
    .option('--server <url>', 'join the --cluster-init cluster of this server as another server with its own etcd member (with the same --token)')
    .option('--etcd-client-port <port>', 'client port of the embedded etcd member (0 = any free port)', parsePort, 2379)
    .option('--etcd-peer-port <port>', 'peer port of the embedded etcd member (0 = any free port)', parsePort, 2380)
    .option('--leader-elect-lease-duration <duration>', 'how long other servers wait after the controller manager\'s or scheduler\'s leader stopped renewing before taking over', parseDurationMs, 15_000)
    .option('--leader-elect-renew-deadline <duration>', 'how long a leader tries to renew before it stops leading (less than the lease duration)', parseDurationMs, 10_000)
    .option('--leader-elect-retry-period <duration>', 'how often candidates try to acquire and leaders renew', parseDurationMs, 2_000)
    .addOption(new Option('--container-log-monitor-interval <duration>', 'how often the node checks container log sizes (default 10s)').argParser(parseDurationMs).hideHelp())
    .option('--token <token>', 'cluster secret: servers sharing an etcd datastore share the CA and keys stored encrypted under it; also a static bearer token with admin rights');
}

/** parseServerUrl checks `--server` (https://host:port). */
function parseServerUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new CliError(`invalid server "${value}": want https://host:port`);
  }
  if (u.protocol !== 'https:') throw new CliError(`invalid server "${value}": want https://host:port`);
  return u.origin;
}

/** parseLogMaxSize checks `--container-log-max-size` (a quantity: 10Mi, 65536); shared with `tkube agent`. */
export function parseLogMaxSize(value: string): number {
  const bytes = parseQuantity(value);
  if (bytes === undefined || bytes <= 0 || !Number.isFinite(bytes)) throw new CliError(`invalid container log max size "${value}": want a positive quantity such as 10Mi`);
  return Math.floor(bytes);
}

/** parseLogMaxFiles checks `--container-log-max-files`; shared with `tkube agent`. */
export function parseLogMaxFiles(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2) throw new CliError(`invalid container log max files "${value}": want an integer of at least 2`);
  return n;
}

/**
 * auditLogPath is where audit events go: on by default (CIS: audit logging enabled) in `<data-dir>/logs/audit.log`,
 * off only with `--disable-audit-log` (or an empty `--audit-log-path`, as upstream's).
 */
function auditLogPath(f: ServerFlags): string | undefined {
  if (f.disableAuditLog || f.auditLogPath === '') return undefined;
  if (f.auditLogPath === '-') return '-';
  return f.auditLogPath === undefined ? join(resolve(f.dataDir), 'logs', 'audit.log') : resolve(f.auditLogPath);
}

/** DISABLEABLE are the components `--disable` knows ("traefik" is k3s's name for its Ingress controller). */
const DISABLEABLE = new Map([
  ['ingress', 'ingress'],
  ['traefik', 'ingress'],
  ['servicelb', 'servicelb'],
  ['kubedirector', 'kubedirector'],
  ['metrics-server', 'metrics-server'],
  ['dashboard', 'dashboard'],
  ['heap-compactor', 'heap-compactor'],
]);

/** parseDisable checks `--disable` and maps k3s's names onto ours. */
function parseDisable(values: readonly string[]): string[] {
  return values.map((v) => {
    const c = DISABLEABLE.get(v.trim().toLowerCase());
    if (!c) throw new CliError(`unknown component "${v}" for --disable (use ingress, servicelb, kubedirector, metrics-server, dashboard or heap-compactor)`);
    return c;
  });
}

/** parseComponentsProcess checks `--components-process`. */
function parseComponentsProcess(value: string): 'in-process' | 'separate' {
  if (value !== 'in-process' && value !== 'separate') throw new CliError(`unknown components process "${value}": use in-process or separate`);
  return value;
}

/** parsePodNetwork checks `--pod-network`. */
function parsePodNetwork(value: string): 'bridge' | 'none' {
  if (value !== 'bridge' && value !== 'none') throw new CliError(`unknown pod network "${value}": use bridge or none`);
  return value;
}

/** parseProxyMode checks `--proxy-mode`. */
export function parseProxyMode(value: string): 'nftables' | 'iptables' | 'userspace' | 'none' {
  if (value !== 'nftables' && value !== 'iptables' && value !== 'userspace' && value !== 'none') throw new CliError(`unknown proxy mode "${value}": use nftables, iptables, userspace or none`);
  return value;
}

/** parseBridgeName checks `--pod-bridge-name` (a Linux interface name). */
function parseBridgeName(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(value)) throw new CliError(`invalid bridge name "${value}": want up to 15 letters, digits, "-", "_" or "."`);
  return value;
}

/** parseContainerRuntime checks `--container-runtime`. */
function parseContainerRuntime(value: string): 'runc' | 'process' | 'auto' | 'containerd' {
  if (value !== 'runc' && value !== 'process' && value !== 'auto' && value !== 'containerd') throw new CliError(`unknown container runtime "${value}" (use runc, process, auto or containerd)`);
  return value;
}

/** parseRuntimeEndpoint checks `--container-runtime-endpoint` (a unix socket; not together with --container-runtime). */
function parseRuntimeEndpoint(value: string, runtime: string | undefined): string {
  if (runtime) throw new CliError('--container-runtime and --container-runtime-endpoint are exclusive: the endpoint selects the CRI runtime');
  const path = value.startsWith('unix://') ? value.slice('unix://'.length) : value.startsWith('/') ? value : undefined;
  if (!path || !path.startsWith('/')) throw new CliError(`invalid container runtime endpoint "${value}": use unix:///path/to/containerd.sock`);
  return `unix://${path}`;
}

/**
 * parseAuthorizationMode reads `--authorization-mode` as upstream spells it ("Node,RBAC", "RBAC", "AlwaysAllow").
 * The Node authorizer always runs beside RBAC here, so the choice is RBAC or no authorization at all.
 */
function parseAuthorizationMode(value: string): 'RBAC' | 'AlwaysAllow' {
  const modes = value.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = modes.filter((m) => m !== 'Node' && m !== 'RBAC' && m !== 'AlwaysAllow');
  if (unknown.length > 0 || modes.length === 0) throw new CliError(`unknown authorization mode "${unknown[0] ?? value}" (use Node, RBAC or AlwaysAllow)`);
  if (modes.includes('AlwaysAllow') && modes.length > 1) throw new CliError('AlwaysAllow cannot be combined with other modes');
  return modes.includes('AlwaysAllow') ? 'AlwaysAllow' : 'RBAC';
}

/** registerServerCommand adds `tkube server`. */
export function registerServerCommand(program: Command): void {
  addServerFlags(program.command('server').description('Run the control plane in the foreground')).action(async (flags: ServerFlags) => {
    const running = await startServer(serverConfigFromFlags(flags));
    await runUntilSignalled(running);
  });
}
