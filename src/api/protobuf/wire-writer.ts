/**
 * WireWriter builds protobuf wire-format bytes. Nested messages are written by encoding them first into their own
 * WireWriter and then adding the finished bytes with a length prefix.
 */
import { ProtobufEncodeError } from './protobuf-errors.js';
import { WireType } from './wire-reader.js';

const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

/** WireWriter accumulates the bytes of one message. */
export class WireWriter {
  #buf = new Uint8Array(64);
  #len = 0;

  /** length is the number of bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** finish returns the written bytes. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** tag writes a field key. */
  tag(fieldNumber: number, wireType: WireType): void {
    this.#varint(((fieldNumber << 3) | wireType) >>> 0, 0);
  }

  /** uint32 writes an unsigned varint. */
  uint32(value: number): void {
    this.#varint(value >>> 0, 0);
  }

  /** int64 writes a signed integer as a varint (negative values sign-extended to 10 bytes). */
  int64(value: number): void {
    if (!Number.isInteger(value)) throw new ProtobufEncodeError(`Cannot encode integer: ${value} is not an integer`);
    const abs = Math.abs(value);
    let lo = abs % TWO_32 >>> 0;
    let hi = Math.floor(abs / TWO_32) >>> 0;
    if (value < 0) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    this.#varint(lo, hi);
  }

  /** bool writes a boolean varint. */
  bool(value: boolean): void {
    this.#varint(value ? 1 : 0, 0);
  }

  /** double writes a little-endian IEEE 754 double. */
  double(value: number): void {
    this.#reserve(8);
    new DataView(this.#buf.buffer, this.#len, 8).setFloat64(0, value, true);
    this.#len += 8;
  }

  /** bytes writes a length-delimited byte string. */
  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
  }

  /** string writes a length-delimited UTF-8 string. */
  string(value: string): void {
    this.bytes(utf8.encode(value));
  }

  #varint(lo: number, hi: number): void {
    this.#reserve(10);
    while (hi !== 0 || lo > 0x7f) {
      this.#buf[this.#len++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.#buf[this.#len++] = lo;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}
