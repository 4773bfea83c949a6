/**
 * NodePorts: a pod's host ports must be free on the node. Two uses conflict on the same protocol and port when
 * their IPs are equal or either is the wildcard 0.0.0.0.
 */
import { hostPortsOf } from '../framework/node-info.js';
import type { FilterPlugin } from '../framework/plugin.js';
import { SUCCESS, unschedulable } from '../framework/status.js';

/** ERR_NODE_PORTS is upstream's reason text. */
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

/** NODE_PORTS is the NodePorts filter. */
export const NODE_PORTS: FilterPlugin = {
  name: 'NodePorts',
  skip: (pod, state) => state.read('NodePorts/wanted', () => hostPortsOf(pod)).length === 0,
  filter(pod, node, state) {
    const wanted = state.read('NodePorts/wanted', () => hostPortsOf(pod));
    if (wanted.length === 0) return SUCCESS;
    const used = node.usedPorts();
    const conflict = wanted.some((w) => used.some((u) => u.port === w.port && u.protocol === w.protocol && (u.ip === w.ip || u.ip === '0.0.0.0' || w.ip === '0.0.0.0')));
    return conflict ? unschedulable(ERR_NODE_PORTS) : SUCCESS;
  },
};
