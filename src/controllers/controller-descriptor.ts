/**
 * ControllerDescriptor: one row of the controller table — a name (what `--controllers` says), whether it runs by
 * default, and how to build it from the shared context. Building must only register informers and handlers;
 * nothing runs until the manager starts the informers and then the controllers.
 */
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import type { Controller } from './controller.js';

/** ControllerContext is what every controller is built from. */
export interface ControllerContext {
  /** The API client (every read and write goes through the API). */
  readonly client: RestClient;
  /** Shared informers: ask for the collections the controller watches. */
  readonly informers: InformerFactory;
  readonly clock: Clock;
  /** A logger named after the controller. */
  readonly log: Logger;
  /** Timing knobs from the command line (`--node-monitor-grace-period` …). */
  readonly settings: ControllerSettings;
}

/**
 * The default `--node-monitor-grace-period`: upstream kube-controller-manager raised it from 40 s to 50 s in 1.32,
 * so a silent node (Lease renewed every 10 s) is marked Unknown 50–55 s after its last renewal.
 */
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 50_000;

/** ControllerSettings are the controller manager's tunables; every field has upstream's default. */
export interface ControllerSettings {
  /** How long a node may go without renewing its Lease before it is marked Unknown. @default 50 s ({@link DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS}) */
  readonly nodeMonitorGracePeriodMs?: number;
  /** How often node health is checked. @default 5 s */
  readonly nodeMonitorPeriodMs?: number;
  /** The ranges node pod CIDRs are cut from (`--cluster-cidr`): one, or an IPv4 and an IPv6 one comma-separated (dual-stack). @default 10.42.0.0/16 */
  readonly clusterCidr?: string;
  /** The prefix length of each node's IPv4 pod CIDR. @default 24 */
  readonly nodeCidrMaskSize?: number;
  /** The prefix length of each node's IPv6 pod CIDR (`--node-cidr-mask-size-ipv6`). @default 64 */
  readonly nodeCidrMaskSizeIPv6?: number;
  /** The directory on each node under which local-path volumes are made. @default /var/lib/tkube/storage */
  readonly localPathBase?: string;
  /** The cluster CA (PEM) the root-ca-cert-publisher puts into every namespace's `kube-root-ca.crt`. */
  readonly rootCAPem?: string;
  /** The CA that signs approved CSRs (upstream's `--cluster-signing-cert-file`/`-key-file`), as PEM. @default none: csrsigning signs nothing */
  readonly clusterSigning?: { readonly certPem: string; readonly keyPem: string };
  /** The longest validity csrsigning gives (`--cluster-signing-duration`). @default one year */
  readonly clusterSigningDurationMs?: number;
  /** How often every HPA is evaluated (`--horizontal-pod-autoscaler-sync-period`). @default 15 s */
  readonly horizontalPodAutoscalerSyncPeriodMs?: number;
  /** The scale-down stabilization window of HPAs without behavior.scaleDown.stabilizationWindowSeconds (`--horizontal-pod-autoscaler-downscale-stabilization`). @default 5 min */
  readonly horizontalPodAutoscalerDownscaleStabilizationMs?: number;
  /** The usage ratio band around 1 within which the HPA does not scale (`--horizontal-pod-autoscaler-tolerance`). @default 0.1 */
  readonly horizontalPodAutoscalerTolerance?: number;
  /** How long after a pod starts its CPU samples are trusted only if taken while ready (`--horizontal-pod-autoscaler-cpu-initialization-period`). @default 5 min */
  readonly horizontalPodAutoscalerCpuInitializationPeriodMs?: number;
  /** How long after start a not-ready pod counts as still starting (`--horizontal-pod-autoscaler-initial-readiness-delay`). @default 30 s */
  readonly horizontalPodAutoscalerInitialReadinessDelayMs?: number;
}

/** ControllerDescriptor describes one controller of the table. */
export interface ControllerDescriptor {
  /** Unique; lower-case like upstream's ("namespace", "serviceaccount"). */
  readonly name: string;
  /** Whether `*` in `--controllers` includes it. */
  readonly enabledByDefault: boolean;
  /** Builds the controller (registers informers and handlers; starts nothing). */
  create(ctx: ControllerContext): Controller;
}
