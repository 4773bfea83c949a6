/**
 * SPDY/3.1 frame codec: frame objects to bytes and back (SPDY draft 3.1, section 2.2 and 2.6). Header blocks stay
 * compressed here; `header-block.ts` owns compression because it needs the per-direction zlib context of a session.
 *
 * Every frame has an 8-byte header. Control frames: bit 0 set, 15-bit version (3), 16-bit type, 8-bit flags,
 * 24-bit length. DATA frames: bit 0 clear, 31-bit stream ID, 8-bit flags, 24-bit length.
 */

/** Control frame types of SPDY/3.1. */
export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** GOAWAY status codes. */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

/** SETTINGS IDs the session acts on. */
export const SettingId = { MAX_CONCURRENT_STREAMS: 4, INITIAL_WINDOW_SIZE: 7 } as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
const FLAG_CLEAR_SETTINGS = 0x01;
const SPDY_VERSION = 3;
const HEADER_BYTES = 8;
/** The largest length a frame header can carry (24 bits). */
export const MAX_FRAME_LENGTH = 0xffffff;

export interface Setting {
  readonly id: number;
  readonly flags: number;
  readonly value: number;
}

/** SpdyFrame is one decoded frame; header blocks are still compressed. */
export type SpdyFrame =
  | { readonly type: 'DATA'; readonly streamId: number; readonly fin: boolean; readonly data: Buffer }
  | { readonly type: 'SYN_STREAM'; readonly streamId: number; readonly associatedStreamId: number; readonly priority: number; readonly fin: boolean; readonly unidirectional: boolean; readonly headerBlock: Buffer }
  | { readonly type: 'SYN_REPLY'; readonly streamId: number; readonly fin: boolean; readonly headerBlock: Buffer }
  | { readonly type: 'RST_STREAM'; readonly streamId: number; readonly status: number }
  | { readonly type: 'SETTINGS'; readonly clear: boolean; readonly settings: readonly Setting[] }
  | { readonly type: 'PING'; readonly id: number }
  | { readonly type: 'GOAWAY'; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: 'HEADERS'; readonly streamId: number; readonly fin: boolean; readonly headerBlock: Buffer }
  | { readonly type: 'WINDOW_UPDATE'; readonly streamId: number; readonly delta: number }
  /** A control frame type this codec does not know; the spec says to ignore it. */
  | { readonly type: 'UNKNOWN'; readonly controlType: number };

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new RangeError(`SPDY frame payload of ${payload.length} bytes exceeds ${MAX_FRAME_LENGTH}`);
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** encodeFrame renders one frame to its wire bytes. */
export function encodeFrame(f: SpdyFrame): Buffer {
  switch (f.type) {
    case 'DATA': {
      if (f.data.length > MAX_FRAME_LENGTH) throw new RangeError(`SPDY DATA frame of ${f.data.length} bytes exceeds ${MAX_FRAME_LENGTH}`);
      const h = Buffer.alloc(HEADER_BYTES);
      h.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      h.writeUInt32BE(((f.fin ? FLAG_FIN : 0) << 24) | f.data.length, 4);
      return Buffer.concat([h, f.data]);
    }
    case 'SYN_STREAM': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      fixed.writeUInt32BE(f.associatedStreamId & 0x7fffffff, 4);
      fixed.writeUInt8((f.priority & 0x7) << 5, 8);
      fixed.writeUInt8(0, 9); // slot (credentials; unused)
      return control(FrameType.SYN_STREAM, (f.fin ? FLAG_FIN : 0) | (f.unidirectional ? FLAG_UNIDIRECTIONAL : 0), Buffer.concat([fixed, f.headerBlock]));
    }
    case 'SYN_REPLY':
      return control(FrameType.SYN_REPLY, f.fin ? FLAG_FIN : 0, Buffer.concat([u32(f.streamId & 0x7fffffff), f.headerBlock]));
    case 'HEADERS':
      return control(FrameType.HEADERS, f.fin ? FLAG_FIN : 0, Buffer.concat([u32(f.streamId & 0x7fffffff), f.headerBlock]));
    case 'RST_STREAM':
      return control(FrameType.RST_STREAM, 0, u32(f.streamId & 0x7fffffff, f.status));
    case 'SETTINGS': {
      const body = Buffer.alloc(4 + f.settings.length * 8);
      body.writeUInt32BE(f.settings.length, 0);
      f.settings.forEach((s, i) => {
        body.writeUInt32BE((((s.flags & 0xff) << 24) | (s.id & 0xffffff)) >>> 0, 4 + i * 8);
        body.writeUInt32BE(s.value >>> 0, 8 + i * 8);
      });
      return control(FrameType.SETTINGS, f.clear ? FLAG_CLEAR_SETTINGS : 0, body);
    }
    case 'PING':
      return control(FrameType.PING, 0, u32(f.id));
    case 'GOAWAY':
      return control(FrameType.GOAWAY, 0, u32(f.lastGoodStreamId & 0x7fffffff, f.status));
    case 'WINDOW_UPDATE':
      return control(FrameType.WINDOW_UPDATE, 0, u32(f.streamId & 0x7fffffff, f.delta & 0x7fffffff));
    case 'UNKNOWN':
      throw new TypeError(`Cannot encode unknown SPDY control frame type ${f.controlType}`);
  }
}

/** SpdyProtocolError is a malformed frame; the session answers it with GOAWAY(PROTOCOL_ERROR). */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new SpdyProtocolError(`SPDY ${what} frame too short (${payload.length} bytes)`);
}

function decodeControl(type: number, flags: number, p: Buffer): SpdyFrame {
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case FrameType.SYN_STREAM:
      need(p, 10, 'SYN_STREAM');
      return {
        type: 'SYN_STREAM',
        streamId: p.readUInt32BE(0) & 0x7fffffff,
        associatedStreamId: p.readUInt32BE(4) & 0x7fffffff,
        priority: p.readUInt8(8) >> 5,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: p.subarray(10),
      };
    case FrameType.SYN_REPLY:
      need(p, 4, 'SYN_REPLY');
      return { type: 'SYN_REPLY', streamId: p.readUInt32BE(0) & 0x7fffffff, fin, headerBlock: p.subarray(4) };
    case FrameType.HEADERS:
      need(p, 4, 'HEADERS');
      return { type: 'HEADERS', streamId: p.readUInt32BE(0) & 0x7fffffff, fin, headerBlock: p.subarray(4) };
    case FrameType.RST_STREAM:
      need(p, 8, 'RST_STREAM');
      return { type: 'RST_STREAM', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case FrameType.SETTINGS: {
      need(p, 4, 'SETTINGS');
      const n = p.readUInt32BE(0);
      need(p, 4 + n * 8, 'SETTINGS');
      const settings: Setting[] = [];
      for (let i = 0; i < n; i++) {
        const idf = p.readUInt32BE(4 + i * 8);
        settings.push({ flags: idf >>> 24, id: idf & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { type: 'SETTINGS', clear: (flags & FLAG_CLEAR_SETTINGS) !== 0, settings };
    }
    case FrameType.PING:
      need(p, 4, 'PING');
      return { type: 'PING', id: p.readUInt32BE(0) };
    case FrameType.GOAWAY:
      need(p, 4, 'GOAWAY');
      // SPDY/2 GOAWAY had no status; tolerate its absence.
      return { type: 'GOAWAY', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
    case FrameType.WINDOW_UPDATE:
      need(p, 8, 'WINDOW_UPDATE');
      return { type: 'WINDOW_UPDATE', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return { type: 'UNKNOWN', controlType: type };
  }
}

/**
 * FrameDecoder turns a byte stream into frames. Bytes may arrive split anywhere (TCP segments, WebSocket
 * messages); `push` buffers the remainder of an incomplete frame until the next call.
 */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);

  /** push adds bytes and returns the frames they complete; throws SpdyProtocolError on a malformed stream. */
  push(chunk: Buffer): SpdyFrame[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const frames: SpdyFrame[] = [];
    while (this.#buf.length >= HEADER_BYTES) {
      const length = this.#buf.readUInt32BE(4) & 0xffffff;
      if (this.#buf.length < HEADER_BYTES + length) break;
      const first = this.#buf.readUInt32BE(0);
      const flags = this.#buf.readUInt8(4);
      const payload = this.#buf.subarray(HEADER_BYTES, HEADER_BYTES + length);
      this.#buf = this.#buf.subarray(HEADER_BYTES + length);
      if ((first & 0x80000000) === 0) {
        frames.push({ type: 'DATA', streamId: first & 0x7fffffff, fin: (flags & FLAG_FIN) !== 0, data: Buffer.from(payload) });
        continue;
      }
      const version = (first >>> 16) & 0x7fff;
      if (version !== SPDY_VERSION) throw new SpdyProtocolError(`Unsupported SPDY version ${version}`);
      frames.push(decodeControl(first & 0xffff, flags, Buffer.from(payload)));
    }
    return frames;
  }

  /** buffered is how many bytes of an incomplete frame are held. */
  get buffered(): number {
    return this.#buf.length;
  }
}
