/**
 * removeFields removes the members of a FieldSet from a value (upstream's RemoveItems): a member field is
 * deleted, a member list item dropped. Objects and lists that lose their last entry this way are removed too,
 * as upstream's typed objects drop emptied maps. With `keep`, a member that still has kept paths below it is not
 * removed whole; only its other members are.
 *
 * The input is not changed; the result copies the objects and lists on the way to what was removed.
 */
import type { ApplySchema } from './apply-schema.js';
import { fieldElement, FieldSet } from './field-set.js';
import { listItemElements } from './list-item-element.js';
import { isJsonObject, setJsonProperty } from '../patch/json-value.js';
import type { JsonObject, JsonValue } from '../patch/json-value.js';

const NOTHING = new FieldSet();

/**
 * removeFields returns `value` (at `node`) without the members of `remove`, or undefined when nothing of it
 * remains. `keep` protects paths (and their parents) from removal.
 */
export function removeFields(value: JsonValue, remove: FieldSet, node: ApplySchema, keep: FieldSet = NOTHING): JsonValue | undefined {
  if (remove.children.size === 0) return value;
  if (isJsonObject(value) && (node.kind === 'deduced' || (node.kind === 'map' && !node.atomic))) {
    let out: JsonObject | undefined;
    for (const [element, sub] of remove.children) {
      if (element[0] !== 'f') continue;
      const name = element.slice(2);
      if (!Object.hasOwn(value, name)) continue;
      const kept = keep.child(element) ?? NOTHING;
      const next = removeChild(value[name]!, sub, node.field(name), kept);
      if (next === value[name]) continue;
      out ??= { ...value };
      if (next === undefined) delete out[name];
      else setJsonProperty(out, name, next);
    }
    if (out === undefined) return value;
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (Array.isArray(value) && node.kind === 'list' && node.listType !== 'atomic') {
    const itemNode = node.items();
    // An item kept for another owner's sake keeps its key fields: they are its identity.
    const keyFields = new FieldSet();
    for (const key of node.listMapKeys) keyFields.insert([fieldElement(key)]);
    let changed = false;
    const out: JsonValue[] = [];
    const elements = listItemElements(value, node);
    value.forEach((item, i) => {
      const element = elements[i]!;
      const sub = remove.child(element);
      if (sub === undefined) {
        out.push(item);
        return;
      }
      const next = removeChild(item, sub, itemNode, keep.child(element) ?? NOTHING, keyFields);
      if (next !== item) changed = true;
      if (next !== undefined) out.push(next);
    });
    if (!changed) return value;
    return out.length === 0 ? undefined : out;
  }
  return value;
}

function removeChild(value: JsonValue, sub: FieldSet, node: ApplySchema, keep: FieldSet, identity: FieldSet = NOTHING): JsonValue | undefined {
  if (sub.member && keep.isEmpty()) return undefined;
  return removeFields(value, sub.difference(identity), node, keep);
}
