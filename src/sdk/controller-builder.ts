/**
 * ControllerBuilder (controller-runtime's builder): `.for(kind)` names the reconciled kind, `.owns(kind)` wakes the
 * controlling owner when an owned object changes, `.watches(kind, map)` wakes whatever keys `map` names, and
 * `.complete(reconciler)` hands the finished controller to its manager.
 *
 * SdkController runs one core Controller (src/controllers/controller.ts) per leadership term: informer handlers
 * enqueue into the current one (or nowhere while not leading), and a new term starts by enqueueing every cached
 * object of the `for` kind, so nothing changed while another process led is missed.
 */
import type { KubeObject } from '../api/meta/types.js';
import type { Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { ExponentialFailureRateLimiter } from '../base/queue/rate-limiter.js';
import type { EventRecorder } from '../client/event-recorder.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import { metaNamespaceKey } from '../client/informer/store.js';
import { Controller } from '../controllers/controller.js';
import type { TerminalError } from '../controllers/reconciler.js';
import type { ObjectKey } from './client.js';
import { apiVersionOf, groupOfApiVersion, type Kind } from './kind.js';
import { controllerOf } from './owner-references.js';
import { requestFor, type ReconcileFunc, type Reconciler } from './reconcile.js';

/** ControllerOptions tune one controller. */
export interface ControllerOptions {
  /** Workers reconciling different keys at once. @default 1 */
  readonly maxConcurrentReconciles?: number;
  /** First retry delay after a failure. @default 5 */
  readonly baseRetryDelayMs?: number;
  /** Longest retry delay. @default 1_000_000 (1000 s) */
  readonly maxRetryDelayMs?: number;
}

/**
 * EventFilter decides which events of the `for` kind enqueue (controller-runtime's predicates); a missing member
 * lets every event of that type through. A new leadership term enqueues every object regardless.
 */
export interface EventFilter {
  create?(obj: KubeObject): boolean;
  update?(oldObj: KubeObject, newObj: KubeObject): boolean;
  delete?(obj: KubeObject): boolean;
}

/**
 * generationChanged passes updates that change metadata.generation (spec edits; status writes do not bump it) or
 * start deletion, as upstream's GenerationChangedPredicate does for spec changes.
 */
export const generationChanged: EventFilter = {
  update: (oldObj, newObj) =>
    oldObj.metadata?.generation !== newObj.metadata?.generation || oldObj.metadata?.deletionTimestamp !== newObj.metadata?.deletionTimestamp,
};

/** MapFunc maps a watched object to the keys (`namespace/name` or ObjectKey) to reconcile. */
export type MapFunc = (obj: KubeObject) => ReadonlyArray<string | ObjectKey>;

/** ControllerHost is what a builder needs from its Manager. */
export interface ControllerHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: Pick<EventRecorder, 'record'>;
  informerFor<T extends KubeObject>(kind: Kind): SharedInformer<T>;
  addController(controller: SdkController): void;
}

interface Watch {
  readonly kind: Kind;
  readonly map: (obj: KubeObject) => string[];
}

/** ControllerBuilder assembles a controller. */
export class ControllerBuilder {
  readonly #host: ControllerHost;
  readonly #name: string;
  #for: Kind | undefined;
  readonly #watches: Watch[] = [];
  #options: ControllerOptions = {};
  readonly #filters: EventFilter[] = [];
  #completed = false;

  constructor(host: ControllerHost, name: string) {
    this.#host = host;
    this.#name = name;
  }

  /** for names the reconciled kind: its objects' own events enqueue their keys. */
  for(kind: Kind): this {
    if (this.#for) throw new Error(`Cannot build controller "${this.#name}": for() was already called`);
    this.#for = kind;
    return this;
  }

  /** owns enqueues the controlling owner (of the `for` kind) of objects of `kind` whenever they change. */
  owns(kind: Kind): this {
    this.#watches.push({
      kind,
      map: (obj) => {
        const forKind = this.#requireFor();
        const ref = controllerOf(obj);
        if (!ref || ref.kind !== forKind.kind || groupOfApiVersion(ref.apiVersion) !== forKind.group) return [];
        const ns = obj.metadata?.namespace ?? '';
        return [forKind.namespaced && ns !== '' ? `${ns}/${ref.name}` : ref.name];
      },
    });
    return this;
  }

  /** watches enqueues the keys `map` returns for every change of an object of `kind`. */
  watches(kind: Kind, map: MapFunc): this {
    this.#watches.push({ kind, map: (obj) => map(obj).map(keyString) });
    return this;
  }

  /** withEventFilter keeps only the `for` kind's events every filter passes (e.g. generationChanged). */
  withEventFilter(filter: EventFilter): this {
    this.#filters.push(filter);
    return this;
  }

  /** withOptions sets concurrency and retry backoff. */
  withOptions(options: ControllerOptions): this {
    this.#options = { ...this.#options, ...options };
    return this;
  }

  /** complete registers the controller with its manager (it runs when the manager runs and leads). */
  complete(reconciler: Reconciler | ReconcileFunc): SdkController {
    if (this.#completed) throw new Error(`Cannot build controller "${this.#name}": complete() was already called`);
    this.#completed = true;
    const forKind = this.#requireFor();
    const r: Reconciler = typeof reconciler === 'function' ? { reconcile: reconciler } : reconciler;
    const controller = new SdkController({ host: this.#host, name: this.#name, forKind, watches: this.#watches, filters: this.#filters, options: this.#options, reconciler: r });
    this.#host.addController(controller);
    return controller;
  }

  #requireFor(): Kind {
    if (!this.#for) throw new Error(`Cannot build controller "${this.#name}": call for(kind) first`);
    return this.#for;
  }
}

function keyString(k: string | ObjectKey): string {
  if (typeof k === 'string') return k;
  return k.namespace ? `${k.namespace}/${k.name}` : k.name;
}

interface SdkControllerConfig {
  readonly host: ControllerHost;
  readonly name: string;
  readonly forKind: Kind;
  readonly watches: readonly Watch[];
  readonly filters: readonly EventFilter[];
  readonly options: ControllerOptions;
  readonly reconciler: Reconciler;
}

/** SdkController is a built controller: its informers, handlers and, while leading, its workers. */
export class SdkController {
  readonly name: string;
  readonly forKind: Kind;
  readonly #host: SdkControllerConfig['host'];
  readonly #log: Logger;
  readonly #options: ControllerOptions;
  readonly #reconciler: Reconciler;
  readonly #forInformer: SharedInformer;
  readonly #informers: SharedInformer[];
  #current: Controller | undefined;

  constructor(config: SdkControllerConfig) {
    this.name = config.name;
    this.forKind = config.forKind;
    this.#host = config.host;
    this.#log = config.host.log.child(config.name);
    this.#options = config.options;
    this.#reconciler = config.reconciler;
    this.#forInformer = config.host.informerFor(config.forKind);
    const filters = config.filters;
    this.#forInformer.addEventHandler({
      onAdd: (o) => {
        if (filters.every((f) => f.create?.(o) ?? true)) this.enqueue(metaNamespaceKey(o));
      },
      onUpdate: (old, o) => {
        if (filters.every((f) => f.update?.(old, o) ?? true)) this.enqueue(metaNamespaceKey(o));
      },
      onDelete: (o) => {
        if (filters.every((f) => f.delete?.(o) ?? true)) this.enqueue(metaNamespaceKey(o));
      },
    });
    this.#informers = [this.#forInformer];
    for (const w of config.watches) {
      const informer = config.host.informerFor(w.kind);
      this.#informers.push(informer);
      const wake = (o: KubeObject): void => {
        for (const key of w.map(o)) this.enqueue(key);
      };
      informer.addEventHandler({
        onAdd: wake,
        // Both states: a changed owner reference or label must wake the old target as well as the new one.
        onUpdate: (old, o) => {
          wake(old);
          wake(o);
        },
        onDelete: wake,
      });
    }
  }

  /** enqueue asks for `key` to be reconciled; dropped while this process does not lead (a new term enqueues all). */
  enqueue(key: string): void {
    this.#current?.enqueue(key);
  }

  /** hasSynced tells whether every informer of this controller listed once. */
  hasSynced(): boolean {
    return this.#informers.every((i) => i.hasSynced());
  }

  /** run reconciles until `signal` aborts (one leadership term); resolves once the workers returned. */
  async run(signal: AbortSignal): Promise<void> {
    const synced = await Promise.all(this.#informers.map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean) || signal.aborted) return;
    const controller = new Controller({
      name: this.name,
      clock: this.#host.clock,
      log: this.#log,
      workers: this.#options.maxConcurrentReconciles ?? 1,
      rateLimiter: new ExponentialFailureRateLimiter<string>({
        ...(this.#options.baseRetryDelayMs !== undefined ? { baseDelayMs: this.#options.baseRetryDelayMs } : {}),
        ...(this.#options.maxRetryDelayMs !== undefined ? { maxDelayMs: this.#options.maxRetryDelayMs } : {}),
      }),
      reconciler: { reconcile: (key) => this.#reconciler.reconcile(requestFor(key)) },
      onTerminalError: (key, err) => this.#reportTerminal(key, err),
    });
    this.#current = controller;
    for (const key of this.#forInformer.store.listKeys()) controller.enqueue(key);
    this.#log.info('Controller started', { for: this.forKind.kind, workers: this.#options.maxConcurrentReconciles ?? 1 });
    try {
      await controller.run(signal);
    } finally {
      if (this.#current === controller) this.#current = undefined;
    }
  }

  #reportTerminal(key: string, err: TerminalError): void {
    const obj = this.#forInformer.store.get(key);
    if (!obj) return;
    const withType: KubeObject = { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(this.forKind), kind: obj.kind ?? this.forKind.kind };
    void this.#host.events.record(withType, 'Warning', 'ReconcileError', err.message);
  }
}

