/**
 * CacheWatcher: one client's watch on a WatchCache, with a bounded buffer. The cache pushes events without
 * waiting; the HTTP writer pulls them with `next()`. A watcher whose buffer is full (the client reads slower than
 * events arrive) is closed with its buffer dropped: the client re-watches from the last resourceVersion it saw,
 * and the server's memory per watcher never exceeds the bound (upstream's cacheWatcher does the same).
 *
 * The events a watch starts with (the current state for a watch from "0" or with sendInitialEvents, or the
 * ring's backlog after the requested resourceVersion) are handed over with `pushInitial` and do not count
 * against the bound: they reference objects the cache holds anyway, and bounding them would close every watch
 * that starts more than `capacity` events behind before it delivered anything — the client would re-watch
 * from the same revision forever.
 */
import type { WatchEvent } from './watch-event.js';

/** CloseReason says why a watcher ended. */
export type CloseReason = 'closed' | 'overflow' | 'cache-reset';

/** CacheWatcher buffers events for one watch. */
export class CacheWatcher {
  #initial: WatchEvent[] = [];
  #initialNext = 0;
  #queue: WatchEvent[] = [];
  #capacity: number;
  #closed = false;
  #reason: CloseReason | undefined;
  #waiter: ((v: WatchEvent | undefined) => void) | undefined;
  #onClose: (() => void) | undefined;

  /** `capacity` is the most events buffered before the watcher is closed as too slow. */
  constructor(capacity: number, onClose?: () => void) {
    this.#capacity = capacity;
    this.#onClose = onClose;
  }

  /** True once closed (buffered events may still be read). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Why the watcher closed, once it has. */
  get reason(): CloseReason | undefined {
    return this.#reason;
  }

  /** Number of buffered events (initial events not yet read included). */
  get buffered(): number {
    return this.#initial.length - this.#initialNext + this.#queue.length;
  }

  /**
   * pushInitial queues one of the events the watch starts with, outside the bound. Every initial event must be
   * pushed before the first bounded one (`push`), since initial events are read first.
   */
  pushInitial(event: WatchEvent): void {
    if (this.#closed) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(event);
      return;
    }
    this.#initial.push(event);
  }

  /** push delivers an event; returns false (and closes the watcher) when the buffer is full. */
  push(event: WatchEvent): boolean {
    if (this.#closed) return false;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(event);
      return true;
    }
    if (this.#queue.length >= this.#capacity) {
      this.#queue = [];
      this.close('overflow');
      return false;
    }
    this.#queue.push(event);
    return true;
  }

  /** next resolves with the next event, or undefined once the watcher is closed and drained. */
  next(): Promise<WatchEvent | undefined> {
    if (this.#initialNext < this.#initial.length) {
      const first = this.#initial[this.#initialNext]!;
      this.#initial[this.#initialNext++] = undefined as unknown as WatchEvent;
      if (this.#initialNext === this.#initial.length) {
        this.#initial = [];
        this.#initialNext = 0;
      }
      return Promise.resolve(first);
    }
    const e = this.#queue.shift();
    if (e) return Promise.resolve(e);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** close stops delivery; idempotent. A pending `next()` resolves with undefined. */
  close(reason: CloseReason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason;
    if (reason !== 'closed') {
      this.#queue = [];
      this.#initial = [];
      this.#initialNext = 0;
    }
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.(undefined);
    this.#onClose?.();
  }
}
