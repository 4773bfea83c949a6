/**
 * createdFieldsV1: the `fieldsV1` an `Update` manager owns right after it created an object, encoded straight from
 * the object. It equals `toFieldSet(obj).difference(STRIP_SET).toFieldsV1()` (the fields the create added, less the
 * fields nobody owns), but builds no FieldSet trie on the way: a create is the most frequent write, and building
 * the trie, subtracting STRIP_SET and sorting it back out cost about a tenth of the server's CPU per create.
 *
 * Contract: the result's keys are in upstream's encoding order ("." first, then fields, keys, values, indexes);
 * undefined means the create owns no field. Returns NOT_DIRECT when the object has a shape the direct walk does not
 * reproduce (two items of a granular list with the same key); the caller then takes the FieldSet path.
 */
import type { ApplySchema } from './apply-schema.js';
import { comparePathElements, FieldSet } from './field-set.js';
import { listItemElements } from './list-item-element.js';
import { STRIP_SET } from './managed-fields.js';
import { isJsonObject } from '../patch/json-value.js';
import type { JsonObject, JsonValue } from '../patch/json-value.js';

/** NOT_DIRECT says the direct encoding does not apply to this object. */
export const NOT_DIRECT = Symbol('not-direct');

type Encoded = Record<string, unknown>;

class DuplicateElement extends Error {}

/**
 * createdFieldsV1 encodes the fields a create of `obj` (without metadata.managedFields) owns, at schema `root`.
 * Keys of `obj` whose value is null are not set by the create (compareFields skips them) and own nothing.
 */
export function createdFieldsV1(obj: JsonObject, root: ApplySchema): Encoded | undefined | typeof NOT_DIRECT {
  if (!(root.kind === 'deduced' || (root.kind === 'map' && !root.atomic))) return NOT_DIRECT;
  try {
    const out: Encoded = {};
    let any = false;
    for (const key of Object.keys(obj).sort()) {
      const value = obj[key];
      if (value === undefined || value === null) continue;
      const element = `f:${key}`;
      const encoded = entry(value, root.field(key), root.isField(key), STRIP_SET.children.get(element));
      if (encoded === undefined) continue;
      out[element] = encoded;
      any = true;
    }
    return any ? out : undefined;
  } catch (err) {
    if (err instanceof DuplicateElement) return NOT_DIRECT;
    throw err;
  }
}

/** entry encodes the value of an object key (toFieldSet's collectEntry); `declared`: a declared struct field. */
function entry(value: JsonValue, node: ApplySchema, declared: boolean, strip: FieldSet | undefined): Encoded | undefined {
  if (value === null || (isJsonObject(value) && isEmptyObject(value))) return strip?.member === true ? undefined : {};
  return build(value, node, !declared, strip);
}

function isEmptyObject(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

/** build encodes one node (toFieldSet's collect into a node whose own membership is `member`). */
function build(value: JsonValue, node: ApplySchema, member: boolean, strip: FieldSet | undefined): Encoded | undefined {
  const isMember = member && strip?.member !== true;
  if (value === null) return isMember ? {} : undefined;
  // The encoding is made in place: "." first when the node is a member, then its children in order.
  let out: Encoded | undefined;
  if (isJsonObject(value) && (node.kind === 'deduced' || (node.kind === 'map' && !node.atomic))) {
    // Every child is a field element ("f:" + key): the default sort (UTF-16 code units) is upstream's order.
    for (const key of Object.keys(value).sort()) {
      const element = `f:${key}`;
      const encoded = entry(value[key]!, node.field(key), node.isField(key), strip?.children.get(element));
      if (encoded === undefined) continue;
      if (out === undefined) out = isMember ? { '.': {} } : {};
      out[element] = encoded;
    }
  } else if (Array.isArray(value) && node.kind === 'list' && node.listType !== 'atomic') {
    const itemNode = node.items();
    const elements = listItemElements(value, node);
    const order = elements.map((_, i) => i);
    if (order.length > 1) order.sort((a, b) => comparePathElements(elements[a]!, elements[b]!));
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const element = elements[i]!;
      if (k > 0 && elements[order[k - 1]!] === element) throw new DuplicateElement();
      const encoded = build(value[i]!, itemNode, true, strip?.children.get(element));
      if (encoded === undefined) continue;
      if (out === undefined) out = isMember ? { '.': {} } : {};
      out[element] = encoded;
    }
  } else {
    // A leaf (scalar, atomic value, or a value whose shape the schema does not expect) is owned whole.
    return strip?.member === true ? undefined : {};
  }
  if (out === undefined) return isMember ? {} : undefined;
  return out;
}
