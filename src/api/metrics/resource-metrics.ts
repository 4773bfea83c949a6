/**
 * Resource metrics (metrics.k8s.io/v1beta1): NodeMetrics and PodMetrics, the objects `kubectl top` and the
 * HorizontalPodAutoscaler read. Pure data shared by the component that measures them (metricsserver/) and the API
 * server that serves them (apiserver/metrics-apis/). Usage is a ResourceList of quantity strings: `cpu` in
 * cores (written in nanocores, `n`, or millicores, `m`, as upstream's scaled quantities print), `memory` the
 * working set in bytes (binary suffixes when exact).
 */
import type { KubeObject } from '../meta/types.js';

/** METRICS_GROUP, METRICS_VERSION name the resource metrics API. */
export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** ResourceUsage is the usage of one node, container or pod. */
export interface ResourceUsage {
  readonly cpu: string;
  readonly memory: string;
}

/** ContainerMetrics is one container's usage inside a PodMetrics. */
export interface ContainerMetrics {
  readonly name: string;
  readonly usage: ResourceUsage;
}

/** NodeMetrics is metrics.k8s.io/v1beta1 NodeMetrics. */
export interface NodeMetrics extends KubeObject {
  readonly kind: 'NodeMetrics';
  readonly apiVersion: typeof METRICS_API_VERSION;
  /** RFC 3339 time of the later sample the rate was computed from. */
  readonly timestamp: string;
  /** The interval the rate covers, a Go duration such as "15.002s". */
  readonly window: string;
  readonly usage: ResourceUsage;
}

/** PodMetrics is metrics.k8s.io/v1beta1 PodMetrics. */
export interface PodMetrics extends KubeObject {
  readonly kind: 'PodMetrics';
  readonly apiVersion: typeof METRICS_API_VERSION;
  readonly timestamp: string;
  readonly window: string;
  readonly containers: readonly ContainerMetrics[];
}

/** cpuQuantity prints a CPU rate in nanocores as a quantity: millicores when exact ("250m"), else nanocores ("1234n"). */
export function cpuQuantity(nanoCores: number): string {
  const n = Math.max(0, Math.round(nanoCores));
  if (n === 0) return '0';
  if (n % 1_000_000_000 === 0) return String(n / 1_000_000_000);
  if (n % 1_000_000 === 0) return `${n / 1_000_000}m`;
  return `${n}n`;
}

/** memoryQuantity prints bytes as a quantity with the largest exact binary suffix ("64Mi", "1536Ki", "1001"). */
export function memoryQuantity(bytes: number): string {
  let n = Math.max(0, Math.round(bytes));
  if (n === 0) return '0';
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let i = 0;
  while (i < suffixes.length - 1 && n % 1024 === 0) {
    n /= 1024;
    i++;
  }
  return `${n}${suffixes[i] ?? ''}`;
}

/** goDuration prints milliseconds as a Go duration of seconds ("15s", "1.002s"), as metav1.Duration serialises. */
export function goDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms)) / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
}
