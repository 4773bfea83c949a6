/**
 * How objects are stored: JSON bytes without metadata.resourceVersion, which is derived from the key's
 * modRevision on every read (so the stored bytes never disagree with the revision that wrote them).
 */
import { QUOTE, BACKSLASH, COMMA, COLON, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET } from '../../base/json/json-bytes.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { KeyValue } from '../../storage/storage.js';
import { rememberObjectJson } from '../negotiation/object-json.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** encodeObject serialises an object for storage, dropping metadata.resourceVersion. */
export function encodeObject(obj: KubeObject): Uint8Array {
  const md = obj.metadata;
  // Metadata without a resourceVersion (a create's) is stored as it is, without copying the object and its metadata.
  if (typeof md === 'object' && md !== null && !Array.isArray(md) && !Object.hasOwn(md, 'resourceVersion')) return encoder.encode(JSON.stringify(obj));
  const { resourceVersion: _rv, ...metadata } = md ?? {};
  return encoder.encode(JSON.stringify({ ...obj, metadata }));
}

/**
 * Objects just written, by the bytes they were stored as (the bytes' ArrayBuffer, which encodeObject's encoder made
 * for them alone): the watch cache takes the object from here instead of parsing the bytes back (decodeImmutableObject).
 */
const written = new WeakMap<ArrayBufferLike, { readonly obj: KubeObject; readonly value: Uint8Array }>();

/**
 * encodeWrittenObject is encodeObject for a write whose object is never changed once the write succeeded (a create's
 * body, an update's new version): the storage event carrying the returned bytes decodes to that object without a
 * parse. A write that fails leaves an entry nobody asks for (the bytes never reach a watcher).
 */
export function encodeWrittenObject(obj: KubeObject): Uint8Array {
  const value = encodeObject(obj);
  written.set(value.buffer, { obj, value });
  return value;
}

/** The object `value` was encoded from by encodeWrittenObject, once (later decodes of the same bytes parse them). */
function takeWritten(value: Uint8Array): KubeObject | undefined {
  const entry = written.get(value.buffer);
  if (entry === undefined || entry.value.byteOffset !== value.byteOffset || entry.value.byteLength !== value.byteLength) return undefined;
  written.delete(value.buffer);
  return entry.obj;
}

/** decodeObject parses a stored version and stamps resourceVersion = modRevision (or `revision` when given). */
export function decodeObject(kv: KeyValue, revision: number = kv.modRevision): KubeObject {
  const obj = JSON.parse(decoder.decode(kv.value)) as KubeObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(revision) };
  return obj;
}

/**
 * decodeImmutableObject is decodeObject for an object nobody changes afterwards (the watch cache's): bytes this
 * server just wrote give back the object they were encoded from (encodeWrittenObject) instead of being parsed, and
 * its JSON, when a response or watch event asks for it, is made from the stored bytes (storedObjectJson) instead
 * of serialising the object again.
 */
export function decodeImmutableObject(kv: KeyValue, revision: number = kv.modRevision): KubeObject {
  const source = takeWritten(kv.value);
  // The written object shares its contents with the write's own answer; neither is changed afterwards.
  const obj = source !== undefined ? { ...source, metadata: { ...(source.metadata ?? {}), resourceVersion: String(revision) } } : decodeObject(kv, revision);
  rememberStoredJson(obj, kv.value, revision);
  return obj;
}

/**
 * rememberStoredJson says that `obj` (never changed afterwards) is what `value`, its stored bytes, decode to at
 * `revision`: its JSON is then made from those bytes when first asked for.
 */
export function rememberStoredJson(obj: KubeObject, value: Uint8Array, revision: number): void {
  rememberObjectJson(obj, () => storedObjectJson(value, revision));
}

/**
 * storedObjectJson returns the stored bytes `value` with `"resourceVersion":"<revision>"` put first in their
 * top-level metadata: the JSON of the object they decode to at that revision (key order aside), made with one copy
 * instead of a parse and a serialisation. Undefined when the bytes are not compact JSON with a metadata object
 * (the caller then serialises the object).
 */
export function storedObjectJson(value: Uint8Array, revision: number): Buffer | undefined {
  const parts = storedObjectJsonParts(value, revision);
  return parts === undefined ? undefined : Buffer.concat(parts);
}

/**
 * storedObjectJsonParts is storedObjectJson as three consecutive byte ranges, the first and last being views of
 * `value` (no copy): for a list body written piece by piece, whose items' bytes are not kept anywhere else.
 */
export function storedObjectJsonParts(value: Uint8Array, revision: number): [Buffer, Buffer, Buffer] | undefined {
  const at = metadataStart(value);
  if (at < 0) return undefined;
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return [bytes.subarray(0, at + 1), resourceVersionField(revision, emptyMetadata(value, at)), bytes.subarray(at + 1)];
}

/** emptyMetadata tells whether the top-level metadata that metadataStart found at `at` is `{}` (false when at < 0). */
export function emptyMetadata(value: Uint8Array, at: number): boolean {
  return at >= 0 && value[at + 1] === CLOSE_BRACE;
}

/** resourceVersionField is the `"resourceVersion":"N"` member put first in metadata (with a comma unless it is `{}`). */
export function resourceVersionField(revision: number, empty: boolean): Buffer {
  return Buffer.from(`"resourceVersion":"${revision}"${empty ? '' : ','}`, 'latin1');
}

const RESOURCE_VERSION_FIELD = Buffer.from('"resourceVersion":"', 'latin1');

/** decimalDigits is the number of digits of a non-negative integer. */
function decimalDigits(n: number): number {
  let d = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) d++;
  return d;
}

/**
 * storedObjectJsonLength is the byte length of storedObjectJson(value, revision), given `at` = metadataStart(value)
 * (≥ 0; callers that list an object many times compute it once).
 */
export function storedObjectJsonLength(value: Uint8Array, at: number, revision: number): number {
  return storedJsonLength(value.length, emptyMetadata(value, at), revision);
}

/**
 * storedJsonLength is storedObjectJsonLength for stored bytes known by their length and whether their top-level
 * metadata is empty (`{}`), for bytes not held in one piece (SegmentedValue).
 */
export function storedJsonLength(length: number, emptyMetadata: boolean, revision: number): number {
  return length + RESOURCE_VERSION_FIELD.length + decimalDigits(revision) + (emptyMetadata ? 1 : 2);
}

/**
 * copyStoredObjectJson writes storedObjectJson(value, revision) — storedObjectJsonLength bytes — into `target` at
 * `offset`, allocating nothing: a list body is filled in place instead of being gathered from three new Buffer views
 * and a field string per item (most of what a flood of small lists allocated, hence most of what made the
 * scavenges come). `at` is metadataStart(value), ≥ 0.
 */
export function copyStoredObjectJson(value: Uint8Array, at: number, revision: number, target: Uint8Array, offset: number): void {
  copyStoredJson(value, at, emptyMetadata(value, at), revision, target, offset);
}

/** PiecewiseValue is stored bytes not held in one piece (SegmentedValue): it writes them where asked. */
export interface PiecewiseValue {
  /** copyTo writes the bytes into `target` at `offset`. */
  copyTo(target: Uint8Array, offset: number): void;
}

/**
 * copyStoredJson is copyStoredObjectJson for stored bytes in one piece or not, whose top-level metadata opens at
 * `at` and is empty (`{}`) or not.
 */
export function copyStoredJson(value: Uint8Array | PiecewiseValue, at: number, empty: boolean, revision: number, target: Uint8Array, offset: number): void {
  const digits = decimalDigits(revision);
  const fieldLength = RESOURCE_VERSION_FIELD.length + digits + (empty ? 1 : 2);
  // The whole value, shifted right by the field's length; then its head (up to the metadata's `{`) moved back left.
  if (value instanceof Uint8Array) target.set(value, offset + fieldLength);
  else value.copyTo(target, offset + fieldLength);
  target.copyWithin(offset, offset + fieldLength, offset + fieldLength + at + 1);
  let i = offset + at + 1;
  target.set(RESOURCE_VERSION_FIELD, i);
  i += RESOURCE_VERSION_FIELD.length;
  for (let x = revision, k = digits - 1; k >= 0; k--, x = Math.floor(x / 10)) target[i + k] = 0x30 + (x % 10);
  i += digits;
  target[i++] = QUOTE;
  if (!empty) target[i] = COMMA;
}

const METADATA = Buffer.from('"metadata"', 'latin1');

/**
 * metadataStart returns the index of the `{` that opens the top-level "metadata" value of compact JSON (as
 * JSON.stringify writes it), or -1. It walks the top-level keys only, skipping their values; metadata is
 * normally the third key, after apiVersion and kind, so the walk reads a few dozen bytes.
 */
export function metadataStart(b: Uint8Array): number {
  if (b[0] !== OPEN_BRACE) return -1;
  let i = 1;
  for (;;) {
    if (b[i] !== QUOTE) return -1;
    const keyStart = i;
    i = skipString(b, i);
    if (i < 0 || b[i] !== COLON) return -1;
    if (i - keyStart === METADATA.length && METADATA.equals(b.subarray(keyStart, i))) return b[i + 1] === OPEN_BRACE ? i + 1 : -1;
    i = skipValue(b, i + 1);
    if (i < 0) return -1;
    if (b[i] === COMMA) i++;
    else return -1;
  }
}

/** skipString returns the index just past the string starting at b[i] (a quote), or -1. */
function skipString(b: Uint8Array, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    const c = b[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/** skipValue returns the index just past the compact JSON value starting at b[i], or -1. */
function skipValue(b: Uint8Array, i: number): number {
  let depth = 0;
  for (let j = i; j < b.length; j++) {
    const c = b[j];
    if (c === QUOTE) {
      j = skipString(b, j);
      if (j < 0) return -1;
      if (depth === 0) return j;
      j--;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) return j;
      depth--;
      if (depth === 0) return j + 1;
    } else if (depth === 0 && c === COMMA) return j;
  }
  return -1;
}
