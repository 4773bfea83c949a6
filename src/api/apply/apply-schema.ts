/**
 * ApplySchema: the small view of a type that server-side apply needs, walked one value at a time. Two adapters
 * produce it: `builtinApplySchema` over the built-in schema model (SchemaLookup) and `structuralApplySchema` over
 * a CustomResourceDefinition's OpenAPI v3 structural schema.
 *
 * Kinds of node:
 *   - `scalar`: a leaf replaced whole (strings, numbers, Quantity, IntOrString, Time, RawExtension…);
 *   - `map`: an object or string-keyed map, merged key by key unless `atomic`; `field(name)` gives each value's node;
 *   - `list`: `listType` `atomic` (replaced whole), `set` (union of scalar items) or `map` (items merged by
 *     `listMapKeys`); `items()` gives the item node;
 *   - `deduced`: nothing is known (fields outside the schema, `x-kubernetes-preserve-unknown-fields`): objects
 *     merge key by key, lists and scalars are replaced, as upstream treats untyped values.
 */

/** ListType is how a list merges. */
export type ListType = 'atomic' | 'set' | 'map';

/** ApplySchema describes where a value sits in its type. */
export interface ApplySchema {
  readonly kind: 'scalar' | 'map' | 'list' | 'deduced';
  /** For `map`: the whole map is owned and replaced as one value (`x-kubernetes-map-type: atomic`). */
  readonly atomic: boolean;
  /** For `list`. */
  readonly listType: ListType;
  /** For `list` with listType `map`: the key fields of each item. */
  readonly listMapKeys: readonly string[];
  /**
   * For `list` with listType `map`: values of key fields an item may leave out because the server defaults them
   * (a container port's `protocol` is "TCP"), so an applied item still matches its defaulted live twin.
   */
  readonly listMapKeyDefaults: Readonly<Record<string, unknown>>;
  /** For `map`: the node of the value under `name` (a `deduced` node for names the schema does not describe). */
  field(name: string): ApplySchema;
  /**
   * For `map`: whether `name` is a field the schema declares (a struct field), as opposed to a key of a map or
   * an undeclared name. Undeclared keys are owned as a whole, like upstream's map entries.
   */
  isField(name: string): boolean;
  /** For `list`: the node of every item. */
  items(): ApplySchema;
}

const NO_DEFAULTS: Readonly<Record<string, unknown>> = {};

class FixedNode implements ApplySchema {
  readonly listMapKeys: readonly string[] = [];
  readonly listMapKeyDefaults = NO_DEFAULTS;
  readonly listType: ListType = 'atomic';
  constructor(
    readonly kind: 'scalar' | 'deduced',
    readonly atomic: boolean,
  ) {}
  field(): ApplySchema {
    return DEDUCED;
  }
  isField(): boolean {
    return false;
  }
  items(): ApplySchema {
    return DEDUCED;
  }
}

/** DEDUCED is the node for values without a schema. */
export const DEDUCED: ApplySchema = new FixedNode('deduced', false);
/** SCALAR is the node for leaves replaced whole. */
export const SCALAR: ApplySchema = new FixedNode('scalar', true);

/**
 * LazyMapNode is a `map` node resolved on first use (schemas are recursive: JSONSchemaProps). Named fields
 * (`fields`, bounded by the schema) are cached by name; every other key shares the one `rest` node, so keys of
 * maps (labels, data) are never remembered.
 */
export class LazyMapNode implements ApplySchema {
  readonly kind = 'map';
  readonly listType: ListType = 'atomic';
  readonly listMapKeys: readonly string[] = [];
  readonly listMapKeyDefaults = NO_DEFAULTS;
  readonly #fields: (name: string) => ApplySchema | undefined;
  readonly #rest: () => ApplySchema;
  readonly #cache = new Map<string, ApplySchema>();
  #restNode: ApplySchema | undefined;

  constructor(
    readonly atomic: boolean,
    fields: (name: string) => ApplySchema | undefined,
    rest: () => ApplySchema = () => DEDUCED,
  ) {
    this.#fields = fields;
    this.#rest = rest;
  }

  field(name: string): ApplySchema {
    const cached = this.#cache.get(name);
    if (cached !== undefined) return cached;
    const node = this.#fields(name);
    if (node !== undefined) {
      this.#cache.set(name, node);
      return node;
    }
    this.#restNode ??= this.#rest();
    return this.#restNode;
  }

  isField(name: string): boolean {
    return this.#cache.has(name) || this.field(name) !== this.#restNode;
  }

  items(): ApplySchema {
    return DEDUCED;
  }
}

/** LazyListNode is a `list` node whose item node is resolved on first use. */
export class LazyListNode implements ApplySchema {
  readonly kind = 'list';
  readonly atomic = false;
  readonly #resolve: () => ApplySchema;
  #items: ApplySchema | undefined;

  constructor(
    readonly listType: ListType,
    readonly listMapKeys: readonly string[],
    resolve: () => ApplySchema,
    readonly listMapKeyDefaults: Readonly<Record<string, unknown>> = NO_DEFAULTS,
  ) {
    this.#resolve = resolve;
  }

  field(): ApplySchema {
    return DEDUCED;
  }

  isField(): boolean {
    return false;
  }

  items(): ApplySchema {
    this.#items ??= this.#resolve();
    return this.#items;
  }
}
