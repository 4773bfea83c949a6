/**
 * Informer: a live copy of one collection, as client-go's informers keep — list, then watch from the list's
 * resourceVersion; on a 410 (the version was compacted) or a broken stream, list again. Subscribers are told after
 * every change, batched to one call per animation frame so a burst of events costs one render.
 */
import { ApiError, getJson, watch, type KubeObject } from './api.js';

export type Listener = () => void;

export class Informer<T extends KubeObject = KubeObject> {
  readonly items = new Map<string, T>();
  /** Set when the last list or watch failed (shown to the user); cleared by the next success. */
  error: string | undefined;
  /** True once the first list has arrived. */
  synced = false;
  readonly #path: string;
  readonly #listeners = new Set<Listener>();
  readonly #stop = new AbortController();
  #pending = false;
  #started = false;

  /** @param path a collection URL, e.g. `/api/v1/pods` or `/apis/apps/v1/deployments`. */
  constructor(path: string) {
    this.#path = path;
  }

  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    if (!this.#started) {
      this.#started = true;
      void this.#run();
    }
    return () => this.#listeners.delete(l);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  stop(): void {
    this.#stop.abort();
  }

  #notify(): void {
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      for (const l of this.#listeners) l();
    });
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let backoffMs = 250;
    while (!signal.aborted) {
      try {
        // resourceVersion=0: any recent state will do, so the server answers from its watch cache (no storage read);
        // the watch that follows brings the page up to date.
        const sep = this.#path.includes('?') ? '&' : '?';
        const list = await getJson<{ items: T[]; metadata: { resourceVersion: string } }>(`${this.#path}${sep}resourceVersion=0`, signal);
        this.items.clear();
        for (const o of list.items) this.items.set(keyOf(o), o);
        this.synced = true;
        this.error = undefined;
        this.#notify();
        backoffMs = 250;
        let rv = list.metadata.resourceVersion;
        let expired = false;
        while (!signal.aborted && !expired) {
          await watch(
            this.#path,
            rv,
            (e) => {
              if (e.type === 'ERROR') {
                expired = true;
                return;
              }
              if (e.object.metadata.resourceVersion) rv = e.object.metadata.resourceVersion;
              if (e.type === 'BOOKMARK') return;
              if (e.type === 'DELETED') this.items.delete(keyOf(e.object));
              else this.items.set(keyOf(e.object), e.object as T);
              this.#notify();
            },
            signal,
          );
        }
      } catch (err) {
        if (signal.aborted) return;
        this.error = err instanceof ApiError ? err.message : String(err);
        this.#notify();
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }
}

export function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

/** Informers are shared per collection: every view reads the same live copy. */
const shared = new Map<string, Informer>();

export function informerFor<T extends KubeObject = KubeObject>(path: string): Informer<T> {
  let i = shared.get(path);
  if (!i) {
    i = new Informer(path);
    shared.set(path, i);
  }
  return i as Informer<T>;
}
