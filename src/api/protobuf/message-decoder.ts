/**
 * MessageDecoder turns protobuf messages of built-in API types into their JSON form, driven only by the schema
 * model (field numbers and types), never by .proto files.
 *
 * The JSON form is what a JSON client would send for the same object:
 *  - fields absent on the wire are absent; zero values of non-pointer fields (which Go always writes) are dropped,
 *    while zero values of pointer fields (written only when set) are kept;
 *  - special types take their JSON shape (Time as RFC 3339, Quantity as its string, IntOrString as number or
 *    string, RawExtension/JSON/FieldsV1 as parsed JSON), bytes become base64 strings, int64 becomes a number;
 *  - inlined structs (Go `json:",inline"`) are merged into their parent object.
 *
 * Safety contract: any malformed input throws ProtobufDecodeError. Nesting is capped (`maxDepth`) and so is the
 * number of values read (`maxValues`); every loop consumes input, so decoding time is linear in the input size.
 */
import { JSON_SCHEMA_PROPS, JSON_SCHEMA_UNIONS, type JsonSchemaUnion } from '../schema/json-schema-union.js';
import { isNullableField } from '../schema/json-fields.js';
import type { FieldSchema, FieldType, ScalarType, SchemaLookup, SpecialType, TypeSchema } from '../schema/types.js';
import { formatGoDuration } from './go-duration.js';
import { ProtobufDecodeError } from './protobuf-errors.js';
import { formatRfc3339, ZERO_TIME_SECONDS } from './rfc3339-time.js';
import { WireReader, WireType } from './wire-reader.js';

/** KUBERNETES_PROTOBUF_MAGIC prefixes every Kubernetes protobuf body: "k8s\0". */
export const KUBERNETES_PROTOBUF_MAGIC: Uint8Array = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** DecodedObject is a decoded top-level object with the type information of its envelope. */
export interface DecodedObject {
  readonly apiVersion: string;
  readonly kind: string;
  /** The object in JSON form, including apiVersion and kind. */
  readonly object: Record<string, unknown>;
}

/** MessageDecoderConfig configures a MessageDecoder. */
export interface MessageDecoderConfig {
  readonly lookup: SchemaLookup;
  /**
   * Maximum nesting of messages.
   * @default 100
   */
  readonly maxDepth?: number;
  /**
   * Maximum number of field values read in one decode call.
   * @default 2_000_000
   */
  readonly maxValues?: number;
}

// Invalid UTF-8 becomes U+FFFD, as Go's JSON encoder would print it.
const utf8 = new TextDecoder('utf-8');
const byNumberCache = new WeakMap<TypeSchema, ReadonlyMap<number, FieldSchema>>();

function fieldsByNumber(type: TypeSchema): ReadonlyMap<number, FieldSchema> {
  let m = byNumberCache.get(type);
  if (m === undefined) {
    m = new Map(type.fields.filter((f) => f.protoNumber > 0).map((f) => [f.protoNumber, f] as const));
    byNumberCache.set(type, m);
  }
  return m;
}

function wireTypeOf(scalar: ScalarType): number {
  switch (scalar) {
    case 'string':
    case 'bytes':
      return WireType.LengthDelimited;
    case 'double':
      return WireType.Fixed64;
    default:
      return WireType.Varint;
  }
}

function isZero(value: unknown): boolean {
  if (value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length === 0;
  return false;
}

function zeroOf(type: FieldType): unknown {
  if (type.kind === 'scalar') {
    if (type.scalar === 'string' || type.scalar === 'bytes') return '';
    if (type.scalar === 'bool') return false;
    return 0;
  }
  if (type.kind === 'array') return [];
  if (type.kind === 'special') return null;
  return {};
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Keys come from the input (map entries); defineProperty keeps "__proto__" an ordinary key.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function sameBytes(a: Uint8Array, b: Uint8Array, length: number): boolean {
  if (a.length < length || b.length < length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** hasKubernetesProtobufMagic reports whether bytes start with the "k8s\0" magic. */
export function hasKubernetesProtobufMagic(bytes: Uint8Array): boolean {
  return sameBytes(bytes, KUBERNETES_PROTOBUF_MAGIC, 4);
}

/** MessageDecoder decodes protobuf messages of schema types into JSON objects. */
export class MessageDecoder {
  readonly #lookup: SchemaLookup;
  readonly #maxDepth: number;
  readonly #maxValues: number;
  #values = 0;

  constructor(config: MessageDecoderConfig) {
    this.#lookup = config.lookup;
    this.#maxDepth = config.maxDepth ?? 100;
    this.#maxValues = config.maxValues ?? 2_000_000;
  }

  /** decodeEnvelope decodes a "k8s\0"-prefixed runtime.Unknown body and the object inside it. */
  decodeEnvelope(body: Uint8Array): DecodedObject {
    this.#values = 0;
    return this.#envelope(body, 0);
  }

  /** decodeMessage decodes a bare message of the named type. */
  decodeMessage(bytes: Uint8Array, typeName: string): Record<string, unknown> {
    this.#values = 0;
    return this.#message(bytes, this.#type(typeName), 0);
  }

  #envelope(body: Uint8Array, depth: number): DecodedObject {
    this.#enter(depth);
    if (!hasKubernetesProtobufMagic(body)) throw new ProtobufDecodeError('Cannot decode protobuf body: it does not start with the "k8s\\0" magic');
    const r = new WireReader(body, 4);
    let apiVersion = '';
    let kind = '';
    let raw: Uint8Array | undefined;
    let contentEncoding = '';
    while (!r.done) {
      const { fieldNumber, wireType } = r.tag();
      this.#spend();
      if (fieldNumber >= 1 && fieldNumber <= 4) this.#expect(wireType, WireType.LengthDelimited, 'runtime.Unknown');
      if (fieldNumber === 1) {
        const tm = new WireReader(r.bytes());
        while (!tm.done) {
          const t = tm.tag();
          this.#spend();
          if (t.fieldNumber === 1 || t.fieldNumber === 2) {
            this.#expect(t.wireType, WireType.LengthDelimited, 'runtime.TypeMeta');
            if (t.fieldNumber === 1) apiVersion = this.#utf8(tm.bytes());
            else kind = this.#utf8(tm.bytes());
          } else tm.skip(t.wireType);
        }
      } else if (fieldNumber === 2) raw = r.bytes();
      else if (fieldNumber === 3) contentEncoding = this.#utf8(r.bytes());
      else if (fieldNumber === 4) r.bytes();
      else r.skip(wireType);
    }
    if (contentEncoding !== '') throw new ProtobufDecodeError(`Cannot decode protobuf body: content encoding "${contentEncoding}" is not supported`);
    if (kind === '' || apiVersion === '') throw new ProtobufDecodeError('Cannot decode protobuf body: apiVersion and kind must be set');
    const slash = apiVersion.indexOf('/');
    const gvk = { group: slash < 0 ? '' : apiVersion.slice(0, slash), version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1), kind };
    const type = this.#lookup.kind(gvk);
    if (type === undefined) throw new ProtobufDecodeError(`Cannot decode protobuf body: no schema for kind "${kind}" in "${apiVersion}"`);
    const decoded = raw === undefined ? {} : this.#message(raw, type, depth + 1);
    return { apiVersion, kind, object: { apiVersion, kind, ...decoded } };
  }

  #message(bytes: Uint8Array, type: TypeSchema, depth: number): Record<string, unknown> {
    this.#enter(depth);
    const byNumber = fieldsByNumber(type);
    const out: Record<string, unknown> = {};
    const r = new WireReader(bytes);
    while (!r.done) {
      const { fieldNumber, wireType } = r.tag();
      this.#spend();
      const field = byNumber.get(fieldNumber);
      if (field === undefined) r.skip(wireType);
      else this.#field(r, wireType, field, out, type, depth);
    }
    for (const f of type.fields) {
      if (f.name === '' || !Object.hasOwn(out, f.name)) continue;
      if (!isNullableField(f) && isZero(out[f.name])) delete out[f.name];
    }
    return out;
  }

  #field(r: WireReader, wireType: number, field: FieldSchema, out: Record<string, unknown>, parent: TypeSchema, depth: number): void {
    const t = field.type;
    const where = `${parent.name}.${field.name === '' ? `#${field.protoNumber}` : field.name}`;
    if (field.name === '') {
      // An inlined struct: its fields belong to the parent's JSON object.
      const inner = this.#value(r, wireType, t, depth, where);
      if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) Object.assign(out, inner);
      return;
    }
    if (t.kind === 'array') {
      if (field.protoPacked === true) {
        this.#expect(wireType, WireType.LengthDelimited, where);
        out[field.name] = this.#wrappedList(r.bytes(), t.items, depth + 1, where);
        return;
      }
      let list = out[field.name];
      if (!Array.isArray(list)) out[field.name] = list = [];
      this.#appendElements(r, wireType, t.items, list as unknown[], depth, where);
      return;
    }
    if (t.kind === 'map') {
      this.#expect(wireType, WireType.LengthDelimited, where);
      let map = out[field.name];
      if (typeof map !== 'object' || map === null) out[field.name] = map = {};
      this.#mapEntry(r.bytes(), t.values, map as Record<string, unknown>, depth + 1, where);
      return;
    }
    const value = this.#value(r, wireType, t, depth, where);
    if (value === undefined) delete out[field.name];
    else out[field.name] = value;
  }

  #appendElements(r: WireReader, wireType: number, items: FieldType, list: unknown[], depth: number, where: string): void {
    if (items.kind === 'scalar' && wireType === WireType.LengthDelimited && wireTypeOf(items.scalar) !== WireType.LengthDelimited) {
      // A packed run of numbers.
      const packed = new WireReader(r.bytes());
      while (!packed.done) {
        this.#spend();
        list.push(this.#scalar(packed, wireTypeOf(items.scalar), items.scalar, where));
      }
      return;
    }
    list.push(this.#value(r, wireType, items, depth, where) ?? null);
  }

  #wrappedList(bytes: Uint8Array, items: FieldType, depth: number, where: string): unknown[] {
    this.#enter(depth);
    const list: unknown[] = [];
    const r = new WireReader(bytes);
    while (!r.done) {
      const { fieldNumber, wireType } = r.tag();
      this.#spend();
      if (fieldNumber === 1) this.#appendElements(r, wireType, items, list, depth, where);
      else r.skip(wireType);
    }
    return list;
  }

  #mapEntry(bytes: Uint8Array, values: FieldType, map: Record<string, unknown>, depth: number, where: string): void {
    this.#enter(depth);
    const r = new WireReader(bytes);
    let key = '';
    let value: unknown;
    while (!r.done) {
      const { fieldNumber, wireType } = r.tag();
      this.#spend();
      if (fieldNumber === 1) {
        this.#expect(wireType, WireType.LengthDelimited, `${where} key`);
        key = this.#utf8(r.bytes());
      } else if (fieldNumber === 2) value = this.#value(r, wireType, values, depth, where);
      else r.skip(wireType);
    }
    setOwn(map, key, value ?? zeroOf(values));
  }

  #value(r: WireReader, wireType: number, t: FieldType, depth: number, where: string): unknown {
    if (t.kind === 'scalar') return this.#scalar(r, wireType, t.scalar, where);
    this.#expect(wireType, WireType.LengthDelimited, where);
    const bytes = r.bytes();
    switch (t.kind) {
      case 'special':
        return this.#special(bytes, t.special, depth + 1, where);
      case 'array':
        // A list inside a list or map travels in a wrapper message (e.g. authentication ExtraValue).
        return this.#wrappedList(bytes, t.items, depth + 1, where);
      case 'map':
        throw new ProtobufDecodeError(`Cannot decode ${where}: nested maps have no protobuf form`);
      case 'ref': {
        const type = this.#type(t.ref);
        if (type.special !== undefined) return this.#special(bytes, type.special, depth + 1, where);
        const union = JSON_SCHEMA_UNIONS.get(type.name);
        if (union !== undefined) return this.#union(bytes, union, depth + 1, where);
        return this.#message(bytes, type, depth + 1);
      }
    }
  }

  #scalar(r: WireReader, wireType: number, scalar: ScalarType, where: string): unknown {
    this.#expect(wireType, wireTypeOf(scalar), where);
    switch (scalar) {
      case 'string':
        return this.#utf8(r.bytes());
      case 'bytes':
        return Buffer.from(r.bytes()).toString('base64');
      case 'int32':
        return r.int32();
      case 'int64':
        return r.int64();
      case 'bool':
        return r.bool();
      case 'double':
        return r.double();
    }
  }

  #special(bytes: Uint8Array, special: SpecialType, depth: number, where: string): unknown {
    this.#enter(depth);
    const r = new WireReader(bytes);
    const fields = new Map<number, unknown>();
    while (!r.done) {
      const { fieldNumber, wireType } = r.tag();
      this.#spend();
      const kind = this.#specialFieldKind(special, fieldNumber);
      if (kind === undefined) {
        r.skip(wireType);
        continue;
      }
      this.#expect(wireType, kind === 'varint' ? WireType.Varint : WireType.LengthDelimited, where);
      fields.set(fieldNumber, kind === 'varint' ? r.int64() : r.bytes());
    }
    const num = (n: number): number => (fields.get(n) as number | undefined) ?? 0;
    const text = (n: number): string => {
      const b = fields.get(n) as Uint8Array | undefined;
      return b === undefined ? '' : this.#utf8(b);
    };
    switch (special) {
      case 'Time':
      case 'MicroTime': {
        if (bytes.length === 0) return undefined;
        const seconds = num(1);
        const nanos = num(2);
        if (seconds === ZERO_TIME_SECONDS && nanos === 0) return undefined;
        const formatted = formatRfc3339({ seconds, nanos }, special === 'MicroTime');
        if (formatted === undefined) throw new ProtobufDecodeError(`Cannot decode ${where}: time ${seconds}s ${nanos}ns is out of range`);
        return formatted;
      }
      case 'Duration':
        return formatGoDuration(num(1));
      case 'Quantity': {
        const q = text(1);
        return q === '' ? undefined : q;
      }
      case 'IntOrString':
        return num(1) === 1 ? text(3) : num(2) | 0;
      case 'RawExtension':
      case 'JSON':
      case 'FieldsV1': {
        const raw = fields.get(1) as Uint8Array | undefined;
        if (raw === undefined || raw.length === 0) return undefined;
        if (hasKubernetesProtobufMagic(raw)) return this.#envelope(raw, depth + 1).object;
        try {
          return JSON.parse(this.#utf8(raw)) as unknown;
        } catch (err) {
          if (err instanceof ProtobufDecodeError) throw err;
          throw new ProtobufDecodeError(`Cannot decode ${where}: raw value is not JSON`);
        }
      }
    }
  }

  #specialFieldKind(special: SpecialType, fieldNumber: number): 'varint' | 'bytes' | undefined {
    switch (special) {
      case 'Time':
      case 'MicroTime':
        return fieldNumber === 1 || fieldNumber === 2 ? 'varint' : undefined;
      case 'Duration':
        return fieldNumber === 1 ? 'varint' : undefined;
      case 'IntOrString':
        return fieldNumber === 1 || fieldNumber === 2 ? 'varint' : fieldNumber === 3 ? 'bytes' : undefined;
      default:
        return fieldNumber === 1 ? 'bytes' : undefined;
    }
  }

  #union(bytes: Uint8Array, union: JsonSchemaUnion, depth: number, where: string): unknown {
    this.#enter(depth);
    const props = this.#type(JSON_SCHEMA_PROPS);
    const r = new WireReader(bytes);
    let schema: Record<string, unknown> | undefined;
    let allows = false;
    const list: unknown[] = [];
    while (!r.done) {
      const { fieldNumber, wireType } = r.tag();
      this.#spend();
      const schemaField = union === 'OrBool' ? 2 : 1;
      if (fieldNumber === schemaField) {
        this.#expect(wireType, WireType.LengthDelimited, where);
        schema = this.#message(r.bytes(), props, depth + 1);
      } else if (union === 'OrBool' && fieldNumber === 1) {
        this.#expect(wireType, WireType.Varint, where);
        allows = r.bool();
      } else if (union !== 'OrBool' && fieldNumber === 2) {
        this.#expect(wireType, WireType.LengthDelimited, where);
        list.push(union === 'OrArray' ? this.#message(r.bytes(), props, depth + 1) : this.#utf8(r.bytes()));
      } else r.skip(wireType);
    }
    if (union === 'OrBool') return schema ?? allows;
    return list.length > 0 ? list : schema;
  }

  #type(name: string): TypeSchema {
    const type = this.#lookup.type(name);
    if (type === undefined) throw new ProtobufDecodeError(`Cannot decode protobuf message: no schema for type "${name}"`);
    return type;
  }

  #utf8(bytes: Uint8Array): string {
    return utf8.decode(bytes);
  }

  #expect(actual: number, expected: number, where: string): void {
    if (actual !== expected) throw new ProtobufDecodeError(`Cannot decode ${where}: wire type ${actual}, expected ${expected}`);
  }

  #enter(depth: number): void {
    if (depth > this.#maxDepth) throw new ProtobufDecodeError(`Cannot decode protobuf message: nesting deeper than ${this.#maxDepth}`);
  }

  #spend(): void {
    if (++this.#values > this.#maxValues) throw new ProtobufDecodeError(`Cannot decode protobuf message: more than ${this.#maxValues} values`);
  }
}
