/**
 * PatchMeta answers, for one field of a value being patched, what a strategic merge patch needs to know: its
 * patch strategy, its merge key, whether it is atomic, and where its value (or list items) sit in the schema.
 * It reads the schema model (SchemaLookup) and never fails: a field the schema does not describe is `unknown`,
 * which the algorithm merges like a JSON merge patch (maps merge, lists replace) — as upstream does for fields
 * outside its type information.
 */
import type { FieldSchema, FieldType, SchemaLookup, TypeSchema } from '../schema/types.js';

/**
 * SchemaNode is where a value sits in the schema:
 * - `object`: a described type; its fields are looked up by name;
 * - `map`: a string-keyed map; every key shares the value type;
 * - `atomic`: a scalar or special type (Quantity, IntOrString, Time, RawExtension, JSON, …), replaced whole;
 * - `unknown`: not described; objects merge key by key and lists replace.
 */
export type SchemaNode =
  | { readonly kind: 'object'; readonly type: TypeSchema }
  | { readonly kind: 'map'; readonly values: FieldType }
  | { readonly kind: 'atomic' }
  | { readonly kind: 'unknown' };

/** FieldPatchMeta is the strategic-merge-patch view of one field. */
export interface FieldPatchMeta {
  /** The field's JSON name, for messages. */
  readonly name: string;
  /** `merge` merges lists (by mergeKey, or as a set of scalars); `replace` replaces lists and maps; '' is the default. */
  readonly strategy: 'merge' | 'replace' | '';
  /** True when the field carries the `retainKeys` strategy (it only matters when creating patches). */
  readonly retainKeys: boolean;
  /** The merge key of a list of objects, or '' when there is none. */
  readonly mergeKey: string;
  /**
   * True when the value must be replaced whole: a special type. `x-kubernetes-map-type` and `list-type` do not
   * count: upstream strategic merge patch reads only patch strategies and merge keys (the others steer
   * server-side apply), so e.g. a Service's atomic `selector` map still merges key by key.
   */
  readonly atomic: boolean;
  /** The schema of the field's value when it is an object or map. */
  readonly node: SchemaNode;
  /** The schema of each item when the field is a list. */
  readonly itemNode: SchemaNode;
}

const UNKNOWN: SchemaNode = { kind: 'unknown' };
const ATOMIC: SchemaNode = { kind: 'atomic' };

/** PatchSchema resolves SchemaNodes and FieldPatchMeta against a SchemaLookup, caching per-type field indexes. */
export class PatchSchema {
  readonly #lookup: SchemaLookup;
  readonly #fieldIndex = new WeakMap<TypeSchema, ReadonlyMap<string, FieldSchema>>();

  constructor(lookup: SchemaLookup) {
    this.#lookup = lookup;
  }

  /** root returns the node of a named type, or undefined when the lookup does not know the name. */
  root(typeName: string): SchemaNode | undefined {
    const type = this.#lookup.type(typeName);
    return type === undefined ? undefined : this.#typeNode(type);
  }

  /** field describes the field `key` of a value at `node`; unknown fields get default (merge-patch-like) meta. */
  field(node: SchemaNode, key: string): FieldPatchMeta {
    switch (node.kind) {
      case 'object': {
        const field = this.#fields(node.type).get(key);
        return field === undefined ? unknownField(key) : this.#fieldMeta(field);
      }
      case 'map':
        return this.#valueMeta(key, node.values, '', '');
      default:
        return unknownField(key);
    }
  }

  #fieldMeta(field: FieldSchema): FieldPatchMeta {
    return this.#valueMeta(field.name, field.type, field.patchStrategy ?? '', field.patchMergeKey ?? '');
  }

  #valueMeta(name: string, type: FieldType, patchStrategy: string, mergeKey: string): FieldPatchMeta {
    const strategies = patchStrategy.split(',').map((s) => s.trim());
    const strategy = strategies.includes('merge') ? 'merge' : strategies.includes('replace') ? 'replace' : '';
    const retainKeys = strategies.includes('retainKeys');
    if (type.kind === 'array') {
      const itemNode = this.#resolve(type.items);
      return { name, strategy, retainKeys, mergeKey, atomic: false, node: UNKNOWN, itemNode };
    }
    const node = this.#resolve(type);
    return { name, strategy, retainKeys, mergeKey, atomic: node.kind === 'atomic', node, itemNode: UNKNOWN };
  }

  #resolve(type: FieldType): SchemaNode {
    switch (type.kind) {
      case 'scalar':
      case 'special':
        return ATOMIC;
      case 'map':
        return { kind: 'map', values: type.values };
      case 'ref': {
        const target = this.#lookup.type(type.ref);
        return target === undefined ? UNKNOWN : this.#typeNode(target);
      }
      case 'array':
        // A list nested directly in a map or list has no field to carry a strategy: it is replaced whole.
        return ATOMIC;
    }
  }

  #typeNode(type: TypeSchema): SchemaNode {
    return type.special === undefined ? { kind: 'object', type } : ATOMIC;
  }

  #fields(type: TypeSchema): ReadonlyMap<string, FieldSchema> {
    let index = this.#fieldIndex.get(type);
    if (index === undefined) {
      index = new Map(type.fields.map((f) => [f.name, f]));
      this.#fieldIndex.set(type, index);
    }
    return index;
  }
}

function unknownField(name: string): FieldPatchMeta {
  return { name, strategy: '', retainKeys: false, mergeKey: '', atomic: false, node: UNKNOWN, itemNode: UNKNOWN };
}
