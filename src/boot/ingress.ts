/**
 * startIngress: runs the built-in Ingress controller and its proxy in the server process, on the process's
 * shared informers: ensures the default IngressClass, binds the HTTP and HTTPS ports, then keeps Ingress status
 * pointing at `addresses`. A port that cannot be bound is an error for the caller to report.
 *
 * With several servers (`election`), every server's proxy serves traffic, but status is written by one of them, the
 * holder of Lease `kube-system/tkube-ingress-controller` (as ingress-nginx elects a status writer), and it lists the
 * proxies of every live server: each server announces its own in its API server identity Lease
 * (apiserver-peers.ts, INGRESS_ANNOTATION), and the writer reads them every `refreshMs`. A server that stops or dies
 * drops out of status once its identity Lease goes stale.
 */
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import { IDENTITY_LABEL, liveIngressAddresses } from './apiserver-peers.js';
import { startElected, type ElectedComponent, type LeaderElectionTiming } from './leader-election.js';
import { makeDefaultCertificate } from '../ingress/default-certificate.js';
import { IngressController } from '../ingress/ingress-controller.js';
import type { IngressMetrics } from '../ingress/ingress-metrics.js';
import { IngressProxy, type ListeningPorts } from '../ingress/ingress-proxy.js';

/** IngressOptions configures the built-in Ingress controller. */
export interface IngressOptions {
  readonly client: RestClient;
  readonly informers: InformerFactory;
  readonly log: Logger;
  readonly bindAddress: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  /** Where the proxy counts requests (the server appends them to its /metrics). */
  readonly metrics?: IngressMetrics;
  /** What Ingress status lists (the addresses clients reach the proxy on). */
  readonly addresses: readonly string[];
  /** Set with several servers possible: one writes status (see the file comment). Unset: this one always does. */
  readonly election?: {
    readonly client: RestClient;
    readonly identity: string;
    readonly timing: LeaderElectionTiming;
    /** How often the writer reads the servers' addresses. */
    readonly refreshMs: number;
  };
}

/** INGRESS_STATUS_LOCK is the Lease whose holder writes Ingress status. */
export const INGRESS_STATUS_LOCK = 'tkube-ingress-controller';

/** RunningIngress is a started Ingress controller. */
export interface RunningIngress extends ListeningPorts {
  stop(): Promise<void>;
}

/** startIngress starts the controller and the proxy; rejects when a port cannot be bound. */
export async function startIngress(opts: IngressOptions): Promise<RunningIngress> {
  let writesStatus = opts.election === undefined;
  const controller = new IngressController({ client: opts.client, informers: opts.informers, clock: new RealClock(), log: opts.log, addresses: opts.addresses, writesStatus: () => writesStatus });
  const proxy = new IngressProxy({
    routes: controller,
    bindAddress: opts.bindAddress,
    httpPort: opts.httpPort,
    httpsPort: opts.httpsPort,
    defaultCertificate: await makeDefaultCertificate(),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
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
  let elected: ElectedComponent | undefined;
  if (opts.election) {
    const e = opts.election;
    const refreshAddresses = async (): Promise<void> => {
      try {
        const leases = await e.client.list({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-system' }, { labelSelector: `${IDENTITY_LABEL}=kube-apiserver` });
        const live = liveIngressAddresses(leases.items, Date.now());
        controller.setAddresses(live.length > 0 ? live : opts.addresses);
      } catch (err) {
        opts.log.warn('Cannot read the servers\' Ingress addresses; status keeps the last ones', { error: err instanceof Error ? err.message : String(err) });
      }
    };
    try {
      elected = await startElected({
        lockName: INGRESS_STATUS_LOCK,
        client: e.client,
        identity: e.identity,
        timing: e.timing,
        log: opts.log,
        start: async () => {
          await refreshAddresses();
          writesStatus = true;
          controller.resyncStatus();
          const timer = setInterval(() => void refreshAddresses(), e.refreshMs);
          timer.unref();
          return {
            stop: async () => {
              clearInterval(timer);
              writesStatus = false;
            },
          };
        },
      });
    } catch (err) {
      // The proxy and the status loop run already: stop them so the ports are free for a retry.
      abort.abort();
      await run;
      await proxy.stop();
      throw err;
    }
  }
  opts.log.info('Ingress controller serving', { httpPort: ports.httpPort, httpsPort: ports.httpsPort, addresses: opts.addresses.join(',') });
  return {
    ...ports,
    stop: async () => {
      await elected?.stop();
      abort.abort();
      await run;
      await proxy.stop();
    },
  };
}
