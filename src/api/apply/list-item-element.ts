/**
 * listItemElements names the items of a granular list in a FieldSet: a map-list item by its key fields (missing
 * ones filled from the schema's key defaults), a set item by its value, anything else by position.
 */
import type { ApplySchema } from './apply-schema.js';
import { indexElement, valueElement } from './field-set.js';
import { isJsonObject } from '../patch/json-value.js';
import type { JsonValue } from '../patch/json-value.js';

/** Key fields sorted by name, with their JSON-quoted names, per list node. */
const sortedKeys = new WeakMap<ApplySchema, ReadonlyArray<readonly [string, string]>>();

function keysOf(node: ApplySchema): ReadonlyArray<readonly [string, string]> {
  let keys = sortedKeys.get(node);
  if (keys === undefined) {
    keys = [...node.listMapKeys].sort().map((k) => [k, JSON.stringify(k)] as const);
    sortedKeys.set(node, keys);
  }
  return keys;
}

function mapItemElement(item: JsonValue, node: ApplySchema, keys: ReadonlyArray<readonly [string, string]>, index: number): string {
  if (!isJsonObject(item)) return indexElement(index);
  let out = '';
  for (const [name, quoted] of keys) {
    const value = Object.hasOwn(item, name) ? item[name] : node.listMapKeyDefaults[name];
    if (value === undefined || value === null) continue;
    out += `${out === '' ? '' : ','}${quoted}:${JSON.stringify(value)}`;
  }
  return out === '' ? indexElement(index) : `k:{${out}}`;
}

/** listItemElements returns the path element of each item of `list`, a list at `node`. */
export function listItemElements(list: readonly JsonValue[], node: ApplySchema): string[] {
  if (node.listType === 'map' && node.listMapKeys.length > 0) {
    const keys = keysOf(node);
    return list.map((item, i) => mapItemElement(item, node, keys, i));
  }
  if (node.listType === 'set') return list.map((item, i) => (item === null || typeof item !== 'object' ? valueElement(item) : indexElement(i)));
  return list.map((_, i) => indexElement(i));
}
