/**
 * EtcdStorage: the Storage contract of storage.ts on an etcd v3 cluster, through the etcd3 client (gRPC).
 *
 * Mapping (kube-apiserver's etcd3 store, in short):
 * - Keys are stored as `keyPrefix + key`; the registry's keys already start with `/registry/`, so with the default
 *   empty prefix etcd holds `/registry/pods/<ns>/<name>` exactly as upstream does.
 * - Revisions are etcd revisions shifted down by one: an empty etcd is at revision 1 and its first write gets 2, while
 *   the Storage contract (and SQLite) start at 0 with the first write at 1. Every tkube server on one etcd applies the
 *   same shift, so resourceVersions stay consistent among them and across restarts.
 * - create is a txn guarded by `create_revision == 0`, update and conditional delete by `mod_revision == expected`;
 *   a failed guard reads the key in the same txn, so the error carries the version that won.
 * - Watches: one shared etcd watch on the whole prefix follows every commit, filters events by each watcher's prefix
 *   and reports progress after every response (etcd's own progress notifications come every 10 minutes, far too
 *   rarely for consistent reads from the watch cache). A watcher starting behind the shared stream replays through
 *   its own etcd watch until it has caught up with the shared one, then joins it, so nothing is lost or doubled.
 *   Filtering in the client costs decoding every event once per shared stream, not once per watcher.
 * - compact is etcd's compaction (physical, so it has finished when the promise resolves). The compact revision is
 *   learned at open (from a watch at the oldest revision, which etcd refuses with the compact revision) and kept up
 *   to date by our own compactions and by compaction errors caused by other servers' compactions.
 *
 * Errors: etcd's gRPC errors become the typed errors of errors.ts (compacted, future revision, quota, unavailable).
 * A prefix shared with other writers is not supported: their writes would advance etcd's revision without events on
 * our stream, delaying progress reports until our next write.
 */
import type { Etcd3, IOptions } from 'etcd3';
import type * as RPC from 'etcd3/lib/rpc.js';

import { loadEtcd3, type Etcd3Module } from './etcd3-module.js';
import { MemberDownError, MemberHealth } from './member-health.js';

import { CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError, QuotaExceededError, StorageUnavailableError } from '../errors.js';
import type { KeyValue, ListOptions, ListResult, Storage, StorageStats, Watch, WatchEvent, WatchOptions } from '../storage.js';

/** EtcdStorageOptions configure the connection. */
export interface EtcdStorageOptions {
  /** Client URLs, e.g. `https://10.0.0.1:2379`; `https://` needs `caPem` (or trusts the system roots). */
  readonly endpoints: readonly string[];
  /** PEM of the CA that signed etcd's serving certificate (`--datastore-cafile`). */
  readonly caPem?: string;
  /** PEM client certificate and key (`--datastore-certfile`, `--datastore-keyfile`) for etcd's `--client-cert-auth`. */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Prepended to every key. @default "" (the registry's keys already start with /registry/) */
  readonly keyPrefix?: string;
  /** How long open() waits for etcd to answer before giving up. @default 5000 */
  readonly connectTimeoutMs?: number;
}

/** The shift between etcd revisions and storage revisions (see the header). */
const REVISION_OFFSET = 1;

function toStorageRevision(etcdRevision: string | number): number {
  return Math.max(0, Number(etcdRevision) - REVISION_OFFSET);
}

function toEtcdRevision(revision: number): number {
  return revision + REVISION_OFFSET;
}

/** prefixEnd is the smallest key greater than every key starting with `prefix` ('\0' = no end, etcd's convention). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] ?? 0xff) < 0xff) {
      end[i] = (end[i] ?? 0) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Shared watch streams fail every watcher on them with this when the stream ends under them. */
function streamLost(reason: string): StorageUnavailableError {
  return new StorageUnavailableError(`Lost the etcd watch stream: ${reason}`);
}

/** Subscriber is one Storage.watch() call. */
interface Subscriber {
  readonly prefix: string;
  readonly options: WatchOptions;
  /** Events at or below this storage revision have been delivered (or precede the watch). */
  after: number;
  closed: boolean;
  /** The replaying etcd watch while this subscriber is behind the shared stream. */
  catchUp?: RawWatch;
}

/** RawWatch is one etcd watch on its own gRPC stream. */
interface RawWatch {
  cancel(): void;
}

/** EtcdStorage implements Storage on etcd. Create with `EtcdStorage.open`. */
export class EtcdStorage implements Storage {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #prefixBytes: Buffer;
  readonly #endpoints: string;
  #compactRevision: number;
  #closed = false;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #subscribers = new Set<Subscriber>();
  /** The shared stream and the revision through which it has delivered every event (see the header). */
  #shared: { watch: RawWatch; through: number } | undefined;

  readonly #etcd3: Etcd3Module;

  private constructor(etcd3: Etcd3Module, client: Etcd3, options: EtcdStorageOptions, compactRevision: number) {
    this.#etcd3 = etcd3;
    this.#client = client;
    this.#prefix = options.keyPrefix ?? '';
    this.#prefixBytes = Buffer.from(this.#prefix);
    this.#endpoints = options.endpoints.join(',');
    this.#compactRevision = compactRevision;
  }

  /**
   * open connects and checks that etcd answers within `connectTimeoutMs`; a failure throws a StorageUnavailableError
   * saying which endpoints and what to check.
   */
  static async open(options: EtcdStorageOptions): Promise<EtcdStorage> {
    if (options.endpoints.length === 0) throw new Error('Cannot use etcd: no endpoint given');
    const etcd3 = await loadEtcd3();
    const tls = options.caPem !== undefined || options.certPem !== undefined;
    const clientOptions: IOptions = {
      hosts: [...options.endpoints],
      ...(tls
        ? {
            credentials: {
              // grpc-js trusts the system roots when rootCertificate is null.
              rootCertificate: (options.caPem !== undefined ? Buffer.from(options.caPem) : null) as Buffer,
              ...(options.keyPem !== undefined ? { privateKey: Buffer.from(options.keyPem) } : {}),
              ...(options.certPem !== undefined ? { certChain: Buffer.from(options.certPem) } : {}),
            },
          }
        : {}),
      // A call that meets an unavailable member is retried (etcd3's global policy: up to 3 attempts) on a randomly
      // chosen endpoint; a member that refused a call is skipped for a second (member-health.ts says why not etcd3's
      // circuit breaker).
      faultHandling: { host: (endpoint: string) => new MemberHealth(endpoint, etcd3.GRPCUnavailableError) as unknown as ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>> },
      grpcOptions: {
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        // Notice a member that stopped answering (a hung host, a cut network) on long-lived watch streams too; etcd
        // accepts pings every 5 s and more.
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        'grpc.keepalive_permit_without_calls': 1,
        // gRPC's reconnect back-off grows to 2 minutes by default: after an etcd outage of a few seconds the server
        // would stay unavailable long after etcd is back. Retry connecting every 0.5–2 s instead.
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 2000,
      },
    };
    const client = new etcd3.Etcd3(clientOptions);
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const compactRevision = await Promise.race([
        readCompactRevision(client, Buffer.from(options.keyPrefix ?? '')),
        new Promise<never>((_, fail) => {
          timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return new EtcdStorage(etcd3, client, options, compactRevision);
    } catch (err) {
      client.close();
      const why = err instanceof Error ? err.message : String(err);
      const check = options.endpoints.some((e) => e.startsWith('https://'))
        ? 'check that etcd runs there and that --datastore-cafile, --datastore-certfile and --datastore-keyfile match its TLS setup'
        : 'check that etcd runs there (and whether it wants https:// with client certificates)';
      throw new StorageUnavailableError(`Cannot reach etcd at ${options.endpoints.join(',')}: ${why}; ${check}`);
    } finally {
      clearTimeout(timer);
    }
  }

  #key(key: string): Buffer {
    return Buffer.from(this.#prefix + key);
  }

  #unprefix(key: Buffer): string {
    return key.subarray(this.#prefixBytes.length).toString('utf8');
  }

  #kv(kv: RPC.IKeyValue): KeyValue {
    return {
      key: this.#unprefix(kv.key),
      value: new Uint8Array(kv.value),
      createRevision: toStorageRevision(kv.create_revision),
      modRevision: toStorageRevision(kv.mod_revision),
    };
  }

  /** #run refuses work after close, tracks the call so close() can wait for it, and translates etcd's errors. */
  #run<T>(revision: number | undefined, body: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StorageUnavailableError('Storage is closed'));
    const p = body().catch(async (err: unknown) => {
      throw await this.#translate(err, revision);
    });
    this.#inflight.add(p);
    const done = (): void => void this.#inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async #translate(err: unknown, revision: number | undefined): Promise<Error> {
    if (!(err instanceof Error)) return new Error(String(err));
    const msg = err.message;
    if (msg.includes('required revision has been compacted')) {
      // Another server compacted further than we knew: learn how far.
      const learned = await readCompactRevision(this.#client, this.#prefixBytes).catch(() => this.#compactRevision);
      this.#compactRevision = Math.max(this.#compactRevision, learned);
      return new CompactedError(revision ?? 0, this.#compactRevision);
    }
    if (msg.includes('required revision is a future revision')) {
      const current = await this.#currentRevision().catch(() => 0);
      return new FutureRevisionError(revision ?? 0, current);
    }
    if (msg.includes('database space exceeded')) return new QuotaExceededError(`etcd is out of space (${msg}); compact and defragment it, or raise its --quota-backend-bytes`);
    const { GRPCUnavailableError, GRPCDeadlineExceededError, ClientClosedError } = this.#etcd3;
    if (err instanceof GRPCUnavailableError || err instanceof GRPCDeadlineExceededError || err instanceof ClientClosedError || err instanceof MemberDownError || /no leader|leader changed|timed out|Unavailable|ECONNREFUSED/i.test(msg)) {
      return new StorageUnavailableError(`etcd at ${this.#endpoints} cannot serve: ${msg}`);
    }
    return err;
  }

  async #currentRevision(): Promise<number> {
    // Linearizable (etcd's default): the revision covers every write acknowledged before this call.
    const res = await this.#client.kv.range({ key: this.#prefixBytes.length > 0 ? this.#prefixBytes : Buffer.from([0]), count_only: true });
    return toStorageRevision(res.header.revision);
  }

  /**
   * The newest revision etcd has committed. It may run ahead of what the shared watch stream has delivered (the
   * stream follows within milliseconds); callers needing the watch cache to be current fall back to reading storage.
   */
  currentRevision(): Promise<number> {
    return this.#run(undefined, () => this.#currentRevision());
  }

  get(key: string, revision?: number): Promise<KeyValue | undefined> {
    return this.#run(revision, async () => {
      const res = await this.#client.kv.range({ key: this.#key(key), ...(revision ? { revision: toEtcdRevision(revision) } : {}) });
      const kv = res.kvs[0];
      return kv ? this.#kv(kv) : undefined;
    });
  }

  list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const revision = options.revision ?? 0;
    return this.#run(revision, async () => {
      const start = this.#key(prefix);
      let from = start;
      if (options.startAfter !== undefined) {
        // The smallest key after startAfter is startAfter + "\0".
        const after = Buffer.concat([this.#key(options.startAfter), Buffer.from([0])]);
        if (Buffer.compare(after, start) > 0) from = after;
      }
      const res = await this.#client.kv.range({
        key: from.length > 0 ? from : Buffer.from([0]),
        range_end: start.length > 0 ? prefixEnd(start) : Buffer.from([0]),
        ...(revision ? { revision: toEtcdRevision(revision) } : {}),
        ...(options.limit ? { limit: options.limit } : {}),
      });
      return {
        items: res.kvs.map((kv) => this.#kv(kv)),
        revision: revision || toStorageRevision(res.header.revision),
        more: res.more,
      };
    });
  }

  count(prefix: string): Promise<number> {
    return this.#run(undefined, async () => {
      const start = this.#key(prefix);
      const res = await this.#client.kv.range({
        key: start.length > 0 ? start : Buffer.from([0]),
        range_end: start.length > 0 ? prefixEnd(start) : Buffer.from([0]),
        count_only: true,
      });
      return Number(res.count);
    });
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    const stored = Buffer.from(value);
    return this.#run(undefined, async () => {
      const k = this.#key(key);
      const res = await this.#client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: stored } }],
      });
      if (!res.succeeded) throw new KeyExistsError(key);
      const rev = toStorageRevision(res.header.revision);
      return { key, value: new Uint8Array(stored), createRevision: rev, modRevision: rev };
    });
  }

  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    const stored = Buffer.from(value);
    return this.#run(undefined, async () => {
      const k = this.#key(key);
      const res = await this.#client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: toEtcdRevision(expectedModRevision) }],
        success: [{ request_put: { key: k, value: stored, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      });
      if (!res.succeeded) throw this.#preconditionFailed(key, res);
      const prev = res.responses[0]?.response_put.prev_kv;
      const rev = toStorageRevision(res.header.revision);
      return { key, value: new Uint8Array(stored), createRevision: prev ? toStorageRevision(prev.create_revision) : rev, modRevision: rev };
    });
  }

  delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.#run(undefined, async () => {
      const k = this.#key(key);
      const res = await this.#client.kv.txn({
        // Unconditional deletes still need the key to exist: `create_revision > 0`.
        compare: [
          expectedModRevision === undefined
            ? { key: k, target: 'Create', result: 'Greater', create_revision: 0 }
            : { key: k, target: 'Mod', result: 'Equal', mod_revision: toEtcdRevision(expectedModRevision) },
        ],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      });
      if (!res.succeeded) throw this.#preconditionFailed(key, res);
      const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
      if (!prev) throw new KeyNotFoundError(key);
      return { ...this.#kv(prev), modRevision: toStorageRevision(res.header.revision) };
    });
  }

  /** A failed guard: the txn's failure branch read the key. */
  #preconditionFailed(key: string, res: RPC.ITxnResponse): Error {
    const current = res.responses[0]?.response_range.kvs[0];
    return current ? new ConflictError(key, this.#kv(current)) : new KeyNotFoundError(key);
  }

  watch(prefix: string, options: WatchOptions): Watch {
    if (this.#closed) throw new StorageUnavailableError('Storage is closed');
    if (options.afterRevision < this.#compactRevision) throw new CompactedError(options.afterRevision, this.#compactRevision);
    const sub: Subscriber = { prefix, options, after: options.afterRevision, closed: false };
    this.#subscribers.add(sub);
    if (!this.#shared) {
      // The first watch starts the shared stream where it wants to start.
      this.#shared = { watch: this.#startSharedStream(options.afterRevision), through: options.afterRevision };
    } else if (options.afterRevision < this.#shared.through) {
      this.#startCatchUp(sub);
    }
    return {
      close: () => {
        if (sub.closed) return;
        sub.closed = true;
        sub.catchUp?.cancel();
        this.#subscribers.delete(sub);
      },
    };
  }

  /** #startSharedStream follows every write under the prefix after `after` and fans it out to live subscribers. */
  #startSharedStream(after: number): RawWatch {
    const shared: RawWatch = this.#openRawWatch(after, {
      onResponse: (events, through) => {
        if (this.#shared?.watch !== shared) return;
        this.#shared.through = Math.max(this.#shared.through, through);
        for (const sub of [...this.#subscribers]) if (!sub.catchUp) this.#deliver(sub, events, through);
      },
      onEnd: (err) => {
        if (this.#shared?.watch !== shared) return;
        this.#shared = undefined;
        // Every subscriber depends on the shared stream, also those catching up (they would join it).
        for (const sub of [...this.#subscribers]) this.#fail(sub, err);
      },
    });
    return shared;
  }

  /** #startCatchUp replays history for a subscriber behind the shared stream, then hands it over. */
  #startCatchUp(sub: Subscriber): void {
    const watch: RawWatch = this.#openRawWatch(sub.after, {
      onResponse: (events, through) => {
        if (sub.closed || sub.catchUp !== watch) return;
        this.#deliver(sub, events, through);
        // Join once we have delivered everything the shared stream has: from here its events are the next ones.
        const shared = this.#shared;
        if (!sub.closed && shared && sub.after >= shared.through) {
          sub.catchUp = undefined;
          watch.cancel();
        }
      },
      onEnd: (err) => {
        if (sub.catchUp === watch) this.#fail(sub, err);
      },
    });
    sub.catchUp = watch;
  }

  /** #deliver hands a subscriber the events on its prefix it has not seen, then reports progress through `through`. */
  #deliver(sub: Subscriber, events: readonly WatchEvent[], through: number): void {
    if (sub.closed) return;
    const mine = events.filter((e) => e.kv.modRevision > sub.after && e.kv.key.startsWith(sub.prefix));
    try {
      if (mine.length > 0) sub.options.onEvents(mine);
      if (through > sub.after) {
        sub.after = through;
        sub.options.onProgress?.(through);
      }
    } catch (err) {
      this.#fail(sub, err instanceof Error ? err : new Error(String(err)));
    }
  }

  #fail(sub: Subscriber, err: Error): void {
    if (sub.closed) return;
    sub.closed = true;
    sub.catchUp?.cancel();
    this.#subscribers.delete(sub);
    sub.options.onError?.(err);
  }

  /**
   * #openRawWatch opens an etcd watch on the whole prefix from storage revision `after` + 1 on its own gRPC stream.
   * `onResponse` gets each response's events and the storage revision through which everything has been delivered;
   * `onEnd` is called once if the stream ends other than by cancel().
   */
  #openRawWatch(after: number, handlers: { onResponse: (events: WatchEvent[], through: number) => void; onEnd: (err: Error) => void }): RawWatch {
    let stream: RPC.IDuplexStream<RPC.IWatchRequest, RPC.IWatchResponse> | undefined;
    let cancelled = false;
    let ended = false;
    const end = (err: Error): void => {
      if (ended || cancelled) return;
      ended = true;
      if (stream) closeStream(stream);
      handlers.onEnd(err);
    };
    const start = this.#prefixBytes.length > 0 ? this.#prefixBytes : Buffer.from([0]);
    void this.#client.watchClient.watch().then(
      (s) => {
        stream = s;
        if (cancelled) {
          closeStream(s);
          return;
        }
        s.on('data', (res) => {
          if (cancelled || ended) return;
          if (res.canceled) {
            const compact = Number(res.compact_revision);
            if (compact > 0) {
              this.#compactRevision = Math.max(this.#compactRevision, toStorageRevision(compact));
              end(new CompactedError(after, this.#compactRevision));
            } else {
              end(streamLost(res.cancel_reason || 'cancelled by etcd'));
            }
            return;
          }
          if (res.created || res.events.length === 0) {
            // etcd's own progress notifications (every 10 minutes) come only for watchers that have caught up.
            if (!res.created && res.header.revision) handlers.onResponse([], toStorageRevision(res.header.revision));
            return;
          }
          const events = res.events.map((e) => this.#event(e));
          handlers.onResponse(events, events[events.length - 1]?.kv.modRevision ?? after);
        });
        s.on('error', (err) => end(streamLost(err.message)));
        s.on('end', () => end(streamLost('the stream ended')));
        s.write({
          create_request: { key: start, range_end: prefixEnd(this.#prefixBytes), start_revision: toEtcdRevision(after) + 1, prev_kv: true },
        });
      },
      (err: unknown) => end(streamLost(err instanceof Error ? err.message : String(err))),
    );
    return {
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        if (stream) closeStream(stream);
      },
    };
  }

  #event(e: RPC.IEvent): WatchEvent {
    const prevKv = e.prev_kv ? this.#kv(e.prev_kv) : undefined;
    if (e.type === 'Delete') {
      const modRevision = toStorageRevision(e.kv.mod_revision);
      const kv = prevKv ? { ...prevKv, modRevision } : { key: this.#unprefix(e.kv.key), value: new Uint8Array(0), createRevision: 0, modRevision };
      return { type: 'delete', kv, ...(prevKv ? { prevKv } : {}) };
    }
    const kv = this.#kv(e.kv);
    return { type: kv.createRevision === kv.modRevision ? 'create' : 'update', kv, ...(prevKv ? { prevKv } : {}) };
  }

  compact(revision: number): Promise<void> {
    return this.#run(revision, async () => {
      if (revision <= this.#compactRevision) return;
      try {
        await this.#client.kv.compact({ revision: toEtcdRevision(revision), physical: true });
      } catch (err) {
        // Another server compacted at or past this revision already: the outcome we wanted.
        if (!(err instanceof Error && err.message.includes('required revision has been compacted'))) throw err;
      }
      this.#compactRevision = Math.max(this.#compactRevision, revision);
    });
  }

  compactRevision(): number {
    return this.#compactRevision;
  }

  stats(): Promise<StorageStats> {
    return this.#run(undefined, async () => {
      const [status, keys, current] = await Promise.all([this.#client.maintenance.status(), this.count(''), this.#currentRevision()]);
      return { dbSizeBytes: Number(status.dbSize), currentRevision: current, compactRevision: this.#compactRevision, keys };
    });
  }

  /**
   * snapshot streams etcd's point-in-time snapshot of the whole database (all prefixes: etcd's snapshot API) into
   * `sink`; the bytes are a file `etcdutl snapshot restore` / `etcdctl snapshot restore` accepts.
   */
  snapshot(sink: (chunk: Uint8Array) => void): Promise<void> {
    return this.#run(undefined, async () => {
      const stream = await this.#client.maintenance.snapshot();
      await new Promise<void>((done, fail) => {
        stream.on('data', (res) => sink(new Uint8Array(res.blob)));
        stream.on('end', () => done());
        stream.on('error', fail);
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inflight]);
    const shared = this.#shared;
    this.#shared = undefined;
    shared?.watch.cancel();
    for (const sub of [...this.#subscribers]) this.#fail(sub, new StorageUnavailableError('Storage is closed'));
    this.#client.close();
  }
}

/**
 * closeStream ends one of our watch streams. Half-closing first matters: etcd3 treats an error on a stream that is
 * still writable (the CANCELLED our cancel() causes) as a failed connection and closes every channel to that member,
 * failing the calls in flight on it ("Channel closed before call started").
 */
function closeStream(stream: RPC.IDuplexStream<RPC.IWatchRequest, RPC.IWatchResponse>): void {
  stream.end();
  stream.cancel();
}

/**
 * readCompactRevision asks etcd how far history is compacted: a watch from revision 1 is refused with the compact
 * revision when there was a compaction, and created when there was none. Also proves etcd answers.
 */
async function readCompactRevision(client: Etcd3, prefix: Buffer): Promise<number> {
  const key = prefix.length > 0 ? prefix : Buffer.from([0]);
  try {
    // Revision 1 is etcd's empty start: readable exactly when nothing was ever compacted.
    await client.kv.range({ key, revision: 1, count_only: true });
    return 0;
  } catch (err) {
    if (!(err instanceof Error && err.message.includes('required revision has been compacted'))) throw err;
  }
  const stream = await client.watchClient.watch();
  try {
    return await new Promise<number>((done, fail) => {
      stream.on('data', (res) => {
        // The created response comes first; the cancellation carrying the compact revision follows.
        const compact = Number(res.compact_revision);
        if (compact > 0) done(toStorageRevision(compact));
        else if (res.canceled) fail(new Error(`etcd refused a watch: ${res.cancel_reason}`));
      });
      stream.on('error', fail);
      stream.on('end', () => fail(new Error('the watch stream ended')));
      stream.write({ create_request: { key, start_revision: 1 } });
    });
  } finally {
    closeStream(stream);
  }
}
