/**
 * LocalPathReclaimer: the node's half of local-path volume deletion (the protocol is in src/api/core/local-path.ts).
 * The PV controller deletes a Released local-path volume whose reclaim policy is Delete; LOCAL_PATH_FINALIZER keeps
 * the object while this reclaimer, on the volume's node, removes the directory and then the finalizer (a merge
 * patch with the cached resourceVersion, so a concurrent change is re-read, not overwritten).
 *
 * Which volumes a node takes: deleted ones that are not Bound (a volume deleted while its claim exists keeps its
 * data until the claim goes, as upstream's provisioners only delete Released volumes), whose node affinity names one of its nodes (`kubernetes.io/hostname In`), and
 * — when `unpinnedVolumes` — those pinned to no node (an `Immediate` class's, made where the first pod ran).
 * Safety: only a direct child of the configured base directory named `pvc-*` is removed; a volume whose path is
 * elsewhere (the base moved, or someone edited the spec) keeps its directory, and only the finalizer is dropped.
 * Level-based over a PV informer and a work queue keyed by volume name; failures retry with back-off.
 */
import { rm } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { LOCAL_PATH_FINALIZER, LOCAL_PATH_PROVISIONER, PROVISIONED_BY_ANNOTATION } from '../../api/core/local-path.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { WorkQueue } from '../../base/queue/work-queue.js';
import { isNotFound } from '../../client/api-error.js';
import { SharedInformer } from '../../client/informer/shared-informer.js';
import type { InformerFactory } from '../../client/informer/informer-factory.js';
import type { RestClient } from '../../client/rest-client.js';

const PVS = { version: 'v1', resource: 'persistentvolumes' } as const;
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

interface PVSpec {
  hostPath?: { path?: string };
  nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { key?: string; operator?: string; values?: string[] }[] }[] } };
}

/** LocalPathReclaimerConfig constructs a LocalPathReclaimer. */
export interface LocalPathReclaimerConfig {
  readonly client: Pick<RestClient, 'patch'>;
  /** The nodes this process runs: volumes pinned to them are theirs. */
  readonly nodeNames: readonly string[];
  /** Also reclaim volumes pinned to no node. */
  readonly unpinnedVolumes: boolean;
  /** The local-path base directory of these nodes (what the PV controller provisions under). */
  readonly basePath: string;
  /** Removes a volume's directory. @default recursive removal; simulated nodes, which have none, pass a no-op */
  readonly removeDirectory?: (path: string) => Promise<void>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** LocalPathReclaimer removes deleted local-path volumes' directories; see the file comment. */
export class LocalPathReclaimer {
  readonly #c: LocalPathReclaimerConfig;
  readonly #nodes: ReadonlySet<string>;
  readonly #base: string;
  readonly #queue: WorkQueue<string>;
  #volumes: Pick<SharedInformer, 'store'> | undefined;
  #worker: Promise<void> | undefined;

  constructor(config: LocalPathReclaimerConfig) {
    this.#c = config;
    this.#nodes = new Set(config.nodeNames);
    this.#base = resolve(config.basePath);
    this.#queue = new WorkQueue<string>({ clock: config.clock });
  }

  /**
   * start watches volumes — through `source.informers` when the process shares them (the caller runs them), else
   * with an informer of its own over `source.client`, run on `signal` — and starts the worker. It does not wait
   * for the first list: an identity that may not list volumes must not hold up the node (the informer retries).
   * Everything stops when `signal` aborts (see `stopped`).
   */
  start(signal: AbortSignal, source: { readonly client: RestClient; readonly informers?: InformerFactory }): void {
    const { client, informers } = source;
    const volumes = informers ? informers.informerFor(PVS) : new SharedInformer({ client, path: PVS, clock: this.#c.clock, log: this.#c.log.child('volumes') });
    this.#volumes = volumes;
    const runs: Promise<void>[] = [];
    if (!informers) runs.push(volumes.run(signal));
    volumes.addEventHandler({ onAdd: (pv) => this.#enqueue(pv), onUpdate: (_old, pv) => this.#enqueue(pv) });
    signal.addEventListener('abort', () => this.#queue.shutDown(), { once: true });
    runs.push(this.#work());
    this.#worker = Promise.all(runs).then(() => undefined);
  }

  /** stopped resolves once the worker (and the own informer) returned after the start signal aborted. */
  async stopped(): Promise<void> {
    await this.#worker;
  }

  /** wants tells whether `pv` is a local-path volume of these nodes waiting for its directory to go. */
  wants(pv: KubeObject): boolean {
    if (!pv.metadata?.deletionTimestamp || !(pv.metadata.finalizers ?? []).includes(LOCAL_PATH_FINALIZER)) return false;
    if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return false;
    // A volume deleted while still Bound keeps its data until its claim goes (the PV controller then Releases it).
    if ((pv['status'] as { phase?: string } | undefined)?.phase === 'Bound') return false;
    const pinned = pinnedNodes(pv);
    if (pinned.length === 0) return this.#c.unpinnedVolumes;
    return pinned.some((n) => this.#nodes.has(n));
  }

  /** reconcile removes one volume's directory and then its finalizer; a volume it does not want is left alone. */
  async reconcile(pv: KubeObject): Promise<void> {
    if (!this.wants(pv)) return;
    const name = pv.metadata?.name ?? '';
    const path = (pv['spec'] as PVSpec | undefined)?.hostPath?.path;
    if (path && this.#owned(path)) {
      await (this.#c.removeDirectory ?? removeRecursively)(path);
      this.#c.log.info('Removed the directory of a deleted local-path volume', { volume: name, path });
    } else {
      this.#c.log.warn('Deleted local-path volume is not under the storage directory; its directory is left in place', { volume: name, path: path ?? '', base: this.#base });
    }
    const finalizers = (pv.metadata?.finalizers ?? []).filter((f) => f !== LOCAL_PATH_FINALIZER);
    try {
      await this.#c.client.patch({ ...PVS, name }, 'merge', { metadata: { resourceVersion: pv.metadata?.resourceVersion, finalizers } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** #owned: a direct child of the base directory named like a provisioned volume. */
  #owned(path: string): boolean {
    const p = resolve(path);
    return dirname(p) === this.#base && basename(p).startsWith('pvc-');
  }

  #enqueue(pv: KubeObject): void {
    if (this.wants(pv) && pv.metadata?.name) this.#queue.add(pv.metadata.name);
  }

  async #work(): Promise<void> {
    for (;;) {
      const name = await this.#queue.get();
      if (name === undefined) return;
      try {
        const pv = this.#volumes?.store.get(name);
        if (pv) await this.reconcile(pv);
        this.#queue.forget(name);
      } catch (err) {
        const retries = this.#queue.numRequeues(name);
        (retries >= 3 ? this.#c.log.warn : this.#c.log.debug).call(this.#c.log, 'Cannot reclaim local-path volume; retrying', { volume: name, retries, error: err });
        this.#queue.addRateLimited(name);
      } finally {
        this.#queue.done(name);
      }
    }
  }
}

/** pinnedNodes lists the node names a volume's required node affinity allows by hostname. */
export function pinnedNodes(pv: KubeObject): string[] {
  const terms = (pv['spec'] as PVSpec | undefined)?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  return terms.flatMap((t) => (t.matchExpressions ?? []).filter((e) => e.key === HOSTNAME_LABEL && e.operator === 'In').flatMap((e) => e.values ?? []));
}

async function removeRecursively(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
