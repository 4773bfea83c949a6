/**
 * Typed decoding: upstream decodes request bodies into Go structs, so a value of the wrong JSON type (a number
 * where a string belongs, an object where a list belongs) fails the request with 400 before anything else runs:
 *   ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field
 *   ConfigMap.data of type string
 * findTypeError walks an object against the schema model and returns the first such mismatch, worded as Go's
 * encoding/json words it. Unknown fields are not its concern (field-validation.ts); `null` is always accepted
 * (it decodes to the zero value).
 */
import { jsonFields } from './json-fields.js';
import { JSON_SCHEMA_UNIONS } from './json-schema-union.js';
import type { FieldType, SchemaLookup } from './types.js';

const MAX_DEPTH = 100;

/** TypeError describes one mismatch. */
export interface JsonTypeMismatch {
  /** Go's wording, e.g. `json: cannot unmarshal number into Go struct field ConfigMap.data of type string`. */
  readonly message: string;
  /** The JSON path, e.g. `spec.containers[0].image`. */
  readonly path: string;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'number' | 'object'
}

function goTypeOf(type: FieldType, lookup: SchemaLookup): string {
  switch (type.kind) {
    case 'scalar':
      return { string: 'string', int32: 'int32', int64: 'int64', bool: 'bool', double: 'float64', bytes: '[]uint8' }[type.scalar];
    case 'special':
      return type.special;
    case 'ref':
      return `v1.${shortName(type.ref, lookup)}`;
    case 'array':
      return `[]${goTypeOf(type.items, lookup)}`;
    case 'map':
      return `map[string]${goTypeOf(type.values, lookup)}`;
  }
}

/** shortName is a type's name without its package (`io.k8s.api.core.v1.Pod` → `Pod`). */
export function shortName(full: string, _lookup: SchemaLookup): string {
  return full.slice(full.lastIndexOf('.') + 1);
}

/** scalarAccepts tells whether a JSON value decodes into a scalar type. */
export function scalarAccepts(v: unknown, scalar: string): boolean {
  switch (scalar) {
    case 'string':
    case 'bytes':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'int32':
    case 'int64':
      return typeof v === 'number' && Number.isInteger(v);
    case 'double':
      return typeof v === 'number';
    default:
      return true;
  }
}

/** specialAccepts tells whether a JSON value decodes into a special type (Time, Quantity, IntOrString, …). */
export function specialAccepts(v: unknown, special: string): boolean {
  switch (special) {
    case 'Time':
    case 'MicroTime':
    case 'Duration':
      return typeof v === 'string';
    case 'Quantity':
    case 'IntOrString':
      return typeof v === 'string' || typeof v === 'number';
    case 'FieldsV1':
      return typeof v === 'object';
    default:
      return true; // RawExtension, JSON: any value
  }
}

/**
 * typeMismatch describes `value`, which `type` cannot decode, found in Go struct `struct` at `goPath` (field names
 * only) and `jsonPath`.
 */
export function typeMismatch(value: unknown, type: FieldType, struct: string, goPath: string, jsonPath: string, lookup: SchemaLookup): JsonTypeMismatch {
  const got = jsonKind(value);
  const what = type.kind === 'scalar' && got === 'number' && (type.scalar === 'int32' || type.scalar === 'int64') ? `number ${String(value)}` : got;
  return { message: `json: cannot unmarshal ${what} into Go struct field ${struct}.${goPath} of type ${goTypeOf(type, lookup)}`, path: jsonPath };
}

/**
 * findTypeError returns the first value in `obj` whose JSON type the schema of `typeName` cannot decode, or
 * undefined. An unknown type name accepts anything.
 */
export function findTypeError(obj: unknown, typeName: string, lookup: SchemaLookup): JsonTypeMismatch | undefined {
  // The path is kept as a stack of segments and only rendered for a mismatch: this walk runs on every write, and
  // building a path string for each field visited was most of its cost.
  const segments: Segment[] = [];

  // Go names the innermost struct and the dotted JSON path from the root (no list indices).
  const mismatch = (value: unknown, type: FieldType, struct: string): JsonTypeMismatch =>
    typeMismatch(value, type, struct, goPathOf(segments), jsonPathOf(segments), lookup);

  const visitType = (value: unknown, name: string, depth: number): JsonTypeMismatch | undefined => {
    if (depth > MAX_DEPTH || value === null) return undefined;
    const type = lookup.type(name);
    if (type === undefined || type.special !== undefined || JSON_SCHEMA_UNIONS.has(name)) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return undefined; // reported by the caller
    const fields = jsonFields(type, lookup);
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const field = fields.get(key);
      if (field === undefined) continue;
      segments.push({ kind: 'field', name: key });
      const found = visit(record[key], field.field.type, name, depth + 1);
      segments.pop();
      if (found) return found;
    }
    return undefined;
  };

  const visit = (value: unknown, type: FieldType, structName: string, depth: number): JsonTypeMismatch | undefined => {
    if (depth > MAX_DEPTH || value === null || value === undefined) return undefined;
    switch (type.kind) {
      case 'scalar':
        return scalarAccepts(value, type.scalar) ? undefined : mismatch(value, type, shortName(structName, lookup));
      case 'special':
        return specialAccepts(value, type.special) ? undefined : mismatch(value, type, shortName(structName, lookup));
      case 'ref': {
        const target = lookup.type(type.ref);
        if (target?.special !== undefined) return specialAccepts(value, target.special) ? undefined : mismatch(value, type, shortName(structName, lookup));
        if (JSON_SCHEMA_UNIONS.has(type.ref)) return undefined;
        if (typeof value !== 'object' || Array.isArray(value)) return mismatch(value, type, shortName(structName, lookup));
        return visitType(value, type.ref, depth);
      }
      case 'array':
        if (!Array.isArray(value)) return mismatch(value, type, shortName(structName, lookup));
        for (let i = 0; i < value.length; i++) {
          segments.push({ kind: 'index', name: String(i) });
          const found = visit(value[i], type.items, structName, depth + 1);
          segments.pop();
          if (found) return found;
        }
        return undefined;
      case 'map': {
        if (typeof value !== 'object' || Array.isArray(value)) return mismatch(value, type, shortName(structName, lookup));
        const record = value as Record<string, unknown>;
        for (const k in record) {
          segments.push({ kind: 'key', name: k });
          const found = visit(record[k], type.values, structName, depth + 1);
          segments.pop();
          if (found) return found;
        }
        return undefined;
      }
    }
  };

  return visitType(obj, typeName, 0);
}

/** One step of the path to the value being checked: a struct field, a list index or a map key. */
interface Segment {
  readonly kind: 'field' | 'index' | 'key';
  readonly name: string;
}

/** jsonPathOf renders `spec.containers[0].image` (map keys as `.key`). */
function jsonPathOf(segments: readonly Segment[]): string {
  let path = '';
  for (const s of segments) {
    if (s.kind === 'index') path += `[${s.name}]`;
    else path = path === '' ? s.name : `${path}.${s.name}`;
  }
  return path;
}

/** goPathOf renders Go's dotted struct-field path: field names only, no indices or map keys. */
function goPathOf(segments: readonly Segment[]): string {
  return segments.filter((s) => s.kind === 'field').map((s) => s.name).join('.');
}
