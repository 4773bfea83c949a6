/**
 * SegmentedValue: a stored object's bytes kept as the bytes only it has, with the longer JSON values it shares with
 * other cached objects (SegmentTable) held once for all of them and spliced back in when the bytes are needed.
 *
 * Why: a cached pod's stored bytes were the largest part of the server's memory per pod (4.4 KB for a Running bench
 * pod), and most of them repeat across one workload's pods: the managedFields' field sets, the projected
 * service-account volume's sources, tolerations, conditions written in the same second. The splice costs a copy per
 * read, which LISTs and watch lines make anyway (see CachedObject.copyJson). A value that repeats nothing is kept
 * the same way, with no segments (SegmentTable.segment), for the string's sake (see #own).
 *
 * Contract: immutable; copyTo writes exactly the bytes the object was stored as, byteLength of them.
 */

/** latin1Write writes a one-byte string's first `length` characters as bytes (Buffer's, on any Uint8Array). */
const latin1Write = Buffer.prototype.latin1Write as (this: Uint8Array, s: string, offset: number, length: number) => number;

/** SegmentedValue is a stored value as its own bytes with shared values spliced in at recorded offsets. */
export class SegmentedValue {
  /** The value's length once reassembled. */
  readonly byteLength: number;
  /**
   * The bytes not shared, in order, as a one-byte (latin1) string, followed by four characters per shared segment:
   * the little-endian offset in those own bytes where the segment goes. Why a string and not a Buffer: a Buffer is
   * ~180 bytes of objects (the view, its ArrayBuffer, the backing store's record) beside a malloc'd block of its own,
   * per cached object; a string is a 16-byte header and its bytes in V8's heap, which the collector compacts — no
   * C-heap block per entry to fragment glibc's heap as objects come and go.
   */
  readonly #own: string;
  /** The shared segments, in order; each is held by every value that has it and never changed. */
  readonly #shared: readonly Buffer[];

  /** Use SegmentTable.segment; `own` and `shared` as described on the fields. */
  constructor(own: string, shared: readonly Buffer[], byteLength: number) {
    this.#own = own;
    this.#shared = shared;
    this.byteLength = byteLength;
  }

  /** Number of shared segments (for tests and figures). */
  get sharedCount(): number {
    return this.#shared.length;
  }

  /** Bytes held by this value alone (the shared segments not counted). */
  get ownByteLength(): number {
    return this.#own.length - 4 * this.#shared.length;
  }

  /**
   * copyTo writes the value's bytes into `target` at `offset` (byteLength of them): the own bytes first, in one
   * write, at the end of the range, then each own piece moved left into place (copyWithin, a memmove) with the
   * segment after it set in front of the next one (TypedArray#set). A piece never overlaps a segment written
   * before it is moved: the segments before piece i take up exactly the room between its place and its source.
   */
  copyTo(target: Uint8Array, offset: number): void {
    const own = this.#own;
    const shared = this.#shared;
    const ownLength = own.length - 4 * shared.length;
    const tail = offset + this.byteLength - ownLength;
    latin1Write.call(target, own, tail, ownLength);
    let from = 0;
    let to = offset;
    for (let i = 0; i < shared.length; i++) {
      const at = ownOffset(own, ownLength + 4 * i);
      if (at > from) target.copyWithin(to, tail + from, tail + at);
      to += at - from;
      from = at;
      const segment = shared[i]!;
      target.set(segment, to);
      to += segment.length;
    }
    // The last piece is in place already: `to` has reached tail + from.
  }

  /** bytes returns the value reassembled, in a new Buffer. */
  bytes(): Buffer {
    const b = Buffer.allocUnsafe(this.byteLength);
    this.copyTo(b, 0);
    return b;
  }

  /**
   * parts returns the value as consecutive byte ranges: the own pieces (copied out of the string) and the shared
   * segments themselves, for a body written piece by piece.
   */
  parts(): Buffer[] {
    const own = this.#own;
    const shared = this.#shared;
    const ownLength = own.length - 4 * shared.length;
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < shared.length; i++) {
      const at = ownOffset(own, ownLength + 4 * i);
      if (at > from) out.push(Buffer.from(own.slice(from, at), 'latin1'));
      from = at;
      out.push(shared[i]!);
    }
    if (ownLength > from) out.push(Buffer.from(own.slice(from, ownLength), 'latin1'));
    return out;
  }
}

/** bytesOf is stored bytes in one piece: `value` itself, or a SegmentedValue reassembled in a new Buffer. */
export function bytesOf(value: Uint8Array | SegmentedValue): Uint8Array {
  return value instanceof SegmentedValue ? value.bytes() : value;
}

/** ownOffset reads the little-endian uint32 kept as four characters at `i`. */
function ownOffset(s: string, i: number): number {
  return (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16)) + s.charCodeAt(i + 3) * 0x1000000;
}
