/**
 * toFieldSet lists the fields a value sets, as upstream's ToFieldSet: every leaf (scalars, atomic maps and lists,
 * values of unknown shape) and every item of a granular list is a member; objects and granular maps contribute
 * only their contents, so an empty object owns nothing. `null` values count as absent.
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

function collect(value: JsonValue, node: ApplySchema, out: FieldSet): void {
  if (value === null) return;
  if (isJsonObject(value) && (node.kind === 'deduced' || (node.kind === 'map' && !node.atomic))) {
    for (const key of Object.keys(value)) {
      const child = value[key]!;
      if (child === null) continue;
      collect(child, node.field(key), out.ensureChild(fieldElement(key)));
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
