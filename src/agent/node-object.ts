/**
 * The Node object an agent registers: well-known labels, capacity and allocatable, the pressure and Ready
 * conditions, addresses and nodeInfo, as a kubelet reports them.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import type { KubeObject } from '../api/meta/types.js';

/** NodeResources is what a node offers (Kubernetes quantities). */
export interface NodeResources {
  /** @default "4" */
  readonly cpu?: string;
  /** @default "16Gi" */
  readonly memory?: string;
  /** @default "110" */
  readonly pods?: string;
}

/** NodeSpec describes one node an agent runs. */
export interface NodeSpec {
  readonly name: string;
  /** The node's address (status.addresses InternalIP, pods' hostIP). */
  readonly internalIP: string;
  /** Pod IPs come from here unless the Node already has spec.podCIDR. */
  readonly podCIDR: string;
  readonly resources?: NodeResources;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly { key: string; value?: string; effect: string }[];
}

/** NodeObjectConfig describes the node to register: its spec plus what the agent reports about itself. */
export interface NodeObjectConfig extends NodeSpec {
  readonly runtimeVersion: string;
  readonly nowMs: number;
}

/** KUBELET_VERSION is what nodes report as their kubelet version (the API level tkube serves). */
export const KUBELET_VERSION = 'v1.32.0-tkube';

function ts(ms: number): string {
  return formatTimestamp(ms);
}

/** nodeConditions are the conditions of a healthy node at `nowMs`. */
export function nodeConditions(nowMs: number, since: number = nowMs): Record<string, unknown>[] {
  const c = (type: string, status: string, reason: string, message: string): Record<string, unknown> => ({
    type,
    status,
    lastHeartbeatTime: ts(nowMs),
    lastTransitionTime: ts(since),
    reason,
    message,
  });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** nodeObject builds the Node to create. */
export function nodeObject(config: NodeObjectConfig): KubeObject {
  const resources = { cpu: config.resources?.cpu ?? '4', memory: config.resources?.memory ?? '16Gi', pods: config.resources?.pods ?? '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: config.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': config.name,
        'kubernetes.io/os': 'linux',
        'node.tkube.io/runtime': config.runtimeVersion.split(':')[0] ?? '',
        ...config.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: config.podCIDR, podCIDRs: [config.podCIDR], ...(config.taints && config.taints.length > 0 ? { taints: config.taints.map((t) => ({ ...t })) } : {}) },
    status: {
      capacity: { ...resources },
      allocatable: { ...resources },
      conditions: nodeConditions(config.nowMs),
      addresses: [
        { type: 'InternalIP', address: config.internalIP },
        { type: 'Hostname', address: config.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: 'simulated',
        osImage: 'tkube simulated node',
        containerRuntimeVersion: config.runtimeVersion,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      phase: 'Running',
    },
  };
}
