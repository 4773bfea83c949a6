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

/**
 * findUnknownFields returns the paths of fields in `obj` that the type `typeName` (and the types it references)
 * does not define, in document order. An unknown type name yields no paths.
 */
export function findUnknownFields(obj: unknown, typeName: string, lookup: SchemaLookup, options: UnknownFieldOptions = {}): string[] {
  const unknown: string[] = [];
  // The path is a stack of segments rendered only for an unknown field: this walk runs on every write, and a path
  // string per visited field was most of its cost.
  // A number is a list index (`[i]`), a string a field name or map key (`.name`).
  const segments: (string | number)[] = [];
  const here = (last: string): string => {
    let path = '';
    for (const s of segments) path = typeof s === 'number' ? `${path}[${s}]` : join(path, s);
    return join(path, last);
  };

  const visitType = (value: unknown, name: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    const type = lookup.type(name);
    if (type === undefined || type.special !== undefined) return;
    const union = JSON_SCHEMA_UNIONS.get(name);
    if (union !== undefined) {
      if (isObject(value)) visitType(value, JSON_SCHEMA_PROPS, depth + 1);
      else if (Array.isArray(value) && union === 'OrArray') {
        for (let i = 0; i < value.length; i++) {
          segments.push(i);
          visitType(value[i], JSON_SCHEMA_PROPS, depth + 1);
          segments.pop();
        }
      }
      return;
    }
    if (!isObject(value)) return;
    const fields = jsonFields(type, lookup);
    for (const key in value) {
      const child = value[key];
      const field = fields.get(key);
      if (field === undefined) {
        unknown.push(here(key));
        if (options.prune) delete value[key];
      } else if (options.prune && !field.field.required && isEmptyOptional(child, field.field.type)) {
        delete value[key];
      } else {
        segments.push(key);
        visit(child, field.field.type, depth + 1);
        segments.pop();
      }
    }
  };

  const visit = (value: unknown, type: FieldType, depth: number): void => {
    if (depth > MAX_DEPTH || value === null || value === undefined) return;
    switch (type.kind) {
      case 'scalar':
      case 'special':
        return;
      case 'ref':
        visitType(value, type.ref, depth);
        return;
      case 'array':
        if (!Array.isArray(value)) return;
        for (let i = 0; i < value.length; i++) {
          segments.push(i);
          visit(value[i], type.items, depth + 1);
          segments.pop();
        }
        return;
      case 'map':
        if (!isObject(value)) return;
        for (const k in value) {
          segments.push(k);
          visit(value[k], type.values, depth + 1);
          segments.pop();
        }
        return;
    }
  };

  visitType(obj, typeName, 0);
  return unknown;
}
