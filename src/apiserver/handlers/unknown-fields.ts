/**
 * fieldValidation for write requests: unknown fields are a 400 (`Strict`), `Warning` headers (`Warn`), or
 * ignored (`Ignore`). Duplicate fields are caught while decoding (decodeBody's `strict`).
 */
import { badRequest } from '../../api/meta/status-error.js';
import type { StatusError } from '../../api/meta/status-error.js';
import { findTypeError } from '../../api/schema/type-check.js';
import type { JsonTypeMismatch } from '../../api/schema/type-check.js';
import type { GroupVersionKind } from '../../api/schema/types.js';
import type { HandlerContext } from './handler-context.js';
import { addWarnings } from './object-response.js';
import type { FieldValidation } from './query-options.js';

/**
 * unknownFieldWarnings prunes unknown fields from `obj` (through the dispatcher's finder) and applies the fieldValidation directive to a decoded object of kind `gvk`: with `Strict` it
 * throws 400 for unknown fields; with `Warn` it returns the warning texts (the caller sends them once the write
 * is done, see addWarnings); with `Ignore` it returns none.
 */
export function unknownFieldWarnings(ctx: HandlerContext, obj: unknown, gvk: GroupVersionKind, mode: FieldValidation): string[] {
  if (!ctx.unknownFields?.checksJsonTypes) checkJsonTypes(ctx, obj, gvk);
  if (!ctx.unknownFields) return [];
  // Always run the finder: it also prunes unknown fields, which are never stored, even with Ignore.
  const unknown = ctx.unknownFields(obj, gvk);
  if (unknown.length === 0 || mode === 'Ignore') return [];
  const messages = unknown.map((path) => `unknown field ${JSON.stringify(path)}`);
  if (mode === 'Strict') throw badRequest(`strict decoding error: ${messages.join(', ')}`);
  return messages;
}

/**
 * checkJsonTypes answers 400 for a value of the wrong JSON type, as upstream's typed decoding does
 * (`ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into …`).
 */
export function checkJsonTypes(ctx: HandlerContext, obj: unknown, gvk: GroupVersionKind): void {
  const type = ctx.schemas?.kind(gvk);
  if (!type || !ctx.schemas) return;
  const mismatch = findTypeError(obj, type.name, ctx.schemas);
  if (mismatch) throw jsonTypeError(gvk, mismatch);
}

/** jsonTypeError is the 400 for a value of the wrong JSON type in an object of kind `gvk`. */
export function jsonTypeError(gvk: GroupVersionKind, mismatch: JsonTypeMismatch): StatusError {
  return badRequest(`${gvk.kind} in version "${gvk.version}" cannot be handled as a ${gvk.kind}: ${mismatch.message}`);
}

/** checkUnknownFields is unknownFieldWarnings that adds the warnings to the response at once. */
export function checkUnknownFields(ctx: HandlerContext, obj: unknown, gvk: GroupVersionKind, mode: FieldValidation): void {
  addWarnings(ctx, unknownFieldWarnings(ctx, obj, gvk, mode));
}
