/**
 * createStrategicMergePatch computes the two-way strategic merge patch that turns one object into another, in
 * the shape upstream clients produce: changed fields, `null` for removed fields, merging lists patched item by
 * item with `{"$patch": "delete"}` items for removals, `$deleteFromPrimitiveList/<list>` for scalars removed
 * from merging lists, `$setElementOrder/<list>` when a merging list changed, and `$retainKeys` on fields with
 * the `retainKeys` strategy. It serves tests and tools; the server only applies patches.
 */
import { cloneJson, getJsonProperty, isJsonObject, jsonEqual, setJsonProperty } from './json-value.js';
import type { JsonObject, JsonValue } from './json-value.js';
import { PatchError } from './patch-error.js';
import { PatchSchema } from './patch-meta.js';
import type { FieldPatchMeta, SchemaNode } from './patch-meta.js';
import type { SchemaLookup } from '../schema/types.js';

const DIRECTIVE = '$patch';

/**
 * createStrategicMergePatch returns a patch that, applied with applyStrategicMergePatch to `original`, yields
 * `modified` (up to the ordering rules of merging lists). Inputs are not mutated; an empty object means "no
 * change".
 *
 * Throws PatchError `BadRequest` when a merging list holds objects without their merge key or mixes objects
 * and scalars; a plain Error when `typeName` is not in `lookup`.
 */
export function createStrategicMergePatch(original: JsonObject, modified: JsonObject, typeName: string, lookup: SchemaLookup): JsonObject {
  const schema = new PatchSchema(lookup);
  const root = schema.root(typeName);
  if (root === undefined) throw new Error(`Cannot create strategic merge patch: no schema for type "${typeName}"`);
  return new StrategicDiffer(schema).diffObjects(original, modified, root, false);
}

class StrategicDiffer {
  readonly #schema: PatchSchema;

  constructor(schema: PatchSchema) {
    this.#schema = schema;
  }

  diffObjects(original: JsonObject, modified: JsonObject, node: SchemaNode, retainKeys: boolean): JsonObject {
    const patch: JsonObject = {};
    for (const [key, after] of Object.entries(modified)) {
      const before = getJsonProperty(original, key);
      if (before === undefined || kindOf(before) !== kindOf(after)) {
        setJsonProperty(patch, key, cloneJson(after));
      } else if (key === DIRECTIVE) {
        if (before !== after) setJsonProperty(patch, key, after);
      } else if (isJsonObject(before) && isJsonObject(after)) {
        this.#diffObjectField(patch, key, before, after, this.#schema.field(node, key));
      } else if (Array.isArray(before) && Array.isArray(after)) {
        this.#diffListField(patch, key, before, after, this.#schema.field(node, key));
      } else if (!jsonEqual(before, after)) {
        setJsonProperty(patch, key, cloneJson(after));
      }
    }
    for (const key of Object.keys(original)) {
      if (!Object.hasOwn(modified, key)) setJsonProperty(patch, key, null);
    }
    if (retainKeys) {
      const kept = Object.keys(modified).filter((k) => modified[k] !== null);
      const dropsField = Object.keys(original).some((k) => original[k] !== null && !Object.hasOwn(modified, k));
      if (kept.length > 0 && (Object.keys(patch).length > 0 || dropsField)) patch['$retainKeys'] = kept.sort(compareStrings);
    }
    return patch;
  }

  #diffObjectField(patch: JsonObject, key: string, before: JsonObject, after: JsonObject, meta: FieldPatchMeta): void {
    if (meta.strategy === 'replace' || meta.atomic) {
      if (meta.strategy === 'replace' || !jsonEqual(before, after)) setJsonProperty(patch, key, cloneJson(after));
      return;
    }
    const sub = this.diffObjects(before, after, meta.node, meta.retainKeys);
    if (Object.keys(sub).length > 0) setJsonProperty(patch, key, sub);
  }

  #diffListField(patch: JsonObject, key: string, before: JsonValue[], after: JsonValue[], meta: FieldPatchMeta): void {
    if (meta.strategy !== 'merge') {
      if (!jsonEqual(before, after)) setJsonProperty(patch, key, cloneJson(after));
      return;
    }
    if (before.length === 0) {
      if (after.length > 0) setJsonProperty(patch, key, cloneJson(after));
      return;
    }
    const objects = listOfObjects(meta.name, before, after);
    const { changes, deletions, order } = objects ? this.#diffObjectLists(before, after, meta) : diffScalarLists(before, after);
    if (changes.length > 0) setJsonProperty(patch, key, changes);
    if (deletions.length > 0) setJsonProperty(patch, `$deleteFromPrimitiveList/${key}`, deletions);
    if (order.length > 0) setJsonProperty(patch, `$setElementOrder/${key}`, order);
  }

  #diffObjectLists(before: JsonValue[], after: JsonValue[], meta: FieldPatchMeta): ListDiff {
    const mergeKey = meta.mergeKey;
    if (mergeKey === '') throw badList(`the list "${meta.name}" holds objects but has no merge key`);
    const keyOf = (item: JsonValue): JsonValue => {
      const value = isJsonObject(item) ? getJsonProperty(item, mergeKey) : undefined;
      if (value === undefined) throw badList(`an item of the list "${meta.name}" lacks its merge key "${mergeKey}"`);
      return value;
    };
    const beforeByKey = new Map<string, JsonObject>();
    for (const item of before) if (!beforeByKey.has(keyText(keyOf(item)))) beforeByKey.set(keyText(keyOf(item)), item as JsonObject);
    const afterKeys = new Set(after.map((item) => keyText(keyOf(item))));

    const changes: JsonValue[] = [];
    const seen = new Set<string>();
    for (const item of after) {
      const text = keyText(keyOf(item));
      if (seen.has(text)) continue;
      seen.add(text);
      const old = beforeByKey.get(text);
      if (old === undefined) {
        changes.push(cloneJson(item));
        continue;
      }
      const sub = this.diffObjects(old, item as JsonObject, meta.itemNode, meta.retainKeys);
      if (Object.keys(sub).length > 0) changes.push({ ...sub, [mergeKey]: keyOf(item) });
    }
    for (const [text, old] of [...beforeByKey].sort(([a], [b]) => compareStrings(a, b))) {
      if (!afterKeys.has(text)) changes.push({ [mergeKey]: keyOf(old), [DIRECTIVE]: 'delete' });
    }
    const sameOrder = before.length === after.length && before.every((item, i) => keyOf(item) === keyOf(after[i] as JsonValue));
    const order = changes.length > 0 || !sameOrder ? after.map((item) => ({ [mergeKey]: keyOf(item) })) : [];
    return { changes, deletions: [], order };
  }
}

interface ListDiff {
  readonly changes: JsonValue[];
  readonly deletions: JsonValue[];
  readonly order: JsonValue[];
}

/** diffScalarLists compares two lists of scalars as multisets: additions, removals, and the new order. */
function diffScalarLists(before: JsonValue[], after: JsonValue[]): ListDiff {
  const remaining = new Map<JsonValue, number>();
  for (const v of before) remaining.set(v, (remaining.get(v) ?? 0) + 1);
  const changes: JsonValue[] = [];
  for (const v of after) {
    const count = remaining.get(v) ?? 0;
    if (count > 0) remaining.set(v, count - 1);
    else changes.push(v);
  }
  const afterValues = new Set(after);
  const deletions = [...new Set(before)].filter((v) => !afterValues.has(v));
  const order = deletions.length > 0 || !jsonEqual(before, after) ? [...after] : [];
  return { changes, deletions, order };
}

function listOfObjects(name: string, ...lists: JsonValue[][]): boolean {
  let objects: boolean | undefined;
  for (const list of lists) {
    for (const item of list) {
      if (Array.isArray(item)) throw badList(`the list "${name}" holds lists, and lists of lists cannot be merged`);
      if (objects !== undefined && objects !== isJsonObject(item)) throw badList(`the list "${name}" mixes objects and scalars`);
      objects = isJsonObject(item);
    }
  }
  return objects ?? false;
}

/** kindOf classifies a value the way the diff compares types: object, list, null, or the scalar's JS type. */
function kindOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value;
}

function keyText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function badList(state: string): PatchError {
  return new PatchError('BadRequest', `Cannot create strategic merge patch: ${state}`);
}
