/**
 * KubeDirectorOperator: runs a cluster controller for each KubeDirector API group whose CRDs are installed. It
 * watches CustomResourceDefinitions; when `kubedirectorapps.<group>` and `kubedirectorclusters.<group>` are both
 * Established, it starts informers for that group's apps and clusters (their own factory, so a group whose CRDs
 * are absent never has a failing list in the process-wide informers) and a Controller over ClusterReconciler;
 * when either CRD goes away, it stops them. `onActive` reports the set of running groups (the composition root
 * shows the operator as a pod while it is non-empty).
 *
 * The core collections (StatefulSets, Services, ConfigMaps, Pods) come from the shared factory, asked for when a
 * group first starts; their events are mapped to the owning cluster by its label and enqueued into the running
 * group controllers.
 */
import { KUBEDIRECTOR_GROUPS, KD_APPS, KD_CLUSTERS } from '../../api/kubedirector/kubedirector-types.js';
import type { KubeObject } from '../../api/meta/types.js';
import { obj, objects, str } from '../../api/validation/unstructured.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { InformerFactory } from '../../client/informer/informer-factory.js';
import { SharedInformerFactory } from '../../client/informer/shared-informer-factory.js';
import { metaNamespaceKey } from '../../client/informer/store.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../../controllers/controller.js';
import { ClusterReconciler } from './cluster-reconciler.js';
import { clusterLabel } from './names.js';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' } as const;

/** KubeDirectorOperatorConfig constructs the operator. */
export interface KubeDirectorOperatorConfig {
  readonly client: RestClient;
  /** The process-wide informers (CRDs and core collections). */
  readonly informers: InformerFactory;
  readonly clock: Clock;
  readonly log: Logger;
  /** Told the running groups whenever the set changes. */
  readonly onActive?: (groups: readonly string[]) => void;
}

interface GroupRun {
  readonly controller: Controller;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** isEstablished tells whether a CRD object is served. */
function isEstablished(crd: KubeObject): boolean {
  return !crd.metadata?.deletionTimestamp && objects(obj(crd['status'])['conditions']).some((c) => c['type'] === 'Established' && c['status'] === 'True');
}

/** KubeDirectorOperator: see the file comment. */
export class KubeDirectorOperator {
  readonly #c: KubeDirectorOperatorConfig;
  readonly #crds: SharedInformer;
  /** The core informers, asked for when a group first starts: a server without KubeDirector pays nothing for them. */
  #core: Record<'statefulSets' | 'services' | 'configMaps' | 'pods', SharedInformer> | undefined;
  readonly #runs = new Map<string, GroupRun>();
  #stopped = false;

  constructor(config: KubeDirectorOperatorConfig) {
    this.#c = config;
    this.#crds = config.informers.informerFor(CRDS);
    const sync = (): void => this.#sync();
    this.#crds.addEventHandler({ onAdd: sync, onUpdate: sync, onDelete: sync });
  }

  /** activeGroups are the groups whose controllers run. */
  get activeGroups(): string[] {
    return [...this.#runs.keys()];
  }

  /** stop stops every group controller. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const runs = [...this.#runs.values()];
    this.#runs.clear();
    for (const r of runs) r.abort.abort();
    await Promise.all(runs.map((r) => r.done));
  }

  #sync(): void {
    if (this.#stopped) return;
    const established = new Set(this.#crds.store.list().filter(isEstablished).map((c) => c.metadata?.name ?? ''));
    let changed = false;
    for (const { group, version } of KUBEDIRECTOR_GROUPS) {
      const wanted = established.has(`${KD_APPS}.${group}`) && established.has(`${KD_CLUSTERS}.${group}`);
      const run = this.#runs.get(group);
      if (wanted && !run) {
        this.#runs.set(group, this.#start(group, version));
        changed = true;
      } else if (!wanted && run) {
        this.#runs.delete(group);
        run.abort.abort();
        changed = true;
        this.#c.log.info('KubeDirector CRDs removed; operator stopped for the group', { group });
      }
    }
    if (changed) this.#c.onActive?.(this.activeGroups);
  }

  #coreInformers(): Record<'statefulSets' | 'services' | 'configMaps' | 'pods', SharedInformer> {
    if (this.#core) return this.#core;
    const informers = this.#c.informers;
    const core = {
      statefulSets: informers.informerFor({ group: 'apps', version: 'v1', resource: 'statefulsets' }),
      services: informers.informerFor({ version: 'v1', resource: 'services' }),
      configMaps: informers.informerFor({ version: 'v1', resource: 'configmaps' }),
      pods: informers.informerFor({ version: 'v1', resource: 'pods' }),
    };
    const owned = (o: KubeObject): void => {
      for (const [group, run] of this.#runs) {
        const name = o.metadata?.labels?.[clusterLabel(group)];
        if (name) run.controller.enqueue(`${o.metadata?.namespace ?? ''}/${name}`);
      }
    };
    for (const inf of Object.values(core)) inf.addEventHandler({ onAdd: owned, onUpdate: (_o, n) => owned(n), onDelete: owned });
    this.#core = core;
    return core;
  }

  #start(group: string, version: string): GroupRun {
    const core = this.#coreInformers();
    const abort = new AbortController();
    const log = this.#c.log.child(group);
    const factory = new SharedInformerFactory({ client: this.#c.client, clock: this.#c.clock, log });
    const clusters = factory.informerFor({ group, version, resource: KD_CLUSTERS });
    const apps = factory.informerFor({ group, version, resource: KD_APPS });
    const reconciler = new ClusterReconciler({
      group,
      version,
      client: this.#c.client,
      stores: {
        clusters: clusters.store,
        apps: apps.store,
        statefulSets: core.statefulSets.store,
        services: core.services.store,
        configMaps: core.configMaps.store,
        pods: core.pods.store,
      },
      log,
    });
    const controller = new Controller({ name: `kubedirector-${group}`, reconciler, clock: this.#c.clock, log, workers: 2 });
    clusters.addEventHandler({ onAdd: (c) => controller.enqueue(metaNamespaceKey(c)), onUpdate: (_o, c) => controller.enqueue(metaNamespaceKey(c)) });
    const byApp = (app: KubeObject): void => {
      for (const c of clusters.store.list()) {
        if (c.metadata?.namespace === app.metadata?.namespace && str(obj(c['spec'])['app']) === app.metadata?.name) controller.enqueue(metaNamespaceKey(c));
      }
    };
    apps.addEventHandler({ onAdd: byApp, onUpdate: (_o, a) => byApp(a), onDelete: byApp });
    factory.start(abort.signal);
    const done = (async () => {
      const synced = await Promise.all([factory.waitForCacheSync(abort.signal), ...Object.values(core).map((i) => i.waitForSync(abort.signal))]);
      if (!synced.every(Boolean)) return;
      log.info('KubeDirector operator running', { group, version });
      await controller.run(abort.signal);
      await factory.stopped();
    })().catch((err: unknown) => log.error('KubeDirector operator stopped', { group, error: err }));
    return { controller, abort, done };
  }
}
