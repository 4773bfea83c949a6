import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderKubeletMetrics, renderResourceMetrics } from './resource-metrics.js';
import type { Summary } from './stats-provider.js';

const time = '2026-01-01T00:00:01.500Z';
const fs = { time, availableBytes: 1, capacityBytes: 2, usedBytes: 1 };
const summary: Summary = {
  node: {
    nodeName: 'n1',
    startTime: '2026-01-01T00:00:00Z',
    cpu: { time, usageCoreNanoSeconds: 3e9 },
    memory: { time, usageBytes: 10, workingSetBytes: 8 },
    fs,
    runtime: { imageFs: fs, containerFs: fs },
    rlimit: { time, maxpid: 10, curproc: 1 },
  },
  pods: [
    {
      podRef: { name: 'web', namespace: 'de"v', uid: 'u' },
      startTime: '2026-01-01T00:00:00Z',
      containers: [{ name: 'app', startTime: '2026-01-01T00:00:00Z', cpu: { time, usageCoreNanoSeconds: 5e8 }, memory: { time, usageBytes: 4, workingSetBytes: 3 }, rootfs: fs, logs: fs }],
      cpu: { time, usageCoreNanoSeconds: 5e8 },
      memory: { time, usageBytes: 4, workingSetBytes: 3 },
      volume: [],
      'ephemeral-storage': fs,
    },
  ],
};

void describe('kubelet Prometheus endpoints', () => {
  void it('renders /metrics/resource with upstream family names, escaped labels and sample times', () => {
    const text = renderResourceMetrics(summary);
    const ms = Date.parse(time);
    assert.ok(text.includes('# TYPE node_cpu_usage_seconds_total counter\n'));
    assert.ok(text.includes(`node_cpu_usage_seconds_total 3 ${ms}\n`));
    assert.ok(text.includes(`node_memory_working_set_bytes 8 ${ms}\n`));
    assert.ok(text.includes(`container_cpu_usage_seconds_total{container="app",namespace="de\\"v",pod="web"} 0.5 ${ms}\n`));
    assert.ok(text.includes(`container_memory_working_set_bytes{container="app",namespace="de\\"v",pod="web"} 3 ${ms}\n`));
    assert.ok(text.includes('container_start_time_seconds{container="app",namespace="de\\"v",pod="web"} 1767225600\n'));
    assert.ok(text.includes(`pod_memory_working_set_bytes{namespace="de\\"v",pod="web"} 3 ${ms}\n`));
    assert.ok(text.endsWith('scrape_error 0\n'));
  });
  void it('renders the kubelet gauges', () => {
    const text = renderKubeletMetrics(summary, 1_767_225_600_000);
    assert.ok(text.includes('kubelet_node_name{node="n1"} 1\n'));
    assert.ok(text.includes('kubelet_running_pods 1\n'));
    assert.ok(text.includes('kubelet_running_containers{container_state="running"} 1\n'));
    assert.ok(text.includes('process_start_time_seconds 1767225600\n'));
  });
});
