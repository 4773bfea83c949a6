/**
 * Schema validation of custom resources: a value checked against its CRD version's structural schema, with field
 * paths and messages as upstream's (kube-openapi's messages turned into field errors), e.g.
 *   spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"
 *   spec.size: Unsupported value: "XL": supported values: "S", "M"
 *   spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10
 * The root's apiVersion, kind and metadata are the store's business and are not checked here.
 */
import type { FieldError } from '../../api/validation/field-error.js';
import { childPath, indexPath, isRecord, jsonTypeOf, propertySchema, type StructuralSchema } from './structural-schema.js';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const EMAIL = /^[^@\s]+@[^@\s]+$/;
const HOSTNAME = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Formats checked on strings; unknown formats are accepted, as upstream. */
const STRING_FORMATS: Readonly<Record<string, (s: string) => boolean>> = {
  'date-time': (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  date: (s) => DATE.test(s) && !Number.isNaN(Date.parse(s)),
  uuid: (s) => UUID.test(s),
  byte: (s) => BASE64.test(s),
  email: (s) => EMAIL.test(s),
  hostname: (s) => HOSTNAME.test(s) && s.length <= 253,
  ipv4: (s) => IPV4.test(s),
};

const patternCache = new Map<string, RegExp | undefined>();

function compilePattern(pattern: string): RegExp | undefined {
  if (!patternCache.has(pattern)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = undefined;
    }
    patternCache.set(pattern, re);
  }
  return patternCache.get(pattern);
}

/** bodyName is how kube-openapi names a path inside its messages (the root is "body"). */
function bodyName(path: string): string {
  return path === '' ? 'body' : path;
}

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function typeError(path: string, value: unknown, type: string): FieldError {
  const actual = jsonTypeOf(value);
  return { type: 'FieldValueTypeInvalid', field: path, badValue: actual, detail: `${bodyName(path)} in body must be of type ${type}: ${JSON.stringify(actual)}` };
}

/**
 * validateValue checks `value` at `path` against `schema` and returns every failure (children included).
 * `isRoot` skips apiVersion, kind and metadata of the top-level object (and of embedded resources).
 */
export function validateValue(value: unknown, schema: StructuralSchema, path = '', isRoot = true): FieldError[] {
  const errs: FieldError[] = [];
  if (value === null) {
    if (schema.nullable || (schema.type === undefined && schema['x-kubernetes-preserve-unknown-fields'])) return errs;
    if (schema.type !== undefined && schema.type !== '') errs.push(typeError(path, value, schema.type));
    return errs;
  }
  if (schema['x-kubernetes-int-or-string']) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
      errs.push({ type: 'FieldValueTypeInvalid', field: path, badValue: jsonTypeOf(value), detail: `${bodyName(path)} in body must be of type integer,string: ${JSON.stringify(jsonTypeOf(value))}` });
      return errs;
    }
  } else if (schema.type !== undefined && schema.type !== '' && !typeMatches(value, schema.type)) {
    errs.push(typeError(path, value, schema.type));
    return errs;
  }

  if (schema.enum !== undefined && schema.enum.length > 0 && !schema.enum.some((e) => deepEqual(e, value))) {
    errs.push({
      type: 'FieldValueNotSupported',
      field: path,
      badValue: value,
      supported: schema.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
    });
  }

  if (typeof value === 'string') errs.push(...validateString(value, schema, path));
  else if (typeof value === 'number') errs.push(...validateNumber(value, schema, path));
  else if (Array.isArray(value)) errs.push(...validateArray(value, schema, path));
  else if (isRecord(value)) errs.push(...validateObject(value, schema, path, isRoot));

  for (const sub of schema.allOf ?? []) errs.push(...validateValue(value, sub, path, false));
  if (schema.anyOf !== undefined && schema.anyOf.length > 0 && !schema.anyOf.some((s) => validateValue(value, s, path, false).length === 0)) {
    errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${bodyName(path)} in body must be of any of the allowed schemas` });
  }
  if (schema.oneOf !== undefined && schema.oneOf.length > 0 && schema.oneOf.filter((s) => validateValue(value, s, path, false).length === 0).length !== 1) {
    errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${bodyName(path)} in body must validate one and only one schema (oneOf)` });
  }
  if (schema.not !== undefined && validateValue(value, schema.not, path, false).length === 0) {
    errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${bodyName(path)} in body should not validate the schema` });
  }
  return errs;
}

function validateString(value: string, schema: StructuralSchema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    errs.push({ type: 'FieldValueTooLong', field: path, badValue: '', detail: `may not be more than ${schema.maxLength} bytes` });
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${bodyName(path)} in body should be at least ${schema.minLength} chars long` });
  }
  if (schema.pattern !== undefined) {
    const re = compilePattern(schema.pattern);
    if (re !== undefined && !re.test(value)) {
      errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${bodyName(path)} in body should match '${schema.pattern}'` });
    }
  }
  const format = schema.format !== undefined ? STRING_FORMATS[schema.format] : undefined;
  if (format !== undefined && !format(value)) {
    errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${bodyName(path)} in body must be of type ${schema.format}: ${JSON.stringify(value)}` });
  }
  return errs;
}

function validateNumber(value: number, schema: StructuralSchema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = bodyName(path);
  if (schema.maximum !== undefined) {
    if (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum) {
      const rel = schema.exclusiveMaximum ? 'less than' : 'less than or equal to';
      errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${name} in body should be ${rel} ${schema.maximum}` });
    }
  }
  if (schema.minimum !== undefined) {
    if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
      const rel = schema.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${name} in body should be ${rel} ${schema.minimum}` });
    }
  }
  if (schema.multipleOf !== undefined && schema.multipleOf > 0) {
    const q = value / schema.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) {
      errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${name} in body should be a multiple of ${schema.multipleOf}` });
    }
  }
  if (schema.format === 'int32' && Number.isInteger(value) && (value > 2147483647 || value < -2147483648)) {
    errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${name} in body must be of type int32: "${value}"` });
  }
  return errs;
}

function validateArray(value: readonly unknown[], schema: StructuralSchema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errs.push({ type: 'FieldValueTooMany', field: path, badValue: value.length, detail: `${value.length}: must have at most ${schema.maxItems} items` });
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${bodyName(path)} in body should have at least ${schema.minItems} items` });
  }
  const listType = schema['x-kubernetes-list-type'];
  if (schema.uniqueItems || listType === 'set') {
    for (let i = 0; i < value.length; i++) {
      if (value.slice(0, i).some((v) => deepEqual(v, value[i]))) {
        errs.push({ type: 'FieldValueDuplicate', field: indexPath(path, i), badValue: value[i] });
      }
    }
  }
  if (listType === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      if (!isRecord(item)) return;
      const id = JSON.stringify(keys.map((k) => item[k] ?? null));
      if (seen.has(id)) errs.push({ type: 'FieldValueDuplicate', field: indexPath(path, i), badValue: Object.fromEntries(keys.map((k) => [k, item[k]])) });
      seen.add(id);
    });
  }
  if (schema.items !== undefined) {
    value.forEach((item, i) => errs.push(...validateValue(item, schema.items!, indexPath(path, i), schema.items!['x-kubernetes-embedded-resource'] === true)));
  }
  return errs;
}

function validateObject(value: Readonly<Record<string, unknown>>, schema: StructuralSchema, path: string, isRoot: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const count = Object.keys(value).length;
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    errs.push({ type: 'FieldValueTooMany', field: path, badValue: count, detail: `${count}: must have at most ${schema.maxProperties} items` });
  }
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    errs.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${bodyName(path)} in body should have at least ${schema.minProperties} properties` });
  }
  const embedded = isRoot || schema['x-kubernetes-embedded-resource'] === true;
  for (const name of schema.required ?? []) {
    if (embedded && path === '' && (name === 'metadata' || name === 'apiVersion' || name === 'kind')) continue;
    if (!(name in value)) errs.push({ type: 'FieldValueRequired', field: childPath(path, name), detail: '' });
  }
  for (const [name, child] of Object.entries(value)) {
    if (embedded && (name === 'apiVersion' || name === 'kind' || name === 'metadata') && (isRoot || schema.properties?.[name] === undefined)) continue;
    const sub = propertySchema(schema, name);
    if (sub === undefined) continue;
    errs.push(...validateValue(child, sub, childPath(path, name), sub['x-kubernetes-embedded-resource'] === true));
  }
  return errs;
}
