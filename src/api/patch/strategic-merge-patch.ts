/**
 * Strategic merge patch (`application/strategic-merge-patch+json`): a partial object merged into the current
 * object under the control of the schema. Compared with a JSON merge patch:
 * - lists whose field has `patchStrategy: merge` merge instead of being replaced: lists of objects item by item
 *   on the field's `patchMergeKey` (containers by `name`, ports by `containerPort`), lists of scalars as sets;
 * - special types (Quantity, IntOrString, Time, RawExtension, JSON, …) are replaced whole; `x-kubernetes-map-type`
 *   and `list-type` are ignored, as upstream ignores them here (they steer server-side apply);
 * - directives steer the merge:
 *   - `"$patch": "replace"` in an object replaces the object; as a list item it replaces the list;
 *   - `"$patch": "delete"` in an object empties it; as a list item (with the merge key) it removes that item;
 *   - `"$patch": "merge"` is the default and may be stated;
 *   - `"$setElementOrder/<list>": [...]` orders a merged list (items it names first, in its order; other items
 *     keep their place relative to the current list);
 *   - `"$retainKeys": [...]` clears every field of the object not named in it;
 *   - `"$deleteFromPrimitiveList/<list>": [...]` removes those values from a list of scalars.
 *
 * Ordering of merged lists follows upstream: patch items keep the patch's order, items only on the server keep
 * theirs, and the two are interleaved by their positions in the current list (so a new item goes first unless
 * `$setElementOrder` places it).
 *
 * Inputs are never mutated and the result shares no values with them.
 */
import { cloneJson, getJsonProperty, isJsonObject, setJsonProperty } from './json-value.js';
import type { JsonObject, JsonValue } from './json-value.js';
import { assertPatchDepth, PatchError } from './patch-error.js';
import { PatchSchema } from './patch-meta.js';
import type { FieldPatchMeta, SchemaNode } from './patch-meta.js';
import type { SchemaLookup } from '../schema/types.js';

const PATCH_KIND = 'strategic merge patch';

/** The directive key inside an object or list item. */
const DIRECTIVE = '$patch';
/** The key listing the fields an object keeps. */
const RETAIN_KEYS = '$retainKeys';
/** The prefix of `$setElementOrder/<list>` keys. */
const SET_ELEMENT_ORDER = '$setElementOrder';
/** The prefix of `$deleteFromPrimitiveList/<list>` keys. */
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

/**
 * applyStrategicMergePatch merges `patch` into a copy of `doc`, reading strategies and merge keys from the type
 * named `typeName` (e.g. "io.k8s.api.apps.v1.Deployment") in `lookup`.
 *
 * Throws PatchError `BadRequest` for a malformed patch (an unknown directive, a list item without its merge
 * key, a `$setElementOrder` list that contradicts the patch, fields outside `$retainKeys`, a list mixing
 * objects and scalars, or nesting deeper than MAX_PATCH_DEPTH). Throws a plain Error when `typeName` is not in
 * `lookup` (a server bug, not a client error).
 */
export function applyStrategicMergePatch(doc: JsonObject, patch: JsonObject, typeName: string, lookup: SchemaLookup): JsonObject {
  assertPatchDepth(patch, PATCH_KIND);
  const schema = new PatchSchema(lookup);
  const root = schema.root(typeName);
  if (root === undefined) throw new Error(`Cannot apply ${PATCH_KIND}: no schema for type "${typeName}"`);
  return new StrategicMerger(schema).mergeObject(cloneJson(doc), patch, root);
}

/** StrategicMerger holds the schema during one patch; `original` arguments are private copies it may mutate. */
class StrategicMerger {
  readonly #schema: PatchSchema;

  constructor(schema: PatchSchema) {
    this.#schema = schema;
  }

  /** mergeObject merges `patch` into `original` (mutated) and returns the result, which may be a new object. */
  mergeObject(original: JsonObject, patch: JsonObject, node: SchemaNode): JsonObject {
    const directive = getJsonProperty(patch, DIRECTIVE);
    if (directive !== undefined) {
      if (directive === 'delete') return {};
      if (directive === 'replace') return this.mergeObject({}, withoutKey(patch, DIRECTIVE), node);
      if (directive !== 'merge') throw unknownDirective(directive);
    }
    applyRetainKeys(original, patch);

    const done = new Set<string>([DIRECTIVE, RETAIN_KEYS]);
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
      const field = directiveTarget(key, SET_ELEMENT_ORDER);
      this.#setElementOrder(original, patch, field, this.#schema.field(node, field));
      done.add(key).add(field);
    }
    for (const [key, value] of Object.entries(patch)) {
      if (done.has(key)) continue;
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        deleteFromPrimitiveList(original, directiveTarget(key, DELETE_FROM_PRIMITIVE_LIST), value);
      } else {
        this.#mergeField(original, key, value, this.#schema.field(node, key));
      }
    }
    return original;
  }

  #mergeField(original: JsonObject, key: string, value: JsonValue, meta: FieldPatchMeta): void {
    const current = getJsonProperty(original, key);
    let merged: JsonValue | undefined;
    if (value === null) {
      merged = undefined;
    } else if (current === undefined || meta.atomic) {
      merged = this.#newValue(value, meta);
    } else if (isJsonObject(current) && isJsonObject(value)) {
      merged = meta.strategy === 'replace' ? this.#newValue(value, meta) : this.mergeObject(current, value, meta.node);
    } else if (Array.isArray(current) && Array.isArray(value)) {
      merged = this.#mergeList(current, value, meta);
    } else {
      merged = this.#newValue(value, meta);
    }
    if (merged === undefined) {
      delete original[key];
    } else {
      setJsonProperty(original, key, merged);
    }
  }

  /**
   * newValue turns a patch value for an absent (or differently typed) field into plain data: directives are
   * applied to nothing, nulls dropped. It returns undefined when the value asks to be deleted.
   */
  #newValue(value: JsonValue, meta: FieldPatchMeta): JsonValue | undefined {
    if (meta.atomic) return cloneJson(value);
    if (isJsonObject(value)) {
      return getJsonProperty(value, DIRECTIVE) === 'delete' ? undefined : this.mergeObject({}, value, meta.node);
    }
    if (Array.isArray(value)) return this.#mergeList([], value, meta);
    return value;
  }

  #mergeList(current: JsonValue[], patch: JsonValue[], meta: FieldPatchMeta): JsonValue[] {
    if (meta.strategy !== 'merge') return this.#replaceList(patch, meta);
    if (patch.length === 0) return current;
    const { items, replace } = this.#splitDirectives(patch, meta);
    const objects = elementsAreObjects(meta.name, current, items);
    if (!objects) {
      if (replace.length > 0) return [...items];
      return mergeScalars(current, items);
    }
    if (meta.mergeKey === '') {
      throw badPatch(`the list "${meta.name}" holds objects but has no merge key, so it cannot be merged`);
    }
    const mergeKey = meta.mergeKey;
    if (replace.length > 0) return items.map((item) => this.mergeObject({}, item as JsonObject, meta.itemNode));

    const keyOf = (v: JsonValue): unknown => (isJsonObject(v) ? getJsonProperty(v, mergeKey) : undefined);
    const deleted = new Set<unknown>(this.#deletions(patch, meta));
    const server = deleted.size === 0 ? current : current.filter((e) => !isJsonObject(e) || !deleted.has(keyOf(e)));
    const merged = [...server];
    // Index by merge key so that merging n patch items into m current ones costs O(n + m), not O(n * m).
    const position = firstIndexes(merged, keyOf);
    for (const raw of items) {
      const item = raw as JsonObject;
      const keyValue = mergeKeyOf(item, meta);
      const at = position.get(keyValue);
      const existing = at === undefined ? undefined : merged[at];
      if (at !== undefined && existing !== undefined && isJsonObject(existing)) {
        merged[at] = this.mergeObject(existing, item, meta.itemNode);
      } else {
        position.set(keyValue, merged.length);
        merged.push(this.mergeObject({}, item, meta.itemNode));
      }
    }
    return orderMerged(merged, items, server, keyOf);
  }

  /**
   * splitDirectives separates directive items (`{"$patch": ...}`) from plain items of a merging list. A
   * `merge` directive item is a plain item with the directive removed.
   */
  #splitDirectives(patch: JsonValue[], meta: FieldPatchMeta): { items: JsonValue[]; replace: JsonValue[] } {
    const items: JsonValue[] = [];
    const replace: JsonValue[] = [];
    for (const item of patch) {
      const directive = isJsonObject(item) ? getJsonProperty(item, DIRECTIVE) : undefined;
      if (directive === undefined) {
        items.push(item);
      } else if (directive === 'replace') {
        replace.push(item);
      } else if (directive === 'merge') {
        items.push(withoutKey(item as JsonObject, DIRECTIVE));
      } else if (directive !== 'delete') {
        throw unknownDirective(directive);
      } else if (meta.mergeKey !== '') {
        mergeKeyOf(item as JsonObject, meta);
      } else {
        throw badPatch(`the list "${meta.name}" has no merge key, so "${DIRECTIVE}": "delete" cannot name an item of it`);
      }
    }
    return { items, replace };
  }

  /** deletions lists the merge-key values of `{"$patch": "delete"}` items. */
  #deletions(patch: JsonValue[], meta: FieldPatchMeta): JsonValue[] {
    return patch.filter((i): i is JsonObject => isJsonObject(i) && getJsonProperty(i, DIRECTIVE) === 'delete').map((i) => mergeKeyOf(i, meta));
  }

  /** replaceList builds a list that replaces the current one: items carrying a directive are dropped. */
  #replaceList(patch: JsonValue[], meta: FieldPatchMeta): JsonValue[] {
    const result: JsonValue[] = [];
    for (const item of patch) {
      if (isJsonObject(item)) {
        if (getJsonProperty(item, DIRECTIVE) === undefined) result.push(this.mergeObject({}, item, meta.itemNode));
      } else {
        result.push(Array.isArray(item) ? cloneJson(item) : item);
      }
    }
    return result;
  }

  #setElementOrder(original: JsonObject, patch: JsonObject, field: string, meta: FieldPatchMeta): void {
    const directiveKey = `${SET_ELEMENT_ORDER}/${field}`;
    const order = getJsonProperty(patch, directiveKey);
    if (!Array.isArray(order)) throw badPatch(`"${directiveKey}" must be a list`);
    const current = getJsonProperty(original, field);
    const patchList = getJsonProperty(patch, field);
    if (patchList === null) {
      delete original[field];
      return;
    }
    if (patchList !== undefined && !Array.isArray(patchList)) throw badPatch(`"${field}" must be a list because "${directiveKey}" orders it`);
    const currentList = Array.isArray(current) ? current : undefined;
    if (patchList !== undefined) checkOrderAgreement(patchList, order, meta, directiveKey);

    let merged: JsonValue[] | undefined;
    if (patchList === undefined) {
      merged = currentList;
    } else {
      merged = currentList === undefined ? this.#mergeList([], patchList, meta) : this.#mergeList(currentList, patchList, meta);
    }
    if (merged === undefined) return;
    if (meta.strategy === 'merge' && merged.length > 0) {
      const objects = merged.some(isJsonObject);
      if (!objects || meta.mergeKey !== '') {
        const keyOf = objects ? (v: JsonValue): unknown => (isJsonObject(v) ? getJsonProperty(v, meta.mergeKey) : undefined) : (v: JsonValue): unknown => v;
        const serverOrder = objects && patchList !== undefined ? this.#serverOrder(currentList ?? [], patchList, meta) : (currentList ?? []);
        merged = orderMerged(merged, order, serverOrder, keyOf);
      }
    }
    setJsonProperty(original, field, merged);
  }

  /**
   * serverOrder is the reference order `$setElementOrder` uses to place server-only items of a list of objects.
   * Upstream reads it from the current list after deleted items were spliced out and new items were written
   * into the freed slots (a side effect of sharing the list's storage), so a new item takes the place of a
   * deleted one. Clients such as `kubectl apply` have been tested against that order, so we reproduce it.
   */
  #serverOrder(current: JsonValue[], patchList: JsonValue[], meta: FieldPatchMeta): JsonValue[] {
    const mergeKey = meta.mergeKey;
    const deleted = new Set<unknown>(this.#deletions(patchList, meta));
    if (deleted.size === 0 || patchList.some((i) => isJsonObject(i) && getJsonProperty(i, DIRECTIVE) === 'replace')) return current;
    const kept = current.filter((e) => !isJsonObject(e) || !deleted.has(getJsonProperty(e, mergeKey)));
    const present = new Set<unknown>(kept.map((e) => (isJsonObject(e) ? getJsonProperty(e, mergeKey) : undefined)));
    const added: JsonValue[] = [];
    for (const item of patchList) {
      if (!isJsonObject(item) || getJsonProperty(item, DIRECTIVE) !== undefined) continue;
      const key = getJsonProperty(item, mergeKey);
      if (!present.has(key)) {
        present.add(key);
        added.push(item);
      }
    }
    return [...kept, ...added].slice(0, current.length);
  }
}

/**
 * orderMerged orders a merged list: items whose key appears in `order` come in `order`'s sequence, the others
 * ("server-only") in `serverOrder`'s; then the two runs are interleaved, a server-only item going first only
 * when both items are in `serverOrder` and it comes earlier there.
 */
function orderMerged(merged: JsonValue[], order: JsonValue[], serverOrder: JsonValue[], keyOf: (v: JsonValue) => unknown): JsonValue[] {
  const orderIndex = firstIndexes(order, keyOf);
  const serverIndex = firstIndexes(serverOrder, keyOf);
  const byIndex = (index: Map<unknown, number>) => (a: JsonValue, b: JsonValue) =>
    (index.get(keyOf(a)) ?? Number.MAX_SAFE_INTEGER) - (index.get(keyOf(b)) ?? Number.MAX_SAFE_INTEGER);
  const fromPatch = merged.filter((v) => orderIndex.has(keyOf(v))).sort(byIndex(orderIndex));
  const serverOnly = merged.filter((v) => !orderIndex.has(keyOf(v))).sort(byIndex(serverIndex));

  const result: JsonValue[] = [];
  let s = 0;
  let p = 0;
  while (s < serverOnly.length && p < fromPatch.length) {
    const si = serverIndex.get(keyOf(serverOnly[s] as JsonValue));
    const pi = serverIndex.get(keyOf(fromPatch[p] as JsonValue));
    if (si !== undefined && pi !== undefined && si < pi) {
      result.push(serverOnly[s++] as JsonValue);
    } else {
      result.push(fromPatch[p++] as JsonValue);
    }
  }
  return result.concat(serverOnly.slice(s), fromPatch.slice(p));
}

function firstIndexes(list: JsonValue[], keyOf: (v: JsonValue) => unknown): Map<unknown, number> {
  const index = new Map<unknown, number>();
  list.forEach((v, i) => {
    const key = keyOf(v);
    if (key !== undefined && !index.has(key)) index.set(key, i);
  });
  return index;
}

/** mergeScalars merges two lists of scalars as sets: the union without duplicates, ordered as for objects. */
function mergeScalars(current: JsonValue[], patch: JsonValue[]): JsonValue[] {
  const merged = [...new Set([...current, ...patch])];
  return orderMerged(merged, patch, current, (v) => v);
}

/**
 * elementsAreObjects reports whether the items of a merging list are objects (true) or scalars (false). Lists
 * of lists and lists mixing objects with scalars cannot be merged.
 */
function elementsAreObjects(name: string, ...lists: JsonValue[][]): boolean {
  let objects: boolean | undefined;
  for (const list of lists) {
    for (const item of list) {
      if (Array.isArray(item)) throw badPatch(`the list "${name}" holds lists, and lists of lists cannot be merged`);
      const isObject = isJsonObject(item);
      if (objects !== undefined && objects !== isObject) throw badPatch(`the list "${name}" mixes objects and scalars`);
      objects = isObject;
    }
  }
  return objects ?? false;
}

function mergeKeyOf(item: JsonObject, meta: FieldPatchMeta): JsonValue {
  const value = getJsonProperty(item, meta.mergeKey);
  if (value === undefined) throw badPatch(`an item of the list "${meta.name}" lacks its merge key "${meta.mergeKey}"`);
  return value;
}

/**
 * checkOrderAgreement rejects a patch list whose items are not a subsequence of the `$setElementOrder` list
 * (ignoring directive items), since the order could then not be honoured.
 */
function checkOrderAgreement(patchList: JsonValue[], order: JsonValue[], meta: FieldPatchMeta, directiveKey: string): void {
  const plain = patchList.filter((i) => !(isJsonObject(i) && getJsonProperty(i, DIRECTIVE) !== undefined));
  const keyOf = (v: JsonValue): unknown => {
    if (meta.mergeKey === '') return v;
    if (!isJsonObject(v)) throw badPatch(`the items of "${directiveKey}" must be objects carrying the merge key "${meta.mergeKey}"`);
    return mergeKeyOf(v, meta);
  };
  let p = 0;
  for (let o = 0; o < order.length && p < plain.length; o++) {
    if (keyOf(plain[p] as JsonValue) === keyOf(order[o] as JsonValue)) p++;
  }
  if (p < plain.length) throw badPatch(`the items of "${meta.name}" are not in the order "${directiveKey}" gives`);
}

/** applyRetainKeys clears the fields of `original` that a `$retainKeys` directive in `patch` does not name. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  const retain = getJsonProperty(patch, RETAIN_KEYS);
  if (retain === undefined) return;
  if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
    throw badPatch(`"${RETAIN_KEYS}" must be a list of field names`);
  }
  const keep = new Set<string>(retain as string[]);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key === RETAIN_KEYS || key === DIRECTIVE) continue;
    if (key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (!keep.has(key)) throw badPatch(`the field "${key}" is set by the patch but missing from "${RETAIN_KEYS}"`);
  }
  for (const key of Object.keys(original)) {
    if (!keep.has(key)) delete original[key];
  }
}

/** deleteFromPrimitiveList removes the listed scalars from `original[field]`; an absent list stays absent. */
function deleteFromPrimitiveList(original: JsonObject, field: string, values: JsonValue): void {
  if (!Array.isArray(values)) throw badPatch(`"${DELETE_FROM_PRIMITIVE_LIST}/${field}" must be a list`);
  const current = getJsonProperty(original, field);
  if (!Array.isArray(current)) return;
  const drop = new Set<JsonValue>(values.filter((v) => typeof v !== 'object' || v === null));
  setJsonProperty(
    original,
    field,
    current.filter((v) => !drop.has(v)),
  );
}

/** directiveTarget returns the list name of a `<prefix>/<list>` key. */
function directiveTarget(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw badPatch(`"${key}" is not of the form "${prefix}/<field>"`);
  return key.slice(slash + 1);
}

function withoutKey(object: JsonObject, key: string): JsonObject {
  const copy: JsonObject = {};
  for (const [k, v] of Object.entries(object)) if (k !== key) setJsonProperty(copy, k, v);
  return copy;
}

function unknownDirective(directive: JsonValue): PatchError {
  return badPatch(`unknown "${DIRECTIVE}" directive ${JSON.stringify(directive)}; expected "replace", "merge" or "delete"`);
}

function badPatch(state: string): PatchError {
  return new PatchError('BadRequest', `Cannot apply ${PATCH_KIND}: ${state}`);
}
