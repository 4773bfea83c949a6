/**
 * The kubelet's Prometheus endpoints, rendered from a Summary in the text exposition format (version 0.0.4):
 * - `/metrics/resource`: upstream's resource metrics families (what metrics-server ≥ 0.6 scrapes), each sample
 *   stamped with the time it was read: node_cpu_usage_seconds_total, node_memory_working_set_bytes,
 *   container_cpu_usage_seconds_total, container_memory_working_set_bytes, container_start_time_seconds,
 *   pod_cpu_usage_seconds_total, pod_memory_working_set_bytes, scrape_error.
 * - `/metrics`: the kubelet's own gauges: kubelet_running_pods, kubelet_running_containers{container_state},
 *   kubelet_node_name{node}, process_start_time_seconds.
 * Label values are escaped as the format requires (backslash, quote, newline).
 */
import type { CpuStats, MemoryStats, Summary } from './stats-provider.js';

/** PROMETHEUS_TEXT_CONTENT_TYPE is the Content-Type of the text exposition format. */
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(set: Readonly<Record<string, string>>): string {
  const parts = Object.entries(set).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** Family collects one metric family's samples. */
class Family {
  readonly #lines: string[];
  constructor(
    readonly name: string,
    type: 'counter' | 'gauge',
    help: string,
  ) {
    this.#lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  }
  add(set: Readonly<Record<string, string>>, value: number, timestampMs?: number): void {
    this.#lines.push(`${this.name}${labels(set)} ${value}${timestampMs !== undefined && Number.isFinite(timestampMs) ? ` ${Math.round(timestampMs)}` : ''}`);
  }
  text(): string {
    return this.#lines.join('\n');
  }
}

const seconds = (cpu: CpuStats): number => cpu.usageCoreNanoSeconds / 1e9;
const at = (s: CpuStats | MemoryStats): number => Date.parse(s.time);

/** renderResourceMetrics renders `/metrics/resource` from a Summary. */
export function renderResourceMetrics(summary: Summary): string {
  const nodeCpu = new Family('node_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the node in core-seconds');
  const nodeMem = new Family('node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes');
  const ctrCpu = new Family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the container in core-seconds');
  const ctrMem = new Family('container_memory_working_set_bytes', 'gauge', 'Current working set of the container in bytes');
  const ctrStart = new Family('container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds');
  const podCpu = new Family('pod_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the pod in core-seconds');
  const podMem = new Family('pod_memory_working_set_bytes', 'gauge', 'Current working set of the pod in bytes');
  const scrapeError = new Family('scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise');
  nodeCpu.add({}, seconds(summary.node.cpu), at(summary.node.cpu));
  nodeMem.add({}, summary.node.memory.workingSetBytes, at(summary.node.memory));
  for (const pod of summary.pods) {
    const p = { namespace: pod.podRef.namespace, pod: pod.podRef.name };
    for (const c of pod.containers) {
      const set = { container: c.name, ...p };
      ctrCpu.add(set, seconds(c.cpu), at(c.cpu));
      ctrMem.add(set, c.memory.workingSetBytes, at(c.memory));
      ctrStart.add(set, Date.parse(c.startTime) / 1000);
    }
    podCpu.add(p, seconds(pod.cpu), at(pod.cpu));
    podMem.add(p, pod.memory.workingSetBytes, at(pod.memory));
  }
  scrapeError.add({}, 0);
  return `${[ctrCpu, ctrMem, ctrStart, nodeCpu, nodeMem, podCpu, podMem, scrapeError].map((f) => f.text()).join('\n')}\n`;
}

/** renderKubeletMetrics renders the kubelet's `/metrics` from a Summary. */
export function renderKubeletMetrics(summary: Summary, processStartMs: number): string {
  const pods = new Family('kubelet_running_pods', 'gauge', 'Number of pods that have a running pod sandbox');
  const containers = new Family('kubelet_running_containers', 'gauge', 'Number of containers currently running');
  const nodeName = new Family('kubelet_node_name', 'gauge', "The node's name. The count is always 1.");
  const start = new Family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.');
  pods.add({}, summary.pods.length);
  containers.add({ container_state: 'running' }, summary.pods.reduce((n, p) => n + p.containers.length, 0));
  nodeName.add({ node: summary.node.nodeName }, 1);
  start.add({}, processStartMs / 1000);
  return `${[nodeName, pods, containers, start].map((f) => f.text()).join('\n')}\n`;
}
