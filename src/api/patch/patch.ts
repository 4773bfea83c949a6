/**
 * applyPatch is the one entry point the PATCH handler calls: it picks the algorithm from the request's content
 * type, decodes the body, applies it to the current object and turns every failure into a StatusError with the
 * code a Kubernetes client expects. Server-side apply (`application/apply-patch+yaml`) is not handled here.
 *
 * Codes: 400 malformed body or patch, 413 too large, 415 unknown content type (or strategic merge patch for a
 * kind without a schema), 422 a well-formed patch that cannot be applied to this object, 500 a server bug.
 */
import { badRequest, internalError, newStatus, requestEntityTooLarge, StatusError } from '../meta/status-error.js';
import type { SchemaLookup } from '../schema/types.js';
import { applyJsonPatch } from './json-patch.js';
import { isJsonObject } from './json-value.js';
import type { JsonObject, JsonValue } from './json-value.js';
import { applyMergePatch } from './merge-patch.js';
import { PatchError } from './patch-error.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

/** JSON_PATCH is the media type of RFC 6902 JSON patches. */
export const JSON_PATCH = 'application/json-patch+json';
/** MERGE_PATCH is the media type of RFC 7396 JSON merge patches. */
export const MERGE_PATCH = 'application/merge-patch+json';
/** STRATEGIC_MERGE_PATCH is the media type of Kubernetes strategic merge patches. */
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/** PatchType is one of the media types applyPatch accepts. */
export type PatchType = typeof JSON_PATCH | typeof MERGE_PATCH | typeof STRATEGIC_MERGE_PATCH;

/** MAX_PATCH_BYTES is the default limit on a patch body: 3 MiB, the request body limit of upstream servers. */
export const MAX_PATCH_BYTES = 3 * 1024 * 1024;

const PATCH_NAMES: Readonly<Record<PatchType, string>> = {
  [JSON_PATCH]: 'JSON patch',
  [MERGE_PATCH]: 'JSON merge patch',
  [STRATEGIC_MERGE_PATCH]: 'strategic merge patch',
};

/** ApplyPatchOptions says what is being patched. */
export interface ApplyPatchOptions {
  /**
   * The schema type name of the object, e.g. "io.k8s.api.apps.v1.Deployment". Leave it out for kinds without a
   * schema (custom resources): they refuse strategic merge patch with 415, as upstream does.
   */
  readonly typeName?: string;
  /** Where `typeName` and the types it references are looked up. */
  readonly lookup: SchemaLookup;
  /** The object's group and kind, used in messages, e.g. {group: "stable.example.com", kind: "CronTab"}. */
  readonly groupKind?: { readonly group: string; readonly kind: string };
  /**
   * The largest body accepted, in bytes (413 above it).
   * @default MAX_PATCH_BYTES
   */
  readonly maxBytes?: number;
}

/**
 * patchTypeOf returns the patch type named by a Content-Type header (parameters such as `charset` ignored), or
 * undefined when it names none of the three.
 */
export function patchTypeOf(contentType: string): PatchType | undefined {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mediaType === JSON_PATCH || mediaType === MERGE_PATCH || mediaType === STRATEGIC_MERGE_PATCH ? mediaType : undefined;
}

/**
 * applyPatch applies `patchBody` (JSON text or its UTF-8 bytes) to `current` according to `contentType` and
 * returns the patched object; `current` is not mutated and the result shares nothing with it. The caller still
 * validates the result (name, kind, apiVersion and field checks are not done here).
 *
 * Throws StatusError: 415 for an unknown content type or strategic merge patch without a schema; 413 for a body
 * over `maxBytes` or a JSON patch with too many operations; 400 for a body that is not JSON or a patch of the
 * wrong shape (including nesting deeper than MAX_PATCH_DEPTH); 422 when the patch cannot be applied or the
 * result is not an object; 500 when `current` is not an object or `typeName` is unknown to `lookup`.
 */
export function applyPatch(contentType: string, current: unknown, patchBody: string | Uint8Array, opts: ApplyPatchOptions): JsonObject {
  const patchType = patchTypeOf(contentType);
  const accepted = opts.typeName === undefined ? [JSON_PATCH, MERGE_PATCH] : [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH];
  if (patchType === undefined) {
    throw new StatusError(
      newStatus(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')} (got "${contentType}")`),
    );
  }
  if (patchType === STRATEGIC_MERGE_PATCH && opts.typeName === undefined) {
    const what = opts.groupKind === undefined ? 'this resource' : [opts.groupKind.kind, opts.groupKind.group].filter((s) => s !== '').join('.');
    throw new StatusError(newStatus(415, 'UnsupportedMediaType', `strategic merge patch is not supported for ${what}; use ${MERGE_PATCH} or ${JSON_PATCH}`));
  }
  const maxBytes = opts.maxBytes ?? MAX_PATCH_BYTES;
  const size = typeof patchBody === 'string' ? Buffer.byteLength(patchBody, 'utf8') : patchBody.byteLength;
  if (size > maxBytes) throw requestEntityTooLarge(maxBytes);
  if (!isJsonObject(current)) throw internalError(`Cannot apply ${PATCH_NAMES[patchType]}: the current object is not a JSON object`);

  const name = PATCH_NAMES[patchType];
  const patch = decode(patchBody, name);
  let result: JsonValue;
  try {
    switch (patchType) {
      case JSON_PATCH:
        result = applyJsonPatch(current, patch);
        break;
      case MERGE_PATCH:
        result = applyMergePatch(current, requireObject(patch, name));
        break;
      case STRATEGIC_MERGE_PATCH:
        result = applyStrategicMergePatch(current, requireObject(patch, name), opts.typeName ?? '', opts.lookup);
        break;
    }
  } catch (err) {
    throw toStatusError(err, name);
  }
  if (!isJsonObject(result)) {
    throw new StatusError(newStatus(422, 'Invalid', `Cannot apply ${name}: the result is not a JSON object`));
  }
  return result;
}

function decode(body: string | Uint8Array, name: string): JsonValue {
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw badRequest(`Cannot decode ${name}: the body is not UTF-8 text`);
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw badRequest(`Cannot decode ${name}: the body is not valid JSON (${why})`);
  }
}

function requireObject(patch: JsonValue, name: string): JsonObject {
  if (!isJsonObject(patch)) throw new PatchError('BadRequest', `Cannot apply ${name}: the patch must be a JSON object`);
  return patch;
}

function toStatusError(err: unknown, name: string): StatusError {
  if (err instanceof StatusError) return err;
  if (err instanceof PatchError) {
    switch (err.reason) {
      case 'BadRequest':
        return badRequest(err.message);
      case 'Invalid':
        return new StatusError(newStatus(422, 'Invalid', err.message));
      case 'TooLarge':
        return new StatusError(newStatus(413, 'RequestEntityTooLarge', err.message));
    }
  }
  const why = err instanceof Error ? err.message : String(err);
  return internalError(`Cannot apply ${name}: ${why}`);
}
