/**
 * Manager (controller-runtime's manager): one API client, one set of shared informers and the controllers built
 * on them, started and stopped together behind a LeaderGate.
 *
 * Lifecycle: `start()` starts the informers, waits until the caches of every registered controller synced, then
 * enters the leader gate; while leading, controllers run (each waits for its own informers, so controllers
 * completed after start work too). `stop()` stops controllers, then informers, and resolves once all returned.
 * The manager never closes the RestClient it was given.
 */
import { setMaxListeners } from 'node:events';
import type { KubeObject } from '../api/meta/types.js';
import { RealClock, type Clock } from '../base/clock/clock.js';
import { newLogger, type Logger } from '../base/log/logger.js';
import { EventRecorder } from '../client/event-recorder.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import { Client, type ObjectKey } from './client.js';
import { ControllerBuilder, type ControllerHost, type SdkController } from './controller-builder.js';
import { KindRegistry, pathOf, type Kind } from './kind.js';
import { AlwaysLeader, type LeaderGate } from './leader-gate.js';

/** ManagerOptions construct a Manager. */
export interface ManagerOptions {
  /** The API client (admin in-process, or from a kubeconfig). */
  readonly rest: RestClient;
  /** Names the operator: events' source component and the client's field manager. @default "tkube-operator" */
  readonly name?: string;
  /** @default RealClock */
  readonly clock?: Clock;
  /** @default a logger named after the operator */
  readonly log?: Logger;
  /** When this process may run controllers. @default AlwaysLeader */
  readonly leaderGate?: LeaderGate;
  /** Kinds `client` resolves objects to. @default the built-in Kinds */
  readonly kinds?: KindRegistry;
}

/** ManagerHealth is the manager's state for health endpoints and tests. */
export interface ManagerHealth {
  readonly started: boolean;
  /** Every controller's informers listed once. */
  readonly synced: boolean;
  readonly leading: boolean;
  readonly controllers: readonly string[];
}

/** Manager runs an operator's controllers. */
export class Manager implements ControllerHost {
  readonly name: string;
  readonly rest: RestClient;
  readonly client: Client;
  readonly kinds: KindRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly informers: SharedInformerFactory;
  readonly #gate: LeaderGate;
  readonly #controllers: SdkController[] = [];
  readonly #stop = new AbortController();
  #leading: AbortSignal | undefined;
  #runs: Promise<void>[] = [];
  #gateRun: Promise<void> | undefined;
  #started = false;

  constructor(options: ManagerOptions) {
    this.name = options.name ?? 'tkube-operator';
    this.rest = options.rest;
    this.kinds = options.kinds ?? new KindRegistry();
    this.client = new Client({ rest: options.rest, kinds: this.kinds, fieldManager: this.name });
    this.clock = options.clock ?? new RealClock();
    this.log = options.log ?? newLogger(this.name);
    this.events = new EventRecorder({ client: options.rest, component: this.name, clock: this.clock, log: this.log.child('events') });
    this.informers = new SharedInformerFactory({ client: options.rest, clock: this.clock, log: this.log.child('informers') });
    this.#gate = options.leaderGate ?? new AlwaysLeader();
    setMaxListeners(0, this.#stop.signal);
  }

  /** controller starts building a controller named `name`. */
  controller(name: string): ControllerBuilder {
    return new ControllerBuilder(this, name);
  }

  /** informerFor returns the shared informer of `kind` across all namespaces (started with the manager). */
  informerFor<T extends KubeObject = KubeObject>(kind: Kind): SharedInformer<T> {
    return this.informers.informerFor<T>(pathOf(kind));
  }

  /**
   * cached reads an object from the informer cache of `kind` (no API call): undefined when absent or when no
   * informer of `kind` exists yet (controllers' `for`, `owns` and `watches` kinds have one).
   */
  cached<T extends KubeObject = KubeObject>(kind: Kind, key: ObjectKey): T | undefined {
    const informer = this.informerFor<T>(kind);
    return informer.store.get(kind.namespaced && key.namespace ? `${key.namespace}/${key.name}` : key.name);
  }

  /** addController is called by ControllerBuilder.complete; a controller added while leading starts at once. */
  addController(controller: SdkController): void {
    if (this.#controllers.some((c) => c.name === controller.name)) throw new Error(`Cannot add controller "${controller.name}": the name is taken`);
    this.#controllers.push(controller);
    if (this.#leading && !this.#leading.aborted) this.#runs.push(controller.run(this.#leading));
  }

  /**
   * start runs informers and enters the leader gate; resolves once the caches synced (controllers then run, or
   * wait for leadership). Starting twice throws; stop() during start ends the wait.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error(`Cannot start manager "${this.name}": already started`);
    this.#started = true;
    const stop = this.#stop.signal;
    this.informers.start(stop);
    if (!(await this.informers.waitForCacheSync(stop))) return;
    this.#gateRun = this.#gate.run(
      {
        onStartedLeading: (signal) => {
          setMaxListeners(0, signal);
          this.#leading = signal;
          for (const c of this.#controllers) this.#runs.push(c.run(signal));
          this.log.info('Leading; controllers started', { controllers: this.#controllers.map((c) => c.name).join(',') });
        },
        onStoppedLeading: () => {
          this.#leading = undefined;
          if (!stop.aborted) this.log.warn('Lost leadership; controllers stopped until it is regained');
        },
      },
      stop,
    ).catch((err: unknown) => this.log.error('Leader election failed', { error: err instanceof Error ? err.message : String(err) }));
  }

  /** stop stops controllers and informers; resolves once everything returned. Safe to call more than once. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#gateRun;
    // Runs may be added while others finish (a controller completed during stop): drain until none are left.
    while (this.#runs.length > 0) await Promise.all(this.#runs.splice(0));
    await this.informers.stopped();
  }

  /** health reports whether the manager started, synced and leads. */
  health(): ManagerHealth {
    return {
      started: this.#started && !this.#stop.signal.aborted,
      synced: this.#controllers.every((c) => c.hasSynced()),
      leading: this.#leading !== undefined && !this.#leading.aborted,
      controllers: this.#controllers.map((c) => c.name),
    };
  }
}
