/**
 * SegmentedValue: a stored object's bytes kept as the bytes only it has, with the longer JSON values it shares with
 * other cached objects (SegmentTable) held once for all of them and spliced back in when the bytes are needed.
 *
 * Why: a cached pod's stored bytes were the largest part of the server's memory per pod (4.4 KB for a Running bench
 * pod), and most of them repeat across one workload's pods: the managedFields' field sets, the projected
 * service-account volume's sources, tolerations, conditions written in the same second. The splice costs a copy per
 * read, which LISTs and watch lines make anyway (see CachedObject.copyJson).
 *
 * Contract: immutable; copyTo writes exactly the bytes the object was stored as, byteLength of them.
 */

/** SegmentedValue is a stored value as its own bytes with shared values spliced in at recorded offsets. */
export class SegmentedValue {
  /** The value's length once reassembled. */
  readonly byteLength: number;
  /**
   * The bytes not shared, in order, followed by one little-endian uint32 per shared segment: the offset in those
   * own bytes where the segment goes (kept in the same allocation: a Uint32Array of their own would cost more than
   * the offsets).
   */
  readonly #own: Buffer;
  /** The shared segments, in order; each is held by every value that has it and never changed. */
  readonly #shared: readonly Buffer[];

  /** Use SegmentTable.segment; `own` and `shared` as described on the fields. */
  constructor(own: Buffer, shared: readonly Buffer[], byteLength: number) {
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
    return this.#own.length;
  }

  /**
   * copyTo writes the value's bytes into `target` at `offset` (byteLength of them). The segments go in with
   * TypedArray#set (a memcpy); the own pieces between them, mostly a few dozen bytes, byte by byte unless long
   * (a view per piece for TypedArray#set, or Buffer#copy's own, is garbage per piece per LIST item). Still ~1.5 µs
   * more per pod than one memcpy of unsegmented bytes (a LIST of 10,000 pods: ~45 against ~31 ms of CPU).
   */
  copyTo(target: Uint8Array, offset: number): void {
    const own = this.#own;
    const shared = this.#shared;
    const ownLength = own.length - 4 * shared.length;
    let from = 0;
    let to = offset;
    for (let i = 0; i < shared.length; i++) {
      const at = ownOffset(own, ownLength + 4 * i);
      to = copyPiece(own, from, at, target, to);
      from = at;
      const segment = shared[i]!;
      target.set(segment, to);
      to += segment.length;
    }
    copyPiece(own, from, ownLength, target, to);
  }

  /** bytes returns the value reassembled, in a new Buffer. */
  bytes(): Buffer {
    const b = Buffer.allocUnsafe(this.byteLength);
    this.copyTo(b, 0);
    return b;
  }

  /**
   * parts returns the value as consecutive byte ranges: views of the own bytes and the shared segments themselves
   * (no copy), for a body written piece by piece.
   */
  parts(): Buffer[] {
    const own = this.#own;
    const shared = this.#shared;
    const ownLength = own.length - 4 * shared.length;
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < shared.length; i++) {
      const at = ownOffset(own, ownLength + 4 * i);
      if (at > from) out.push(own.subarray(from, at));
      from = at;
      out.push(shared[i]!);
    }
    if (ownLength > from) out.push(own.subarray(from, ownLength));
    return out;
  }
}

/** LONG_PIECE: own pieces at least this long are copied with TypedArray#set on a view, shorter ones byte by byte. */
const LONG_PIECE = 64;

/** copyPiece copies source[from, to) into target at `at` and returns the index after it. */
function copyPiece(source: Uint8Array, from: number, to: number, target: Uint8Array, at: number): number {
  const n = to - from;
  if (n >= LONG_PIECE) target.set(source.subarray(from, to), at);
  else for (let k = 0; k < n; k++) target[at + k] = source[from + k]!;
  return at + n;
}

/** ownOffset reads the little-endian uint32 at `i` (Buffer#readUInt32LE checks its arguments on every call). */
function ownOffset(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 0x1000000;
}
