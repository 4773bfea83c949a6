/**
 * Property test (fast-check): decode(encode(x)) = x for every built-in kind with a schema, with x generated from
 * the kind's schema. Generated objects are in the canonical JSON form the decoder produces: no zero values in
 * non-pointer fields (Go's omitempty drops them), no empty lists or maps (protobuf cannot tell them from absent),
 * times at the precision of their type, Go-formatted durations, standard base64 for bytes.
 * Also: truncating or flipping a byte of any such encoding fails with ProtobufDecodeError or decodes, never worse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isInlineField, jsonFields } from '../schema/json-fields.js';
import { JSON_SCHEMA_PROPS, JSON_SCHEMA_UNIONS } from '../schema/json-schema-union.js';
import { builtinSchemas } from '../schema/schema-registry.js';
import type { FieldSchema, FieldType, GroupVersionKind, SpecialType, TypeSchema } from '../schema/types.js';
import { formatGoDuration } from './go-duration.js';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from './kubernetes-protobuf.js';
import { ProtobufDecodeError } from './protobuf-errors.js';
import { formatRfc3339 } from './rfc3339-time.js';

const lookup = builtinSchemas();
/** Nesting of messages below the kind before optional message fields are left out (JSONSchemaProps recurses). */
const MAX_DEPTH = 6;
/** Bounded for the suite's time; TKUBE_LONG=1 (the reliability suites' long mode) runs many more. */
const RUNS_PER_KIND = process.env['TKUBE_LONG'] === '1' ? 2_000 : 5;

type Arb = fc.Arbitrary<unknown>;

/** A JSON value that survives JSON.stringify/parse unchanged (no -0). */
const jsonObject: fc.Arbitrary<Record<string, unknown>> = fc
  .dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 })
  .map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>); // also gives plain prototypes

const SECONDS = { min: -2_000_000_000, max: 4_000_000_000 };

function special(s: SpecialType, nonZero: boolean): Arb {
  switch (s) {
    case 'Time':
      return fc.integer(SECONDS).map((sec) => formatRfc3339({ seconds: sec, nanos: 0 }, false));
    case 'MicroTime':
      return fc.tuple(fc.integer(SECONDS), fc.integer({ min: 0, max: 999_999 })).map(([sec, us]) => formatRfc3339({ seconds: sec, nanos: us * 1000 }, true));
    case 'Duration':
      return fc.integer({ min: nonZero ? 1 : 0, max: 2 ** 52 }).map((n) => formatGoDuration(n));
    case 'Quantity':
      return fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('', 'm', 'Ki', 'Mi', 'Gi', 'k', 'M')).map(([n, u]) => `${n}${u}`);
    case 'IntOrString':
      return fc.oneof(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.stringMatching(/^[a-z0-9%-]{1,10}$/));
    case 'RawExtension':
    case 'FieldsV1':
    case 'JSON':
      return jsonObject;
  }
}

function scalar(s: string, nonZero: boolean): Arb {
  switch (s) {
    case 'string':
      return fc.string({ minLength: nonZero ? 1 : 0, maxLength: 12, unit: 'grapheme' });
    case 'bytes':
      return fc.uint8Array({ minLength: nonZero ? 1 : 0, maxLength: 12 }).map((b) => Buffer.from(b).toString('base64'));
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((n) => !nonZero || n !== 0);
    case 'int64':
      return fc.maxSafeInteger().filter((n) => !nonZero || n !== 0);
    case 'bool':
      return nonZero ? fc.constant(true) : fc.boolean();
    default: // double
      return fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0) && (!nonZero || n !== 0));
  }
}

/** SchemaArbitraries builds (and caches) one arbitrary per type and depth. */
class SchemaArbitraries {
  readonly #cache = new Map<string, Arb | undefined>();

  /** forType returns objects of a type, or undefined when none can be made at this depth. */
  forType(type: TypeSchema, depth: number): fc.Arbitrary<Record<string, unknown>> | undefined {
    const key = `${type.name}@${depth}`;
    if (this.#cache.has(key)) return this.#cache.get(key) as fc.Arbitrary<Record<string, unknown>> | undefined;
    this.#cache.set(key, undefined); // a type reached again while being built (a cycle) yields nothing
    const parts: [string, Arb][] = [];
    for (const [name, { field }] of jsonFields(type, lookup)) {
      if (field.protoNumber === 0 || isInlineField(field)) continue;
      const arb = this.#field(field, depth);
      if (arb) parts.push([name, arb]);
    }
    if (parts.length === 0) return undefined;
    // Some of the fields, at least one: an empty message is the zero value.
    const arb = fc
      .subarray(parts, { minLength: 1, maxLength: Math.min(parts.length, 6) })
      .chain((chosen) => fc.record(Object.fromEntries(chosen)))
      .map((o) => ({ ...o }) as Record<string, unknown>); // a plain object, as decoded (fast-check's have no prototype)
    this.#cache.set(key, arb);
    return arb;
  }

  #field(field: FieldSchema, depth: number): Arb | undefined {
    return this.#value(field.type, depth, field.nullable !== true);
  }

  #value(t: FieldType, depth: number, nonZero: boolean): Arb | undefined {
    switch (t.kind) {
      case 'scalar':
        return scalar(t.scalar, nonZero);
      case 'special':
        return special(t.special, nonZero);
      case 'array': {
        const items = this.#element(t.items, depth);
        return items && fc.array(items, { minLength: 1, maxLength: 3 });
      }
      case 'map': {
        const values = this.#element(t.values, depth);
        // fast-check's dictionaries have no prototype; decoded maps are plain objects.
        return values && fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), values, { minKeys: 1, maxKeys: 3 }).map((o) => ({ ...o }));
      }
      case 'ref': {
        const type = lookup.type(t.ref);
        if (!type) return undefined;
        if (type.special) return special(type.special, nonZero);
        const union = JSON_SCHEMA_UNIONS.get(type.name);
        if (union) return this.#union(union, depth);
        return depth >= MAX_DEPTH ? undefined : this.forType(type, depth + 1);
      }
    }
  }

  /** #element is a list item or map value: zero values are kept there, but a nested message must not be empty. */
  #element(t: FieldType, depth: number): Arb | undefined {
    if (t.kind === 'special' || (t.kind === 'ref' && lookup.type(t.ref)?.special)) return this.#value(t, depth, true);
    if (t.kind === 'array') return this.#value(t, depth, true);
    return this.#value(t, depth, false);
  }

  #union(union: string, depth: number): Arb | undefined {
    const props = lookup.type(JSON_SCHEMA_PROPS);
    const schema = props && depth < MAX_DEPTH ? this.forType(props, depth + 1) : undefined;
    const simple = fc.record({ type: fc.constantFrom('string', 'integer', 'object') }).map((o) => ({ ...o }));
    const one = schema ? fc.oneof(simple, schema) : simple;
    if (union === 'OrBool') return fc.oneof(fc.constant(true), one);
    if (union === 'OrArray') return fc.oneof(one, fc.array(one, { minLength: 1, maxLength: 2 }));
    return fc.oneof(one, fc.array(fc.string({ minLength: 0, maxLength: 6 }), { minLength: 1, maxLength: 3 }));
  }
}

/** builtinKinds lists every built-in kind with its schema (the first group/version/kind that resolves to it). */
function builtinKinds(): { gvk: GroupVersionKind; type: TypeSchema }[] {
  const out: { gvk: GroupVersionKind; type: TypeSchema }[] = [];
  for (const type of lookup.allTypes()) {
    const gvk = type.gvk?.find((g) => lookup.kind(g)?.name === type.name);
    if (gvk) out.push({ gvk, type });
  }
  return out.sort((a, b) => `${a.gvk.group}/${a.gvk.kind}`.localeCompare(`${b.gvk.group}/${b.gvk.kind}`));
}

describe('protobuf round trip, generated from the schemas', () => {
  const kinds = builtinKinds();
  const arbs = new SchemaArbitraries();

  it('covers the built-in kinds', () => {
    assert.ok(kinds.length >= 60, `only ${kinds.length} kinds`);
  });

  for (const { gvk, type } of kinds) {
    const apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
    it(`decode(encode(x)) = x for ${apiVersion} ${gvk.kind}`, () => {
      const body = arbs.forType(type, 0) ?? fc.constant({});
      fc.assert(
        fc.property(body, (o) => {
          const object = { apiVersion, kind: gvk.kind, ...o };
          const bytes = encodeKubernetesProtobuf(object, lookup);
          assert.deepEqual(decodeKubernetesProtobuf(bytes, lookup).object, object);
          // Damaged copies: a ProtobufDecodeError (→ 400) or a decoded object, nothing else.
          for (const damaged of [bytes.subarray(0, Math.floor(bytes.length / 2)), bytes.subarray(0, bytes.length - 1), flip(bytes, Math.floor(bytes.length * 0.7))]) {
            try {
              decodeKubernetesProtobuf(damaged, lookup);
            } catch (err) {
              if (!(err instanceof ProtobufDecodeError)) throw err;
            }
          }
        }),
        { numRuns: RUNS_PER_KIND },
      );
    });
  }
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}
