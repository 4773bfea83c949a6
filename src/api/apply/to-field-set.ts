/**
 * toFieldSet lists the fields a value sets, as upstream's ToFieldSet: every leaf (scalars, atomic maps and lists,
 * values of unknown shape) and every item of a granular list is a member. Under an object, a key is a member
 * itself when its value is null or an empty object, or when it is not a declared field (a map entry, or any key
 * of an untyped object); declared struct fields contribute only their contents.
 */
import type { ApplySchema } from './apply-schema.js';
import { fieldElement, FieldSet } from './field-set.js';
import { listItemElements } from './list-item-element.js';
import { isJsonObject } from '../patch/json-value.js';
import type { JsonValue } from '../patch/json-value.js';

/** toFieldSet returns the set of fields `value` (at `node`) sets; with `into`, adds them to that node instead. */
export function toFieldSet(value: JsonValue, node: ApplySchema, into: FieldSet = new FieldSet()): FieldSet {
  collect(value, node, into);
  return into;
}

/**
 * collectEntry adds the fields of `value`, the value of a key of an object, to `out` (the key's node); `declared`
 * says whether the key is a declared struct field.
 */
export function collectEntry(value: JsonValue, node: ApplySchema, out: FieldSet, declared: boolean): void {
  if (value === null || (isJsonObject(value) && isEmptyObject(value))) {
    out.member = true;
    return;
  }
  collect(value, node, out);
  if (!declared) out.member = true;
}

function isEmptyObject(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

function collect(value: JsonValue, node: ApplySchema, out: FieldSet): void {
  if (value === null) return;
  if (isJsonObject(value) && (node.kind === 'deduced' || (node.kind === 'map' && !node.atomic))) {
    for (const key of Object.keys(value)) {
      collectEntry(value[key]!, node.field(key), out.ensureChild(fieldElement(key)), node.isField(key));
    }
    return;
  }
  if (Array.isArray(value) && node.kind === 'list' && node.listType !== 'atomic') {
    const itemNode = node.items();
    const elements = listItemElements(value, node);
    value.forEach((item, index) => {
      const child = out.ensureChild(elements[index]!);
      child.member = true;
      collect(item, itemNode, child);
    });
    return;
  }
  out.member = true;
}
