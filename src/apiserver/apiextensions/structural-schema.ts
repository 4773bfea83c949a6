/**
 * StructuralSchema: the JSONSchemaProps of a CRD version's `schema.openAPIV3Schema` (apiextensions.k8s.io/v1), as
 * the validation, defaulting, pruning and CEL code reads it, plus the walking helpers they share. A CRD's schema
 * is used as stored (JSON); nothing here mutates it.
 */
import type { FieldError } from '../../api/validation/field-error.js';

/** ValidationRule is one `x-kubernetes-validations` entry. */
export interface ValidationRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly reason?: string;
  readonly fieldPath?: string;
  readonly optionalOldSelf?: boolean;
}

/** StructuralSchema is one JSONSchemaProps node. */
export interface StructuralSchema {
  readonly type?: string;
  readonly description?: string;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, StructuralSchema>>;
  readonly items?: StructuralSchema;
  readonly additionalProperties?: StructuralSchema | boolean;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly multipleOf?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly nullable?: boolean;
  readonly default?: unknown;
  readonly allOf?: readonly StructuralSchema[];
  readonly anyOf?: readonly StructuralSchema[];
  readonly oneOf?: readonly StructuralSchema[];
  readonly not?: StructuralSchema;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: string;
  readonly 'x-kubernetes-validations'?: readonly ValidationRule[];
}

/** JsonRecord is a JSON object. */
export type JsonRecord = Record<string, unknown>;

/** isRecord reports whether a JSON value is an object (not an array, not null). */
export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** childPath appends a property name to a field path ("" → "spec", "spec" → "spec.replicas"). */
export function childPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** indexPath appends an array index to a field path ("spec.items" → "spec.items[2]"). */
export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** propertySchema returns the schema of an object's property `name`: from properties, else additionalProperties. */
export function propertySchema(schema: StructuralSchema, name: string): StructuralSchema | undefined {
  const own = schema.properties?.[name];
  if (own !== undefined) return own;
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

/**
 * jsonTypeOf names a JSON value's type as upstream's messages do ("string", "integer", "number", "boolean",
 * "object", "array", "null").
 */
export function jsonTypeOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/**
 * structuralErrors checks that a schema is structural in the ways that matter for serving: every node below the
 * root that has properties, items or additionalProperties names its type, and the root is an object. Returns
 * field errors under `path` (e.g. "spec.versions[0].schema.openAPIV3Schema").
 */
export function structuralErrors(schema: StructuralSchema, path: string, root = true): FieldError[] {
  const errs: FieldError[] = [];
  const t = schema.type;
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (root && t !== 'object') errs.push({ type: 'FieldValueInvalid', field: childPath(path, 'type'), badValue: t ?? '', detail: 'must be object at the root' });
  if ((t === undefined || t === '') && !intOrString && !preserve) {
    errs.push({ type: 'FieldValueRequired', field: childPath(path, 'type'), detail: 'must not be empty for specified object fields' });
  }
  if (t !== undefined && !['object', 'array', 'string', 'integer', 'number', 'boolean', ''].includes(t)) {
    errs.push({ type: 'FieldValueNotSupported', field: childPath(path, 'type'), badValue: t, supported: ['array', 'boolean', 'integer', 'number', 'object', 'string'] });
  }
  if (t === 'array' && schema.items === undefined) {
    errs.push({ type: 'FieldValueRequired', field: childPath(path, 'items'), detail: 'must be specified' });
  }
  if (schema.properties !== undefined && schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
    errs.push({ type: 'FieldValueForbidden', field: childPath(path, 'additionalProperties'), detail: 'additionalProperties and properties are mutual exclusive' });
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    errs.push(...structuralErrors(child, childPath(childPath(path, 'properties'), `[${name}]`).replace('.[', '['), false));
  }
  if (schema.items !== undefined) errs.push(...structuralErrors(schema.items, childPath(path, 'items'), false));
  if (typeof schema.additionalProperties === 'object') errs.push(...structuralErrors(schema.additionalProperties, childPath(path, 'additionalProperties'), false));
  return errs;
}
