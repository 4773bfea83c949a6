/**
 * MessageEncoder writes JSON objects of built-in API types as protobuf messages, driven by the schema model; it is
 * the inverse of MessageDecoder for every object MessageDecoder produces. Fields the schema does not know are
 * ignored; values of the wrong JSON type throw ProtobufEncodeError. Map entries are written in key order, as Go does.
 */
import { JSON_SCHEMA_PROPS, JSON_SCHEMA_UNIONS, type JsonSchemaUnion } from '../schema/json-schema-union.js';
import type { FieldSchema, FieldType, ScalarType, SchemaLookup, SpecialType, TypeSchema } from '../schema/types.js';
import { parseGoDuration } from './go-duration.js';
import { KUBERNETES_PROTOBUF_MAGIC } from './message-decoder.js';
import { ProtobufEncodeError } from './protobuf-errors.js';
import { parseRfc3339 } from './rfc3339-time.js';
import { WireType } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

/** MessageEncoderConfig configures a MessageEncoder. */
export interface MessageEncoderConfig {
  readonly lookup: SchemaLookup;
  /**
   * Maximum nesting of messages.
   * @default 100
   */
  readonly maxDepth?: number;
}

const sortedCache = new WeakMap<TypeSchema, readonly FieldSchema[]>();

function wireFields(type: TypeSchema): readonly FieldSchema[] {
  let fields = sortedCache.get(type);
  if (fields === undefined) {
    fields = type.fields.filter((f) => f.protoNumber > 0).sort((a, b) => a.protoNumber - b.protoNumber);
    sortedCache.set(type, fields);
  }
  return fields;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** MessageEncoder encodes JSON objects into protobuf messages of schema types. */
export class MessageEncoder {
  readonly #lookup: SchemaLookup;
  readonly #maxDepth: number;

  constructor(config: MessageEncoderConfig) {
    this.#lookup = config.lookup;
    this.#maxDepth = config.maxDepth ?? 100;
  }

  /** encodeEnvelope writes "k8s\0" + runtime.Unknown holding the object as the message of its kind. */
  encodeEnvelope(object: Record<string, unknown>): Uint8Array {
    const { apiVersion, kind } = object;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') {
      throw new ProtobufEncodeError('Cannot encode object: apiVersion and kind must be set');
    }
    const slash = apiVersion.indexOf('/');
    const gvk = { group: slash < 0 ? '' : apiVersion.slice(0, slash), version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1), kind };
    const type = this.#lookup.kind(gvk);
    if (type === undefined) throw new ProtobufEncodeError(`Cannot encode object: no schema for kind "${kind}" in "${apiVersion}"`);
    const typeMeta = new WireWriter();
    typeMeta.tag(1, WireType.LengthDelimited);
    typeMeta.string(apiVersion);
    typeMeta.tag(2, WireType.LengthDelimited);
    typeMeta.string(kind);
    const unknown = new WireWriter();
    unknown.tag(1, WireType.LengthDelimited);
    unknown.bytes(typeMeta.finish());
    unknown.tag(2, WireType.LengthDelimited);
    unknown.bytes(this.#message(object, type, 0));
    unknown.tag(3, WireType.LengthDelimited);
    unknown.string('');
    unknown.tag(4, WireType.LengthDelimited);
    unknown.string('');
    const body = unknown.finish();
    const out = new Uint8Array(KUBERNETES_PROTOBUF_MAGIC.length + body.length);
    out.set(KUBERNETES_PROTOBUF_MAGIC, 0);
    out.set(body, KUBERNETES_PROTOBUF_MAGIC.length);
    return out;
  }

  /** encodeMessage writes a bare message of the named type. */
  encodeMessage(object: Record<string, unknown>, typeName: string): Uint8Array {
    return this.#message(object, this.#type(typeName), 0);
  }

  #message(value: unknown, type: TypeSchema, depth: number): Uint8Array {
    if (depth > this.#maxDepth) throw new ProtobufEncodeError(`Cannot encode ${type.name}: nesting deeper than ${this.#maxDepth}`);
    if (!isObject(value)) throw new ProtobufEncodeError(`Cannot encode ${type.name}: expected an object`);
    const w = new WireWriter();
    for (const field of wireFields(type)) {
      if (field.name === '' && field.type.kind === 'ref') {
        // An inlined struct reads its fields from the same JSON object.
        const inner = this.#message(value, this.#type(field.type.ref), depth + 1);
        if (inner.length > 0) {
          w.tag(field.protoNumber, WireType.LengthDelimited);
          w.bytes(inner);
        }
        continue;
      }
      const v = value[field.name];
      if (v === undefined || v === null) continue;
      this.#field(w, field, v, `${type.name}.${field.name}`, depth);
    }
    return w.finish();
  }

  #field(w: WireWriter, field: FieldSchema, value: unknown, where: string, depth: number): void {
    const t = field.type;
    if (t.kind === 'array') {
      if (!Array.isArray(value)) throw new ProtobufEncodeError(`Cannot encode ${where}: expected an array`);
      if (field.protoPacked === true) {
        w.tag(field.protoNumber, WireType.LengthDelimited);
        w.bytes(this.#wrappedList(value, t.items, where, depth + 1));
        return;
      }
      for (const item of value) this.#single(w, field.protoNumber, t.items, item, where, depth);
      return;
    }
    if (t.kind === 'map') {
      if (!isObject(value)) throw new ProtobufEncodeError(`Cannot encode ${where}: expected an object`);
      for (const key of Object.keys(value).sort()) {
        const entry = new WireWriter();
        entry.tag(1, WireType.LengthDelimited);
        entry.string(key);
        const v = value[key];
        if (v !== undefined && v !== null) this.#single(entry, 2, t.values, v, where, depth + 1);
        w.tag(field.protoNumber, WireType.LengthDelimited);
        w.bytes(entry.finish());
      }
      return;
    }
    this.#single(w, field.protoNumber, t, value, where, depth);
  }

  #wrappedList(list: readonly unknown[], items: FieldType, where: string, depth: number): Uint8Array {
    const w = new WireWriter();
    for (const item of list) this.#single(w, 1, items, item, where, depth);
    return w.finish();
  }

  #single(w: WireWriter, fieldNumber: number, t: FieldType, value: unknown, where: string, depth: number): void {
    switch (t.kind) {
      case 'scalar':
        this.#scalar(w, fieldNumber, t.scalar, value, where);
        return;
      case 'special':
        w.tag(fieldNumber, WireType.LengthDelimited);
        w.bytes(this.#special(value, t.special, where));
        return;
      case 'array':
        if (!Array.isArray(value)) throw new ProtobufEncodeError(`Cannot encode ${where}: expected an array`);
        w.tag(fieldNumber, WireType.LengthDelimited);
        w.bytes(this.#wrappedList(value, t.items, where, depth + 1));
        return;
      case 'map':
        throw new ProtobufEncodeError(`Cannot encode ${where}: nested maps have no protobuf form`);
      case 'ref': {
        const type = this.#type(t.ref);
        let bytes: Uint8Array;
        if (type.special !== undefined) bytes = this.#special(value, type.special, where);
        else {
          const union = JSON_SCHEMA_UNIONS.get(type.name);
          bytes = union !== undefined ? this.#union(value, union, where, depth + 1) : this.#message(value ?? {}, type, depth + 1);
        }
        w.tag(fieldNumber, WireType.LengthDelimited);
        w.bytes(bytes);
        return;
      }
    }
  }

  #scalar(w: WireWriter, fieldNumber: number, scalar: ScalarType, value: unknown, where: string): void {
    const fail = (what: string): never => {
      throw new ProtobufEncodeError(`Cannot encode ${where}: expected ${what}, got ${JSON.stringify(value)}`);
    };
    switch (scalar) {
      case 'string':
        if (typeof value !== 'string') fail('a string');
        w.tag(fieldNumber, WireType.LengthDelimited);
        w.string(value as string);
        return;
      case 'bytes':
        if (typeof value !== 'string') fail('a base64 string');
        w.tag(fieldNumber, WireType.LengthDelimited);
        w.bytes(Buffer.from(value as string, 'base64'));
        return;
      case 'int32':
      case 'int64':
        if (typeof value !== 'number' || !Number.isInteger(value)) fail('an integer');
        w.tag(fieldNumber, WireType.Varint);
        w.int64(value as number);
        return;
      case 'bool':
        if (typeof value !== 'boolean') fail('a boolean');
        w.tag(fieldNumber, WireType.Varint);
        w.bool(value as boolean);
        return;
      case 'double':
        if (typeof value !== 'number') fail('a number');
        w.tag(fieldNumber, WireType.Fixed64);
        w.double(value as number);
        return;
    }
  }

  #special(value: unknown, special: SpecialType, where: string): Uint8Array {
    const w = new WireWriter();
    switch (special) {
      case 'Time':
      case 'MicroTime': {
        const ts = typeof value === 'string' ? parseRfc3339(value) : undefined;
        if (ts === undefined) throw new ProtobufEncodeError(`Cannot encode ${where}: ${JSON.stringify(value)} is not an RFC 3339 time`);
        w.tag(1, WireType.Varint);
        w.int64(ts.seconds);
        w.tag(2, WireType.Varint);
        w.int64(special === 'Time' ? 0 : ts.nanos);
        break;
      }
      case 'Duration': {
        const nanos = typeof value === 'string' ? parseGoDuration(value) : undefined;
        if (nanos === undefined) throw new ProtobufEncodeError(`Cannot encode ${where}: ${JSON.stringify(value)} is not a duration`);
        w.tag(1, WireType.Varint);
        w.int64(nanos);
        break;
      }
      case 'Quantity':
        if (typeof value !== 'string' && typeof value !== 'number') throw new ProtobufEncodeError(`Cannot encode ${where}: ${JSON.stringify(value)} is not a quantity`);
        w.tag(1, WireType.LengthDelimited);
        w.string(String(value));
        break;
      case 'IntOrString':
        if (typeof value === 'number' && Number.isInteger(value)) {
          w.tag(1, WireType.Varint);
          w.int64(0);
          w.tag(2, WireType.Varint);
          w.int64(value);
        } else if (typeof value === 'string') {
          w.tag(1, WireType.Varint);
          w.int64(1);
          w.tag(3, WireType.LengthDelimited);
          w.string(value);
        } else throw new ProtobufEncodeError(`Cannot encode ${where}: ${JSON.stringify(value)} is not an int or string`);
        break;
      case 'RawExtension':
      case 'JSON':
      case 'FieldsV1':
        w.tag(1, WireType.LengthDelimited);
        w.string(JSON.stringify(value));
        break;
    }
    return w.finish();
  }

  #union(value: unknown, union: JsonSchemaUnion, where: string, depth: number): Uint8Array {
    const props = this.#type(JSON_SCHEMA_PROPS);
    const w = new WireWriter();
    if (union === 'OrBool') {
      if (typeof value === 'boolean') {
        w.tag(1, WireType.Varint);
        w.bool(value);
      } else {
        w.tag(1, WireType.Varint);
        w.bool(true);
        w.tag(2, WireType.LengthDelimited);
        w.bytes(this.#message(value, props, depth + 1));
      }
      return w.finish();
    }
    if (Array.isArray(value)) {
      for (const item of value) {
        w.tag(2, WireType.LengthDelimited);
        if (union === 'OrArray') w.bytes(this.#message(item, props, depth + 1));
        else if (typeof item === 'string') w.string(item);
        else throw new ProtobufEncodeError(`Cannot encode ${where}: expected strings`);
      }
    } else {
      w.tag(1, WireType.LengthDelimited);
      w.bytes(this.#message(value, props, depth + 1));
    }
    return w.finish();
  }

  #type(name: string): TypeSchema {
    const type = this.#lookup.type(name);
    if (type === undefined) throw new ProtobufEncodeError(`Cannot encode protobuf message: no schema for type "${name}"`);
    return type;
  }
}
