/**
 * Table columns of NodeMetrics and PodMetrics (`kubectl get nodes.metrics.k8s.io`, `kubectl get podmetrics`), as
 * metrics-server prints them: name, CPU, memory and the window the rate covers. A pod's CPU and memory are the sums
 * over its containers.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { cpuQuantity, memoryQuantity } from '../../api/metrics/resource-metrics.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import type { TableColumnDefinition, TableConvertor } from '../printers/table.js';

const COLUMNS: readonly TableColumnDefinition[] = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
  { name: 'CPU', type: 'string', format: '', description: 'CPU usage', priority: 0 },
  { name: 'Memory', type: 'string', format: '', description: 'Memory usage (working set)', priority: 0 },
  { name: 'Window', type: 'string', format: '', description: 'Time window the usage was measured over', priority: 0 },
];

interface Usage {
  cpu?: string;
  memory?: string;
}

/** NODE_METRICS_TABLE renders NodeMetrics rows. */
export const NODE_METRICS_TABLE: TableConvertor = {
  columns: COLUMNS,
  cells(obj: KubeObject): unknown[] {
    const usage = (obj['usage'] ?? {}) as Usage;
    return [obj.metadata?.name ?? '', usage.cpu ?? '', usage.memory ?? '', obj['window'] ?? ''];
  },
};

/** POD_METRICS_TABLE renders PodMetrics rows. */
export const POD_METRICS_TABLE: TableConvertor = {
  columns: COLUMNS,
  cells(obj: KubeObject): unknown[] {
    let cpu = 0;
    let memory = 0;
    for (const c of (obj['containers'] ?? []) as { usage?: Usage }[]) {
      cpu += parseQuantity(c.usage?.cpu ?? '0') ?? 0;
      memory += parseQuantity(c.usage?.memory ?? '0') ?? 0;
    }
    return [obj.metadata?.name ?? '', cpuQuantity(cpu * 1e9), memoryQuantity(memory), obj['window'] ?? ''];
  },
};
