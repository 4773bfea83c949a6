/**
 * Leader-elected singletons of `tkube server`. Every server of a cluster starts the same components; those that
 * must run once per cluster run only under a Lease in kube-system (kube-controller-manager's and kube-scheduler's
 * lock names, so `kubectl get lease -n kube-system` reads as on kubeadm clusters):
 *  - `kube-controller-manager`: every controller (servicelb, node IPAM, bootstrap signer, CSR signing and the rest
 *    are controllers of the manager, so they follow it);
 *  - `kube-scheduler`: the scheduler.
 * What runs on every server: the API server, its `kubernetes` Endpoints peer lease (apiserver-peers.ts), the
 * cluster DNS server (it answers on its own node), the Ingress proxy, the embedded node and simulated nodes.
 *
 * A server's identity is `<host name>_<id>` with the id kept in `<data-dir>/server-id`: stable across restarts, so
 * a server killed and started again resumes its own Lease at once instead of waiting for it to expire.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import type { Logger } from '../base/log/logger.js';
import { LeaderElector } from '../client/leaderelection/leader-elector.js';
import { LeaseLock } from '../client/leaderelection/lease-lock.js';
import type { RestClient } from '../client/rest-client.js';

/** LeaderElectionTiming are the durations of every elected singleton (client-go's defaults 15 s / 10 s / 2 s). */
export interface LeaderElectionTiming {
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** serverIdentity reads (or makes) this data dir's stable candidate identity. */
export function serverIdentity(dataDir: string): string {
  const path = join(dataDir, 'server-id');
  let id = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
  if (!/^[0-9a-f]{8,32}$/.test(id)) {
    id = randomBytes(6).toString('hex');
    writeFileSync(path, `${id}\n`, { mode: 0o600 });
  }
  return `${hostname()}_${id}`;
}

/** Stoppable is what an elected component's start returns. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** ElectedComponent is a singleton under a Lease. */
export interface ElectedComponent {
  readonly elector: LeaderElector;
  /** Stops the component if leading, releases the Lease, ends the campaign. */
  stop(): Promise<void>;
}

/** ElectedComponentOptions say which Lease and what to start while holding it. */
export interface ElectedComponentOptions {
  readonly lockName: string;
  readonly client: RestClient;
  readonly identity: string;
  readonly timing: LeaderElectionTiming;
  readonly log: Logger;
  /** Starts the component for leadership term `term` (1, 2, …); resolves once it runs. */
  readonly start: (term: number) => Promise<Stoppable>;
}

/**
 * startElected campaigns for `kube-system/<lockName>` and runs the component while leading. Resolves after the
 * first attempt — and, when that got the Lease (a single server, or the first of several), after the component
 * started — so a lone server starts as fast as without election.
 */
export async function startElected(o: ElectedComponentOptions): Promise<ElectedComponent> {
  const abort = new AbortController();
  const elector = new LeaderElector({ lock: new LeaseLock(o.client, 'kube-system', o.lockName), identity: o.identity, ...o.timing, log: o.log.child('leader-election') });
  let term = 0;
  let running: Promise<Stoppable | undefined> | undefined;
  const run = elector.run(
    {
      onStartedLeading: () => {
        term++;
        running = o.start(term).catch((err: unknown) => {
          o.log.error('Cannot start as leader', { lock: o.lockName, err: err instanceof Error ? err.message : String(err) });
          return undefined;
        });
      },
      onStoppedLeading: async () => {
        const component = await running;
        running = undefined;
        await component?.stop();
      },
      onNewLeader: (identity) => o.log.info('Leader is', { lock: o.lockName, identity }),
    },
    abort.signal,
  );
  if (await elector.firstTry()) await running;
  return {
    elector,
    stop: async () => {
      abort.abort();
      await run;
    },
  };
}

/**
 * operatorLeaderElector makes the leader gate of an in-process operator: a Lease `tkube-operator-<name>` in
 * kube-system, so with several servers each operator runs on one of them, as the built-in controllers do.
 */
export function operatorLeaderElector(o: { readonly client: RestClient; readonly identity: string; readonly timing: LeaderElectionTiming; readonly log: Logger }, operatorName: string): LeaderElector {
  const safe = operatorName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'operator';
  return new LeaderElector({ lock: new LeaseLock(o.client, 'kube-system', `tkube-operator-${safe}`), identity: o.identity, ...o.timing, log: o.log.child('leader-election') });
}
