/**
 * NodeAgent: the API side of one node — register the Node, renew its Lease, and move the pods bound to it
 * through their lifecycle with a ContainerRuntime:
 *
 *   bound, not started  → runtime.startPod → status Running (pod IP from the node's pod CIDR, conditions,
 *                         containerStatuses, startTime)
 *   deletionTimestamp   → runtime.stopPod → delete with grace 0 and a UID precondition (the API then removes it)
 *   Succeeded / Failed  → release the pod IP
 *
 * Every step is idempotent: a pod may be synced any number of times.
 */
import type { KubeObject } from '../api/meta/types.js';
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { isAlreadyExists, isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import { renewNodeLease } from './node-lease.js';
import { nodeConditions, nodeObject, type NodeSpec } from './node-object.js';
import { PodIpAllocator } from './pod-ip-allocator.js';
import { finishedPodStatus, runningPodStatus } from './pod-status.js';
import type { ContainerRuntime } from './runtime.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;

export type { NodeSpec };

/** PodShape is the part of a pod the agent reads. */
export interface AgentPod extends KubeObject {
  spec?: { nodeName?: string; hostNetwork?: boolean; terminationGracePeriodSeconds?: number };
  status?: { phase?: string; podIP?: string; startTime?: string; conditions?: { type: string; lastTransitionTime?: string }[]; containerStatuses?: Record<string, unknown>[] };
}

/** NodeAgent runs one node. */
export class NodeAgent {
  readonly spec: NodeSpec;
  readonly #client: RestClient;
  readonly #runtime: ContainerRuntime;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #cachedNode: ((name: string) => KubeObject | undefined) | undefined;
  #node: KubeObject | undefined;
  #ips: PodIpAllocator;

  /** `cachedNode` reads a Node from an informer's cache (undefined when it holds none); absent: a GET each time. */
  constructor(config: { spec: NodeSpec; client: RestClient; runtime: ContainerRuntime; clock: Clock; log: Logger; cachedNode?: (name: string) => KubeObject | undefined }) {
    this.spec = config.spec;
    this.#cachedNode = config.cachedNode;
    this.#client = config.client;
    this.#runtime = config.runtime;
    this.#clock = config.clock;
    this.#log = config.log;
    this.#ips = new PodIpAllocator(config.spec.podCIDR);
  }

  /** name is the node's name. */
  get name(): string {
    return this.spec.name;
  }

  /** register creates the Node, or refreshes the status of an existing one (an agent restart), then its Lease. */
  async register(): Promise<void> {
    const now = this.#clock.now();
    const desired = nodeObject({ ...this.spec, runtimeVersion: `${this.#runtime.name}://${this.#runtime.version}`, nowMs: now });
    try {
      this.#node = await this.#client.create(NODES, desired);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const status = desired['status'] as Record<string, unknown>;
      this.#node = await this.#client.patch({ ...NODES, name: this.name, subresource: 'status' }, 'merge', { status: { ...status, conditions: nodeConditions(now) } });
      const existingCidr = (this.#node['spec'] as { podCIDR?: string } | undefined)?.podCIDR;
      if (existingCidr && existingCidr !== this.spec.podCIDR) this.#ips = new PodIpAllocator(existingCidr);
    }
    await this.renewLease();
    this.#log.debug('Node registered', { node: this.name });
  }

  /**
   * renewLease renews (or recreates) the node's Lease, and, like the kubelet, posts the node's conditions again when
   * the Node no longer says Ready (the node lifecycle controller marks a node Unknown after missed heartbeats).
   */
  async renewLease(): Promise<void> {
    if (!this.#node) return;
    const now = this.#clock.now();
    await renewNodeLease(this.#client, this.#node, now);
    // The kubelet reads its Node from a cache (its informer, or the API server's at resourceVersion 0) every
    // status interval; a GET only when no informer holds the node yet.
    const node = this.#cachedNode?.(this.name) ?? (await this.#client.get({ ...NODES, name: this.name }));
    const ready = (node['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') {
      this.#node = await this.#client.patch({ ...NODES, name: this.name, subresource: 'status' }, 'merge', { status: { conditions: nodeConditions(now) } });
    }
  }

  /**
   * syncPod moves one pod bound to this node a step through its lifecycle. Resolves with how many milliseconds
   * from now the pod wants another look (its containers end then), or undefined.
   */
  async syncPod(pod: AgentPod): Promise<number | undefined> {
    const uid = pod.metadata?.uid ?? '';
    const path = { ...PODS, namespace: pod.metadata?.namespace, name: pod.metadata?.name };
    if (pod.metadata?.deletionTimestamp) {
      await this.#runtime.stopPod(pod, pod.metadata.deletionGracePeriodSeconds ?? 0);
      this.#ips.release(uid);
      try {
        await this.#client.delete(path, { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (err) {
        if (!isNotFound(err) && !(err instanceof Error && /Precondition failed/.test(err.message))) throw err;
      }
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      await this.#runtime.stopPod(pod, 0);
      this.#ips.release(uid);
      return;
    }
    if (phase === 'Running' && pod.status?.podIP) {
      if (pod.spec?.hostNetwork !== true) this.#ips.reserve(uid, pod.status.podIP);
      return this.#finishIfExited(pod, path);
    }
    const containers = await this.#runtime.startPod(pod);
    const now = this.#clock.now();
    const podIP = pod.spec?.hostNetwork === true ? this.spec.internalIP : this.#ips.allocate(uid);
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime;
    const status = runningPodStatus({ hostIP: this.spec.internalIP, podIP, startTime: now, readyTime: now, containers, scheduledTime: scheduled });
    try {
      await this.#client.patch({ ...path, subresource: 'status' }, 'merge', { metadata: { uid }, status });
    } catch (err) {
      if (isNotFound(err)) {
        this.#ips.release(uid);
        return;
      }
      throw err;
    }
    const exit = this.#runtime.podExit({ ...pod, status: { ...pod.status, startTime: status['startTime'] as string } });
    return exit ? Math.max(0, exit.at - this.#clock.now()) : undefined;
  }

  /** #finishIfExited reports Succeeded/Failed once the runtime says the containers ended. */
  async #finishIfExited(pod: AgentPod, path: { version: string; resource: string; namespace?: string; name?: string }): Promise<number | undefined> {
    const exit = this.#runtime.podExit(pod);
    if (!exit) return undefined;
    const now = this.#clock.now();
    if (exit.at > now) return exit.at - now;
    await this.#runtime.stopPod(pod, 0);
    const status = finishedPodStatus({
      exitCode: exit.exitCode,
      finishedAt: exit.at,
      startTime: pod.status?.startTime,
      containerStatuses: pod.status?.containerStatuses ?? [],
      conditions: (pod.status?.conditions ?? []) as Record<string, unknown>[],
    });
    try {
      await this.#client.patch({ ...path, subresource: 'status' }, 'merge', { metadata: { uid: pod.metadata?.uid }, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#ips.release(pod.metadata?.uid ?? '');
    return undefined;
  }

  /** adoptRunningPod records the address of a pod found running (after an agent restart) before any new pod starts. */
  adoptRunningPod(pod: AgentPod): void {
    const ip = pod.status?.podIP;
    if (pod.status?.phase === 'Running' && ip && pod.spec?.hostNetwork !== true) this.#ips.reserve(pod.metadata?.uid ?? '', ip);
  }

  /** forgetPod releases what a pod held when it vanished without passing through syncPod's deletion. */
  async forgetPod(pod: AgentPod): Promise<void> {
    await this.#runtime.stopPod(pod, 0);
    this.#ips.release(pod.metadata?.uid ?? '');
  }
}
