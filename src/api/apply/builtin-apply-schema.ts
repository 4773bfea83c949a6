/**
 * builtinApplySchema adapts the built-in schema model (SchemaLookup) to ApplySchema.
 *
 * List types follow upstream's structured-merge-diff reading of the built-in OpenAPI: an explicit
 * `x-kubernetes-list-type` wins; otherwise a list with patch strategy `merge` and a merge key is a map-list keyed
 * by that merge key, one with strategy `merge` and no key is a set, and every other list is atomic. Maps are
 * granular unless `x-kubernetes-map-type: atomic`. Special types (Quantity, IntOrString, Time, RawExtension…)
 * are scalars.
 */
import { jsonFields } from '../schema/json-fields.js';
import type { FieldSchema, FieldType, SchemaLookup, TypeSchema } from '../schema/types.js';
import { DEDUCED, LazyListNode, LazyMapNode, SCALAR } from './apply-schema.js';
import type { ApplySchema, ListType } from './apply-schema.js';

/** Defaults of list-map key fields the server fills in (ports' `protocol`). */
const KEY_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

const CORE = 'io.k8s.api.core.v1.';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
/**
 * Types marked `+structType=atomic` upstream (the schema data does not carry struct-level markers): owned and
 * replaced as one value wherever they appear.
 */
const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  `${META}LabelSelector`,
  `${META}OwnerReference`,
  ...[
    'ConfigMapKeySelector',
    'EndpointAddress',
    'EndpointPort',
    'FileKeySelector',
    'LocalObjectReference',
    'NodeSelector',
    'NodeSelectorTerm',
    'ObjectFieldSelector',
    'ObjectReference',
    'ResourceFieldSelector',
    'ScopeSelector',
    'SecretKeySelector',
    'SecretReference',
    'TopologySelectorTerm',
    'TypedLocalObjectReference',
  ].map((name) => CORE + name),
  'io.k8s.api.autoscaling.v1.CrossVersionObjectReference',
  'io.k8s.api.discovery.v1.EndpointPort',
  'io.k8s.api.networking.v1.ServiceBackendPort',
  'io.k8s.api.rbac.v1.RoleRef',
  'io.k8s.api.rbac.v1.Subject',
  ...['MatchResources', 'NamedRuleWithOperations', 'ParamKind', 'ParamRef', 'Variable'].map((name) => `io.k8s.api.admissionregistration.v1.${name}`),
]);

/** BuiltinApplySchemas builds and caches ApplySchema nodes per built-in type. */
export class BuiltinApplySchemas {
  readonly #lookup: SchemaLookup;
  readonly #types = new Map<string, ApplySchema>();

  constructor(lookup: SchemaLookup) {
    this.#lookup = lookup;
  }

  /** forType returns the node of a named type (`deduced` when the lookup does not know it). */
  forType(typeName: string): ApplySchema {
    const cached = this.#types.get(typeName);
    if (cached !== undefined) return cached;
    const type = this.#lookup.type(typeName);
    const node = type === undefined ? DEDUCED : this.#typeNode(type, ATOMIC_STRUCTS.has(typeName));
    this.#types.set(typeName, node);
    return node;
  }

  #typeNode(type: TypeSchema, atomic: boolean): ApplySchema {
    if (type.special !== undefined) return SCALAR;
    const lookup = this.#lookup;
    return new LazyMapNode(atomic, (name) => {
      const field = jsonFields(type, lookup).get(name)?.field;
      return field === undefined ? undefined : this.#fieldNode(field);
    });
  }

  #fieldNode(field: FieldSchema): ApplySchema {
    const type = field.type;
    if (type.kind === 'array') {
      const strategies = (field.patchStrategy ?? '').split(',').map((s) => s.trim());
      const merges = strategies.includes('merge');
      let listType: ListType = field.listType ?? 'atomic';
      let keys: readonly string[] = field.listMapKeys ?? [];
      if (field.listType === undefined && merges) {
        if (field.patchMergeKey !== undefined && field.patchMergeKey !== '') {
          listType = 'map';
          keys = [field.patchMergeKey];
        } else {
          listType = 'set';
        }
      }
      if (listType === 'map' && keys.length === 0 && field.patchMergeKey) keys = [field.patchMergeKey];
      return new LazyListNode(listType, keys, () => this.#valueNode(type.items, false), KEY_DEFAULTS);
    }
    if (field.type.kind === 'map' && field.mapType === 'atomic') return new LazyMapNode(true, () => undefined, () => SCALAR);
    return this.#valueNode(type, field.mapType === 'atomic');
  }

  #valueNode(type: FieldType, atomic: boolean): ApplySchema {
    switch (type.kind) {
      case 'scalar':
      case 'special':
        return SCALAR;
      case 'map': {
        const values = type.values;
        return new LazyMapNode(atomic, () => undefined, () => this.#valueNode(values, false));
      }
      case 'ref': {
        if (atomic) {
          const target = this.#lookup.type(type.ref);
          return target === undefined ? DEDUCED : this.#typeNode(target, true);
        }
        return this.forType(type.ref);
      }
      case 'array':
        // A list directly inside a list or map has no field to carry a list type: atomic.
        return new LazyListNode('atomic', [], () => this.#valueNode(type.items, false));
    }
  }
}

const byLookup = new WeakMap<SchemaLookup, BuiltinApplySchemas>();

/**
 * builtinApplySchema returns the node of a built-in type by name, e.g. "io.k8s.api.apps.v1.Deployment", sharing
 * one cache per SchemaLookup.
 */
export function builtinApplySchema(lookup: SchemaLookup, typeName: string): ApplySchema {
  let schemas = byLookup.get(lookup);
  if (schemas === undefined) {
    schemas = new BuiltinApplySchemas(lookup);
    byLookup.set(lookup, schemas);
  }
  return schemas.forType(typeName);
}
