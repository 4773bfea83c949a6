/**
 * ControllerManager runs the selected controllers of a table over one API client (kube-controller-manager's
 * shape): build every selected controller (they register shared informers and handlers), start the informers,
 * wait until their caches synced, then start the workers. Invalid tables or selections fail in the constructor,
 * before anything runs. `stop()` stops the workers and informers and resolves once they returned.
 */
import { setMaxListeners } from 'node:events';
import { RealClock, type Clock } from '../base/clock/clock.js';
import { newLogger, type Logger } from '../base/log/logger.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import type { Controller } from './controller.js';
import type { ControllerDescriptor, ControllerSettings } from './controller-descriptor.js';
import { parseControllerSelection, selectControllers } from './controller-selection.js';
import { CONTROLLERS } from './registry.js';

/** ControllerManagerConfig constructs a ControllerManager. */
export interface ControllerManagerConfig {
  /** The API client every controller uses. */
  readonly client: RestClient;
  /** `--controllers`: "*", "*,-serviceaccount", "namespace" (or the entries as a list). @default "*" */
  readonly controllers?: string | readonly string[];
  /** The controller table. @default CONTROLLERS */
  readonly table?: readonly ControllerDescriptor[];
  /** @default RealClock */
  readonly clock?: Clock;
  /** @default a logger named "controller-manager" */
  readonly log?: Logger;
  /** Controller tunables. @default upstream's defaults */
  readonly settings?: ControllerSettings;
  /**
   * Informers shared with other components of this process (one list, watch and cache per collection for all
   * of them); the manager then neither starts nor stops them. @default a factory of its own
   */
  readonly informers?: InformerFactory;
}

/** ControllerManager starts and stops controllers. */
export class ControllerManager {
  readonly #client: RestClient;
  readonly #selected: readonly ControllerDescriptor[];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #settings: ControllerSettings;
  readonly #abort = new AbortController();
  #informers: InformerFactory | undefined;
  readonly #sharedInformers: InformerFactory | undefined;
  #runs: Promise<void>[] = [];
  #started = false;

  constructor(config: ControllerManagerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? new RealClock();
    this.#log = config.log ?? newLogger('controller-manager');
    this.#settings = config.settings ?? {};
    this.#sharedInformers = config.informers;
    this.#selected = selectControllers(config.table ?? CONTROLLERS, parseControllerSelection(config.controllers ?? '*'));
    // Every informer not yet synced waits on this signal (one listener each, dozens): not a leak.
    setMaxListeners(0, this.#abort.signal);
  }

  /** enabledControllers names the controllers this manager runs, in table order. */
  enabledControllers(): string[] {
    return this.#selected.map((d) => d.name);
  }

  /**
   * start builds the controllers, starts the shared informers and, once their caches synced, the workers.
   * Resolves when the workers run (or when `signal`/`stop()` ended the wait). Starting twice throws.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#started) throw new Error('Cannot start controller manager: already started');
    this.#started = true;
    if (signal) {
      if (signal.aborted) this.#abort.abort();
      else signal.addEventListener('abort', () => this.#abort.abort(), { once: true });
    }
    const stop = this.#abort.signal;
    const informers = this.#sharedInformers ?? new SharedInformerFactory({ client: this.#client, clock: this.#clock, log: this.#log.child('informers'), stripManagedFields: true });
    if (!this.#sharedInformers) this.#informers = informers;
    const controllers: Controller[] = this.#selected.map((d) =>
      d.create({ client: this.#client, informers, clock: this.#clock, log: this.#log.child(d.name), settings: this.#settings }),
    );
    if (!this.#sharedInformers) informers.start(stop);
    if (!(await informers.waitForCacheSync(stop))) return;
    for (const c of controllers) this.#runs.push(c.run(stop));
    this.#log.info('Controllers started', { controllers: this.enabledControllers().join(',') });
  }

  /** stop stops workers and informers; resolves once all of them returned. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#runs);
    await this.#informers?.stopped();
  }
}
