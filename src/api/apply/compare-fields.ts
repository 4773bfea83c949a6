/**
 * compareFields tells which fields differ between two versions of an object (upstream's Compare): `added` are
 * set only in the new one, `removed` only in the old one, `modified` set in both with different values. Leaves
 * and atomic values compare as whole values; list items present on one side only count with all their fields
 * and the item itself.
 */
import type { ApplySchema } from './apply-schema.js';
import { fieldElement, FieldSet } from './field-set.js';
import { listItemElements } from './list-item-element.js';
import { collectEntry, toFieldSet } from './to-field-set.js';
import { isJsonObject, jsonEqual } from '../patch/json-value.js';
import type { JsonValue } from '../patch/json-value.js';

/** FieldComparison is the result of compareFields. */
export interface FieldComparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/** compareFields compares `before` and `after` (either may be undefined: absent) at `node`. */
export function compareFields(before: JsonValue | undefined, after: JsonValue | undefined, node: ApplySchema): FieldComparison {
  const out: FieldComparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compare(before, after, node, out, [], true);
  return out;
}

function at(set: FieldSet, path: readonly string[]): FieldSet {
  return set.ensurePath(path);
}

/** `declared` says whether the last path element is a declared struct field (see collectEntry). */
function compare(a: JsonValue | undefined, b: JsonValue | undefined, node: ApplySchema, out: FieldComparison, path: string[], declared: boolean): void {
  const hasA = a !== undefined && a !== null;
  const hasB = b !== undefined && b !== null;
  if (!hasA && !hasB) return;
  if (!hasA) {
    collectEntry(b!, node, at(out.added, path), declared);
    return;
  }
  if (!hasB) {
    collectEntry(a, node, at(out.removed, path), declared);
    return;
  }
  if (a === b) return;
  const granularMap = node.kind === 'deduced' || (node.kind === 'map' && !node.atomic);
  if (granularMap && isJsonObject(a) && isJsonObject(b)) {
    for (const key of Object.keys(a)) {
      path.push(fieldElement(key));
      compare(a[key], Object.hasOwn(b, key) ? b[key] : undefined, node.field(key), out, path, node.isField(key));
      path.pop();
    }
    for (const key of Object.keys(b)) {
      if (Object.hasOwn(a, key)) continue;
      path.push(fieldElement(key));
      compare(undefined, b[key], node.field(key), out, path, node.isField(key));
      path.pop();
    }
    return;
  }
  if (node.kind === 'list' && node.listType !== 'atomic' && Array.isArray(a) && Array.isArray(b)) {
    const itemNode = node.items();
    const before = new Map<string, JsonValue>();
    listItemElements(a, node).forEach((element, i) => {
      if (!before.has(element)) before.set(element, a[i]!);
    });
    const seen = new Set<string>();
    const elements = listItemElements(b, node);
    b.forEach((item, i) => {
      const element = elements[i]!;
      if (seen.has(element)) return;
      seen.add(element);
      path.push(element);
      const old = before.get(element);
      if (old === undefined) {
        const added = at(out.added, path);
        added.member = true;
        toFieldSet(item, itemNode, added);
      } else {
        compare(old, item, itemNode, out, path, true);
      }
      path.pop();
    });
    for (const [element, item] of before) {
      if (seen.has(element)) continue;
      path.push(element);
      const removed = at(out.removed, path);
      removed.member = true;
      toFieldSet(item, itemNode, removed);
      path.pop();
    }
    return;
  }
  if (!jsonEqual(a, b)) at(out.modified, path).member = true;
}
