/**
 * simulatedNodeSpecs: the NodeSpecs of N simulated nodes named `<prefix><i>` (`sim-0` … by default). Node `i`
 * (counting from `firstIndex`) gets the i-th /24 of the cluster CIDR as its pod CIDR and 172.18.0.0/16 + 2 + i
 * as its address, so nodes of different agents do not collide when their first indexes differ.
 */
import type { NodeResources } from './node-object.js';
import type { NodeSpec } from './node-agent.js';
import { formatIPv4, subnetOf } from './pod-ip-allocator.js';

/** SimulatedNodesOptions shape the generated nodes. */
export interface SimulatedNodesOptions {
  /** @default "sim-" */
  readonly prefix?: string;
  /** @default "10.42.0.0/16" */
  readonly clusterCidr?: string;
  /** Offset of the first node's index (pod CIDR and address). @default 0 */
  readonly firstIndex?: number;
  readonly resources?: NodeResources;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly { key: string; value?: string; effect: string }[];
}

const NODE_ADDRESS_BASE = 172 * 2 ** 24 + 18 * 2 ** 16;

/** simulatedNodeSpecs lists `count` node specs. */
export function simulatedNodeSpecs(count: number, options: SimulatedNodesOptions = {}): NodeSpec[] {
  const prefix = options.prefix ?? 'sim-';
  const first = options.firstIndex ?? 0;
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}${i}`,
    internalIP: formatIPv4(NODE_ADDRESS_BASE + 2 + first + i),
    podCIDR: subnetOf(options.clusterCidr ?? '10.42.0.0/16', 24, first + i),
    resources: options.resources,
    labels: { 'node.tkube.io/simulated': 'true', ...options.labels },
    taints: options.taints,
  }));
}
