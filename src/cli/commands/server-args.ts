/**
 * serverArgs: the `tkube server` argv that reproduces parsed ServerFlags. `up`, `init` and `join --control-plane`
 * start the server as a detached process with it, so every server flag they accept reaches the server (the HA
 * flags `--cluster-init`, `--server`, `--token`, `--datastore-*` included). The contract, checked by
 * server-args.test.ts for every flag `addServerFlags` declares: parsing `serverArgs(f)` gives `f` back.
 */
import { resolve as resolvePath } from 'node:path';
import { Command } from 'commander';
import { addServerFlags, type ServerFlags } from './server.js';

/** serverFlagsFrom parses `tkube server` argv (no command name) into ServerFlags: `[]` gives the defaults. */
export function serverFlagsFrom(argv: readonly string[]): ServerFlags {
  const cmd = addServerFlags(new Command('server')).exitOverride();
  cmd.parse([...argv], { from: 'user' });
  return cmd.opts<ServerFlags>();
}

/** ms renders a duration flag parsed to milliseconds back into the Go duration the flag takes. */
function ms(value: number): string {
  return `${value}ms`;
}

/** serverArgs rebuilds the `tkube server` argv for `f` (file paths made absolute: the server may run elsewhere). */
export function serverArgs(f: ServerFlags): string[] {
  const a: string[] = ['server'];
  const opt = (flag: string, value: string | number | undefined): void => {
    if (value !== undefined) a.push(flag, String(value));
  };
  const path = (flag: string, value: string | undefined): void => opt(flag, value === undefined ? undefined : resolvePath(value));
  const bool = (flag: string, value: boolean | undefined): void => {
    if (value) a.push(flag);
  };
  path('--data-dir', f.dataDir);
  opt('--bind-address', f.bindAddress);
  opt('--https-listen-port', f.httpsListenPort);
  path('--write-kubeconfig', f.writeKubeconfig);
  for (const s of f.tlsSan) opt('--tls-san', s);
  opt('--advertise-address', f.advertiseAddress);
  // sqlite:///relative/path is the user's to spell; etcd URLs are not paths.
  opt('--datastore-endpoint', f.datastoreEndpoint);
  path('--datastore-cafile', f.datastoreCafile);
  path('--datastore-certfile', f.datastoreCertfile);
  path('--datastore-keyfile', f.datastoreKeyfile);
  opt('--service-cidr', f.serviceCidr);
  opt('--cluster-cidr', f.clusterCidr);
  opt('--node-cidr-mask-size-ipv6', f.nodeCidrMaskSizeIpv6);
  opt('--cluster-dns', f.clusterDns);
  opt('--cluster-dns-port', f.clusterDnsPort);
  opt('--cluster-domain', f.clusterDomain);
  bool('--disable-agent', f.disableAgent);
  if (!f.kubeconfigMerge) a.push('--no-kubeconfig-merge');
  opt('--datastore-quota-bytes', f.datastoreQuotaBytes);
  // Passed as octal, as typed: parseFileMode reads it back.
  if (f.writeKubeconfigMode !== undefined) opt('--write-kubeconfig-mode', `0${f.writeKubeconfigMode.toString(8)}`);
  opt('--compaction-interval', ms(f.compactionInterval));
  opt('--compaction-keep-revisions', f.compactionKeepRevisions);
  opt('--controllers', f.controllers);
  for (const o of f.operator) path('--operator', o);
  for (const p of f.enableAdmissionPlugins) opt('--enable-admission-plugins', p);
  for (const p of f.disableAdmissionPlugins) opt('--disable-admission-plugins', p);
  opt('--authorization-mode', f.authorizationMode);
  opt('--default-not-ready-toleration-seconds', f.defaultNotReadyTolerationSeconds);
  opt('--default-unreachable-toleration-seconds', f.defaultUnreachableTolerationSeconds);
  opt('--node-monitor-grace-period', ms(f.nodeMonitorGracePeriod));
  opt('--metrics-scrape-interval', ms(f.metricsScrapeInterval));
  opt('--horizontal-pod-autoscaler-sync-period', ms(f.horizontalPodAutoscalerSyncPeriod));
  opt('--horizontal-pod-autoscaler-downscale-stabilization', ms(f.horizontalPodAutoscalerDownscaleStabilization));
  opt('--horizontal-pod-autoscaler-tolerance', f.horizontalPodAutoscalerTolerance);
  opt('--horizontal-pod-autoscaler-cpu-initialization-period', ms(f.horizontalPodAutoscalerCpuInitializationPeriod));
  opt('--horizontal-pod-autoscaler-initial-readiness-delay', ms(f.horizontalPodAutoscalerInitialReadinessDelay));
  opt('--simulated-nodes', f.simulatedNodes);
  opt('--components-process', f.componentsProcess);
  bool('--disable-scheduler', f.disableScheduler);
  bool('--disable-controller-manager', f.disableControllerManager);
  for (const d of f.disable) opt('--disable', d);
  opt('--metrics-resolution', ms(f.metricsResolution));
  opt('--cluster-dns-metrics-port', f.clusterDnsMetricsPort);
  opt('--ingress-http-port', f.ingressHttpPort);
  opt('--ingress-https-port', f.ingressHttpsPort);
  path('--private-registry', f.privateRegistry);
  bool('--disable-default-registry-endpoint', f.disableDefaultRegistryEndpoint);
  opt('--container-runtime', f.containerRuntime);
  opt('--container-runtime-endpoint', f.containerRuntimeEndpoint);
  opt('--pod-network', f.podNetwork);
  opt('--pod-bridge-name', f.podBridgeName);
  bool('--disable-network-policy', f.disableNetworkPolicy);
  opt('--proxy-mode', f.proxyMode);
  if (f.proxyMinSyncPeriod !== undefined) opt('--proxy-min-sync-period', ms(f.proxyMinSyncPeriod));
  opt('--node-name', f.nodeName);
  for (const l of f.nodeLabel) opt('--node-label', l);
  for (const t of f.nodeTaint) opt('--node-taint', t);
  opt('--kubelet-port', f.kubeletPort);
  opt('--eviction-hard', f.evictionHard);
  opt('--container-log-max-size', f.containerLogMaxSize);
  opt('--container-log-max-files', f.containerLogMaxFiles);
  path('--default-local-storage-path', f.defaultLocalStoragePath);
  path('--token-auth-file', f.tokenAuthFile);
  path('--encryption-provider-config', f.encryptionProviderConfig);
  path('--audit-policy-file', f.auditPolicyFile);
  // "-" is stdout, not a file.
  opt('--audit-log-path', f.auditLogPath === undefined || f.auditLogPath === '-' ? f.auditLogPath : resolvePath(f.auditLogPath));
  opt('--audit-log-maxsize', f.auditLogMaxsize);
  opt('--audit-log-maxbackup', f.auditLogMaxbackup);
  opt('--audit-log-maxage', f.auditLogMaxage);
  bool('--disable-audit-log', f.disableAuditLog);
  opt('--max-requests-inflight', f.maxRequestsInflight);
  opt('--max-mutating-requests-inflight', f.maxMutatingRequestsInflight);
  bool('--cluster-init', f.clusterInit);
  opt('--server', f.server);
  opt('--etcd-client-port', f.etcdClientPort);
  opt('--etcd-peer-port', f.etcdPeerPort);
  opt('--leader-elect-lease-duration', ms(f.leaderElectLeaseDuration));
  opt('--leader-elect-renew-deadline', ms(f.leaderElectRenewDeadline));
  opt('--leader-elect-retry-period', ms(f.leaderElectRetryPeriod));
  if (f.containerLogMonitorInterval !== undefined) opt('--container-log-monitor-interval', ms(f.containerLogMonitorInterval));
  opt('--token', f.token);
  return a;
}
