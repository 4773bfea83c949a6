/**
 * JSON merge patch (RFC 7396, `application/merge-patch+json`): the patch is a partial document; objects merge
 * key by key, `null` removes a key, and every other value (arrays included) replaces what was there.
 */
import { cloneJson, getJsonProperty, isJsonObject, setJsonProperty } from './json-value.js';
import type { JsonObject, JsonValue } from './json-value.js';
import { assertPatchDepth } from './patch-error.js';

const PATCH_KIND = 'JSON merge patch';

/**
 * applyMergePatch returns `doc` with `patch` merged in as RFC 7396 defines; neither input is mutated and the
 * result shares no values with them. A non-object patch replaces the document; a non-object document is
 * treated as `{}` when the patch is an object.
 *
 * Throws PatchError `BadRequest` when the patch nests deeper than MAX_PATCH_DEPTH.
 */
export function applyMergePatch(doc: JsonValue, patch: JsonValue): JsonValue {
  assertPatchDepth(patch, PATCH_KIND);
  return merge(cloneJson(doc), patch);
}

/** merge mutates `target` (a private copy) and returns the merged value. */
function merge(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      setJsonProperty(result, key, merge(getJsonProperty(result, key), value));
    }
  }
  return result;
}
