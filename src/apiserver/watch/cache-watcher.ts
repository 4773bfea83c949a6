/**
 * CacheWatcher: one client's watch on a WatchCache, with a bounded buffer. The cache pushes events without
 * waiting; the HTTP writer pulls them with `next()`. A watcher whose buffer is full (the client reads slower than
 * events arrive) is closed with its buffer dropped: the client re-watches from the last resourceVersion it saw,
 * and the server's memory per watcher never exceeds the bound (upstream's cacheWatcher does the same).
 */
import type { WatchEvent } from './watch-event.js';

/** CloseReason says why a watcher ended. */
export type CloseReason = 'closed' | 'overflow' | 'cache-reset';

/** CacheWatcher buffers events for one watch. */
export class CacheWatcher {
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

  /** Number of buffered events. */
  get buffered(): number {
    return this.#queue.length;
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
    if (reason !== 'closed') this.#queue = [];
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.(undefined);
    this.#onClose?.();
  }
}
