/**
 * PatchError is how the patch algorithms report a patch they cannot apply. They know nothing about HTTP; the
 * entry point (`applyPatch` in patch.ts) maps `reason` to a Status code.
 */
import { jsonDepth } from './json-value.js';

/**
 * PatchErrorReason classifies a failure:
 * - `BadRequest`: the patch body is malformed (not JSON, wrong shape, a broken directive) — 400.
 * - `Invalid`: the patch is well-formed but cannot be applied to this object (a JSON patch `test` fails, a path
 *   does not exist) — 422.
 * - `TooLarge`: the patch exceeds a size limit (bytes, operations) — 413.
 */
export type PatchErrorReason = 'BadRequest' | 'Invalid' | 'TooLarge';

/** PatchError is thrown by the patch functions; `message` is safe to show to the client. */
export class PatchError extends Error {
  constructor(
    readonly reason: PatchErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/** MAX_PATCH_DEPTH is the deepest nesting of objects and arrays a patch body may have. */
export const MAX_PATCH_DEPTH = 100;

/**
 * MAX_OBJECT_DEPTH is the deepest nesting a patched object may reach. It is larger than MAX_PATCH_DEPTH because
 * a shallow patch can graft values deep into an existing object.
 */
export const MAX_OBJECT_DEPTH = 1000;

/**
 * assertPatchDepth throws a `BadRequest` PatchError when `patch` nests deeper than MAX_PATCH_DEPTH, so that the
 * recursive algorithms never see input that could exhaust the stack. `patchKind` names the patch in the message,
 * e.g. "JSON merge patch".
 */
export function assertPatchDepth(patch: unknown, patchKind: string): void {
  if (jsonDepth(patch, MAX_PATCH_DEPTH) > MAX_PATCH_DEPTH) {
    throw new PatchError('BadRequest', `Cannot apply ${patchKind}: the patch nests deeper than ${MAX_PATCH_DEPTH} levels`);
  }
}

/** assertObjectDepth throws an `Invalid` PatchError when a patched object nests deeper than MAX_OBJECT_DEPTH. */
export function assertObjectDepth(object: unknown, patchKind: string): void {
  if (jsonDepth(object, MAX_OBJECT_DEPTH) > MAX_OBJECT_DEPTH) {
    throw new PatchError('Invalid', `Cannot apply ${patchKind}: the patched object would nest deeper than ${MAX_OBJECT_DEPTH} levels`);
  }
}
