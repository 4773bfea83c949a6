/**
 * JSON patch (RFC 6902, `application/json-patch+json`): a list of operations applied in order to a copy of the
 * document. The whole patch succeeds or nothing changes: the input document is never mutated.
 */
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { cloneJson, isJsonObject } from './json-value.js';
import type { JsonValue } from './json-value.js';
import { assertObjectDepth, assertPatchDepth, PatchError } from './patch-error.js';

/** MAX_JSON_PATCH_OPERATIONS caps the operations in one JSON patch (the limit upstream servers enforce too). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

const PATCH_KIND = 'JSON patch';

/** The RFC 6902 operations; fast-json-patch also knows a private `_get`, which clients must not reach. */
const OPERATIONS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Our wording for fast-json-patch's failure names; its own messages embed the whole document. */
const FAILURE_REASONS: Readonly<Record<string, string>> = {
  OPERATION_PATH_INVALID: 'the path is not a JSON pointer',
  OPERATION_PATH_UNRESOLVABLE: 'the path does not exist',
  OPERATION_FROM_UNRESOLVABLE: 'the "from" path does not exist',
  OPERATION_PATH_CANNOT_ADD: 'the parent of the path does not exist',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'the path has an invalid array index',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'the array index is out of bounds',
  TEST_OPERATION_FAILED: 'the value at the path is not equal to the test value',
  OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED: 'the value is not JSON',
};

/**
 * applyJsonPatch applies an RFC 6902 patch to a copy of `doc` and returns the copy; `doc` is never mutated.
 * The result may be any JSON value (a `replace` of the root can yield a scalar); callers that need an object
 * check for one.
 *
 * Throws PatchError:
 * - `BadRequest` when `patch` is not an array, or nests deeper than MAX_PATCH_DEPTH;
 * - `TooLarge` when it has more than MAX_JSON_PATCH_OPERATIONS operations;
 * - `Invalid` when an operation is malformed (unknown `op`, missing `path`, `value` or `from`) or cannot be
 *   applied (a missing path, a failing `test`); the message names the operation by index, op and path.
 */
export function applyJsonPatch(doc: JsonValue, patch: unknown): JsonValue {
  if (!Array.isArray(patch)) {
    throw new PatchError('BadRequest', `Cannot apply ${PATCH_KIND}: the patch must be a JSON array of operations`);
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      'TooLarge',
      `Cannot apply ${PATCH_KIND}: it has ${patch.length} operations but at most ${MAX_JSON_PATCH_OPERATIONS} are allowed`,
    );
  }
  assertPatchDepth(patch, PATCH_KIND);
  let result = cloneJson(doc);
  patch.forEach((raw: unknown, index) => {
    const operation = toOperation(raw, index);
    try {
      result = fastJsonPatch.applyOperation(result, operation, true, true, true, index).newDocument;
    } catch (err) {
      throw operationError(index, operation, describeFailure(err));
    }
  });
  assertObjectDepth(result, PATCH_KIND);
  return result;
}

/** toOperation checks one raw operation's shape and copies it, so no value is shared with the patch body. */
function toOperation(raw: unknown, index: number): Operation {
  if (!isJsonObject(raw)) {
    throw new PatchError('Invalid', `Cannot apply ${PATCH_KIND} operation ${index}: it is not a JSON object`);
  }
  const { op, path } = raw;
  if (typeof op !== 'string' || !OPERATIONS.has(op)) {
    const shown = typeof op === 'string' ? `"${op}"` : 'missing';
    throw new PatchError('Invalid', `Cannot apply ${PATCH_KIND} operation ${index}: the op is ${shown}; expected one of add, remove, replace, move, copy, test`);
  }
  if (typeof path !== 'string') {
    throw new PatchError('Invalid', `Cannot apply ${PATCH_KIND} operation ${index} (${op}): "path" must be a string`);
  }
  switch (op) {
    case 'add':
    case 'replace':
    case 'test': {
      const value = raw['value'];
      if (value === undefined) throw operationError(index, { op, path }, 'the operation has no "value"');
      return { op, path, value: cloneJson(value) };
    }
    case 'move':
    case 'copy': {
      const from = raw['from'];
      if (typeof from !== 'string') throw operationError(index, { op, path }, '"from" must be a string');
      // RFC 6902 forbids moving a value into itself; the library would otherwise detach it and then fail oddly.
      if (op === 'move' && path.startsWith(`${from}/`)) {
        throw operationError(index, { op, path }, `cannot move "${from}" into one of its own children`);
      }
      return { op, path, from };
    }
    default:
      return { op: 'remove', path };
  }
}

function operationError(index: number, operation: { op: string; path: string }, reason: string): PatchError {
  const target = operation.path === '' ? '(root)' : operation.path;
  return new PatchError('Invalid', `Cannot apply ${PATCH_KIND} operation ${index} (${operation.op} ${target}): ${reason}`);
}

function describeFailure(err: unknown): string {
  if (err instanceof fastJsonPatch.JsonPatchError) {
    return FAILURE_REASONS[err.name] ?? (err.message.split('\n')[0] ?? 'the operation failed');
  }
  // fast-json-patch throws a TypeError when a path reaches __proto__ or constructor/prototype.
  if (err instanceof TypeError && /__proto__|prototype/.test(err.message)) return 'the path names a forbidden key';
  return 'the path does not exist';
}
