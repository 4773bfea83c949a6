/**
 * WatchCache: one storage watch per resource feeding (1) the current objects, to serve lists at
 * resourceVersion "0" and the initial events of watches, and (2) a ring of the most recent events, so watches can
 * start at a recent resourceVersion without reading storage (upstream's cacher + watchCache).
 *
 * Objects are kept as their stored bytes and selection attributes, decoded on demand (CachedObject): one form per
 * object instead of the decoded object beside its JSON.
 *
 * Contract for watchers (see CacheWatcher): events arrive in revision order without gaps; an object that starts or
 * stops matching the watcher's predicate arrives as ADDED or DELETED. A resourceVersion older than the ring but not
 * compacted in storage is replayed from a storage watch; one older than storage's compaction is answered with
 * TooOldError, which the handler turns into 410 Expired.
 */
import { compareKeys } from '../../storage/key-order.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock, Timer } from '../../base/clock/clock.js';
import { CompactedError } from '../../storage/errors.js';
import type { Storage, Watch, WatchEvent as StorageEvent } from '../../storage/storage.js';
import { decodeImmutableObject } from '../registry/stored-object.js';
import { CachedObject, DEFAULT_RECENT_OBJECTS, RecentObjects } from './cached-object.js';
import type { AttributesOf, ObjectAttributes } from './cached-object.js';
import type { SegmentTable } from './segment-table.js';
import { bytesOf, type SegmentedValue } from './segmented-value.js';
import { CacheWatcher } from './cache-watcher.js';
import { INITIAL_EVENTS_END_ANNOTATION } from './watch-event.js';
import type { WatchEvent } from './watch-event.js';

/** Default number of recent events kept for resuming watches. */
export const DEFAULT_CACHE_CAPACITY = 10_000;
/** Default number of events a watcher may fall behind before it is closed. */
export const DEFAULT_WATCHER_BUFFER = 1_000;
/** Default interval between BOOKMARK events for watchers that allow them. */
export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;

/** WatchCacheConfig constructs a WatchCache. */
export interface WatchCacheConfig {
  readonly storage: Storage;
  /** The resource's key prefix, e.g. "/registry/pods/". */
  readonly prefix: string;
  readonly clock: Clock;
  /** Kind and apiVersion of BOOKMARK objects. */
  readonly kind: string;
  readonly apiVersion: string;
  /** @default DEFAULT_CACHE_CAPACITY */
  readonly capacity?: number;
  /** @default DEFAULT_WATCHER_BUFFER */
  readonly watcherBuffer?: number;
  /** @default DEFAULT_BOOKMARK_INTERVAL_MS */
  readonly bookmarkIntervalMs?: number;
  /**
   * The selection attributes of an object (labels and selectable fields), kept beside each cached object so that
   * predicates select without decoding it. Without it, predicates test decoded objects.
   */
  readonly attributesOf?: AttributesOf;
  /** Decoded objects kept for reuse (RecentObjects). @default DEFAULT_RECENT_OBJECTS */
  readonly recentObjects?: number;
  /**
   * When given, current objects (and the ring's versions of them) keep their bytes as SegmentedValues sharing the
   * JSON values they repeat through this table: for resources with many similar objects (pods, events).
   */
  readonly segments?: SegmentTable;
}

/** Predicate selects objects for a watcher. */
export interface WatchPredicate {
  matches(obj: KubeObject): boolean;
  /** The same verdict from an object's selection attributes (see WatchCacheConfig.attributesOf), when it can tell. */
  matchesAttributes?(attributes: ObjectAttributes): boolean;
}

/** WatchRequest describes one watch. */
export interface WatchRequest {
  /** Key prefix: the resource prefix, or a namespace's prefix under it. */
  readonly prefix: string;
  readonly predicate?: WatchPredicate;
  /** "" or "0": start with ADDED events for the current objects; otherwise a revision to resume after. */
  readonly resourceVersion: string;
  /** Watch-list: ADDED events for the current objects, then a BOOKMARK marked as the end of initial events. */
  readonly sendInitialEvents?: boolean;
  readonly allowBookmarks?: boolean;
}

/** TooOldError: the requested resourceVersion is older than the cache can replay. */
export class TooOldError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.name = 'TooOldError';
  }
}

interface CachedEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  readonly object: KubeObject;
  /** The cache's entry for `object` (ADDED, MODIFIED), whose attributes predicates test once for all watchers. */
  readonly entry?: CachedObject;
  /** The version before (MODIFIED, DELETED), decoded only if a predicate needs it and its attributes cannot tell. */
  readonly prev: CachedObject | undefined;
  readonly revision: number;
}

/** StoredVersion is one version of an object as storage holds it: its bytes and the revision that wrote them. */
interface StoredVersion {
  /** In one piece, or the cache entry's segmented bytes (shared with it). */
  readonly value: Uint8Array | SegmentedValue;
  readonly revision: number;
}

/**
 * RingEvent is a recent event as the ring keeps it: the stored bytes of the versions involved, decoded again only
 * when a resuming watch replays the event. A decoded object (with the JSON remembered for it) is several times the
 * size of its bytes, and by the time an event is replayed — if ever — its object is usually superseded: keeping
 * decoded objects made the ring hold every recent version of every busy object twice (as object and as prev).
 */
interface RingEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  readonly revision: number;
  /** The new version; for DELETED the last one (replayed at the deletion's revision). */
  readonly version: StoredVersion;
  /**
   * The version before (MODIFIED, DELETED), for watchers' predicates: usually the previous ring event's version of
   * the same key (the same bytes, shared), else the bytes storage reported, else the cache's entry.
   */
  readonly prev: StoredVersion | undefined;
}

interface Registration {
  readonly watcher: CacheWatcher;
  readonly request: WatchRequest;
  /** Events at or below this revision were already covered (initial state or the requested RV). */
  readonly after: number;
  bookmarkTimer: Timer | undefined;
}

/**
 * firstUnder is the index of the first of `sorted` (in key order) whose key is at or after `prefix`: the first under
 * it, if any is (keys under a prefix sort right after it, before any other key that follows it).
 */
function firstUnder(sorted: readonly CachedObject[], prefix: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sorted[mid]!.key, prefix) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** WatchCache caches one resource's objects and recent events. */
export class WatchCache {
  #storage: Storage;
  #prefix: string;
  #clock: Clock;
  #kind: string;
  #apiVersion: string;
  #capacity: number;
  #watcherBuffer: number;
  #bookmarkMs: number;
  #attributesOf: AttributesOf | undefined;
  #recent: RecentObjects;
  #segments: SegmentTable | undefined;
  #objects = new Map<string, CachedObject>();
  /** #objects' entries in key order, rebuilt lazily after a change. */
  #sorted: CachedObject[] | undefined;
  #ring: (RingEvent | undefined)[];
  /** The newest version of each key among the ring's events (a later event's prev shares its bytes). */
  #ringLatest = new Map<string, StoredVersion>();
  #ringStart = 0;
  #ringSize = 0;
  /** All events with revision > #windowStart are in the ring. */
  #windowStart = 0;
  #revision = 0;
  #registrations = new Set<Registration>();
  #watch: Watch | undefined;
  #ready: Promise<void> | undefined;
  #stopped = false;

  constructor(config: WatchCacheConfig) {
    this.#storage = config.storage;
    this.#prefix = config.prefix;
    this.#clock = config.clock;
    this.#kind = config.kind;
    this.#apiVersion = config.apiVersion;
    this.#capacity = config.capacity ?? DEFAULT_CACHE_CAPACITY;
    this.#watcherBuffer = config.watcherBuffer ?? DEFAULT_WATCHER_BUFFER;
    this.#bookmarkMs = config.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS;
    this.#attributesOf = config.attributesOf;
    this.#recent = new RecentObjects(config.recentObjects ?? DEFAULT_RECENT_OBJECTS);
    this.#segments = config.segments;
    this.#ring = new Array<RingEvent | undefined>(this.#capacity);
  }

  /** The newest revision the cache has applied. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * eventsAfter counts the events the cache holds with a revision above `revision`: how far behind a watcher of the
   * whole collection that has seen up to `revision` is (informer-lag.ts). Events older than the ring's window are
   * not counted, so a watcher further behind than the ring reads as the ring's size.
   */
  eventsAfter(revision: number): number {
    // The ring is in revision order: binary search for the first event above `revision`.
    let lo = 0;
    let hi = this.#ringSize;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.#ring[(this.#ringStart + mid) % this.#capacity];
      if (e !== undefined && e.revision > revision) hi = mid;
      else lo = mid + 1;
    }
    return this.#ringSize - lo;
  }

  /** Number of open watchers (for metrics and tests). */
  get watcherCount(): number {
    return this.#registrations.size;
  }

  /**
   * cached returns the cached object stored at `key` while the cache follows storage, else undefined (not
   * started yet, restarting, or no such object): callers fall back to reading storage. The object is shared:
   * never mutate it.
   */
  cached(key: string): KubeObject | undefined {
    return this.#watch ? this.#objects.get(key)?.object() : undefined;
  }

  /** ready starts the cache on first call (list + watch) and resolves once it serves. */
  ready(): Promise<void> {
    if (!this.#ready) this.#ready = this.#startOnce();
    return this.#ready;
  }

  /** #startOnce starts the cache; a failed start (storage unavailable) is forgotten so the next ready() retries. */
  #startOnce(): Promise<void> {
    const started = this.#start();
    started.catch(() => {
      if (this.#ready === started) this.#ready = undefined;
    });
    return started;
  }

  async #start(): Promise<void> {
    for (;;) {
      const list = await this.#storage.list(this.#prefix);
      this.#objects.clear();
      this.#recent.clear();
      this.#sorted = undefined;
      for (const kv of list.items) this.#objects.set(kv.key, this.#entryOf(kv.key, kv.value, kv.modRevision, undefined));
      this.#revision = list.revision;
      this.#windowStart = list.revision;
      this.#ringStart = 0;
      this.#ringSize = 0;
      this.#ring.fill(undefined);
      this.#ringLatest.clear();
      try {
        this.#watch = this.#storage.watch(this.#prefix, {
          afterRevision: list.revision,
          onEvents: (events) => this.#apply(events),
          // Nothing on our prefix changed up to `rev`: our state is current there (consistent reads from cache).
          onProgress: (rev) => {
            if (rev > this.#revision) this.#revision = rev;
          },
          onError: () => this.#restart(),
        });
        return;
      } catch (err) {
        // Compacted between our list and watch: list again.
        if (!(err instanceof CompactedError)) throw err;
      }
    }
  }

  #restart(): void {
    if (this.#stopped) return;
    this.#watch?.close();
    // No longer following storage (an etcd outage ends the storage watch): gets read storage until the restart lists.
    this.#watch = undefined;
    for (const reg of [...this.#registrations]) reg.watcher.close('cache-reset');
    // A failed restart leaves the cache unready; the next ready() call retries.
    this.#ready = this.#startOnce();
  }

  /**
   * #entryOf makes the cache's entry for a stored version; `object`, when given, is its decoded form (a write's
   * object, taken over without a parse), else it is decoded once to compute its attributes (a cache without an
   * attribute function decodes it only when asked for).
   */
  #entryOf(key: string, value: Uint8Array, revision: number, object: KubeObject | undefined): CachedObject {
    const segments = this.#segments;
    if (this.#attributesOf === undefined) return new CachedObject(key, value, revision, { object, recent: this.#recent, segments });
    const obj = object ?? decodeVersion(key, value, revision);
    return new CachedObject(key, value, revision, { object: obj, attributes: this.#attributesOf(obj), recent: object !== undefined ? this.#recent : undefined, segments });
  }

  #apply(events: readonly StorageEvent[]): void {
    for (const e of events) {
      const rev = e.kv.modRevision;
      if (rev <= this.#revision) continue;
      const key = e.kv.key;
      const before = this.#objects.get(key) ?? (e.prevKv ? new CachedObject(key, e.prevKv.value, e.prevKv.modRevision) : undefined);
      let cached = cachedEventOf(e, before);
      if (before !== undefined) this.#recent.forget(before);
      if (cached.type === 'DELETED') {
        this.#objects.delete(key);
      } else {
        const entry = this.#entryOf(key, e.kv.value, rev, cached.object);
        this.#objects.set(key, entry);
        cached = { ...cached, entry };
      }
      this.#sorted = undefined;
      this.#revision = rev;
      this.#append(this.#ringEventOf(e, cached));
      for (const reg of [...this.#registrations]) this.#dispatch(reg, cached);
    }
  }

  /** #ringEventOf is what the ring keeps of a storage event (see RingEvent). */
  #ringEventOf(e: StorageEvent, cached: CachedEvent): RingEvent {
    const key = e.kv.key;
    // A written version is the cache's new entry: the ring shares the entry's (maybe segmented) bytes.
    const value = cached.type === 'DELETED' ? (e.prevKv ?? e.kv).value : (cached.entry?.stored ?? e.kv.value);
    const version: StoredVersion = { value, revision: cached.revision };
    let prev: StoredVersion | undefined;
    if (cached.type !== 'ADDED') {
      // The ring holds every event of its window in order, so the newest version of this key in it is the one
      // this event replaced.
      prev = this.#ringLatest.get(key) ?? (e.prevKv ? { value: e.prevKv.value, revision: e.prevKv.modRevision } : cached.prev);
    }
    if (cached.type === 'DELETED') this.#ringLatest.delete(key);
    else this.#ringLatest.set(key, version);
    return { type: cached.type, key, revision: cached.revision, version, prev };
  }

  /**
   * #replayed decodes a ring event for a resuming watcher: the cached object itself when the event wrote the current
   * version, else its bytes again; the previous version only when the watcher has a predicate to test it with.
   */
  #replayed(event: RingEvent, withPrev: boolean): CachedEvent {
    const { key, revision } = event;
    const current = event.type === 'DELETED' ? undefined : this.#objects.get(key);
    const object = current !== undefined && current.revision === revision ? current.object() : decodeVersion(key, bytesOf(event.version.value), revision);
    const prev = withPrev && event.prev !== undefined ? new CachedObject(key, bytesOf(event.prev.value), event.prev.revision) : undefined;
    return { type: event.type, key, object, prev, revision };
  }

  #append(event: RingEvent): void {
    if (this.#ringSize === this.#capacity) {
      const evicted = this.#ring[this.#ringStart];
      if (evicted) {
        this.#windowStart = evicted.revision;
        if (this.#ringLatest.get(evicted.key) === evicted.version) this.#ringLatest.delete(evicted.key);
      }
      this.#ring[this.#ringStart] = event;
      this.#ringStart = (this.#ringStart + 1) % this.#capacity;
    } else {
      this.#ring[(this.#ringStart + this.#ringSize) % this.#capacity] = event;
      this.#ringSize++;
    }
  }

  /** #dispatch hands one live event to a watcher, turning it into ADDED/DELETED when the predicate's verdict changes. */
  #dispatch(reg: Registration, event: CachedEvent): void {
    if (event.revision <= reg.after || !event.key.startsWith(reg.request.prefix)) return;
    const out = convert(event, reg.request.predicate);
    if (out && !reg.watcher.push(out)) this.#unregister(reg);
  }

  /** #replay hands one ring event to a watcher that is opening (its backlog is unbounded). */
  #replay(reg: Registration, event: RingEvent): void {
    if (event.revision <= reg.after || !event.key.startsWith(reg.request.prefix)) return;
    const out = convert(this.#replayed(event, reg.request.predicate !== undefined), reg.request.predicate);
    if (out) reg.watcher.pushInitial(out);
  }

  /**
   * snapshot returns the cached objects under `prefix` and the cache's revision. It decodes every object not in use:
   * callers that select or serialise many objects use entries() instead.
   */
  async snapshot(prefix: string): Promise<{ items: KubeObject[]; revision: number }> {
    const { entries, revision } = await this.entries(prefix);
    return { items: entries.map((e) => e.object()), revision };
  }

  /** entries returns the cache's entries under `prefix` in key order and the cache's revision. */
  async entries(prefix: string): Promise<{ entries: CachedObject[]; revision: number }> {
    await this.ready();
    return this.#entriesNow(prefix);
  }

  /**
   * sortedEntries returns all the cache's entries in key order, the index of the first one under `prefix` (the
   * entries under a prefix are consecutive: callers read on while the key starts with it), and the cache's revision.
   * The array is never changed (the cache makes a new one after a change), so it stays a consistent snapshot however
   * long the caller reads it. For a first page: no array of the prefix's entries is made, and no more of them are
   * looked at than the page needs.
   */
  async sortedEntries(prefix: string): Promise<{ sorted: readonly CachedObject[]; from: number; revision: number }> {
    await this.ready();
    const sorted = this.#sortedNow();
    return { sorted, from: firstUnder(sorted, prefix), revision: this.#revision };
  }

  /** #sortedNow is every entry in key order: sorted once per change, not once per LIST. */
  #sortedNow(): readonly CachedObject[] {
    return (this.#sorted ??= [...this.#objects.values()].sort((a, b) => compareKeys(a.key, b.key)));
  }

  #entriesNow(prefix: string): { entries: CachedObject[]; revision: number } {
    const entries: CachedObject[] = [];
    const sorted = this.#sortedNow();
    for (let i = firstUnder(sorted, prefix); i < sorted.length && sorted[i]!.key.startsWith(prefix); i++) entries.push(sorted[i]!);
    return { entries, revision: this.#revision };
  }

  /**
   * watch opens a watcher. Throws TooOldError when `resourceVersion` is older than the ring (or storage's
   * compaction). The caller must close the watcher when its client goes away.
   */
  async watch(request: WatchRequest): Promise<CacheWatcher> {
    await this.ready();
    const rv = request.resourceVersion;
    const fromState = rv === '' || rv === '0' || request.sendInitialEvents === true;
    let after: number;
    if (fromState) {
      after = this.#revision;
    } else {
      after = Number(rv);
      const compacted = this.#storage.compactRevision();
      if (after < compacted) throw new TooOldError(after, compacted);
      // Older than the ring but still in storage (e.g. listed just before this cache started): replay from storage.
      if (after < this.#windowStart) return this.#watchStorage(request, after);
    }
    const reg: Registration = {
      watcher: new CacheWatcher(this.#watcherBuffer, () => this.#unregister(reg)),
      request,
      after,
      bookmarkTimer: undefined,
    };
    if (fromState) {
      // Synchronous from here to registration, so no event can fall between the snapshot and the watcher.
      for (const entry of this.#entriesNow(request.prefix).entries) {
        if (!request.predicate || selects(request.predicate, entry)) reg.watcher.pushInitial({ type: 'ADDED', object: entry.object() });
      }
      if (request.sendInitialEvents) reg.watcher.pushInitial(this.#bookmark(after, true));
    } else {
      for (let i = 0; i < this.#ringSize; i++) {
        const e = this.#ring[(this.#ringStart + i) % this.#capacity];
        if (e) this.#replay(reg, e);
      }
    }
    if (reg.watcher.closed) return reg.watcher;
    this.#registrations.add(reg);
    if (request.allowBookmarks) this.#scheduleBookmark(reg);
    return reg.watcher;
  }

  /**
   * #watchStorage serves a watcher straight from a storage watch, for a resourceVersion older than the ring. Such
   * watchers get no periodic bookmarks; they are rare and end like any other watch.
   */
  #watchStorage(request: WatchRequest, after: number): CacheWatcher {
    const catchUpTo = this.#revision;
    let storageWatch: Watch | undefined;
    let done = false;
    const watcher = new CacheWatcher(this.#watcherBuffer, () => {
      done = true;
      storageWatch?.close();
    });
    try {
      storageWatch = this.#storage.watch(request.prefix, {
        afterRevision: after,
        onEvents: (events) => {
          for (const e of events) {
            if (done) return;
            const prev = e.prevKv ? new CachedObject(e.prevKv.key, e.prevKv.value, e.prevKv.modRevision) : undefined;
            const cached = cachedEventOf(e, prev);
            const out = convert(cached, request.predicate);
            if (!out) continue;
            // The backlog up to the cache's revision at open is the watch's start, not a slow reader.
            if (cached.revision <= catchUpTo) watcher.pushInitial(out);
            else watcher.push(out);
          }
        },
        onError: () => watcher.close('cache-reset'),
      });
    } catch (err) {
      if (err instanceof CompactedError) throw new TooOldError(after, err.compactRevision);
      throw err;
    }
    if (done) storageWatch.close();
    return watcher;
  }

  #scheduleBookmark(reg: Registration): void {
    reg.bookmarkTimer = this.#clock.setTimer(this.#bookmarkMs, () => {
      if (reg.watcher.closed) return;
      if (!reg.watcher.push(this.#bookmark(Math.max(this.#revision, reg.after), false))) {
        this.#unregister(reg);
        return;
      }
      this.#scheduleBookmark(reg);
    });
  }

  /** bookmarkFor returns a BOOKMARK event at the cache's current revision (sent when a watch times out). */
  bookmarkFor(after: number): WatchEvent {
    return this.#bookmark(Math.max(this.#revision, after), false);
  }

  #bookmark(revision: number, initialEventsEnd: boolean): WatchEvent {
    const metadata: KubeObject['metadata'] = { resourceVersion: String(revision) };
    if (initialEventsEnd) metadata.annotations = { [INITIAL_EVENTS_END_ANNOTATION]: 'true' };
    return { type: 'BOOKMARK', object: { kind: this.#kind, apiVersion: this.#apiVersion, metadata } };
  }

  #unregister(reg: Registration): void {
    reg.bookmarkTimer?.cancel();
    this.#registrations.delete(reg);
    if (!reg.watcher.closed) reg.watcher.close();
  }

  /** stop closes the storage watch and every watcher. */
  stop(): void {
    this.#stopped = true;
    this.#watch?.close();
    for (const reg of [...this.#registrations]) this.#unregister(reg);
    this.#recent.clear();
  }
}

/** cachedEventOf decodes a storage event; `prev` is the version before it, when known. */
function cachedEventOf(e: StorageEvent, prev: CachedObject | undefined): CachedEvent {
  const rev = e.kv.modRevision;
  if (e.type === 'delete') {
    // A deleted object is reported with the resourceVersion of its deletion.
    const last = e.prevKv ? decodeImmutableObject(e.prevKv, rev) : prev ? withRevision(prev.object(), rev) : decodeImmutableObject(e.kv, rev);
    return { type: 'DELETED', key: e.kv.key, object: last, prev, revision: rev };
  }
  const type = e.type === 'create' || !prev ? 'ADDED' : 'MODIFIED';
  return { type, key: e.kv.key, object: decodeImmutableObject(e.kv), prev, revision: rev };
}

/** decodeVersion decodes stored bytes as the (immutable) object they were at `revision`. */
function decodeVersion(key: string, value: Uint8Array, revision: number): KubeObject {
  return decodeImmutableObject({ key, value, createRevision: 0, modRevision: revision });
}

/** selects tests a version against a predicate: by its attributes when both allow, else decoded. */
function selects(predicate: WatchPredicate, version: CachedObject): boolean {
  if (version.attributes !== undefined && predicate.matchesAttributes !== undefined) return predicate.matchesAttributes(version.attributes);
  return predicate.matches(version.object());
}

function withRevision(obj: KubeObject, revision: number): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), resourceVersion: String(revision) } };
}

/** convert applies a watcher's predicate to an event (upstream's cacheWatcher.convertToWatchEvent). */
function convert(event: CachedEvent, predicate: WatchPredicate | undefined): WatchEvent | undefined {
  if (!predicate) return { type: event.type, object: event.object };
  const cur = event.type !== 'DELETED' && (event.entry !== undefined ? selects(predicate, event.entry) : predicate.matches(event.object));
  const old = event.prev !== undefined && event.type !== 'ADDED' && selects(predicate, event.prev);
  if (event.type === 'DELETED') return old ? { type: 'DELETED', object: event.object } : undefined;
  if (cur && old) return { type: 'MODIFIED', object: event.object };
  if (cur) return { type: 'ADDED', object: event.object };
  if (old && event.prev) return { type: 'DELETED', object: withRevision(event.prev.object(), event.revision) };
  return undefined;
}
