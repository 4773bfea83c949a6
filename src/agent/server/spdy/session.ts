/**
 * SpdySession: a SPDY/3.1 session over any Duplex byte stream (an upgraded TLS socket, or a WebSocket adapted to
 * a byte stream), in the server role (accepts the client's odd-numbered streams) or the client role (opens them;
 * used by tests and by anything in tkube that dials a SPDY endpoint).
 *
 * Why our own codec instead of the npm `spdy-transport`: that package is unmaintained since 2018, carries an HTTP
 * server-push/priority model Kubernetes never uses, and has not been exercised against client-go's `spdystream`.
 * What Kubernetes needs is small — streams with headers, half-close, reset, ping, goaway — and the frame format
 * is stable, so a few hundred lines we test are cheaper than adapting and vetting that package.
 *
 * Contracts:
 *  - Each stream is a Duplex (`SpdyStream`): readable = the peer's DATA until its FIN, writable = our DATA,
 *    `end()` sends FIN (half-close). Destroying a stream that is not closed both ways sends RST_STREAM(CANCEL).
 *    A peer reset destroys the stream without an error event (readers see 'close' without 'end').
 *  - Header blocks are compressed with one zlib context per direction for the whole session (header-block.ts);
 *    frames that carry them are compressed in the order they are written, so the peer's inflate stays in step.
 *  - Flow control (SPDY/3.1): every stream and the session start with a 64 KiB receive window; we send
 *    WINDOW_UPDATE (stream and session) as the stream's reader consumes data. On the send side windows are
 *    tracked always but enforced only once the peer shows it does flow control (it sent a WINDOW_UPDATE or an
 *    INITIAL_WINDOW_SIZE setting). client-go's spdystream (kubectl, the API server) never sends WINDOW_UPDATE and
 *    ignores ours, so enforcing from the first byte would stall every transfer over 64 KiB to kubectl.
 *  - A malformed frame ends the session with GOAWAY(PROTOCOL_ERROR). The transport closing destroys all streams.
 */
import type { Duplex } from 'node:stream';
import { Duplex as DuplexStream } from 'node:stream';
import { encodeFrame, FrameDecoder, GoAwayStatus, RstStatus, SettingId, SpdyProtocolError, type SpdyFrame } from './frame.js';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './header-block.js';

/** The initial flow-control window of streams and of the session (SPDY/3.1). */
export const DEFAULT_WINDOW = 64 * 1024;
/** DATA frames we send carry at most this many bytes, so one stream cannot hog the connection for long. */
const MAX_DATA_CHUNK = 16 * 1024;
/** The most streams a peer may have open at once; more are refused. */
const MAX_PEER_STREAMS = 1000;

export interface SpdySessionOptions {
  readonly role: 'server' | 'client';
  /** Called for each stream the peer opens. The callee should `reply()` (or `reset()`) it; writing replies implicitly. */
  readonly onStream?: (stream: SpdyStream) => void;
  /** Our receive window per stream and for the session. @default 64 KiB */
  readonly receiveWindow?: number;
}

type HeaderInput = Readonly<Record<string, string | readonly string[]>>;

/** SpdyStream is one SPDY stream as a Duplex; see the file comment for its contracts. */
export class SpdyStream extends DuplexStream {
  readonly id: number;
  /** The headers of the SYN_STREAM that opened the stream (ours for streams we opened). */
  readonly headers: SpdyHeaders;
  /** Resolves with the peer's SYN_REPLY headers (streams we opened); rejects when the stream is reset first. */
  readonly replied: Promise<SpdyHeaders>;
  readonly #session: SpdySession;
  readonly #local: boolean;
  #replySent = false;
  #resolveReply: (h: SpdyHeaders) => void = () => undefined;
  #rejectReply: (e: Error) => void = () => undefined;
  /** @internal */ localFin = false;
  /** @internal */ remoteFin = false;
  /** @internal */ resetSeen = false;
  /** @internal */ sendWindow: number;
  /** Bytes pushed to our reader that have not been credited back to the peer yet. */
  /** @internal */ unacked = 0;

  /** @internal — streams are made by SpdySession. */
  constructor(session: SpdySession, id: number, headers: SpdyHeaders, local: boolean, sendWindow: number) {
    super({ allowHalfOpen: true });
    this.id = id;
    this.headers = headers;
    this.#session = session;
    this.#local = local;
    this.sendWindow = sendWindow;
    this.replied = new Promise<SpdyHeaders>((resolve, reject) => {
      this.#resolveReply = resolve;
      this.#rejectReply = reject;
    });
    // Nobody may be waiting on `replied` (peer-initiated streams); an unobserved rejection must not crash.
    this.replied.catch(() => undefined);
    // A peer going away mid-write is an expected outcome, not a crash of the node: stream errors (e.g. a pipe
    // writing after the session died) never reach the process's uncaught handler.
    this.on('error', () => undefined);
  }

  /** header is the first value of an opening header (case-insensitive). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** reply answers a peer-opened stream with SYN_REPLY; idempotent. */
  async reply(headers: HeaderInput = {}): Promise<void> {
    if (this.#local || this.#replySent) return;
    this.#replySent = true;
    await this.#session.sendReply(this, headers);
  }

  /** reset aborts the stream both ways with RST_STREAM. */
  reset(status: number = RstStatus.CANCEL): void {
    if (this.resetSeen) return;
    this.resetSeen = true;
    this.#rejectReply(new Error(`SPDY stream ${this.id} reset`));
    this.#session.sendReset(this.id, status);
    this.destroy();
  }

  /** @internal */ gotReply(headers: SpdyHeaders): void {
    this.#resolveReply(headers);
  }

  /** @internal */ peerReset(status: number): void {
    this.resetSeen = true;
    this.#rejectReply(new Error(`SPDY stream ${this.id} reset by peer (status ${status})`));
    this.destroy();
  }

  override _read(): void {
    this.#scheduleCredit();
  }

  /**
   * Every way of consuming (flowing mode, pipe, read()) goes through read(); `_read` alone is not enough because
   * Node calls it only after a push, so a paused-then-resumed reader would never credit what it drained.
   */
  override read(size?: number): unknown {
    const chunk: unknown = super.read(size);
    if (this.unacked > 0) this.#scheduleCredit();
    return chunk;
  }

  #creditScheduled = false;
  #scheduleCredit(): void {
    if (this.#creditScheduled) return;
    this.#creditScheduled = true;
    process.nextTick(() => {
      this.#creditScheduled = false;
      this.#session.creditConsumed(this);
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#prepareSend()
      .then(() => this.#session.sendData(this, chunk, false))
      .then(
        () => cb(),
        () => {
          // The session or stream is gone: end this stream quietly; writers see 'close'.
          this.destroy();
          cb();
        },
      );
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.resetSeen || this.localFin) {
      cb();
      return;
    }
    this.#prepareSend()
      .then(() => this.#session.sendData(this, Buffer.alloc(0), true))
      .then(() => cb(), () => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.resetSeen && !(this.localFin && this.remoteFin)) {
      this.resetSeen = true;
      this.#session.sendReset(this.id, RstStatus.CANCEL);
    }
    this.#rejectReply(new Error(`SPDY stream ${this.id} closed`));
    this.#session.forget(this);
    cb(err);
  }

  /** A peer-opened stream must be replied to before we send it DATA (spdystream drops data on unreplied streams). */
  async #prepareSend(): Promise<void> {
    if (!this.#local && !this.#replySent) await this.reply();
  }
}

/** SpdySession multiplexes SpdyStreams over one transport; see the file comment. */
export class SpdySession {
  readonly #transport: Duplex;
  readonly #opts: SpdySessionOptions;
  readonly #decoder = new FrameDecoder();
  readonly #compressor = new HeaderCompressor();
  readonly #decompressor = new HeaderDecompressor();
  readonly #streams = new Map<number, SpdyStream>();
  readonly #inbox: SpdyFrame[] = [];
  readonly #receiveWindow: number;
  #pumping = false;
  #out: Promise<void> = Promise.resolve();
  #dead = false;
  #goneAway = false;
  #nextStreamId: number;
  #nextPingId: number;
  #lastPeerStreamId = 0;
  #peerInitialWindow = DEFAULT_WINDOW;
  #sendWindow = DEFAULT_WINDOW;
  #peerFlowControl = false;
  #windowWaiters: (() => void)[] = [];
  #pings = new Map<number, () => void>();
  #sessionUnacked = 0;
  readonly #closedPromise: Promise<void>;
  #resolveClosed: () => void = () => undefined;

  constructor(transport: Duplex, options: SpdySessionOptions) {
    this.#transport = transport;
    this.#opts = options;
    this.#receiveWindow = options.receiveWindow ?? DEFAULT_WINDOW;
    this.#nextStreamId = options.role === 'client' ? 1 : 2;
    this.#nextPingId = options.role === 'client' ? 1 : 2;
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
    transport.on('data', (chunk: Buffer) => this.#onBytes(chunk));
    transport.on('end', () => this.#teardown());
    transport.on('close', () => this.#teardown());
    transport.on('error', () => this.#teardown());
    if (this.#receiveWindow !== DEFAULT_WINDOW) {
      void this.#enqueue(() => encodeFrame({ type: 'SETTINGS', clear: false, settings: [{ id: SettingId.INITIAL_WINDOW_SIZE, flags: 0, value: this.#receiveWindow }] })).catch(() => undefined);
    }
  }

  /** closed resolves once the transport is gone and every stream destroyed. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /** openStream sends SYN_STREAM; await `stream.replied` for the peer's SYN_REPLY. */
  openStream(headers: HeaderInput, options: { fin?: boolean } = {}): SpdyStream {
    if (this.#dead || this.#goneAway) throw new Error('Cannot open a SPDY stream: the session is closing');
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const normalized: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(headers)) normalized[k.toLowerCase()] = typeof v === 'string' ? [v] : [...v];
    const stream = new SpdyStream(this, id, normalized, true, this.#peerInitialWindow);
    this.#streams.set(id, stream);
    if (options.fin) stream.localFin = true;
    void this.#enqueue(async () => encodeFrame({ type: 'SYN_STREAM', streamId: id, associatedStreamId: 0, priority: 0, fin: options.fin === true, unidirectional: false, headerBlock: await this.#compressor.compress(headers) })).catch(() => stream.destroy());
    if (options.fin) stream.end();
    return stream;
  }

  /** ping sends a PING and resolves with the round trip in ms. */
  async ping(): Promise<number> {
    const id = this.#nextPingId;
    this.#nextPingId += 2;
    const start = Date.now();
    const pong = new Promise<void>((resolve) => this.#pings.set(id, resolve));
    await this.#enqueue(() => encodeFrame({ type: 'PING', id }));
    await pong;
    return Date.now() - start;
  }

  /**
   * close sends GOAWAY(OK) after everything already queued and half-closes the transport, so queued frames are
   * flushed; the session ends when the peer closes too, or after `graceMs` at the latest.
   */
  async close(graceMs = 5_000): Promise<void> {
    if (this.#dead) return;
    this.#goneAway = true;
    await this.#enqueue(() => encodeFrame({ type: 'GOAWAY', lastGoodStreamId: this.#lastPeerStreamId, status: GoAwayStatus.OK })).catch(() => undefined);
    if (!this.#transport.writableEnded) this.#transport.end();
    setTimeout(() => this.destroy(), graceMs).unref();
  }

  /** destroy drops the transport at once. */
  destroy(): void {
    this.#transport.destroy();
    this.#teardown();
  }

  // ---- used by SpdyStream ----

  /** @internal */ async sendReply(stream: SpdyStream, headers: HeaderInput): Promise<void> {
    await this.#enqueue(async () => encodeFrame({ type: 'SYN_REPLY', streamId: stream.id, fin: false, headerBlock: await this.#compressor.compress(headers) }));
  }

  /** @internal */ sendReset(streamId: number, status: number): void {
    if (this.#dead) return;
    void this.#enqueue(() => encodeFrame({ type: 'RST_STREAM', streamId, status })).catch(() => undefined);
  }

  /** @internal */ async sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    let offset = 0;
    do {
      if (this.#dead) throw new Error('SPDY session closed');
      if (stream.resetSeen) throw new Error(`SPDY stream ${stream.id} reset`);
      let n = Math.min(data.length - offset, MAX_DATA_CHUNK);
      if (this.#peerFlowControl && n > 0) {
        const allowed = Math.min(stream.sendWindow, this.#sendWindow);
        if (allowed <= 0) {
          await new Promise<void>((resolve) => this.#windowWaiters.push(resolve));
          continue;
        }
        n = Math.min(n, allowed);
      }
      const last = offset + n >= data.length;
      const slice = data.subarray(offset, offset + n);
      if (fin && last) stream.localFin = true;
      await this.#enqueue(() => encodeFrame({ type: 'DATA', streamId: stream.id, fin: fin && last, data: slice }));
      stream.sendWindow -= n;
      this.#sendWindow -= n;
      offset += n;
    } while (offset < data.length);
    if (fin) this.#maybeForget(stream);
  }

  /** @internal Credits the peer for what the stream's reader consumed (WINDOW_UPDATE), in batches. */
  creditConsumed(stream: SpdyStream): void {
    const consumed = stream.unacked - stream.readableLength;
    if (consumed <= 0 || this.#dead || stream.resetSeen) return;
    if (consumed < Math.min(8 * 1024, this.#receiveWindow / 2) && !stream.remoteFin) return;
    stream.unacked -= consumed;
    if (!stream.remoteFin) void this.#enqueue(() => encodeFrame({ type: 'WINDOW_UPDATE', streamId: stream.id, delta: consumed })).catch(() => undefined);
    this.#creditSession(consumed);
  }

  /** @internal */ forget(stream: SpdyStream): void {
    if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
  }

  // ---- internals ----

  #creditSession(n: number): void {
    this.#sessionUnacked += n;
    if (this.#sessionUnacked < Math.min(16 * 1024, this.#receiveWindow / 2)) return;
    const delta = this.#sessionUnacked;
    this.#sessionUnacked = 0;
    void this.#enqueue(() => encodeFrame({ type: 'WINDOW_UPDATE', streamId: 0, delta })).catch(() => undefined);
  }

  #maybeForget(stream: SpdyStream): void {
    if (stream.localFin && stream.remoteFin) this.forget(stream);
  }

  /** #enqueue writes frames strictly in call order (header compression order = wire order). */
  #enqueue(build: () => Buffer | Promise<Buffer>): Promise<void> {
    const p = this.#out.then(async () => {
      if (this.#dead) throw new Error('SPDY session closed');
      const bytes = await build();
      if (this.#dead || this.#transport.destroyed || this.#transport.writableEnded) throw new Error('SPDY session closed');
      if (!this.#transport.write(bytes)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.#transport.off('drain', done);
            this.#transport.off('close', done);
            resolve();
          };
          this.#transport.on('drain', done);
          this.#transport.on('close', done);
        });
      }
    });
    this.#out = p.catch(() => undefined);
    return p;
  }

  #onBytes(chunk: Buffer): void {
    if (this.#dead) return;
    try {
      this.#inbox.push(...this.#decoder.push(chunk));
    } catch (err) {
      this.#protocolError(err);
      return;
    }
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let f = this.#inbox.shift(); f && !this.#dead; f = this.#inbox.shift()) await this.#handle(f);
    } catch (err) {
      this.#protocolError(err);
    } finally {
      this.#pumping = false;
    }
  }

  #protocolError(err: unknown): void {
    if (this.#dead) return;
    if (!(err instanceof SpdyProtocolError)) {
      this.destroy();
      return;
    }
    void this.#enqueue(() => encodeFrame({ type: 'GOAWAY', lastGoodStreamId: this.#lastPeerStreamId, status: GoAwayStatus.PROTOCOL_ERROR }))
      .catch(() => undefined)
      .finally(() => this.destroy());
  }

  #isPeerStreamId(id: number): boolean {
    return this.#opts.role === 'server' ? id % 2 === 1 : id % 2 === 0;
  }

  async #handle(f: SpdyFrame): Promise<void> {
    switch (f.type) {
      case 'SYN_STREAM': {
        // Always inflate, even for a stream we refuse: the peer's compressor has moved on.
        const headers = await this.#decompressor.decompress(f.headerBlock);
        if (!this.#isPeerStreamId(f.streamId) || f.streamId <= this.#lastPeerStreamId) {
          this.sendReset(f.streamId, RstStatus.PROTOCOL_ERROR);
          return;
        }
        this.#lastPeerStreamId = f.streamId;
        if (this.#goneAway || !this.#opts.onStream || this.#streams.size >= MAX_PEER_STREAMS) {
          this.sendReset(f.streamId, RstStatus.REFUSED_STREAM);
          return;
        }
        const stream = new SpdyStream(this, f.streamId, headers, false, this.#peerInitialWindow);
        this.#streams.set(f.streamId, stream);
        if (f.unidirectional) {
          stream.localFin = true;
          stream.end();
        }
        if (f.fin) this.#remoteFinish(stream);
        this.#opts.onStream(stream);
        return;
      }
      case 'SYN_REPLY': {
        const headers = await this.#decompressor.decompress(f.headerBlock);
        const stream = this.#streams.get(f.streamId);
        if (!stream) return;
        stream.gotReply(headers);
        if (f.fin) this.#remoteFinish(stream);
        return;
      }
      case 'HEADERS': {
        const headers = await this.#decompressor.decompress(f.headerBlock);
        const stream = this.#streams.get(f.streamId);
        if (!stream) return;
        stream.emit('headers', headers);
        if (f.fin) this.#remoteFinish(stream);
        return;
      }
      case 'DATA': {
        const stream = this.#streams.get(f.streamId);
        if (!stream || stream.remoteFin) {
          // The session window still counts these bytes; give them back at once.
          this.#creditSession(f.data.length);
          if (!stream && f.streamId !== 0) this.sendReset(f.streamId, RstStatus.INVALID_STREAM);
          else if (stream) this.sendReset(f.streamId, RstStatus.STREAM_ALREADY_CLOSED);
          return;
        }
        if (f.data.length > 0) {
          stream.unacked += f.data.length;
          stream.push(f.data);
          process.nextTick(() => this.creditConsumed(stream));
        }
        if (f.fin) this.#remoteFinish(stream);
        return;
      }
      case 'RST_STREAM': {
        const stream = this.#streams.get(f.streamId);
        if (!stream) return;
        this.forget(stream);
        stream.peerReset(f.status);
        return;
      }
      case 'SETTINGS': {
        for (const s of f.settings) {
          if (s.id !== SettingId.INITIAL_WINDOW_SIZE) continue;
          const delta = s.value - this.#peerInitialWindow;
          this.#peerInitialWindow = s.value;
          for (const st of this.#streams.values()) st.sendWindow += delta;
          this.#peerFlowControl = true;
        }
        this.#wakeWindowWaiters();
        return;
      }
      case 'PING': {
        const mine = this.#opts.role === 'client' ? f.id % 2 === 1 : f.id % 2 === 0;
        if (mine) {
          this.#pings.get(f.id)?.();
          this.#pings.delete(f.id);
        } else {
          await this.#enqueue(() => encodeFrame({ type: 'PING', id: f.id })).catch(() => undefined);
        }
        return;
      }
      case 'GOAWAY':
        // No new streams from us; the ones open finish normally.
        this.#goneAway = true;
        return;
      case 'WINDOW_UPDATE': {
        this.#peerFlowControl = true;
        if (f.streamId === 0) this.#sendWindow += f.delta;
        else {
          const stream = this.#streams.get(f.streamId);
          if (stream) stream.sendWindow += f.delta;
        }
        this.#wakeWindowWaiters();
        return;
      }
      case 'UNKNOWN':
        return;
    }
  }

  #remoteFinish(stream: SpdyStream): void {
    if (stream.remoteFin) return;
    stream.remoteFin = true;
    stream.push(null);
    this.#maybeForget(stream);
  }

  #wakeWindowWaiters(): void {
    const waiters = this.#windowWaiters;
    this.#windowWaiters = [];
    for (const w of waiters) w();
  }

  #teardown(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#wakeWindowWaiters();
    for (const s of [...this.#streams.values()]) {
      s.resetSeen = true; // no RST on a dead transport
      s.destroy();
    }
    this.#streams.clear();
    for (const resolve of this.#pings.values()) resolve();
    this.#pings.clear();
    this.#compressor.close();
    this.#decompressor.close();
    if (!this.#transport.destroyed) this.#transport.destroy();
    this.#resolveClosed();
  }
}
