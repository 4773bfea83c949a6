/**
 * SegmentTable: the JSON values (objects and arrays of at least MIN_SEGMENT_BYTES) that recently stored objects
 * contained, by their bytes, so that a cached object whose value repeats one of them holds the table's copy instead
 * of its own (SegmentedValue).
 *
 * How a value is cut: one pass over the compact JSON finds every object and array; then, outermost first, each one
 * long enough is looked up by its bytes. A value seen before becomes a shared segment (and what it contains is not
 * looked at); a value seen for the first time is remembered (its bytes as a one-byte string, which is also the map's
 * key) and its contents are looked at in turn. The second object to have a value makes the shared copy, so a value
 * only one object has costs nothing but the table's memory while it is remembered. Versions of one object count as
 * one (the owner passed to segment()): a pod's spec, repeated by each of its status updates but by no other pod,
 * would otherwise become a segment of its own — an ArrayBuffer, ~180 bytes of objects beside its bytes — for nothing
 * once the older versions leave the ring.
 *
 * The table remembers the values of about the last `capacity` × 2 lookups (two generations: the young one, when
 * full, replaces the old one), so it stays a few MB whatever the object count; shared segments live on in the
 * objects that hold them. Values that repeat across a workload's pods (their creator's field sets, the defaults)
 * are looked up at every write and stay; values unique to one object age out.
 *
 * Contract: segment() returns the bytes' value unchanged in content (copyTo writes the same bytes); the table never
 * changes a segment it handed out.
 */
import { QUOTE, BACKSLASH, COLON, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET } from '../../base/json/json-bytes.js';
import { GenerationalMap } from '../../base/memory/generational-map.js';
import { SegmentedValue } from './segmented-value.js';

/** MIN_SEGMENT_BYTES: shorter values are kept in the object's own bytes (a segment costs ~12 bytes to refer to). */
export const MIN_SEGMENT_BYTES = 32;

/** DEFAULT_SEGMENT_GENERATION: values remembered per generation. */
export const DEFAULT_SEGMENT_GENERATION = 4096;


/** Scratch arrays for one scan (segment() runs to completion, so one set serves every table). */
let starts: Int32Array = new Int32Array(256);
let ends: Int32Array = new Int32Array(256);
let stack: Int32Array = new Int32Array(64);

/**
 * scanContainers records the start and end (exclusive) of every object and array in compact JSON, in order of
 * their start (outermost first); returns their number, or -1 when the bytes are not balanced.
 */
function scanContainers(b: Uint8Array): number {
  let n = 0;
  let sp = 0;
  const len = b.length;
  for (let i = 0; i < len; i++) {
    const c = b[i]!;
    if (c === QUOTE) {
      const start = i;
      for (i++; i < len; i++) {
        const d = b[i]!;
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
      // A long string (an image digest, a path) is a value worth sharing too; a key never is (a colon follows it).
      if (i + 1 - start >= MIN_SEGMENT_BYTES && b[i + 1] !== COLON) {
        if (n === starts.length) {
          starts = grow(starts);
          ends = grow(ends);
        }
        starts[n] = start;
        ends[n++] = i + 1;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (n === starts.length) {
        starts = grow(starts);
        ends = grow(ends);
      }
      if (sp === stack.length) stack = grow(stack);
      starts[n] = i;
      ends[n] = -1;
      stack[sp++] = n++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (sp === 0) return -1;
      ends[stack[--sp]!] = i + 1;
    }
  }
  return sp === 0 ? n : -1;
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** SegmentTable shares repeated JSON values between stored objects (see the file comment). */
export class SegmentTable {
  /** Values by their bytes (latin1): the owner that had it first while only one did, then the shared copy. */
  readonly #seen: GenerationalMap<Buffer | string>;

  constructor(generation: number = DEFAULT_SEGMENT_GENERATION) {
    this.#seen = new GenerationalMap(generation);
  }

  /** Values remembered (for tests). */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * segment returns `value` (compact JSON) as a SegmentedValue sharing the values it repeats (none, when it repeats
   * none), or `value` itself when it is not JSON this can cut. `skipAt`, when ≥ 0, is the start of a value not worth
   * looking up (the top-level metadata, which holds the object's name and uid); what it contains is still looked at.
   * `owner` names the object (its key): a value only earlier versions of the same owner had is not shared ('': no
   * owner, every call another object).
   */
  segment(value: Uint8Array, skipAt = -1, owner = ''): Uint8Array | SegmentedValue {
    const n = scanContainers(value);
    if (n < 0) return value;
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    // Pairs of (start, end) in the value and the segment for them, outermost first, none inside another.
    const cuts: number[] = [];
    const segments: Buffer[] = [];
    let sharedBytes = 0;
    let after = 0;
    // The outermost value (k = 0) is the object itself.
    for (let k = 1; k < n; k++) {
      const start = starts[k]!;
      if (start < after) continue;
      const end = ends[k]!;
      if (end - start < MIN_SEGMENT_BYTES || start === skipAt) continue;
      const shared = this.#lookup(bytes.toString('latin1', start, end), owner);
      if (shared === undefined) continue;
      cuts.push(start, end);
      segments.push(shared);
      sharedBytes += end - start;
      after = end;
    }
    // Own bytes (with the segments' offsets after them) go into a one-byte string: see SegmentedValue's #own.
    if (segments.length === 0) return new SegmentedValue(bytes.toString('latin1'), segments, value.length);
    const ownLength = value.length - sharedBytes;
    const own = Buffer.allocUnsafe(ownLength + 4 * segments.length);
    let from = 0;
    let to = 0;
    for (let i = 0; i < segments.length; i++) {
      const start = cuts[2 * i]!;
      to += bytes.copy(own, to, from, start);
      own.writeUInt32LE(to, ownLength + 4 * i);
      from = cuts[2 * i + 1]!;
    }
    bytes.copy(own, to, from, value.length);
    return new SegmentedValue(own.toString('latin1'), segments, value.length);
  }

  /**
   * #lookup returns the shared copy of a value another owner had before, else remembers it (as `owner`'s) and returns
   * undefined.
   */
  #lookup(key: string, owner: string): Buffer | undefined {
    let seen = this.#seen.get(key);
    // Without an owner ('') every call counts as another object.
    if (seen === undefined || (typeof seen === 'string' && owner !== '' && seen === owner)) {
      this.#seen.set(key, seen ?? owner);
      return undefined;
    }
    if (typeof seen === 'string') {
      seen = Buffer.allocUnsafeSlow(key.length);
      seen.write(key, 0, 'latin1');
    }
    this.#seen.set(key, seen);
    return seen;
  }
}
