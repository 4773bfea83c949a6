/**
 * WireReader reads protobuf wire-format primitives from a byte range. Every read checks bounds and throws
 * ProtobufDecodeError on truncated or malformed input; nothing here recurses or loops without consuming bytes.
 */
import { ProtobufDecodeError } from './protobuf-errors.js';

/** WireType is the 3-bit wire type of a field key. */
export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;

/** WireType is one of the WireType values. */
export type WireType = (typeof WireType)[keyof typeof WireType];

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8');

/** WireReader reads one message's bytes, front to back. */
export class WireReader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  /** done reports whether all bytes of the range were read. */
  get done(): boolean {
    return this.#pos >= this.#end;
  }

  /** tag reads a field key. Field number 0 and group wire types are rejected. */
  tag(): { fieldNumber: number; wireType: number } {
    const key = this.uint32();
    const fieldNumber = key >>> 3;
    const wireType = key & 7;
    if (fieldNumber === 0) throw new ProtobufDecodeError('Cannot decode protobuf field key: field number 0');
    return { fieldNumber, wireType };
  }

  /** varint64 reads a varint of up to 10 bytes as low and high unsigned 32-bit halves. */
  varint64(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw new ProtobufDecodeError('Cannot decode protobuf varint: input is truncated');
      const b = this.#buf[this.#pos++] ?? 0;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if ((b & 0x80) === 0) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    throw new ProtobufDecodeError('Cannot decode protobuf varint: longer than 10 bytes');
  }

  /** uint32 reads a varint and keeps its low 32 bits as an unsigned number. */
  uint32(): number {
    return this.varint64().lo;
  }

  /** int32 reads a varint as a signed 32-bit number (negative values arrive sign-extended to 64 bits). */
  int32(): number {
    return this.varint64().lo | 0;
  }

  /** int64 reads a varint as a signed 64-bit number; values beyond 2^53 lose precision, as in JSON. */
  int64(): number {
    const { lo, hi } = this.varint64();
    if ((hi & 0x80000000) === 0) return hi * TWO_32 + lo;
    return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
  }

  /** bool reads a varint as a boolean. */
  bool(): boolean {
    const { lo, hi } = this.varint64();
    return lo !== 0 || hi !== 0;
  }

  /** double reads a little-endian IEEE 754 double. */
  double(): number {
    const at = this.#take(8);
    return new DataView(this.#buf.buffer, this.#buf.byteOffset + at, 8).getFloat64(0, true);
  }

  /** bytes reads a length-delimited value and returns a view (not a copy) of its bytes. */
  bytes(): Uint8Array {
    const length = this.uint32();
    const at = this.#take(length);
    return this.#buf.subarray(at, at + length);
  }

  /** string reads a length-delimited UTF-8 string (invalid sequences become U+FFFD, as Go's JSON encoder does). */
  string(): string {
    return utf8.decode(this.bytes());
  }

  /** skip passes over one value of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint64();
        return;
      case WireType.Fixed64:
        this.#take(8);
        return;
      case WireType.LengthDelimited:
        this.bytes();
        return;
      case WireType.Fixed32:
        this.#take(4);
        return;
      default:
        throw new ProtobufDecodeError(`Cannot skip protobuf field: wire type ${wireType} is not supported`);
    }
  }

  #take(n: number): number {
    if (n > this.#end - this.#pos) throw new ProtobufDecodeError('Cannot decode protobuf value: input is truncated');
    const at = this.#pos;
    this.#pos += n;
    return at;
  }
}
