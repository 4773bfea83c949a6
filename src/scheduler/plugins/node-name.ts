/**
 * NodeName: a pod that names its node (spec.nodeName) fits only there.
 */
import type { FilterPlugin } from '../framework/plugin.js';
import { SUCCESS, unresolvable } from '../framework/status.js';

/** ERR_NODE_NAME is upstream's reason text. */
export const ERR_NODE_NAME = "node(s) didn't match the requested node name";

/** NODE_NAME is the NodeName filter. */
export const NODE_NAME: FilterPlugin = {
  name: 'NodeName',
  skip: (pod) => !pod.spec?.nodeName,
  filter(pod, node) {
    const want = pod.spec?.nodeName;
    return !want || want === node.name ? SUCCESS : unresolvable(ERR_NODE_NAME);
  },
};
