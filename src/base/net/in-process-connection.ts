/**
 * InProcessConnection: the two ends of a byte stream inside one process, each a Duplex that looks enough like a
 * net.Socket for Node's HTTP client (an Agent's keep-alive bookkeeping, request timeouts) and HTTP server (a
 * connection injected with `server.emit('connection', end)`) to run over it unchanged.
 *
 * Why: the API server's own components reach its API over a connection of their own. Over a kernel socket (the
 * loopback Unix socket) a busy event loop moves at most about one socket buffer (~100 KiB on Linux) from the server
 * to a component per turn: the server's pending writes are flushed once per poll phase and the component reads
 * once per poll phase. One turn of a server handling a burst of creates lasts 100–300 ms, so a pods watch was
 * capped at a few hundred events a second and fell minutes behind the watch cache (docs/benchmarks.md, issue 5,
 * session 11). Here a write reaches the other end on the next tick of the same turn, however busy the loop.
 *
 * Contracts:
 *  - Bytes arrive in order, each write (or what was written while corked) as one chunk, on a later tick than the
 *    write (never inside the writer's call: no handler runs on the writer's stack).
 *  - Backpressure: a write's callback waits until the other end's readable buffer is below its high-water mark,
 *    so a reader that stops reading stops the writer (its `write` returns false, then `drain`), as a socket would.
 *  - Ending one end's writable side ends the other's readable side; destroying either end destroys both (the
 *    peer sees `close`, as after a reset).
 *  - `setTimeout(ms[, listener])` emits `timeout` after `ms` without bytes read or written in either direction of
 *    this end (net.Socket's idle timeout, listener handling included); it does not destroy (callers do, as with a
 *    socket). Timers do not keep the process
 *    alive. `setKeepAlive`, `setNoDelay`, `ref`, `unref` have nothing to do.
 *  - `encrypted` is absent (not TLS), `remoteAddress` is undefined (no network peer).
 */
import { Duplex } from 'node:stream';

/** IN_PROCESS_HIGH_WATER_MARK: bytes buffered at a reading end before the writer is held (a socket buffer's order). */
const IN_PROCESS_HIGH_WATER_MARK = 256 * 1024;

/** InProcessSocket is one end of an in-process connection (see the file comment for its contracts). */
export class InProcessSocket extends Duplex {
  #peer: InProcessSocket | undefined;
  /** The callback of a write held back because the peer's readable buffer is full. */
  #heldWrite: (() => void) | undefined;
  #timeoutMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerMs = 0;
  readonly remoteAddress: string | undefined = undefined;
  readonly connecting = false;

  constructor() {
    super({ allowHalfOpen: true, readableHighWaterMark: IN_PROCESS_HIGH_WATER_MARK, decodeStrings: false });
    this.once('close', () => this.#clearTimer());
  }

  /** pair links two fresh ends. */
  static pair(): [InProcessSocket, InProcessSocket] {
    const a = new InProcessSocket();
    const b = new InProcessSocket();
    a.#peer = b;
    b.#peer = a;
    return [a, b];
  }

  /** timeout is the idle timeout set with setTimeout (ms; 0: none), as net.Socket's. */
  get timeout(): number {
    return this.#timeoutMs;
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#deliver(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk, callback);
  }

  /** _writev passes what was written while corked (an HTTP message's head, chunk framing and body) as one chunk. */
  override _writev(chunks: { chunk: Buffer | string; encoding: BufferEncoding }[], callback: (error?: Error | null) => void): void {
    this.#deliver(Buffer.concat(chunks.map(({ chunk, encoding }) => (typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk))), callback);
  }

  #deliver(data: Buffer, callback: (error?: Error | null) => void): void {
    this.#touch();
    process.nextTick(() => {
      const peer = this.#peer;
      if (peer === undefined || peer.destroyed) {
        // What a write to a reset socket reports, so callers treat it alike.
        callback(Object.assign(new Error('write ECONNRESET: the in-process connection is closed'), { code: 'ECONNRESET' }));
        return;
      }
      peer.#touch();
      if (peer.push(data)) callback();
      else peer.#holdWrite(callback);
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    process.nextTick(() => {
      const peer = this.#peer;
      if (peer !== undefined && !peer.destroyed) peer.push(null);
      callback();
    });
  }

  override _read(): void {
    // The peer's held write (if any) may go on now that this end's reader wants more.
    const held = this.#heldWrite;
    this.#heldWrite = undefined;
    held?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearTimer();
    const peer = this.#peer;
    this.#peer = undefined;
    const held = this.#heldWrite;
    this.#heldWrite = undefined;
    held?.();
    if (peer !== undefined && !peer.destroyed) process.nextTick(() => peer.destroy());
    callback(error);
  }

  /**
   * setTimeout arms (or with 0 disarms) the idle timeout. As net.Socket's: `onTimeout` is added as a one-time
   * `timeout` listener, or with 0 removed — Node's HTTP client hands its request's listener back that way when a
   * kept-alive connection is freed, so without the removal every request would leave one behind.
   */
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.#timeoutMs = ms;
    if (onTimeout !== undefined) {
      if (ms === 0) this.removeListener('timeout', onTimeout);
      else this.once('timeout', onTimeout);
    }
    this.#touch();
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** #holdWrite parks the writer's callback until this end's reader reads again. */
  #holdWrite(callback: () => void): void {
    this.#heldWrite = callback;
  }

  #touch(): void {
    if (this.#timeoutMs <= 0 || this.destroyed) {
      this.#clearTimer();
      return;
    }
    if (this.#timer !== undefined && this.#timerMs === this.#timeoutMs) {
      this.#timer.refresh();
      return;
    }
    this.#clearTimer();
    this.#timerMs = this.#timeoutMs;
    this.#timer = setTimeout(() => this.emit('timeout'), this.#timeoutMs);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
