/**
 * JSON views of the schema model that every consumer needs the same way:
 *
 * - An *inlined* field (Go `json:",inline"`, e.g. Volume's VolumeSource, Probe's ProbeHandler) has the empty name
 *   in the data: its type's fields appear directly in the parent's JSON object, while protobuf keeps it as a
 *   nested message under its own field number.
 * - A field with `protoNumber` 0 (apiVersion and kind of types embedding TypeMeta) exists only in JSON.
 * - A *nullable* field (a Go pointer; the data carries `nullable: true`) keeps a zero value in JSON, because on
 *   the wire it is present only when it was set.
 */
import type { FieldSchema, SchemaLookup, TypeSchema } from './types.js';

/** JsonField is a field as it appears in the JSON object, with the chain of inlined fields that lead to it. */
export interface JsonField {
  readonly field: FieldSchema;
  /** The inlined fields (outermost first) whose message holds this field on the protobuf wire; empty if direct. */
  readonly via: readonly FieldSchema[];
}

/** isInlineField reports whether a field is an inlined struct whose fields join the parent's JSON object. */
export function isInlineField(field: FieldSchema): boolean {
  return field.name === '' && field.type.kind === 'ref';
}

/** isNullableField reports whether a field's zero value is meaningful (a Go pointer field). */
export function isNullableField(field: FieldSchema): boolean {
  return field.nullable === true;
}

const cache = new WeakMap<TypeSchema, ReadonlyMap<string, JsonField>>();

/**
 * jsonFields returns the fields of a type keyed by JSON name, with inlined fields expanded. Results are cached
 * per TypeSchema object. Unknown inlined types are skipped.
 */
export function jsonFields(type: TypeSchema, lookup: SchemaLookup): ReadonlyMap<string, JsonField> {
  const cached = cache.get(type);
  if (cached !== undefined) return cached;
  const out = new Map<string, JsonField>();
  const visit = (t: TypeSchema, via: readonly FieldSchema[], depth: number): void => {
    for (const field of t.fields) {
      if (isInlineField(field) && field.type.kind === 'ref') {
        const inner = lookup.type(field.type.ref);
        if (inner !== undefined && depth < 8) visit(inner, [...via, field], depth + 1);
        continue;
      }
      if (!out.has(field.name)) out.set(field.name, { field, via });
    }
  };
  visit(type, [], 0);
  cache.set(type, out);
  return out;
}
