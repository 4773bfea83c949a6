/**
 * createdFieldsV1: the `fieldsV1` an `Update` manager owns right after it created an object, encoded straight from
 * the object. It equals `toFieldSet(obj).difference(STRIP_SET).toFieldsV1()` (the fields the create added, less the
 * fields nobody owns), but builds no FieldSet trie on the way: a create is the most frequent write, and building
 * the trie, subtracting STRIP_SET and sorting it back out cost about a tenth of the server's CPU per create.
 *
 * Contract: the result's keys are in upstream's encoding order ("." first, then fields, keys, values, indexes);
 * undefined means the create owns no field. Returns NOT_DIRECT when the object has a shape the direct walk does not
 * reproduce (two items of a granular list with the same key); the caller then takes the FieldSet path.
 *
 * Items of granular lists (containers, their env, ports and mounts, volumes) are most of a pod's fieldsV1, and they
 * have the same shape in every pod of a workload. Their encodings are remembered by shape (itemShape): a later item
 * of the same shape under the same schema node gets the same encoded object. Encoded values are therefore shared
 * between stored objects and must never be changed (as decodeManagedFields' `decoded` ones are not).
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
      const element = fieldElement(key);
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

/**
 * Field elements ("f:" + key) already made, up to MAX_FIELD_ELEMENTS of them. Keys from JSON.parse are internalized
 * strings, so the lookup is one hash probe, and the element it returns is an internalized string too: a fresh
 * concatenation is flattened and internalized again by every object property it names. The bound keeps user-chosen
 * keys (labels, annotations) from growing the table without limit; past it, elements are made afresh.
 */
const fieldElements = new Map<string, string>();
const MAX_FIELD_ELEMENTS = 20_000;

function fieldElement(key: string): string {
  let element = fieldElements.get(key);
  if (element === undefined) {
    element = `f:${key}`;
    if (fieldElements.size < MAX_FIELD_ELEMENTS) fieldElements.set(key, element);
  }
  return element;
}

/** Encoded list items by schema node and shape (itemShape); MAX_ITEM_SHAPES per node, then items are not remembered. */
const itemEncodings = new WeakMap<ApplySchema, Map<string, Encoded | undefined | typeof DUPLICATE>>();
const MAX_ITEM_SHAPES = 512;
/** DUPLICATE remembers that a shape holds a list with two items of the same key (DuplicateElement). */
const DUPLICATE = Symbol('duplicate');

/**
 * item encodes one item of a granular list at `node` (a member, no STRIP_SET below it), from the shared encodings
 * when an item of the same shape was encoded before. Only object items are remembered: a scalar item's encoding is
 * a leaf, cheaper to make than to look up.
 */
function item(value: JsonValue, node: ApplySchema): Encoded | undefined {
  if (!isJsonObject(value)) return build(value, node, true, undefined);
  let byShape = itemEncodings.get(node);
  if (byShape === undefined) {
    byShape = new Map();
    itemEncodings.set(node, byShape);
  }
  const shape = itemShape(value, node);
  const known = byShape.get(shape);
  if (known === DUPLICATE) throw new DuplicateElement();
  if (known !== undefined || byShape.has(shape)) return known;
  let encoded: Encoded | undefined;
  try {
    encoded = build(value, node, true, undefined);
  } catch (err) {
    if (err instanceof DuplicateElement && byShape.size < MAX_ITEM_SHAPES) byShape.set(shape, DUPLICATE);
    throw err;
  }
  if (byShape.size < MAX_ITEM_SHAPES) byShape.set(shape, encoded);
  return encoded;
}

/**
 * itemShape renders everything build's result depends on, and nothing else: each object key (with how its value
 * is encoded), each granular list's item elements, and which values are null, empty objects or leaves. Scalar
 * values outside list keys (names, images, label values) are left out, so that items differing only in them share
 * a shape. Keys and elements are length-prefixed, so no two different values render the same.
 */
function itemShape(value: JsonValue, node: ApplySchema): string {
  if (value === null) return 'n';
  if (isJsonObject(value) && (node.kind === 'deduced' || (node.kind === 'map' && !node.atomic))) {
    let out = '{';
    for (const key in value) {
      const child = value[key]!;
      // entry's two cases: null or {} is a leaf whatever the schema; a declared field is not a member itself.
      const inner = child === null ? 'n' : isJsonObject(child) && isEmptyObject(child) ? 'e' : itemShape(child, node.field(key));
      out += `${key.length}:${key}${node.isField(key) ? 'd' : 'u'}${inner}`;
    }
    return `${out}}`;
  }
  if (Array.isArray(value) && node.kind === 'list' && node.listType !== 'atomic') {
    const itemNode = node.items();
    const elements = listItemElements(value, node);
    let out = '[';
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i]!;
      out += `${element.length}:${element}${itemShape(value[i]!, itemNode)}`;
    }
    return `${out}]`;
  }
  return 'l';
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
      const element = fieldElement(key);
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
      const itemStrip = strip?.children.get(element);
      const encoded = itemStrip === undefined ? item(value[i]!, itemNode) : build(value[i]!, itemNode, true, itemStrip);
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
