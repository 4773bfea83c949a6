/**
 * objectJson: the JSON bytes of an API object, remembered per object (or made from the stored bytes it was decoded
 * from, see rememberObjectJson). Objects held by the watch cache are
 * immutable (an update replaces the object, never changes it), so a LIST served from the cache encodes each
 * object once for its lifetime and builds the list body by concatenating ready-made bytes, instead of
 * serializing and UTF-8-encoding every object on every request. Callers must never pass an object they will
 * mutate afterwards.
 */
import { COMMA as COMMA_BYTE } from '../../base/json/json-bytes.js';
import { offerWatchLine } from '../../api/meta/shared-watch-lines.js';
import type { KubeList, KubeObject } from '../../api/meta/types.js';

const encoded = new WeakMap<object, Buffer>();

/** Objects whose JSON can be made from bytes already at hand (the stored bytes the object was decoded from). */
const sources = new WeakMap<object, () => Buffer | undefined>();

/** objectJson returns the UTF-8 bytes of JSON.stringify(obj), computing them at most once per object. */
export function objectJson(obj: KubeObject): Buffer {
  return knownObjectJson(obj) ?? encodeOnce(obj);
}

function encodeOnce(obj: KubeObject): Buffer {
  const b = Buffer.from(JSON.stringify(obj), 'utf8');
  encoded.set(obj, b);
  return b;
}

/**
 * knownObjectJson returns obj's JSON bytes when they are remembered or can be made without serialising `obj`
 * (see rememberObjectJson); otherwise undefined.
 */
export function knownObjectJson(obj: KubeObject): Buffer | undefined {
  let b = encoded.get(obj);
  if (b !== undefined) return b;
  const source = sources.get(obj);
  if (source === undefined) return undefined;
  sources.delete(obj);
  b = source();
  if (b !== undefined) encoded.set(obj, b);
  return b;
}

/**
 * rememberObjectJson records how to make obj's JSON bytes without serialising it: `source` returns a JSON document
 * equal to JSON.stringify(obj) up to key order (or undefined, and obj is serialised instead). It is called at most
 * once, when the bytes are first asked for. The same contract as objectJson: obj is never changed afterwards.
 */
export function rememberObjectJson(obj: KubeObject, source: () => Buffer | undefined): void {
  sources.set(obj, source);
}

const COMMA = Buffer.from(',');
const ITEMS_OPEN = Buffer.from(',"items":[');
const TAIL = Buffer.from(']}');

/**
 * JsonParts is a JSON document as consecutive byte ranges (their concatenation is the document), so that a large
 * list can be written piece by piece instead of being copied into one buffer first. The ranges are either given
 * up front or filled on demand, a chunk at a time (JsonParts.filled): a writer that takes them one by one
 * (chunks()) then holds one chunk of the body at a time instead of all of it.
 */
export class JsonParts {
  #byteLength: number;
  #parts: readonly Buffer[] | undefined;
  /** Makes the document's ranges in order, when they are filled on demand (then #parts is undefined until read). */
  #fill: (() => Iterator<Buffer>) | undefined;

  constructor(parts: readonly Buffer[]) {
    this.#parts = parts;
    this.#fill = undefined;
    let n = 0;
    for (const p of parts) n += p.length;
    this.#byteLength = n;
  }

  /**
   * filled makes a document of `byteLength` bytes whose ranges `fill` makes when asked for. Each call of `fill` must
   * make the same bytes (it reads immutable items), byteLength of them in all.
   */
  static filled(byteLength: number, fill: () => Iterator<Buffer>): JsonParts {
    const p = new JsonParts([]);
    p.#byteLength = byteLength;
    p.#parts = undefined;
    p.#fill = fill;
    return p;
  }

  /** The document's length in bytes. */
  get byteLength(): number {
    return this.#byteLength;
  }

  /** The ranges, all of them at once (a filled document is filled in full here, and kept). */
  get parts(): readonly Buffer[] {
    if (this.#parts === undefined) {
      const all: Buffer[] = [];
      const it = this.chunks();
      for (let r = it.next(); r.done !== true; r = it.next()) all.push(r.value);
      this.#parts = all;
    }
    return this.#parts;
  }

  /** Whether the ranges are made on demand: chunks() then makes them one by one, each a piece worth writing. */
  get isFilled(): boolean {
    return this.#parts === undefined;
  }

  /** chunks yields the ranges in order; a filled document's are made as they are asked for, and not kept. */
  chunks(): Iterator<Buffer> {
    if (this.#parts === undefined && this.#fill !== undefined) return this.#fill();
    return (this.#parts ?? [])[Symbol.iterator]();
  }

  /** toBuffer concatenates the parts (for callers that need the whole body). */
  toBuffer(): Buffer {
    const parts = this.parts;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts as Buffer[], this.#byteLength);
  }
}

/**
 * LazyListItem is a list item known first by its JSON (the watch cache's stored bytes), decoded only when the list's
 * items are read as objects.
 */
export interface LazyListItem {
  /** The item's JSON as consecutive byte ranges, or undefined (then object() is serialised). */
  jsonParts(): readonly Buffer[] | undefined;
  /**
   * The byte length of the item's JSON when copyJson can write it, else undefined. Optional: items without it are
   * written from jsonParts().
   */
  jsonByteLength?(): number | undefined;
  /** copyJson writes the item's JSON, jsonByteLength() bytes, into `target` at `offset`. */
  copyJson?(target: Uint8Array, offset: number): void;
  object(): KubeObject;
}

/**
 * SINGLE_BUFFER_MAX_BYTES: a list body up to this size whose items can all copy their JSON is written into one
 * Buffer; a larger one stays in parts, to be written a piece at a time (negotiation/write.ts) without a copy of the
 * whole body. The same size as write.ts's threshold for writing a body in one piece.
 */
export const SINGLE_BUFFER_MAX_BYTES = 1024 * 1024;

/**
 * LazyState is a lazy list's items: `pending` until first read as objects (listJson writes them from their bytes),
 * then `decoded`.
 */
interface LazyState {
  pending: readonly LazyListItem[] | undefined;
  decoded: KubeObject[] | undefined;
}

/** The state of each list made by lazyList. */
const lazyStates = new WeakMap<KubeList, LazyState>();

/**
 * LAZY_ITEMS is the `items` property of every lazy list: one getter and one setter shared by all of them, their state
 * kept aside (lazyStates). Why shared: an accessor made of new functions per list gave each list a hidden class of
 * its own, which V8 allocates in the old generation; those dead classes then held each list's closures, items and
 * entries alive through every scavenge until the next mark-compact (under a flood of small lists, ~2 KB copied and
 * promoted per list: docs/reliability.md, "Session 12"). With the same functions every lazy list shares one class.
 */
const LAZY_ITEMS: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: KubeList): KubeObject[] {
    const state = lazyStates.get(this);
    if (state === undefined) return [];
    if (state.decoded === undefined) state.decoded = (state.pending ?? []).map((item) => item.object());
    state.pending = undefined;
    return state.decoded;
  },
  set(this: KubeList, value: KubeObject[]): void {
    const state = lazyStates.get(this);
    if (state === undefined) {
      Object.defineProperty(this, 'items', { value, enumerable: true, configurable: true, writable: true });
      return;
    }
    state.pending = undefined;
    state.decoded = value;
  },
};

/**
 * lazyList makes a list whose `items` decodes `items` when first read; a JSON response written before that (listJson)
 * is made from the items' bytes without decoding them. Once read, `items` is an ordinary array (changing it is then
 * reflected in the JSON as for any list).
 */
export function lazyList(head: Omit<KubeList, 'items'>, items: readonly LazyListItem[]): KubeList {
  const list = { ...head } as KubeList;
  lazyStates.set(list, { pending: items, decoded: undefined });
  Object.defineProperty(list, 'items', LAZY_ITEMS);
  return list;
}

/** listJson renders a list as the bytes of JSON.stringify(list), reusing each item's remembered bytes. */
export function listJson(list: KubeList): JsonParts {
  const head = JSON.stringify({ kind: list.kind, apiVersion: list.apiVersion, metadata: list.metadata });
  const lazy = lazyStates.get(list)?.pending;
  if (lazy !== undefined) {
    const filled = filledListBody(head, lazy);
    if (filled !== undefined) return filled;
  }
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)},"items":[`, 'utf8')];
  if (lazy !== undefined) {
    lazy.forEach((item, i) => {
      if (i > 0) parts.push(COMMA);
      const json = item.jsonParts();
      if (json !== undefined) parts.push(...json);
      else parts.push(objectJson(item.object()));
    });
  } else {
    list.items.forEach((item, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(objectJson(item));
    });
  }
  parts.push(TAIL);
  return new JsonParts(parts);
}

/**
 * LIST_CHUNK_BYTES: a list body larger than SINGLE_BUFFER_MAX_BYTES is filled into Buffers of this size (an item
 * that does not fit starts the next one), each made when the writer asks for it and written as it is.
 */
const LIST_CHUNK_BYTES = 320 * 1024;

/**
 * filledListBody is the list's JSON (`head` being its JSON without items), each item copying its JSON into place: one
 * allocation per list instead of a Buffer view or three per item, their array, and the copy that joined them. Up to
 * SINGLE_BUFFER_MAX_BYTES in one Buffer; a larger body in Buffers of LIST_CHUNK_BYTES, filled one at a time as the
 * writer takes them (the items' bytes need not be in one piece where they are kept: a segmented cached object has no
 * views to give). Why one at a time: filled all at once, a LIST of 10,000 pods held 47 MB of chunks, which glibc
 * serves from its brk heap once its mmap threshold has risen past the chunk size (it rises to the largest mmapped
 * block freed), and long-lived small blocks allocated meanwhile (the cache's own bytes) then pin that heap's top:
 * RSS stayed ~45 MB higher after the LISTs (docs/benchmarks.md, issue 5, session 14). Undefined when an item cannot
 * copy its JSON.
 */
function filledListBody(head: string, items: readonly LazyListItem[]): JsonParts | undefined {
  const headLength = Buffer.byteLength(head) - 1 + ITEMS_OPEN.length;
  let n = headLength + TAIL.length + Math.max(0, items.length - 1);
  for (const item of items) {
    const length = item.jsonByteLength?.();
    if (length === undefined || item.copyJson === undefined) return undefined;
    n += length;
  }
  if (n > SINGLE_BUFFER_MAX_BYTES) return JsonParts.filled(n, () => listChunks(head, items));
  const body = Buffer.allocUnsafe(n);
  let at = body.write(head, 0, 'utf8') - 1;
  at += ITEMS_OPEN.copy(body, at);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (i > 0) body[at++] = COMMA_BYTE;
    item.copyJson!(body, at);
    at += item.jsonByteLength!()!;
  }
  TAIL.copy(body, at);
  return new JsonParts([body]);
}

/** listChunks makes filledListBody's body in chunks of about LIST_CHUNK_BYTES; every item can copy its JSON. */
function* listChunks(head: string, items: readonly LazyListItem[]): Generator<Buffer, void, undefined> {
  let chunk = Buffer.allocUnsafe(LIST_CHUNK_BYTES);
  let at = chunk.write(head, 0, 'utf8') - 1;
  at += ITEMS_OPEN.copy(chunk, at);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const length = item.jsonByteLength!()!;
    const need = length + (i > 0 ? 1 : 0);
    if (at + need > chunk.length) {
      yield chunk.subarray(0, at);
      chunk = Buffer.allocUnsafe(Math.max(LIST_CHUNK_BYTES, need));
      at = 0;
    }
    if (i > 0) chunk[at++] = COMMA_BYTE;
    item.copyJson!(chunk, at);
    at += length;
  }
  if (at + TAIL.length > chunk.length) {
    yield chunk.subarray(0, at);
    chunk = Buffer.allocUnsafe(TAIL.length);
    at = 0;
  }
  at += TAIL.copy(chunk, at);
  yield chunk.subarray(0, at);
}

/**
 * RECENT_EVENT_LINES bounds the watch event lines kept for reuse. An event reaches all its watchers within
 * moments of each other, so a short memory of the latest lines serves the fan-out; lines kept for the lifetime of
 * each object (as they once were, in a WeakMap) were a second copy of every cached object's JSON, about as large
 * as the first.
 */
export const RECENT_EVENT_LINES = 256;

/** The latest event lines, by object then type; insertion order is age (the oldest object is dropped first). */
const recentLines = new Map<object, Map<string, Buffer>>();

/**
 * watchEventJson returns the bytes of one JSON watch event line, `{"type":…,"object":…}\n`. Every watcher of a
 * resource receives the same event object, so a fan-out to N watchers encodes it once instead of N times (the
 * object's JSON itself is remembered with the object, see objectJson; the line around it only for the latest
 * RECENT_EVENT_LINES objects).
 */
export function watchEventJson(type: string, obj: KubeObject): Buffer {
  let byType = recentLines.get(obj);
  if (byType === undefined) {
    byType = new Map();
    recentLines.set(obj, byType);
    if (recentLines.size > RECENT_EVENT_LINES) {
      const oldest = recentLines.keys().next();
      if (oldest.done !== true) recentLines.delete(oldest.value);
    }
  }
  let line = byType.get(type);
  if (line === undefined) {
    line = Buffer.concat([Buffer.from(`{"type":${JSON.stringify(type)},"object":`), objectJson(obj), Buffer.from('}\n')]);
    byType.set(type, line);
    // Informers of this process reading this line take obj instead of a parsed copy (see shared-watch-lines.ts).
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined && type !== 'BOOKMARK' && type !== 'ERROR') offerWatchLine(type, rv, line, obj);
  }
  return line;
}
