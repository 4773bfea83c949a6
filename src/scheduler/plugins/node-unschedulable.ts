/**
 * NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating
 * `node.kubernetes.io/unschedulable:NoSchedule`.
 */
import type { FilterPlugin } from '../framework/plugin.js';
import { SUCCESS, unresolvable } from '../framework/status.js';
import { tolerates } from '../../api/core/tolerations.js';

/** ERR_NODE_UNSCHEDULABLE is upstream's reason text. */
export const ERR_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';

/** TAINT_NODE_UNSCHEDULABLE is the taint a cordoned node implies. */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** NODE_UNSCHEDULABLE is the NodeUnschedulable filter. */
export const NODE_UNSCHEDULABLE: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(pod, node) {
    if (node.node?.spec?.unschedulable !== true) return SUCCESS;
    const taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };
    return (pod.spec?.tolerations ?? []).some((t) => tolerates(t, taint)) ? SUCCESS : unresolvable(ERR_NODE_UNSCHEDULABLE);
  },
};
