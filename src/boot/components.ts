/**
 * startComponents: the cluster's elected singletons and simulated nodes run as API clients of their own process —
 * what `tkube controller-manager`, `tkube scheduler` and the child of `tkube server --components-process separate`
 * run (upstream's kube-controller-manager and kube-scheduler are such processes). Each component campaigns for its
 * Lease exactly as the in-server ones do (leader-election.ts), so a process that dies and comes back under the same
 * identity resumes its Lease at once, and two candidates never both lead.
 *
 * `tkube server` runs the same components in its own process through the same code (newComponents, on the server's
 * shared informers and clients) unless `--components-process separate` moves them into a child.
 *
 * Everything here is reached through the API only: one set of shared informers for the process, a client (its own
 * connection pool and user agent) per component.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from '../base/log/logger.js';
import { SharedInformerFactory, type InformerScope } from '../client/informer/shared-informer-factory.js';
import { RestClient, restConfigFromKubeconfig, type RestClientConfig } from '../client/rest-client.js';
import type { ControllerSettings } from '../controllers/controller-descriptor.js';
import { CONTROLLER_METRICS } from '../controllers/controller-metrics.js';
import { ControllerManager } from '../controllers/manager.js';
import { renderSchedulerMetrics } from '../scheduler/scheduler-metrics.js';
import { startAgent, type RunningAgent } from './agent.js';
import { startElected, type LeaderElectionTiming, type Stoppable } from './leader-election.js';
import { startScheduler, type RunningScheduler } from './scheduler.js';

/** ComponentsSelection says which components to run and under which Lease identity; plain data. */
export interface ComponentsSelection {
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

/** ComponentsConfig is a selection and how to reach the API; plain data (it crosses the IPC channel). */
export interface ComponentsConfig extends ComponentsSelection {
  /** How to reach the API server; each component's client adds its own user agent. */
  readonly connection: Omit<RestClientConfig, 'userAgent'>;
}

/**
 * ComponentsHost is what the process lends its components: one set of shared informers and a client per component.
 * The host owns both — it starts the informers (before or after newComponents; the first controller manager only
 * registers its handlers when built) and stops them and closes the clients after the components stopped.
 */
export interface ComponentsHost {
  readonly informers: SharedInformerFactory;
  /** The client of the component with this user agent (`tkube-controller-manager`, `tkube-scheduler`, `tkube-agent`). */
  readonly client: (userAgent: string) => RestClient;
}

/** RunningComponents are started components. */
export interface RunningComponents {
  /** The controllers' workqueue_* and the leading scheduler's scheduler_* families, in the text format. */
  renderMetrics(): Promise<string>;
  /** Stops the components (releasing their Leases), then what the process made for them (informers, clients). */
  stop(): Promise<void>;
}

/** Components are built components, not started yet; `stop()` is safe at any point and more than once. */
export interface Components extends RunningComponents {
  /**
   * start campaigns for the controller manager's and the scheduler's Leases and registers the simulated nodes, in
   * that order. Resolves once every component that got its Lease on the first try runs; a failure stops what it
   * started before it rejects.
   */
  start(): Promise<void>;
}

/**
 * newComponents builds the selected components on `host`: the first controller manager is built at once, so a bad
 * `--controllers` fails here, before any Lease is taken. This is the one start path of the elected singletons and
 * the simulated nodes: `tkube server` runs it in process (on its own informers and clients), startComponents in
 * `tkube controller-manager`, `tkube scheduler` and the child of `--components-process separate`.
 */
export function newComponents(selection: ComponentsSelection, log: Logger, host: ComponentsHost): Components {
  const controllers = selection.controllers;
  const controllerClient = controllers ? host.client('tkube-controller-manager') : undefined;
  // Every leadership term reads the process's informers through a scope of its own, released when the term ends:
  // a stopped term's handlers leave the informers (nothing calls or keeps it), and a later term shares the same
  // lists, watches and caches instead of holding and decoding every object again (issue 5).
  const newManager =
    controllers && controllerClient
      ? (): { manager: ControllerManager; scope: InformerScope } => {
          const scope = host.informers.scope();
          return {
            manager: new ControllerManager({ client: controllerClient, informers: scope, controllers: controllers.selection, settings: controllers.settings, log: log.child('controller-manager') }),
            scope,
          };
        }
      : undefined;
  const firstManager = newManager?.();
  const started: Stoppable[] = [];
  // The scheduler this process runs now (none while another process leads), for its metrics.
  let leading: RunningScheduler | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const s of started.reverse()) await s.stop();
    })());
  const start = async (): Promise<void> => {
    try {
      if (newManager && firstManager && controllerClient) {
        started.push(
          await startElected({
            lockName: 'kube-controller-manager',
            client: controllerClient,
            identity: selection.identity,
            timing: selection.timing,
            log: log.child('controller-manager'),
            start: async (term) => {
              const { manager, scope } = term === 1 ? firstManager : newManager();
              const stop = async (): Promise<void> => {
                await manager.stop();
                scope.release();
              };
              try {
                await manager.start();
              } catch (err) {
                await stop();
                throw err;
              }
              return { stop };
            },
          }),
        );
      }
      if (selection.scheduler) {
        const client = host.client('tkube-scheduler');
        const schedulerLog = log.child('scheduler');
        started.push(
          await startElected({
            lockName: 'kube-scheduler',
            client,
            identity: selection.identity,
            timing: selection.timing,
            log: schedulerLog,
            start: () => {
              const scope = host.informers.scope();
              const s = startScheduler(client, schedulerLog, scope);
              leading = s;
              return Promise.resolve({
                stop: async () => {
                  if (leading === s) leading = undefined;
                  await s.stop();
                  scope.release();
                },
              });
            },
          }),
        );
      }
      if (selection.simulatedNodes && selection.simulatedNodes.count > 0) {
        const agent: RunningAgent = await startAgent({
          client: host.client('tkube-agent'),
          runtime: 'simulated',
          nodes: selection.simulatedNodes.count,
          clusterCidr: selection.simulatedNodes.clusterCidr,
          log: log.child('agent'),
          informers: host.informers,
        });
        started.push(agent);
      }
    } catch (err) {
      await stop();
      throw err;
    }
  };
  return {
    start,
    stop,
    renderMetrics: async () => `${await CONTROLLER_METRICS.render()}${leading ? renderSchedulerMetrics(leading.scheduler) : ''}`,
  };
}

/**
 * startComponents runs the selected components as API clients of their own process: one set of shared informers
 * for the process and a client (its own connection pool and user agent) per component, all made from
 * `config.connection` and closed by `stop()`. The controller manager is built before the informers start and
 * before any Lease is taken (a bad `--controllers` fails at once). Resolves once every component that got its
 * Lease on the first try runs.
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
  const informers = new SharedInformerFactory({ client: clientFor('tkube-informers'), log: log.child('informers'), stripManagedFields: true, internObjects: true });
  const release = async (): Promise<void> => {
    informerStop.abort();
    await informers.stopped();
    for (const c of clients) c.close();
  };
  let components: Components;
  try {
    components = newComponents(config, log, { informers, client: clientFor });
    informers.start(informerStop.signal);
    await components.start();
  } catch (err) {
    await release();
    throw err;
  }
  return {
    renderMetrics: () => components.renderMetrics(),
    stop: async () => {
      await components.stop();
      await release();
    },
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
