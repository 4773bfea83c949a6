/**
 * The Pod and Node fields the scheduler reads, typed narrowly. Objects arrive as plain JSON from informers; these
 * interfaces describe what the plugins rely on and nothing more.
 */
import type { NodeSelectorRequirement, NodeSelectorTerm } from '../../api/core/node-selector.js';
import type { Taint, Toleration } from '../../api/core/tolerations.js';
import type { KubeObject } from '../../api/meta/types.js';

export type { NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration };

/** PodAffinityTerm is core/v1 PodAffinityTerm. */
export interface PodAffinityTerm {
  labelSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | null;
  namespaces?: string[];
  namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | null;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

/** PodAffinity is core/v1 PodAffinity (and PodAntiAffinity, which has the same shape). */
export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[];
}

/** TopologySpreadConstraint is core/v1 TopologySpreadConstraint. */
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway' | string;
  labelSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  minDomains?: number;
  matchLabelKeys?: string[];
  nodeAffinityPolicy?: 'Honor' | 'Ignore' | string;
  nodeTaintsPolicy?: 'Honor' | 'Ignore' | string;
}

/** ContainerPort is the part of a container port the NodePorts plugin reads. */
export interface ContainerPort {
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

/** Container is the part of a container the scheduler reads. */
export interface Container {
  name?: string;
  image?: string;
  ports?: ContainerPort[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}

/** PodSpec is the part of a pod spec the scheduler reads. */
export interface PodSpec {
  nodeName?: string;
  schedulerName?: string;
  priority?: number;
  preemptionPolicy?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
      preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
    };
    podAffinity?: PodAffinity;
    podAntiAffinity?: PodAffinity;
  };
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, string | number>;
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

/** Pod is a pod as the scheduler sees it. */
export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[]; nominatedNodeName?: string };
}

/** Node is a node as the scheduler sees it. */
export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: Taint[]; podCIDR?: string };
  status?: { allocatable?: Record<string, string | number>; capacity?: Record<string, string | number>; conditions?: { type: string; status: string }[] };
}

/** podKey is `namespace/name`, the key of pods in queues and caches. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
