/**
 * startIngress: runs the built-in Ingress controller and its proxy in the server process, on the process's
 * shared informers: ensures the default IngressClass, binds the HTTP and HTTPS ports, then keeps Ingress status
 * pointing at `addresses`. A port that cannot be bound is an error for the caller to report.
 */
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import { makeDefaultCertificate } from '../ingress/default-certificate.js';
import { IngressController } from '../ingress/ingress-controller.js';
import { IngressProxy, type ListeningPorts } from '../ingress/ingress-proxy.js';

/** IngressOptions configures the built-in Ingress controller. */
export interface IngressOptions {
  readonly client: RestClient;
  readonly informers: SharedInformerFactory;
  readonly log: Logger;
  readonly bindAddress: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  /** What Ingress status lists (the addresses clients reach the proxy on). */
  readonly addresses: readonly string[];
}

/** RunningIngress is a started Ingress controller. */
export interface RunningIngress extends ListeningPorts {
  stop(): Promise<void>;
}

/** startIngress starts the controller and the proxy; rejects when a port cannot be bound. */
export async function startIngress(opts: IngressOptions): Promise<RunningIngress> {
  const controller = new IngressController({ client: opts.client, informers: opts.informers, clock: new RealClock(), log: opts.log, addresses: opts.addresses });
  const proxy = new IngressProxy({
    routes: controller,
    bindAddress: opts.bindAddress,
    httpPort: opts.httpPort,
    httpsPort: opts.httpsPort,
    defaultCertificate: await makeDefaultCertificate(),
    log: opts.log,
  });
  const ports = await proxy.start();
  const abort = new AbortController();
  const ensureClass = async (): Promise<void> => {
    // The API server is ready, but retry a few times in case a write races with its start-up.
    for (let attempt = 0; ; attempt++) {
      try {
        await controller.ensureDefaultClass();
        return;
      } catch (err) {
        if (attempt >= 5 || abort.signal.aborted) {
          opts.log.warn('Cannot create the default IngressClass', { error: err instanceof Error ? err.message : String(err) });
          return;
        }
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  };
  await ensureClass();
  const run = controller.run(abort.signal).catch((err: unknown) => opts.log.error('Ingress controller stopped', { error: err }));
  opts.log.info('Ingress controller serving', { httpPort: ports.httpPort, httpsPort: ports.httpsPort, addresses: opts.addresses.join(',') });
  return {
    ...ports,
    stop: async () => {
      abort.abort();
      await run;
      await proxy.stop();
    },
  };
}
