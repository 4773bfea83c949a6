/**
 * Generic field rules shared by every kind: immutability, non-negative counts, label and annotation maps.
 * Each returns the FieldErrors for one field (empty when valid).
 */
import { isDeepStrictEqual } from 'node:util';
import { isQualifiedName, isValidLabelValue } from '../meta/labels.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { FIELD_IMMUTABLE_ERROR_MSG, IS_NEGATIVE_ERROR_MSG } from './names.js';

/** TOTAL_ANNOTATION_SIZE_LIMIT_B is the byte limit on all annotation keys plus values of one object. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

/**
 * semanticEqual compares two JSON values the way upstream's semantic equality matters here: an absent field,
 * null, an empty list and an empty map all count as "unset".
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalise(a), normalise(b));
}

function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(normalise);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalise(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v === null ? undefined : v;
}

/** validateImmutableField: `<field>: Invalid value: <new>: field is immutable` when the value changed. */
export function validateImmutableField(newVal: unknown, oldVal: unknown, field: string): FieldError[] {
  return semanticEqual(newVal, oldVal) ? [] : [fieldErrors.invalid(field, newVal, FIELD_IMMUTABLE_ERROR_MSG)];
}

/** validateNonnegativeField: `must be greater than or equal to 0` for a negative number. */
export function validateNonnegativeField(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [fieldErrors.invalid(field, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

/** validatePositiveField: `must be greater than 0` for a number ≤ 0. */
export function validatePositiveField(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value <= 0 ? [fieldErrors.invalid(field, value, 'must be greater than 0')] : [];
}

/** validateLabelName checks one qualified name (label key, annotation key, finalizer-like names). */
export function validateLabelName(key: string, field: string): FieldError[] {
  // One error per reason, as upstream reports them.
  return isQualifiedName(key).map((m) => fieldErrors.invalid(field, key, m));
}

/** validateLabels checks a label map's keys and values. */
export function validateLabels(labels: unknown, field: string): FieldError[] {
  if (typeof labels !== 'object' || labels === null) return [];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, field));
    const value = typeof v === 'string' ? v : String(v);
    for (const m of isValidLabelValue(value)) errs.push(fieldErrors.invalid(field, value, m));
  }
  return errs;
}

/** validateAnnotations checks annotation keys (qualified names, case-insensitively) and the 256 KiB total size. */
export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  if (typeof annotations !== 'object' || annotations === null) return [];
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // Upstream checks the lower-cased key so that upper-case annotation keys stay allowed.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErrors.invalid(field, k, m));
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push({ type: 'FieldValueTooLong', field, badValue: '<value omitted>', detail: `may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT_B} bytes` });
  return errs;
}
