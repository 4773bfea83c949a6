/**
 * The node IPAM controller (name "nodeipam", upstream's range allocator): every Node without `spec.podCIDR` gets
 * a subnet of each `--cluster-cidr` range (a /24 of the IPv4 one, a /64 of the IPv6 one by default,
 * `--node-cidr-mask-size-ipv6`), written once with `spec.podCIDRs` (one per family, in the order of
 * `--cluster-cidr`) and `spec.podCIDR` (the first), immutable afterwards, as upstream validates. Subnets nodes already hold, whoever chose them, are marked taken
 * when the controller starts, so a restart never hands one out twice; a deleted node's subnet is freed.
 * A range that is used up leaves the node without a subnet and records a `CIDRNotAvailable` event, as upstream.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { Logger } from '../../base/log/logger.js';
import { isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { Reconciler } from '../reconciler.js';
import { parseCidr } from '../../base/net/cidr.js';
import { CidrSet } from './cidr-set.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;

/** DEFAULT_CLUSTER_CIDR and DEFAULT_NODE_CIDR_MASK_SIZE are k3s's defaults. */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;
/** DEFAULT_NODE_CIDR_MASK_SIZE_IPV6 is upstream's --node-cidr-mask-size-ipv6. */
export const DEFAULT_NODE_CIDR_MASK_SIZE_IPV6 = 64;

function podCidrOf(node: KubeObject | undefined): string | undefined {
  const cidr = (node?.['spec'] as { podCIDR?: unknown } | undefined)?.podCIDR;
  return typeof cidr === 'string' && cidr !== '' ? cidr : undefined;
}

/** podCidrsOf: every range a node holds (`podCIDRs`, or the lone `podCIDR` of an older writer). */
function podCidrsOf(node: KubeObject | undefined): string[] {
  const list = (node?.['spec'] as { podCIDRs?: unknown } | undefined)?.podCIDRs;
  const cidrs = Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string' && c !== '') : [];
  const single = podCidrOf(node);
  return cidrs.length > 0 ? cidrs : single ? [single] : [];
}

/** NodeIpamReconciler gives one node (the key) a pod CIDR when it has none. */
export class NodeIpamReconciler implements Reconciler {
  readonly #client: RestClient;
  readonly #nodes: SharedInformer;
  /** One set per cluster range, in `--cluster-cidr` order. */
  readonly #cidrs: readonly CidrSet[];
  readonly #events: EventRecorder;
  readonly #log: Logger;
  #primed = false;

  constructor(config: { client: RestClient; nodes: SharedInformer; cidrs: CidrSet | readonly CidrSet[]; events: EventRecorder; log: Logger }) {
    this.#client = config.client;
    this.#nodes = config.nodes;
    this.#cidrs = Array.isArray(config.cidrs) ? (config.cidrs as readonly CidrSet[]) : [config.cidrs as CidrSet];
    this.#events = config.events;
    this.#log = config.log;
  }

  /** released frees a deleted node's subnet. */
  released(node: KubeObject): void {
    for (const cidr of podCidrsOf(node)) for (const set of this.#cidrs) set.release(cidr);
  }

  /** #occupy marks a node's ranges taken in whichever set each belongs to. */
  #occupy(node: KubeObject): void {
    for (const cidr of podCidrsOf(node)) for (const set of this.#cidrs) set.occupy(cidr);
  }

  #releaseAll(cidrs: readonly string[]): void {
    for (const cidr of cidrs) for (const set of this.#cidrs) set.release(cidr);
  }

  async reconcile(name: string): Promise<void> {
    // The first reconcile runs after the informer synced: mark every subnet already held before handing any out.
    if (!this.#primed) {
      for (const n of this.#nodes.store.list()) this.#occupy(n);
      this.#primed = true;
    }
    const node = this.#nodes.store.get(name);
    if (!node) return;
    if (podCidrOf(node)) {
      this.#occupy(node);
      return;
    }
    const cidrs: string[] = [];
    for (const set of this.#cidrs) {
      const cidr = set.allocate();
      if (cidr) {
        cidrs.push(cidr);
        continue;
      }
      // One family used up leaves the node without any: a dual-stack node needs both.
      this.#releaseAll(cidrs);
      await this.#events.record({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      this.#log.warn('No pod CIDR left for node', { node: name, family: set.family });
      return;
    }
    try {
      await this.#client.patch({ ...NODES, name }, 'merge', { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { podCIDR: cidrs[0], podCIDRs: cidrs } });
      this.#log.info('Assigned pod CIDR', { node: name, podCIDR: cidrs[0], podCIDRs: cidrs.join(',') });
    } catch (err) {
      this.#releaseAll(cidrs);
      // Gone, or changed meanwhile (perhaps its agent set a subnet itself): the next event decides again.
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/** newNodeIpamController builds the controller over the node informer. */
export function newNodeIpamController(ctx: ControllerContext): Controller {
  const nodes: SharedInformer = ctx.informers.informerFor(NODES);
  const cidrs = (ctx.settings.clusterCidr ?? DEFAULT_CLUSTER_CIDR).split(',').map((range) => {
    const family = parseCidr(range).family;
    const mask = family === 'IPv4' ? (ctx.settings.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE) : (ctx.settings.nodeCidrMaskSizeIPv6 ?? DEFAULT_NODE_CIDR_MASK_SIZE_IPV6);
    return new CidrSet(range.trim(), mask);
  });
  const events = new EventRecorder({ client: ctx.client, component: 'node-ipam-controller', clock: ctx.clock, log: ctx.log });
  const reconciler = new NodeIpamReconciler({ client: ctx.client, nodes, cidrs, events, log: ctx.log });
  const controller = new Controller({ name: 'nodeipam', reconciler, clock: ctx.clock, log: ctx.log });
  const enqueue = (n: KubeObject): void => {
    if (n.metadata?.name) controller.enqueue(n.metadata.name);
  };
  nodes.addEventHandler({
    onAdd: enqueue,
    onUpdate: (_old, n) => enqueue(n),
    onDelete: (n) => {
      reconciler.released(n);
      // A freed subnet may be what a node left without one (range used up) is waiting for.
      for (const waiting of nodes.store.list()) if (!podCidrOf(waiting)) enqueue(waiting);
    },
  });
  return controller;
}

/** NODEIPAM_CONTROLLER is the table row of the node IPAM controller. */
export const NODEIPAM_CONTROLLER: ControllerDescriptor = { name: 'nodeipam', enabledByDefault: true, create: newNodeIpamController };
