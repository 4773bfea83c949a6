/**
 * startScheduler: runs the scheduler in this process over its own API client and informers, as a separate
 * kube-scheduler would. Resolves once it started; `stop()` ends it after in-flight bindings.
 */
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import { Scheduler } from '../scheduler/scheduler.js';

/** RunningScheduler is a started scheduler. */
export interface RunningScheduler {
  readonly scheduler: Scheduler;
  stop(): Promise<void>;
}

/**
 * startScheduler starts a scheduler on `client`, with `shared` informers (already started, owned by the caller)
 * or a factory of its own.
 */
export function startScheduler(client: RestClient, log: Logger, shared?: InformerFactory): RunningScheduler {
  const clock = new RealClock();
  const abort = new AbortController();
  const informers = shared ?? new SharedInformerFactory({ client, clock, log: log.child('informers'), stripManagedFields: true });
  const scheduler = new Scheduler({ client, informers, clock, log });
  if (!shared) informers.start(abort.signal);
  const run = scheduler.run(abort.signal).catch((err: unknown) => log.error('Scheduler stopped', { error: err }));
  return {
    scheduler,
    stop: async () => {
      abort.abort();
      await run;
      if (!shared) await informers.stopped();
    },
  };
}
