/**
 * CachedObject: one version of an object as the watch cache keeps it — its stored bytes (the one form held for the
 * object's whole life), the selection attributes its predicates test (labels and selectable fields, as upstream's
 * cacher keeps beside each object), and the decoded object only while something uses it.
 *
 * Why: a decoded pod is two to three times the size of its JSON, and keeping both (the decoded object for
 * predicates, informers and GETs, the JSON for LISTs and watch lines) was the largest part of the server's memory
 * per object. LISTs are written from the bytes (with the resourceVersion spliced in, no copy); predicates read the
 * attributes; decoding happens for what really needs an object (a GET, a Table, an initial watch event), and the
 * decoded object is shared as long as anyone holds it (a WeakRef) or it is among the cache's recently used objects
 * (RecentObjects), which covers the burst of reads that follows a write.
 *
 * Contract: the bytes, the attributes and every decoded object are immutable; callers never change what they get.
 */
import type { FieldValues } from '../../api/meta/fields.js';
import type { KubeObject } from '../../api/meta/types.js';
import { copyStoredJson, decodeImmutableObject, emptyMetadata, metadataStart, resourceVersionField, storedJsonLength, storedObjectJsonParts } from '../registry/stored-object.js';
import type { SegmentTable } from './segment-table.js';
import { bytesOf, SegmentedValue } from './segmented-value.js';

/**
 * ObjectAttributes are what a selection predicate reads of an object: its labels, and its selectable field values
 * read one at a time (FieldValues.field: undefined for a field the resource does not have), as PackedAttributes
 * keeps them.
 */
export interface ObjectAttributes extends FieldValues {
  readonly labels: Readonly<Record<string, string>>;
}

/** AttributesOf computes an object's selection attributes (from its resource's strategy). */
export type AttributesOf = (obj: KubeObject) => ObjectAttributes;

/**
 * DEFAULT_RECENT_OBJECTS bounds the decoded objects a cache keeps for reuse beyond those still held elsewhere. Small:
 * predicates read attributes, the fan-out of a write holds its object anyway, and pod GETs read storage; what is
 * left (find() of service accounts, secrets, namespaces; replays of the current version) touches few objects. Each
 * kept pod costs ~6 KB decoded plus its JSON once serialised (1,024 of them were 6.5 MB in a heap snapshot).
 */
export const DEFAULT_RECENT_OBJECTS = 256;

/**
 * RecentObjects keeps the most recently decoded or written objects of a cache alive (least recently used dropped
 * first), so that the reads following a write (watchers' predicates, informers' GETs, the next update's prev) find
 * the object decoded.
 */
export class RecentObjects {
  readonly #capacity: number;
  readonly #objects = new Map<CachedObject, KubeObject>();

  constructor(capacity: number = DEFAULT_RECENT_OBJECTS) {
    this.#capacity = capacity;
  }

  /** use marks `obj`, the decoded form of `entry`, as the most recently used. */
  use(entry: CachedObject, obj: KubeObject): void {
    if (this.#capacity <= 0) return;
    this.#objects.delete(entry);
    this.#objects.set(entry, obj);
    if (this.#objects.size > this.#capacity) {
      const oldest = this.#objects.keys().next();
      if (oldest.done !== true) this.#objects.delete(oldest.value);
    }
  }

  /** forget drops a superseded or deleted entry's object. */
  forget(entry: CachedObject): void {
    this.#objects.delete(entry);
  }

  /** Number of objects kept (for tests). */
  get size(): number {
    return this.#objects.size;
  }

  clear(): void {
    this.#objects.clear();
  }
}

/** UNKNOWN marks a CachedObject's metadata offset as not yet looked for (metadataStart returns -1 for none). */
const UNKNOWN = -2;


/** CachedObject is one stored version: bytes, revision, attributes, and the decoded object while in use. */
export class CachedObject {
  readonly key: string;
  /** The stored bytes (JSON without metadata.resourceVersion), in one piece or sharing segments (`segments`). */
  readonly #stored: Uint8Array | SegmentedValue;
  /** The revision that wrote `value`; the decoded object's resourceVersion. */
  readonly revision: number;
  /** Undefined when the cache has no attribute function, or for a version not kept as current (decode to test it). */
  readonly attributes: ObjectAttributes | undefined;
  #ref: WeakRef<KubeObject> | undefined;
  /** metadataStart(value), or UNKNOWN until first needed. */
  #metadataAt = UNKNOWN;
  /** Whether the top-level metadata is `{}` (known once #metadataAt is). */
  #emptyMetadata = false;
  readonly #recent: RecentObjects | undefined;

  /**
   * With `segments`, the bytes are kept as a SegmentedValue sharing the JSON values they repeat with other objects
   * (for the entries a cache keeps as current: a version held for moments is not worth the cut).
   */
  constructor(key: string, value: Uint8Array, revision: number, options: { object?: KubeObject; attributes?: ObjectAttributes; recent?: RecentObjects; segments?: SegmentTable } = {}) {
    this.key = key;
    if (options.segments !== undefined) {
      this.#findMetadata(value);
      this.#stored = options.segments.segment(value, this.#metadataAt, key);
    } else {
      this.#stored = value;
    }
    this.revision = revision;
    this.attributes = options.attributes;
    this.#recent = options.recent;
    if (options.object !== undefined) {
      this.#ref = new WeakRef(options.object);
      this.#recent?.use(this, options.object);
    }
  }

  /** The stored bytes (JSON without metadata.resourceVersion) in one piece: reassembled, in a new Buffer, when segmented. */
  get value(): Uint8Array {
    return bytesOf(this.#stored);
  }

  /** The stored form, in one piece or segmented: what a ring event keeps of the version (same bytes, shared). */
  get stored(): Uint8Array | SegmentedValue {
    return this.#stored;
  }

  /** object returns the decoded object: the one in use when there is one, else the bytes decoded again. */
  object(): KubeObject {
    let obj = this.#ref?.deref();
    if (obj === undefined) {
      obj = decodeImmutableObject({ key: this.key, value: this.value, createRevision: 0, modRevision: this.revision });
      this.#ref = new WeakRef(obj);
    }
    this.#recent?.use(this, obj);
    return obj;
  }

  /**
   * jsonParts returns the object's JSON as consecutive byte ranges made from the stored bytes (views, not copies),
   * or undefined when the bytes are not in the compact form that allows it (serialise object() instead).
   */
  jsonParts(): readonly Buffer[] | undefined {
    const stored = this.#stored;
    if (!(stored instanceof SegmentedValue)) return storedObjectJsonParts(stored, this.revision);
    const at = this.#metadataStart();
    if (at < 0) return undefined;
    // The field goes after the metadata's `{`, inside a piece of the object's own bytes (segments are whole values,
    // and metadata itself is never one: see the constructor).
    const parts = stored.parts();
    let start = 0;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (at + 1 < start + part.length) {
        const cut = at + 1 - start;
        parts.splice(i, 1, part.subarray(0, cut), resourceVersionField(this.revision, this.#emptyMetadata), part.subarray(cut));
        return parts;
      }
      start += part.length;
    }
    return undefined;
  }

  /** jsonByteLength is the length of the object's JSON when copyJson can write it, else undefined (see jsonParts). */
  jsonByteLength(): number | undefined {
    const at = this.#metadataStart();
    if (at < 0) return undefined;
    const stored = this.#stored;
    return storedJsonLength(stored instanceof SegmentedValue ? stored.byteLength : stored.length, this.#emptyMetadata, this.revision);
  }

  /** copyJson writes the object's JSON (jsonByteLength() bytes, which must be defined) into `target` at `offset`. */
  copyJson(target: Uint8Array, offset: number): void {
    copyStoredJson(this.#stored, this.#metadataStart(), this.#emptyMetadata, this.revision, target, offset);
  }

  /**
   * #metadataStart is metadataStart(value), found once (with whether the metadata is empty): a cached object is
   * listed many times, its bytes never change. A segmented value's was found before it was cut.
   */
  #metadataStart(): number {
    if (this.#metadataAt === UNKNOWN) this.#findMetadata(this.#stored as Uint8Array);
    return this.#metadataAt;
  }

  #findMetadata(value: Uint8Array): void {
    this.#metadataAt = metadataStart(value);
    this.#emptyMetadata = emptyMetadata(value, this.#metadataAt);
  }
}
