/**
 * Agent: runs one or many NodeAgents in a process over one API client — `tkube agent --nodes N` and
 * `tkube server --simulated-nodes N`. All nodes share one pod informer; events are dispatched to the node a pod
 * is bound to and synced by a pool of workers through a de-duplicating work queue keyed by pod.
 * Leases of all nodes are renewed every 10 s.
 *
 * Workers: one per node, at least 16 and at most MAX_DEFAULT_WORKERS. Each real kubelet syncs its own pods and
 * writes their statuses independently; a fixed pool of 16 for 1,000 nodes capped the whole agent at 16 status
 * writes per round trip, which under load (a round trip of 100–500 ms while the API server also takes creates and
 * bindings) paced every pod's way to Running at 30–150 a second (bench/scale.ts --timeline: Ready in steps of 16).
 *
 * Contracts:
 *  - `start` resolves once every node is registered and the pod informer synced; nodes register in parallel,
 *    a bounded number at a time.
 *  - A failed pod sync is retried with per-key exponential backoff.
 *  - `stop` ends the informer, timers and workers; nodes and leases stay (a stopped node looks dead to the
 *    node lifecycle controller once its lease expires, as a real node would).
 */
import type { KubeObject } from '../api/meta/types.js';
import { RealClock, type Clock, type Timer } from '../base/clock/clock.js';
import { newLogger, type Logger } from '../base/log/logger.js';
import { WorkQueue } from '../base/queue/work-queue.js';
import { SharedInformer } from '../client/informer/shared-informer.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import { metaNamespaceKey } from '../client/informer/store.js';
import type { RestClient } from '../client/rest-client.js';
import { LEASE_RENEW_INTERVAL_MS } from './node-lease.js';
import { NodeAgent, type AgentPod, type NodeSpec } from './node-agent.js';
import type { ContainerRuntime } from './runtime.js';

/** AgentConfig constructs an Agent. */
export interface AgentConfig {
  readonly client: RestClient;
  /** The nodes to run. */
  readonly nodes: readonly NodeSpec[];
  /** The runtime for each node (one instance may serve all nodes). */
  readonly runtimeFor: (node: NodeSpec) => ContainerRuntime;
  /** @default RealClock */
  readonly clock?: Clock;
  /** @default a logger named "agent" */
  readonly log?: Logger;
  /** @default 10000 */
  readonly leaseRenewIntervalMs?: number;
  /** Concurrent pod syncs. @default one per node, at least 16 and at most MAX_DEFAULT_WORKERS */
  readonly workers?: number;
  /** Informers shared with other components of this process (already started, owned by the caller). @default own */
  readonly informers?: InformerFactory;
}

const REGISTER_CONCURRENCY = 32;
/**
 * The most workers chosen by default: four times the old fixed pool, enough writes in flight to keep the API
 * server's loop busy. Not one per node up to 1,000: over HTTP/1.1 each write in flight is a connection of its own
 * (a kubelet multiplexes its writes on one HTTP/2 connection), and with 256 workers on a starved machine the
 * loopback socket's accept queue overflowed (connect EAGAIN for the other components' lists).
 */
export const MAX_DEFAULT_WORKERS = 64;

/** Agent runs nodes. */
export class Agent {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #agents = new Map<string, NodeAgent>();
  readonly #pods: SharedInformer<AgentPod>;
  readonly #sharedPods: boolean;
  readonly #queue: WorkQueue<string>;
  readonly #workers: number;
  readonly #leaseIntervalMs: number;
  /** Last known pod per key, so a pod that vanished can be forgotten by its node. */
  readonly #known = new Map<string, AgentPod>();
  readonly #abort = new AbortController();
  #runs: Promise<void>[] = [];
  #leaseTimer: Timer | undefined;

  constructor(config: AgentConfig) {
    this.#clock = config.clock ?? new RealClock();
    this.#log = config.log ?? newLogger('agent');
    this.#workers = config.workers ?? Math.min(MAX_DEFAULT_WORKERS, Math.max(16, config.nodes.length));
    this.#leaseIntervalMs = config.leaseRenewIntervalMs ?? LEASE_RENEW_INTERVAL_MS;
    // With the process's shared informers, lease renewals read each Node from the nodes informer the scheduler and
    // controllers keep anyway, instead of one GET per node every 10 s (100 requests a second for 1,000 nodes).
    const nodes = config.informers?.informerFor({ version: 'v1', resource: 'nodes' });
    const cachedNode = nodes ? (name: string): KubeObject | undefined => nodes.store.get(name) : undefined;
    for (const spec of config.nodes) {
      if (this.#agents.has(spec.name)) throw new Error(`Cannot run node "${spec.name}": named twice`);
      this.#agents.set(spec.name, new NodeAgent({ spec, client: config.client, runtime: config.runtimeFor(spec), clock: this.#clock, log: this.#log, ...(cachedNode ? { cachedNode } : {}) }));
    }
    this.#queue = new WorkQueue<string>({ clock: this.#clock });
    this.#sharedPods = config.informers !== undefined;
    this.#pods =
      config.informers?.informerFor<AgentPod>({ version: 'v1', resource: 'pods' }) ??
      new SharedInformer<AgentPod>({ client: config.client, path: { version: 'v1', resource: 'pods' }, clock: this.#clock, log: this.#log.child('pods') });
    const enqueue = (pod: AgentPod): void => {
      const node = pod.spec?.nodeName;
      const key = metaNamespaceKey(pod);
      if (node && this.#agents.has(node)) this.#queue.add(key);
      else if (this.#known.has(key)) this.#queue.add(key);
    };
    this.#pods.addEventHandler({ onAdd: enqueue, onUpdate: (_o, p) => enqueue(p), onDelete: enqueue });
  }

  /** nodeNames lists the nodes this agent runs. */
  nodeNames(): string[] {
    return [...this.#agents.keys()];
  }

  /** start registers the nodes, starts the pod informer, lease renewal and workers. */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.#abort.abort(), { once: true });
    const stop = this.#abort.signal;
    const agents = [...this.#agents.values()];
    for (let i = 0; i < agents.length; i += REGISTER_CONCURRENCY) {
      await Promise.all(agents.slice(i, i + REGISTER_CONCURRENCY).map((a) => a.register()));
      if (stop.aborted) return;
    }
    this.#log.info('Nodes registered', { count: agents.length });
    if (!this.#sharedPods) this.#runs.push(this.#pods.run(stop));
    if (!(await this.#pods.waitForSync(stop))) return;
    // Addresses of pods already running (an agent restart) are taken before any new pod gets one.
    for (const pod of this.#pods.store.list()) {
      const node = pod.spec?.nodeName ? this.#agents.get(pod.spec.nodeName) : undefined;
      node?.adoptRunningPod(pod);
    }
    stop.addEventListener('abort', () => this.#queue.shutDown(), { once: true });
    for (let i = 0; i < this.#workers; i++) this.#runs.push(this.#worker());
    this.#scheduleLeaseRenewal();
  }

  /** stop ends everything started; resolves once workers and the informer returned. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#leaseTimer?.cancel();
    this.#queue.shutDown();
    await Promise.all(this.#runs);
  }

  #scheduleLeaseRenewal(): void {
    this.#leaseTimer = this.#clock.setTimer(this.#leaseIntervalMs, () => {
      if (this.#abort.signal.aborted) return;
      void this.#renewAll().finally(() => {
        if (!this.#abort.signal.aborted) this.#scheduleLeaseRenewal();
      });
    });
  }

  async #renewAll(): Promise<void> {
    const agents = [...this.#agents.values()];
    for (let i = 0; i < agents.length; i += REGISTER_CONCURRENCY) {
      await Promise.all(
        agents.slice(i, i + REGISTER_CONCURRENCY).map((a) =>
          a.renewLease().catch((err: unknown) => this.#log.warn('Cannot renew node lease', { node: a.name, error: err })),
        ),
      );
    }
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        const recheckMs = await this.#sync(key);
        this.#queue.forget(key);
        if (recheckMs !== undefined) this.#queue.addAfter(key, recheckMs);
      } catch (err) {
        this.#log.debug('Pod sync failed; retrying', { pod: key, error: err });
        this.#queue.addRateLimited(key);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  async #sync(key: string): Promise<number | undefined> {
    const pod = this.#pods.store.get(key);
    const known = this.#known.get(key);
    const node = pod?.spec?.nodeName ? this.#agents.get(pod.spec.nodeName) : undefined;
    if (!pod || !node || (known && known.metadata?.uid !== pod.metadata?.uid)) {
      // Gone, moved away, or replaced by a new pod of the same name: release what the old one held.
      const knownNode = known?.spec?.nodeName ? this.#agents.get(known.spec.nodeName) : undefined;
      if (known && knownNode) await knownNode.forgetPod(known);
      this.#known.delete(key);
      if (!pod || !node) return undefined;
    }
    this.#known.set(key, pod);
    return node.syncPod(pod);
  }
}
