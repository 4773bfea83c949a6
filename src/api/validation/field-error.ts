/**
 * FieldError is one validation failure at a field path, in upstream's vocabulary (field.ErrorList).
 * `toCauses` turns a list into Status causes, whose messages read like upstream's:
 *   `spec.containers[0].name: Required value`, `metadata.name: Invalid value: "A": a lowercase RFC 1123 ...`.
 */
import type { StatusCause } from '../meta/types.js';
import { formatGoValue } from './go-value.js';

/** FieldErrorType matches upstream's `field.ErrorType` reasons. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueNotFound'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid';

/** FieldError is one failure. */
export interface FieldError {
  readonly type: FieldErrorType;
  /** The path, e.g. "spec.containers[0].image". */
  readonly field: string;
  readonly detail?: string;
  readonly badValue?: unknown;
  /** For NotSupported: the allowed values. */
  readonly supported?: readonly string[];
}

// Bad values print as Go's %#v does upstream (`"abc"`, `map[string]string{"app":"x"}`), which users recognise.
const quote = formatGoValue;

/** fieldErrorMessage renders the message part (without the path) as upstream does. */
export function fieldErrorMessage(e: FieldError): string {
  switch (e.type) {
    case 'FieldValueRequired':
      return e.detail ? `Required value: ${e.detail}` : 'Required value';
    case 'FieldValueNotFound':
      return `Not found: ${quote(e.badValue)}`;
    case 'FieldValueInvalid':
      return `Invalid value: ${quote(e.badValue)}${e.detail ? ': ' + e.detail : ''}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${quote(e.badValue)}${e.supported ? ': supported values: ' + e.supported.map((s) => JSON.stringify(s)).join(', ') : ''}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${quote(e.badValue)}`;
    case 'FieldValueForbidden':
      return e.detail ? `Forbidden: ${e.detail}` : 'Forbidden';
    case 'FieldValueTooLong':
      return `Too long: ${e.detail ?? ''}`;
    case 'FieldValueTooMany':
      return `Too many: ${e.detail ?? ''}`;
    case 'FieldValueTypeInvalid':
      return `Invalid value: ${quote(e.badValue)}: ${e.detail ?? ''}`;
  }
}

/** toCauses converts field errors to Status causes. */
export function toCauses(errors: readonly FieldError[]): StatusCause[] {
  return errors.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field }));
}

/** required, invalid, notSupported, duplicate, forbidden: short constructors. */
export const fieldErrors = {
  required: (field: string, detail?: string): FieldError => ({ type: 'FieldValueRequired', field, detail }),
  notFound: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueNotFound', field, badValue }),
  invalid: (field: string, badValue: unknown, detail?: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, detail }),
  notSupported: (field: string, badValue: unknown, supported: readonly string[]): FieldError => ({ type: 'FieldValueNotSupported', field, badValue, supported }),
  duplicate: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, badValue }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  tooLong: (field: string, badValue: unknown, max: number): FieldError => ({ type: 'FieldValueTooLong', field, badValue, detail: `may not be more than ${max} bytes` }),
};
