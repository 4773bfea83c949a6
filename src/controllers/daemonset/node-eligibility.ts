/**
 * Whether a DaemonSet's pod belongs on a node (upstream's daemon "predicates"): the node matches the pod's
 * nodeSelector and required node affinity, and the pod tolerates the node's NoSchedule and NoExecute taints.
 * DaemonSet pods tolerate `node.kubernetes.io/unschedulable` (and the not-ready/unreachable taints), as upstream
 * adds those tolerations to them, so cordoned and briefly unhealthy nodes keep their daemons.
 */
import { anyTermMatches, type NodeSelectorTerm } from '../../api/core/node-selector.js';
import { tolerates, type Taint, type Toleration } from '../../api/core/tolerations.js';
import type { KubeObject } from '../../api/meta/types.js';

/** NodeShape is the part of v1 Node read here. */
export interface NodeShape extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean };
}

/** DaemonPodSpec is the part of a pod template's spec read here. */
export interface DaemonPodSpec {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } };
}

/** DAEMON_TOLERATIONS are added to every DaemonSet pod, as upstream does. */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** nodeShouldRunDaemon tells whether the DaemonSet's pod should run on the node. */
export function nodeShouldRunDaemon(node: NodeShape, spec: DaemonPodSpec): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0 && !anyTermMatches(terms, node)) return false;
  const tolerations = [...(spec.tolerations ?? []), ...DAEMON_TOLERATIONS];
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return false;
  }
  return true;
}
