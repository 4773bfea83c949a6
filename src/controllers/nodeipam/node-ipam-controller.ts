/**
 * The node IPAM controller (name "nodeipam", upstream's range allocator): every Node without `spec.podCIDR` gets
 * a subnet of `--cluster-cidr` (a /24 by default), written once with `spec.podCIDR` and `spec.podCIDRs`
 * (immutable afterwards, as upstream validates). Subnets nodes already hold, whoever chose them, are marked taken
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
import { CidrSet } from './cidr-set.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;

/** DEFAULT_CLUSTER_CIDR and DEFAULT_NODE_CIDR_MASK_SIZE are k3s's defaults. */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

function podCidrOf(node: KubeObject | undefined): string | undefined {
  const cidr = (node?.['spec'] as { podCIDR?: unknown } | undefined)?.podCIDR;
  return typeof cidr === 'string' && cidr !== '' ? cidr : undefined;
}

/** NodeIpamReconciler gives one node (the key) a pod CIDR when it has none. */
export class NodeIpamReconciler implements Reconciler {
  readonly #client: RestClient;
  readonly #nodes: SharedInformer;
  readonly #cidrs: CidrSet;
  readonly #events: EventRecorder;
  readonly #log: Logger;
  #primed = false;

  constructor(config: { client: RestClient; nodes: SharedInformer; cidrs: CidrSet; events: EventRecorder; log: Logger }) {
    this.#client = config.client;
    this.#nodes = config.nodes;
    this.#cidrs = config.cidrs;
    this.#events = config.events;
    this.#log = config.log;
  }

  /** released frees a deleted node's subnet. */
  released(node: KubeObject): void {
    const cidr = podCidrOf(node);
    if (cidr) this.#cidrs.release(cidr);
  }

  async reconcile(name: string): Promise<void> {
    // The first reconcile runs after the informer synced: mark every subnet already held before handing any out.
    if (!this.#primed) {
      for (const n of this.#nodes.store.list()) {
        const cidr = podCidrOf(n);
        if (cidr) this.#cidrs.occupy(cidr);
      }
      this.#primed = true;
    }
    const node = this.#nodes.store.get(name);
    if (!node) return;
    const held = podCidrOf(node);
    if (held) {
      this.#cidrs.occupy(held);
      return;
    }
    const cidr = this.#cidrs.allocate();
    if (!cidr) {
      await this.#events.record({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      this.#log.warn('No pod CIDR left for node', { node: name });
      return;
    }
    try {
      await this.#client.patch({ ...NODES, name }, 'merge', { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { podCIDR: cidr, podCIDRs: [cidr] } });
      this.#log.info('Assigned pod CIDR', { node: name, podCIDR: cidr });
    } catch (err) {
      this.#cidrs.release(cidr);
      // Gone, or changed meanwhile (perhaps its agent set a subnet itself): the next event decides again.
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/** newNodeIpamController builds the controller over the node informer. */
export function newNodeIpamController(ctx: ControllerContext): Controller {
  const nodes: SharedInformer = ctx.informers.informerFor(NODES);
  const cidrs = new CidrSet(ctx.settings.clusterCidr ?? DEFAULT_CLUSTER_CIDR, ctx.settings.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE);
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
