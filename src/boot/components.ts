/**
 * startComponents: the cluster's elected singletons and simulated nodes run as API clients of their own process —
 * what `tkube controller-manager`, `tkube scheduler` and the child of `tkube server --components-process separate`
 * run (upstream's kube-controller-manager and kube-scheduler are such processes). Each component campaigns for its
 * Lease exactly as the in-server ones do (leader-election.ts), so a process that dies and comes back under the same
 * identity resumes its Lease at once, and two candidates never both lead.
 *
 * Everything here is reached through the API only: one set of shared informers for the process, a client (its own
 * connection pool and user agent) per component.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from '../base/log/logger.js';
import { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import { RestClient, restConfigFromKubeconfig, type RestClientConfig } from '../client/rest-client.js';
import type { ControllerSettings } from '../controllers/controller-descriptor.js';
import { CONTROLLER_METRICS } from '../controllers/controller-metrics.js';
import { ControllerManager } from '../controllers/manager.js';
import { renderSchedulerMetrics } from '../scheduler/scheduler-metrics.js';
import { startAgent, type RunningAgent } from './agent.js';
import { startElected, type ElectedComponent, type LeaderElectionTiming } from './leader-election.js';
import { startScheduler, type RunningScheduler } from './scheduler.js';

/** ComponentsConfig says which components to run and how to reach the API; plain data (it crosses the IPC channel). */
export interface ComponentsConfig {
  /** How to reach the API server; each component's client adds its own user agent. */
  readonly connection: Omit<RestClientConfig, 'userAgent'>;
  /** The Lease holder identity of every component of this process. */
  readonly identity: string;
  readonly timing: LeaderElectionTiming;
  /** Run the controller manager with this `--controllers` selection and these settings. @default not run */
  readonly controllers?: { readonly selection: string; readonly settings: ControllerSettings };
  /** Run the scheduler. @default false */
  readonly scheduler?: boolean;
  /** Run N simulated nodes (sim-0 …), pod CIDRs cut from clusterCidr. @default none */
  readonly simulatedNodes?: { readonly count: number; readonly clusterCidr: string };
}

/** RunningComponents are started components. */
export interface RunningComponents {
  /** The controllers' workqueue_* and the leading scheduler's scheduler_* families, in the text format. */
  renderMetrics(): Promise<string>;
  /** Stops the components (releasing their Leases), then the informers and clients. */
  stop(): Promise<void>;
}

/**
 * startComponents builds the controller manager first (a bad `--controllers` fails here, before any Lease is
 * taken), then campaigns for the controller manager's and the scheduler's Leases and registers the simulated nodes.
 * Resolves once every component that got its Lease on the first try runs.
 */
export async function startComponents(config: ComponentsConfig, log: Logger): Promise<RunningComponents> {
  const clients: RestClient[] = [];
  const clientFor = (userAgent: string): RestClient => {
    const c = new RestClient({ ...config.connection, userAgent });
    clients.push(c);
    return c;
  };
  const informerStop = new AbortController();
  setMaxListeners(0, informerStop.signal);
  const informers = new SharedInformerFactory({ client: clientFor('tkube-informers'), log: log.child('informers'), stripManagedFields: true });
  const stopped: (() => Promise<void>)[] = [];
  // The scheduler this process runs now (none while another process leads), for its metrics.
  let leading: RunningScheduler | undefined;
  const stopAll = async (): Promise<void> => {
    for (const stop of stopped.reverse()) await stop();
    informerStop.abort();
    await informers.stopped();
    for (const c of clients) c.close();
  };
  try {
    const controllers = config.controllers;
    if (controllers) {
      const client = clientFor('tkube-controller-manager');
      // Later leadership terms get informers of their own: the first term's handlers stay on the shared ones
      // (informers cannot drop handlers; a stopped controller's queue ignores them).
      const newManager = (shared: boolean): ControllerManager =>
        new ControllerManager({ client, ...(shared ? { informers } : {}), controllers: controllers.selection, settings: controllers.settings, log: log.child('controller-manager') });
      const first = newManager(true);
      informers.start(informerStop.signal);
      const elected: ElectedComponent = await startElected({
        lockName: 'kube-controller-manager',
        client,
        identity: config.identity,
        timing: config.timing,
        log: log.child('controller-manager'),
        start: async (term) => {
          const manager = term === 1 ? first : newManager(false);
          await manager.start();
          return manager;
        },
      });
      stopped.push(() => elected.stop());
    } else {
      informers.start(informerStop.signal);
    }
    if (config.scheduler) {
      const client = clientFor('tkube-scheduler');
      const log_ = log.child('scheduler');
      const elected = await startElected({
        lockName: 'kube-scheduler',
        client,
        identity: config.identity,
        timing: config.timing,
        log: log_,
        start: (term) => {
          const s = startScheduler(client, log_, term === 1 ? informers : undefined);
          leading = s;
          return Promise.resolve({
            stop: async () => {
              if (leading === s) leading = undefined;
              await s.stop();
            },
          });
        },
      });
      stopped.push(() => elected.stop());
    }
    if (config.simulatedNodes && config.simulatedNodes.count > 0) {
      const agent: RunningAgent = await startAgent({
        client: clientFor('tkube-agent'),
        runtime: 'simulated',
        nodes: config.simulatedNodes.count,
        clusterCidr: config.simulatedNodes.clusterCidr,
        log: log.child('agent'),
        informers,
      });
      stopped.push(() => agent.stop());
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    stop: stopAll,
    renderMetrics: async () => `${await CONTROLLER_METRICS.render()}${leading ? renderSchedulerMetrics(leading.scheduler) : ''}`,
  };
}

/** StandaloneComponentsConfig is what `tkube controller-manager` and `tkube scheduler` are started with. */
export interface StandaloneComponentsConfig {
  readonly kubeconfig: string;
  readonly context?: string;
  readonly timing: LeaderElectionTiming;
  readonly controllers?: ComponentsConfig['controllers'];
  readonly scheduler?: boolean;
}

/**
 * startStandaloneComponents connects with a kubeconfig, as upstream's kube-controller-manager and kube-scheduler
 * do, under a fresh identity (`<host name>_<random>`, upstream's shape): a restarted process waits out the previous
 * one's Lease like any other candidate.
 */
export async function startStandaloneComponents(config: StandaloneComponentsConfig, log: Logger): Promise<RunningComponents> {
  const connection = restConfigFromKubeconfig(config.kubeconfig, config.context ? { context: config.context } : {});
  return startComponents(
    {
      connection,
      identity: `${hostname()}_${randomBytes(6).toString('hex')}`,
      timing: config.timing,
      ...(config.controllers ? { controllers: config.controllers } : {}),
      ...(config.scheduler ? { scheduler: true } : {}),
    },
    log,
  );
}
