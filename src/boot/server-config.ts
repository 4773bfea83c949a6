/**
 * ServerConfig: everything `tkube server` is configured with, after flags are parsed. Built by the CLI,
 * consumed by boot/server.ts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

// The CLI may not reach into components; it takes controller defaults from here.
export { DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS } from '../controllers/controller-descriptor.js';

/** ServerConfig is the input of `startServer`. */
export interface ServerConfig {
  /** Where certificates, the database, kubeconfigs and logs live. */
  readonly dataDir: string;
  /** @default "0.0.0.0" */
  readonly bindAddress: string;
  /** @default 6443; 0 picks a free port (tests). */
  readonly httpsPort: number;
  /** Extra subject alternative names for the serving certificate. */
  readonly tlsSans: readonly string[];
  /**
   * The address other machines reach the API server at: the server of `kube-public/cluster-info` (and so of the
   * join command) and a subject alternative name of the serving certificate. @default the bind address, or the
   * host's first IPv4 address when binding to all addresses
   */
  readonly advertiseAddress?: string;
  /**
   * Where to write the admin kubeconfig besides `<dataDir>/admin.kubeconfig`. When unset, the cluster is merged
   * into ~/.kube/config as context "tkube" (unless `mergeKubeconfig` is false).
   */
  readonly writeKubeconfig?: string;
  /** `--write-kubeconfig-mode`: the file mode of the kubeconfig written to `writeKubeconfig`. @default 0o600 */
  readonly writeKubeconfigMode?: number;
  /** Merge into ~/.kube/config when `writeKubeconfig` is unset. @default true */
  readonly mergeKubeconfig: boolean;
  /** `sqlite://PATH` (default `<dataDir>/db/state.db`) or etcd client URLs `https://etcd:2379[,…]`. */
  readonly datastoreEndpoint?: string;
  /** Files for TLS to etcd (k3s's `--datastore-cafile`, `--datastore-certfile`, `--datastore-keyfile`). */
  readonly datastoreTls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /**
   * `--datastore-quota-bytes`: the SQLite datastore refuses creates and updates (507) once its pages in use reach this
   * size; 0 means no quota. Not applied to etcd, which has its own `--quota-backend-bytes`.
   * @default DEFAULT_DATASTORE_QUOTA_BYTES
   */
  readonly datastoreQuotaBytes?: number;
  /** `--service-cidr`: one range, or an IPv4 and an IPv6 one comma-separated (dual-stack). @default "10.43.0.0/16" */
  readonly serviceCidr: string;
  /** `--cluster-cidr`: one range, or an IPv4 and an IPv6 one comma-separated (dual-stack). @default "10.42.0.0/16" */
  readonly clusterCidr: string;
  /** `--node-cidr-mask-size-ipv6`: the prefix length of each node's IPv6 pod CIDR. @default 64 */
  readonly nodeCidrMaskSizeIPv6?: number;
  /** `--cluster-dns`: the kube-dns Service IP, and the nameserver in pods' resolv.conf. @default the 10th address of serviceCidr */
  readonly clusterDns?: string;
  /** `--cluster-dns-port`: where the cluster DNS server listens on the node address (0 = any free port). @default 53 */
  readonly clusterDnsPort?: number;
  /**
   * `--cluster-dns-metrics-port`: also serve the DNS metrics (always in the server's /metrics) on this port of the
   * node address, where the kube-dns Service's `metrics` port leads (0 = any free port). @default none
   */
  readonly clusterDnsMetricsPort?: number;
  /** `--cluster-domain`. @default "cluster.local" */
  readonly clusterDomain?: string;
  /** `--node-label`: labels of the node run in this process, set at every registration. */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** `--node-taint`: taints of the node run in this process, set when its Node is first created. */
  readonly nodeTaints?: readonly { key: string; value?: string; effect: string }[];
  /** Run the control plane only (the node agent arrives in a later issue; accepted now). */
  readonly disableAgent: boolean;
  /** How often storage history is compacted. @default 300000 (5 minutes, as upstream) */
  readonly compactionIntervalMs?: number;
  /** Revisions of history kept behind the newest at each compaction. @default 1000 */
  readonly compactionKeepRevisions?: number;
  /** Controllers to run, as `--controllers` says: "*", "*,-serviceaccount", "namespace". @default "*" */
  readonly controllers?: string;
  /** `--operator`: operator module files run in this process (src/sdk), reloaded when they change. */
  readonly operators?: readonly string[];
  /**
   * `--disable`: packaged components not to run, as k3s's flag: "ingress" (the built-in Ingress controller and
   * its proxy), "servicelb" (the service load balancer controller), "kubedirector" (the KubeDirector operator),
   * "metrics-server" (the resource metrics scraper; metrics.k8s.io then answers 503), "dashboard" (the web
   * dashboard's files under /dashboard/) and "heap-compactor" (the full collection once a burst is over,
   * base/memory/heap-compactor.ts).
   */
  readonly disable?: readonly string[];
  /** `--metrics-resolution`: how often the metrics server scrapes each kubelet. @default 15 s */
  readonly metricsResolutionMs?: number;
  /** `--ingress-http-port`: the Ingress proxy's HTTP port (0 = any free port). @default 80 */
  readonly ingressHttpPort?: number;
  /** `--ingress-https-port`: the Ingress proxy's HTTPS port (0 = any free port). @default 443 */
  readonly ingressHttpsPort?: number;
  /** Run no scheduler in this process. @default false */
  readonly disableScheduler?: boolean;
  /** `--disable-controller-manager` (k3s's flag): run no controllers, for a `tkube controller-manager` elsewhere. @default false */
  readonly disableControllerManager?: boolean;
  /** Simulated nodes (`sim-0` …) to run in this process beside the control plane. @default 0 */
  readonly simulatedNodes?: number;
  /**
   * `--components-process`: where the controller manager, the scheduler and the simulated nodes run — "in-process"
   * (in the API server's process, sharing its informers) or "separate" (one child process the server supervises,
   * on another core; components-process.ts). @default "in-process"
   */
  readonly componentsProcess?: 'in-process' | 'separate';
  /**
   * `--container-runtime`: run a real node in this process with this runtime ("runc", "process", or "auto" = runc
   * when root and runc are there, else process); unset runs none yet (the embedded node becomes the default once
   * the node agent is complete). Ignored with `disableAgent`.
   */
  readonly containerRuntime?: 'runc' | 'process' | 'auto' | 'containerd';
  /**
   * `--container-runtime-endpoint unix:///…/containerd.sock`: run a real node in this process whose containers run
   * in that CRI runtime (containerd 1.6 with a config like containerd-daemon.ts writes). Ignored with `disableAgent`.
   */
  readonly containerRuntimeEndpoint?: string;
  /** `--pod-network` of the embedded node: "bridge" (a bridge with the Node's podCIDR) or "none" (loopback only). @default "bridge" */
  readonly podNetwork?: 'bridge' | 'none';
  /** `--disable-network-policy` (k3s's flag): the embedded node enforces no NetworkPolicies. @default false */
  readonly disableNetworkPolicy?: boolean;
  /** `--pod-bridge-name` of the embedded node's pod network. @default "tkube0" */
  readonly podBridgeName?: string;
  /**
   * `--proxy-mode` of the embedded node: nftables, iptables, userspace or none. @default see resolveProxyMode in node.ts
   */
  readonly proxyMode?: 'nftables' | 'iptables' | 'userspace' | 'none';
  /** `--proxy-min-sync-period` of the embedded node, in ms. @default 100 */
  readonly proxyMinSyncPeriodMs?: number;
  /** `--node-name` of the embedded node. @default the host name */
  readonly nodeName?: string;
  /**
   * `--default-local-storage-path` (k3s's flag): the directory on each node under which the local-path
   * provisioner makes volumes, and from which the node deletes them. @default /var/lib/tkube/storage
   */
  readonly defaultLocalStoragePath?: string;
  /** `--container-log-max-size` / `--container-log-max-files` of the embedded node. @default 10Mi and 5 */
  readonly containerLogs?: { readonly maxSizeBytes?: number; readonly maxFiles?: number; readonly monitorIntervalMs?: number };
  /** `--kubelet-port` of the embedded node (0 = any free port). @default 10250 */
  readonly kubeletPort?: number;
  /** The registries config (mirrors, credentials) for image pulls. @default <data-dir>/registries.yaml when present */
  readonly privateRegistry?: string;
  /** Registries with mirrors are pulled from their mirrors only. */
  readonly disableDefaultRegistryEndpoint?: boolean;
  /** `--eviction-hard` of the embedded node (`memory.available<100Mi,...`). @default upstream's defaults */
  readonly evictionHard?: string;
  /** `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds`. @default 300 each */
  readonly defaultTolerationSeconds?: { readonly notReady?: number; readonly unreachable?: number };
  /** `--node-monitor-grace-period`: how long a node may stay silent before it is marked Unknown. @default 50 s (upstream 1.32) */
  readonly nodeMonitorGracePeriodMs?: number;
  /** `--metrics-scrape-interval`: how often annotated pods and ExternalMetricSources are scraped. @default 15 s */
  readonly metricsScrapeIntervalMs?: number;
  /** `--horizontal-pod-autoscaler-sync-period`: how often every HPA is evaluated. @default 15 s */
  readonly horizontalPodAutoscalerSyncPeriodMs?: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization`: the default scale-down stabilization window. @default 5 min */
  readonly horizontalPodAutoscalerDownscaleStabilizationMs?: number;
  /** `--horizontal-pod-autoscaler-tolerance`: the ratio band around the target that does not scale. @default 0.1 */
  readonly horizontalPodAutoscalerTolerance?: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period`. @default 5 min */
  readonly horizontalPodAutoscalerCpuInitializationPeriodMs?: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay`. @default 30 s */
  readonly horizontalPodAutoscalerInitialReadinessDelayMs?: number;
  /** `--authorization-mode`: RBAC (with the Node authorizer) or AlwaysAllow. @default "RBAC" */
  readonly authorizationMode?: 'RBAC' | 'AlwaysAllow';
  /** `--enable-admission-plugins`: plugins to run besides the default set (upstream names). */
  readonly enableAdmissionPlugins?: readonly string[];
  /** `--disable-admission-plugins`: plugins of the default set not to run. */
  readonly disableAdmissionPlugins?: readonly string[];
  /** Static bearer tokens (token → user name, groups) for tests and automation. */
  readonly staticTokens?: readonly { token: string; user: string; groups: readonly string[] }[];
  /**
   * `--token` (k3s's cluster secret): with an etcd datastore, the CA, service-account key and encryption config
   * are shared between servers through the datastore, encrypted under it (boot/bootstrap-data.ts).
   */
  readonly clusterToken?: string;
  /** `--cluster-init`: run an etcd member of this server's own (Debian's etcd) and use it as the datastore. */
  readonly clusterInit?: boolean;
  /** `--server URL`: join the `--cluster-init` cluster of that server (adds an etcd member; implies clusterInit). */
  readonly joinServer?: string;
  /** `--etcd-client-port` / `--etcd-peer-port` of the embedded member (0 = free port, tests). @default 2379 / 2380 */
  readonly etcdClientPort?: number;
  readonly etcdPeerPort?: number;
  /** Timing of the Leases that elect the controller manager and scheduler among servers. @default 15 s / 10 s / 2 s */
  readonly leaderElection?: { readonly leaseDurationMs?: number; readonly renewDeadlineMs?: number; readonly retryPeriodMs?: number };
  /** `--token-auth-file`: a static token CSV (`token,user,uid,"group1,group2"`). */
  readonly tokenAuthFile?: string;
  /**
   * `--encryption-provider-config`: an EncryptionConfiguration file. When unset, secrets are encrypted with an
   * aesgcm key generated into `<dataDir>/cred/encryption-config.yaml` on first start.
   */
  readonly encryptionProviderConfig?: string;
  /** `--audit-policy-file`: an audit.k8s.io/v1 Policy; when unset with a log path, the built-in default policy. */
  readonly auditPolicyFile?: string;
  /** `--audit-log-path`: where audit events go as JSON lines; "-" is stdout; unset = no audit log (the CLI sets `<data-dir>/logs/audit.log` unless `--disable-audit-log`). */
  readonly auditLogPath?: string;
  /** `--audit-log-maxsize`: megabytes before the audit log rotates; 0 = never. */
  readonly auditLogMaxSizeMb?: number;
  /** `--audit-log-maxbackup`: rotated audit files kept; 0 = all. */
  readonly auditLogMaxBackups?: number;
  /** `--audit-log-maxage`: days a rotated audit file is kept; 0 = no limit. */
  readonly auditLogMaxAgeDays?: number;
  /** `--max-requests-inflight`: concurrent read-only requests; with priority and fairness, part of the seats. */
  readonly maxRequestsInflight?: number;
  /** `--max-mutating-requests-inflight`: concurrent mutating requests; with priority and fairness, part of the seats. */
  readonly maxMutatingRequestsInflight?: number;
}

/** defaultDataDir: /var/lib/tkube for root (as k3s uses /var/lib/rancher/k3s), ~/.tkube otherwise. */
export function defaultDataDir(): string {
  if (process.env.TKUBE_DATA_DIR) return process.env.TKUBE_DATA_DIR;
  return process.getuid?.() === 0 ? '/var/lib/tkube' : join(homedir(), '.tkube');
}

/** userKubeconfigPath: the kubeconfig `kubectl` reads by default (first entry of $KUBECONFIG, else ~/.kube/config). */
export function userKubeconfigPath(): string {
  const env = process.env.KUBECONFIG;
  const first = env?.split(':').find((p) => p.length > 0);
  return first ?? join(homedir(), '.kube', 'config');
}
