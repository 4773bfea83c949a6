/**
 * Strict field validation (`fieldValidation=Strict|Warn`): find the fields of a JSON object that its schema does not
 * define. Paths are printed as the upstream API server prints them in `unknown field "<path>"` messages:
 * dot-separated field names, `[i]` for list elements, and `.key` for map values (e.g. `spec.containers[0].bar`).
 *
 * Values of special types (Time, Quantity, IntOrString, RawExtension, JSON, FieldsV1, …) are opaque. Values of the
 * wrong JSON type are not reported here: that is validation's job. Nesting beyond MAX_DEPTH is not inspected.
 */
import { jsonFields } from './json-fields.js';
import { JSON_SCHEMA_PROPS, JSON_SCHEMA_UNIONS } from './json-schema-union.js';
import { scalarAccepts, shortName, specialAccepts, typeMismatch } from './type-check.js';
import type { JsonTypeMismatch } from './type-check.js';
import type { FieldType, SchemaLookup } from './types.js';

const MAX_DEPTH = 100;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** isEmptyOptional: a value an optional field drops in a typed round trip (null; an empty list or map). */
function isEmptyOptional(value: unknown, type: FieldType): boolean {
  if (value === null) return type.kind !== 'special';
  if (type.kind === 'array') return Array.isArray(value) && value.length === 0;
  if (type.kind === 'map') return isObject(value) && Object.keys(value).length === 0;
  return false;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** UnknownFieldOptions tune findUnknownFields. */
export interface UnknownFieldOptions {
  /**
   * Also reshape `obj` in place as a round trip through upstream's typed objects would: unknown fields are deleted
   * (built-in kinds never store fields their schema lacks, whatever the fieldValidation mode), and so are `null`
   * values and empty lists and maps of optional fields (Go's omitempty). @default false
   */
  readonly prune?: boolean;
}

/** InspectOptions tune inspectFields. */
export interface InspectOptions extends UnknownFieldOptions {
  /** Also find the first value of the wrong JSON type, as findTypeError does. @default false */
  readonly checkTypes?: boolean;
}

/** FieldFindings are what one walk of inspectFields found. */
export interface FieldFindings {
  /** Paths of unknown fields, in document order (those before the mismatch only, when there is one). */
  readonly unknown: string[];
  /** The first value of the wrong JSON type (with `checkTypes`); the walk stops there. */
  readonly mismatch?: JsonTypeMismatch;
}

/**
 * findUnknownFields returns the paths of fields in `obj` that the type `typeName` (and the types it references)
 * does not define, in document order. An unknown type name yields no paths.
 */
export function findUnknownFields(obj: unknown, typeName: string, lookup: SchemaLookup, options: UnknownFieldOptions = {}): string[] {
  return inspectFields(obj, typeName, lookup, options).unknown;
}

/**
 * inspectFields is findUnknownFields and, with `checkTypes`, findTypeError in one walk: every write of a built-in
 * kind needs both, and they visit the same fields against the same schema. The mismatch is the one findTypeError
 * returns (pruning never hides one: what it removes, null and empty lists and maps, decodes into any type).
 */
export function inspectFields(obj: unknown, typeName: string, lookup: SchemaLookup, options: InspectOptions = {}): FieldFindings {
  const unknown: string[] = [];
  const prune = options.prune === true;
  let mismatch: JsonTypeMismatch | undefined;
  // The path is a stack of segments rendered only for an unknown field or a mismatch: this walk runs on every write,
  // and a path string per visited field was most of its cost.
  // A number is a list index (`[i]`), a string a field name or map key (`.name`); `structField` tells the two
  // strings apart for Go's path in a mismatch (struct fields only).
  const segments: (string | number)[] = [];
  const structField: boolean[] = [];
  const push = (segment: string | number, isField: boolean): void => {
    segments.push(segment);
    structField.push(isField);
  };
  const pop = (): void => {
    segments.pop();
    structField.pop();
  };
  const here = (last: string): string => {
    let path = '';
    for (const s of segments) path = typeof s === 'number' ? `${path}[${s}]` : join(path, s);
    return last === '' ? path : join(path, last);
  };
  const fail = (value: unknown, type: FieldType, struct: string): void => {
    const goPath = segments.filter((_, i) => structField[i]).join('.');
    mismatch = typeMismatch(value, type, shortName(struct, lookup), goPath, here(''), lookup);
  };

  // `checking`: type errors are looked for here (not inside the JSON-schema unions, which decode anything).
  const visitType = (value: unknown, name: string, depth: number, checking: boolean): void => {
    if (depth > MAX_DEPTH) return;
    const type = lookup.type(name);
    if (type === undefined || type.special !== undefined) return;
    const union = JSON_SCHEMA_UNIONS.get(name);
    if (union !== undefined) {
      if (isObject(value)) visitType(value, JSON_SCHEMA_PROPS, depth + 1, false);
      else if (Array.isArray(value) && union === 'OrArray') {
        for (let i = 0; i < value.length; i++) {
          push(i, false);
          visitType(value[i], JSON_SCHEMA_PROPS, depth + 1, false);
          pop();
        }
      }
      return;
    }
    if (!isObject(value)) return;
    const fields = jsonFields(type, lookup);
    const struct = checking ? name : undefined;
    for (const key in value) {
      const child = value[key];
      const field = fields.get(key);
      if (field === undefined) {
        unknown.push(here(key));
        if (prune) delete value[key];
      } else if (prune && !field.field.required && isEmptyOptional(child, field.field.type)) {
        delete value[key];
      } else {
        push(key, true);
        visit(child, field.field.type, depth + 1, struct);
        pop();
        if (mismatch !== undefined) return;
      }
    }
  };

  // `struct`: the innermost struct's type name when checking types, else undefined.
  const visit = (value: unknown, type: FieldType, depth: number, struct: string | undefined): void => {
    if (depth > MAX_DEPTH || value === null || value === undefined) return;
    switch (type.kind) {
      case 'scalar':
        if (struct !== undefined && !scalarAccepts(value, type.scalar)) fail(value, type, struct);
        return;
      case 'special':
        if (struct !== undefined && !specialAccepts(value, type.special)) fail(value, type, struct);
        return;
      case 'ref':
        if (struct !== undefined) {
          const target = lookup.type(type.ref);
          if (target?.special !== undefined) {
            if (!specialAccepts(value, target.special)) fail(value, type, struct);
            return;
          }
          if (!JSON_SCHEMA_UNIONS.has(type.ref) && !isObject(value)) {
            fail(value, type, struct);
            return;
          }
        }
        visitType(value, type.ref, depth, struct !== undefined);
        return;
      case 'array':
        if (!Array.isArray(value)) {
          if (struct !== undefined) fail(value, type, struct);
          return;
        }
        for (let i = 0; i < value.length; i++) {
          push(i, false);
          visit(value[i], type.items, depth + 1, struct);
          pop();
          if (mismatch !== undefined) return;
        }
        return;
      case 'map':
        if (!isObject(value)) {
          if (struct !== undefined) fail(value, type, struct);
          return;
        }
        for (const k in value) {
          push(k, false);
          visit(value[k], type.values, depth + 1, struct);
          pop();
          if (mismatch !== undefined) return;
        }
        return;
    }
  };

  visitType(obj, typeName, 0, options.checkTypes === true);
  return mismatch === undefined ? { unknown } : { unknown, mismatch };
}
