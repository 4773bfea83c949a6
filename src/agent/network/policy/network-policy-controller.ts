/**
 * NetworkPolicyController: keeps this node's NetworkPolicy table (see network-policy-rules.ts) in step with the
 * cluster's NetworkPolicies, pods and namespaces (kube-router's network policy controller, which k3s runs, in
 * its role; nftables instead of iptables + ipsets).
 *
 * Contracts:
 *  - Level-based: every informer event only marks the table dirty; one sync rebuilds the whole script from the
 *    caches and writes it atomically (`nft -f -`). Syncs never overlap and start at most once per
 *    `minSyncIntervalMs`, so a burst of pod changes costs one write. An unchanged script is not written again,
 *    except every `resyncIntervalMs` (5 min), which puts back a table someone else flushed or deleted.
 *  - Nothing is written before all three caches are complete: a partial view (policies known, their peer pods not
 *    yet) would cut allowed traffic for a moment. Until then the table of the previous run stays in force, so an
 *    agent restart never opens a gap.
 *  - A failed write is retried with back-off (the caches are read afresh each time); failures are logged.
 *  - The table stays when the controller stops (pods outlive the agent, and so does their isolation); `cleanup`
 *    (node clean-up, `--disable-network-policy`) removes it.
 *  - `start` asks the host to pass bridged IPv4 and IPv6 through the ip and ip6 hooks
 *    (`net.bridge.bridge-nf-call-iptables=1`, `…-ip6tables=1`): without it pod-to-pod frames on the node's bridge
 *    would bypass the tables.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { KubeObject } from '../../../api/meta/types.js';
import type { Clock } from '../../../base/clock/clock.js';
import type { Logger } from '../../../base/log/logger.js';
import { WorkQueue } from '../../../base/queue/work-queue.js';
import type { ResourceEventHandler } from '../../../client/informer/shared-informer.js';
import { SharedInformer } from '../../../client/informer/shared-informer.js';
import type { RestClient } from '../../../client/rest-client.js';
import type { NetworkPolicy } from './network-policy.js';
import { networkPolicyRules } from './network-policy-rules.js';
import { deleteNftTable, runNft } from './nft.js';
import { policyNamespaceOf, policyPodOf, type PolicyNamespace, type PolicyPod } from './policy-pod.js';

/** The sysctl that makes bridged IPv4 traverse the ip-family netfilter hooks. */
export const BRIDGE_NF_CALL_IPTABLES = '/proc/sys/net/bridge/bridge-nf-call-iptables';
/** Its IPv6 sibling (the `ip6` table of dual-stack nodes); set alongside the default IPv4 one. */
export const BRIDGE_NF_CALL_IP6TABLES = '/proc/sys/net/bridge/bridge-nf-call-ip6tables';

/** PolicyInformer is what the controller needs of an informer (a SharedInformer, or a fake in tests). */
export interface PolicyInformer {
  readonly store: { list(): KubeObject[] };
  addEventHandler(handler: ResourceEventHandler): void;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
}

/** PolicyInformers are the three collections the table is built from. */
export interface PolicyInformers {
  readonly networkPolicies: PolicyInformer;
  readonly pods: PolicyInformer;
  readonly namespaces: PolicyInformer;
}

/** NetworkPolicyControllerConfig constructs a NetworkPolicyController. */
export interface NetworkPolicyControllerConfig {
  readonly nodeName: string;
  /** The nftables table (family ip, and ip6 of the same name on a dual-stack node) this controller owns, e.g. `tkube-np-<node>`. */
  readonly table: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Applies a whole script. @default runNft (`nft -f -`) */
  readonly apply?: (script: string) => Promise<void>;
  /** Removes the table. @default deleteNftTable */
  readonly remove?: (table: string) => Promise<void>;
  /** The bridge-nf-call-iptables sysctl file to set to 1, or false to leave the host alone (unit tests). @default BRIDGE_NF_CALL_IPTABLES */
  readonly bridgeNetfilterSysctl?: string | false;
  /** The least time between the starts of two syncs. @default 100 */
  readonly minSyncIntervalMs?: number;
  /** How often the table is rewritten even when nothing changed. @default 300000 */
  readonly resyncIntervalMs?: number;
}

const SYNC = 'sync';

/** NetworkPolicyController writes the node's NetworkPolicy table; see the file comment. */
export class NetworkPolicyController {
  readonly #c: NetworkPolicyControllerConfig;
  readonly #queue: WorkQueue<string>;
  readonly #minInterval: number;
  readonly #resyncInterval: number;
  #lastWrite = -Infinity;
  #informers: PolicyInformers | undefined;
  #synced = false;
  #lastStart = -Infinity;
  #lastScript: string | undefined;
  #lastProblems = '';
  #worker: Promise<void> | undefined;
  #syncs = 0;

  constructor(config: NetworkPolicyControllerConfig) {
    this.#c = config;
    this.#minInterval = config.minSyncIntervalMs ?? 100;
    this.#resyncInterval = config.resyncIntervalMs ?? 300_000;
    this.#queue = new WorkQueue<string>({ clock: config.clock });
  }

  /** syncCount is how many times the table was written (tests and metrics). */
  get syncCount(): number {
    return this.#syncs;
  }

  /**
   * start watches through `source.informers` when given (the caller runs them), else through informers of its own
   * over `source.client`, run on `signal`; it does not wait for them (an identity that may not list policies must
   * not hold up the node: the informers retry). Everything stops when `signal` aborts (see `stopped`).
   */
  start(signal: AbortSignal, source: { readonly client?: RestClient; readonly informers?: PolicyInformers }): void {
    this.#prepareHost();
    const runs: Promise<void>[] = [];
    let informers = source.informers;
    if (!informers) {
      if (!source.client) throw new Error('NetworkPolicyController.start needs a client or informers');
      const own = ownInformers(source.client, this.#c.clock, this.#c.log);
      for (const i of Object.values(own)) runs.push(i.run(signal));
      informers = own;
    }
    this.#informers = informers;
    // Pod and namespace updates matter only when what the rules read of them changed (not readiness, restarts),
    // and only while some NetworkPolicy exists: without one the table isolates nothing and reads no pod, so a burst
    // of pod starts (each an add and a status update) costs no rebuild (one every 100 ms otherwise). The sync that
    // the first policy's add triggers reads every pod afresh.
    const all = informers;
    const dirtyOn = (view: (o: KubeObject) => unknown, always: boolean): ResourceEventHandler => {
      const matters = (): boolean => always || all.networkPolicies.store.list().length > 0;
      return {
        onAdd: () => matters() && this.#markDirty(),
        onUpdate: (a, b) => (!matters() || JSON.stringify(view(a)) === JSON.stringify(view(b)) ? undefined : this.#markDirty()),
        onDelete: () => matters() && this.#markDirty(),
      };
    };
    informers.networkPolicies.addEventHandler(dirtyOn((o) => o['spec'], true));
    informers.pods.addEventHandler(dirtyOn((o) => policyPodOf(o) ?? null, false));
    informers.namespaces.addEventHandler(dirtyOn((o) => policyNamespaceOf(o) ?? null, false));
    runs.push(
      Promise.all([all.networkPolicies.waitForSync(signal), all.pods.waitForSync(signal), all.namespaces.waitForSync(signal)]).then((ok) => {
        if (!ok.every(Boolean)) return;
        this.#synced = true;
        this.#markDirty();
      }),
    );
    signal.addEventListener('abort', () => this.#queue.shutDown(), { once: true });
    runs.push(this.#work());
    this.#worker = Promise.all(runs).then(() => undefined);
  }

  /** stopped resolves once the worker (and any own informers) returned after the start signal aborted. */
  async stopped(): Promise<void> {
    await this.#worker;
  }

  /** cleanup removes the table (missing is fine). */
  async cleanup(): Promise<void> {
    await (this.#c.remove ?? deleteNftTable)(this.#c.table);
    this.#lastScript = undefined;
  }

  #markDirty(): void {
    if (!this.#synced) return;
    this.#queue.addAfter(SYNC, this.#lastStart + this.#minInterval - this.#c.clock.now());
  }

  async #work(): Promise<void> {
    for (;;) {
      const item = await this.#queue.get();
      if (item === undefined) return;
      this.#lastStart = this.#c.clock.now();
      try {
        await this.#sync();
        this.#queue.forget(item);
        this.#queue.addAfter(SYNC, this.#resyncInterval);
      } catch (err) {
        const retries = this.#queue.numRequeues(item);
        (retries >= 3 ? this.#c.log.warn : this.#c.log.info).call(this.#c.log, 'Cannot write the NetworkPolicy table; retrying', { table: this.#c.table, retries, error: err });
        this.#queue.addRateLimited(item);
      } finally {
        this.#queue.done(item);
      }
    }
  }

  async #sync(): Promise<void> {
    const informers = this.#informers;
    if (!informers) return;
    const pods = informers.pods.store.list().map(policyPodOf).filter((p): p is PolicyPod => p !== undefined);
    const namespaces = informers.namespaces.store.list().map(policyNamespaceOf).filter((n): n is PolicyNamespace => n !== undefined);
    const localPodIPs = new Set(pods.filter((p) => p.nodeName === this.#c.nodeName && !p.hostNetwork).map((p) => p.ip));
    const rules = networkPolicyRules({ table: this.#c.table, policies: informers.networkPolicies.store.list() as NetworkPolicy[], pods, namespaces, localPodIPs });
    const problems = rules.problems.join('\n');
    if (problems !== this.#lastProblems) {
      this.#lastProblems = problems;
      for (const p of rules.problems) this.#c.log.warn('NetworkPolicy not enforced as written', { problem: p });
    }
    if (rules.script === this.#lastScript && this.#c.clock.now() - this.#lastWrite < this.#resyncInterval) return;
    await (this.#c.apply ?? runNft)(rules.script);
    this.#lastScript = rules.script;
    this.#lastWrite = this.#c.clock.now();
    this.#syncs++;
    this.#c.log.debug('Wrote the NetworkPolicy table', { table: this.#c.table, isolatedIngress: rules.isolatedIngress.length, isolatedEgress: rules.isolatedEgress.length });
  }

  #prepareHost(): void {
    const sysctl = this.#c.bridgeNetfilterSysctl ?? BRIDGE_NF_CALL_IPTABLES;
    if (sysctl === false) return;
    if (!existsSync(sysctl)) {
      this.#c.log.warn('The kernel has no bridge netfilter (br_netfilter): NetworkPolicies do not apply between pods of this node', { sysctl });
      return;
    }
    for (const file of sysctl === BRIDGE_NF_CALL_IPTABLES ? [sysctl, BRIDGE_NF_CALL_IP6TABLES] : [sysctl]) {
      try {
        if (readFileSync(file, 'utf8').trim() !== '1') writeFileSync(file, '1');
      } catch (err) {
        this.#c.log.warn('Cannot turn on bridge netfilter: NetworkPolicies may not apply between pods of this node', { sysctl: file, error: err });
      }
    }
  }
}

function ownInformers(client: RestClient, clock: Clock, log: Logger): Record<keyof PolicyInformers, SharedInformer> {
  return {
    networkPolicies: new SharedInformer({ client, path: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' }, clock, log: log.child('networkpolicies') }),
    pods: new SharedInformer({ client, path: { version: 'v1', resource: 'pods' }, clock, log: log.child('pods') }),
    namespaces: new SharedInformer({ client, path: { version: 'v1', resource: 'namespaces' }, clock, log: log.child('namespaces') }),
  };
}
