/**
 * EncryptingStorage: a Storage decorator that encrypts the values of configured resources on the way in and
 * decrypts them on the way out (upstream's value transformers). Keys, revisions and every other resource pass
 * through untouched; everything above it (registry, watch cache) only ever sees plaintext. A value that cannot be
 * decrypted is an error on read (never returned as garbage); on a watch it ends that watch through onError.
 */
import { ConflictError } from '../../storage/errors.js';
import type { KeyValue, ListOptions, ListResult, Storage, StorageStats, Watch, WatchEvent, WatchOptions } from '../../storage/storage.js';
import type { EncryptionConfig } from './encryption-config.js';
import type { ValueTransformer } from './value-transformer.js';

/** EncryptingStorage implements Storage over another Storage. */
export class EncryptingStorage implements Storage {
  readonly #inner: Storage;
  readonly #rules: readonly { prefix: string; transformer: ValueTransformer }[];

  constructor(inner: Storage, config: EncryptionConfig) {
    this.#inner = inner;
    this.#rules = config.rules.flatMap((r) => r.keyPrefixes.map((prefix) => ({ prefix, transformer: r.transformer })));
  }

  /** transformerFor returns the transformer of a storage key, or undefined when its resource is not configured. */
  transformerFor(key: string): ValueTransformer | undefined {
    for (const r of this.#rules) if (key.startsWith(r.prefix)) return r.transformer;
    return undefined;
  }

  #seal(key: string, value: Uint8Array): Uint8Array {
    return this.transformerFor(key)?.toStorage(value, key) ?? value;
  }

  #open(kv: KeyValue): KeyValue;
  #open(kv: KeyValue | undefined): KeyValue | undefined;
  #open(kv: KeyValue | undefined): KeyValue | undefined {
    if (!kv) return kv;
    const t = this.transformerFor(kv.key);
    return t ? { ...kv, value: t.fromStorage(kv.value, kv.key) } : kv;
  }

  async #conflictsOpened<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (err) {
      if (err instanceof ConflictError) throw new ConflictError(err.key, this.#open(err.current));
      throw err;
    }
  }

  currentRevision(): Promise<number> {
    return this.#inner.currentRevision();
  }

  async get(key: string, revision?: number): Promise<KeyValue | undefined> {
    return this.#open(await this.#inner.get(key, revision));
  }

  async list(prefix: string, options?: ListOptions): Promise<ListResult> {
    const r = await this.#inner.list(prefix, options);
    return { ...r, items: r.items.map((kv) => this.#open(kv)) };
  }

  count(prefix: string): Promise<number> {
    return this.#inner.count(prefix);
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    const kv = await this.#inner.create(key, this.#seal(key, value));
    return { ...kv, value };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    const kv = await this.#conflictsOpened(this.#inner.update(key, this.#seal(key, value), expectedModRevision));
    return { ...kv, value };
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.#open(await this.#conflictsOpened(this.#inner.delete(key, expectedModRevision)));
  }

  watch(prefix: string, options: WatchOptions): Watch {
    let ended = false;
    const watch: Watch = this.#inner.watch(prefix, {
      ...options,
      onEvents: (events) => {
        if (ended) return;
        let opened: WatchEvent[];
        try {
          opened = events.map((e) => ({ ...e, kv: this.#open(e.kv), ...(e.prevKv ? { prevKv: this.#open(e.prevKv) } : {}) }));
        } catch (err) {
          ended = true;
          // Closing from inside the callback is allowed; defer it anyway so the backend finishes its dispatch first.
          queueMicrotask(() => watch.close());
          options.onError?.(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        options.onEvents(opened);
      },
    });
    return watch;
  }

  compact(revision: number): Promise<void> {
    return this.#inner.compact(revision);
  }

  compactRevision(): number {
    return this.#inner.compactRevision();
  }

  stats(): Promise<StorageStats> {
    return this.#inner.stats();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
