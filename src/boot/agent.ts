/**
 * startAgent: runs a node agent with N nodes over an API client — `tkube agent` and the simulated nodes of
 * `tkube server --simulated-nodes N`. Only the `simulated` runtime exists so far.
 */
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from '../client/rest-client.js';
import type { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import { Agent } from '../agent/agent.js';
import type { NodeResources } from '../agent/node-object.js';
import { SimulatedRuntime } from '../agent/simulated-runtime.js';
import { simulatedNodeSpecs } from '../agent/simulated-nodes.js';
import { LocalPathReclaimer } from '../agent/volumes/local-path-reclaimer.js';
import { DEFAULT_LOCAL_PATH_BASE } from '../api/core/local-path.js';

/** AgentBootConfig describes the nodes to run. */
export interface AgentBootConfig {
  readonly client: RestClient;
  /** Only "simulated" so far. */
  readonly runtime: string;
  readonly nodes: number;
  /** Node name (one node) or name prefix (several). @default "sim-" */
  readonly namePrefix?: string;
  /** An exact name for a single node. */
  readonly nodeName?: string;
  /** @default "10.42.0.0/16" */
  readonly clusterCidr?: string;
  /** @default 0 */
  readonly firstIndex?: number;
  readonly resources?: NodeResources;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly { key: string; value?: string; effect: string }[];
  readonly log: Logger;
  /** Informers shared with the other components of the process (started and stopped by the caller). */
  readonly informers?: SharedInformerFactory;
}

/** RunningAgent is a started agent. */
export interface RunningAgent {
  readonly nodeNames: readonly string[];
  stop(): Promise<void>;
}

/** startAgent registers the nodes and starts syncing their pods. */
export async function startAgent(config: AgentBootConfig): Promise<RunningAgent> {
  if (config.runtime !== 'simulated') throw new Error(`Cannot start agent with runtime "${config.runtime}": only "simulated" is available in this version`);
  const clock = new RealClock();
  const runtime = new SimulatedRuntime({ clock });
  let specs = simulatedNodeSpecs(config.nodes, {
    prefix: config.namePrefix,
    clusterCidr: config.clusterCidr,
    firstIndex: config.firstIndex,
    resources: config.resources,
    labels: config.labels,
    taints: config.taints,
  });
  if (config.nodeName !== undefined) {
    if (config.nodes !== 1) throw new Error('Cannot start agent: --node-name names exactly one node (use --nodes 1, or a prefix)');
    specs = specs.map((s) => ({ ...s, name: config.nodeName ?? s.name }));
  }
  const agent = new Agent({ client: config.client, nodes: specs, runtimeFor: () => runtime, clock, log: config.log, ...(config.informers ? { informers: config.informers } : {}) });
  await agent.start();
  // Simulated nodes have no disks: their deleted local-path volumes only lose the finalizer the PV controller set.
  const reclaimer = new LocalPathReclaimer({
    client: config.client,
    nodeNames: agent.nodeNames(),
    unpinnedVolumes: false,
    basePath: DEFAULT_LOCAL_PATH_BASE,
    removeDirectory: async () => undefined,
    clock,
    log: config.log.child('local-path'),
  });
  const reclaimerStop = new AbortController();
  reclaimer.start(reclaimerStop.signal, { client: config.client, ...(config.informers ? { informers: config.informers } : {}) });
  return {
    nodeNames: agent.nodeNames(),
    stop: async () => {
      reclaimerStop.abort();
      await reclaimer.stopped();
      await agent.stop();
    },
  };
}
