/**
 * structuralApplySchema adapts an OpenAPI v3 structural schema (a CustomResourceDefinition version's
 * `schema.openAPIV3Schema`) to ApplySchema, reading the Kubernetes extensions:
 *   - `x-kubernetes-list-type` (`atomic` when absent, as upstream), `x-kubernetes-list-map-keys` and the
 *     `default` of key properties;
 *   - `x-kubernetes-map-type` (`granular` when absent);
 *   - `x-kubernetes-preserve-unknown-fields` (unlisted properties are `deduced`);
 *   - `x-kubernetes-int-or-string` (a scalar).
 */
import { builtinSchemas } from '../schema/schema-registry.js';
import { DEDUCED, LazyListNode, LazyMapNode, SCALAR } from './apply-schema.js';
import type { ApplySchema, ListType } from './apply-schema.js';
import { builtinApplySchema } from './builtin-apply-schema.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** StructuralSchema is the part of a JSON schema object this adapter reads. */
export interface StructuralSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, StructuralSchema>>;
  readonly additionalProperties?: StructuralSchema | boolean;
  readonly items?: StructuralSchema;
  readonly default?: unknown;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: string;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
}

/** StructuralApplySchemaOptions completes what a CRD schema leaves out. */
export interface StructuralApplySchemaOptions {
  /**
   * The node of the root's `metadata` (CRD schemas do not describe ObjectMeta), e.g.
   * `builtinApplySchema(lookup, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")`.
   * @default the built-in ObjectMeta (builtinSchemas())
   */
  readonly objectMeta?: ApplySchema;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nodeOf(schema: StructuralSchema | undefined): ApplySchema {
  if (schema === undefined || !isRecord(schema as unknown)) return DEDUCED;
  if (schema['x-kubernetes-int-or-string'] === true) return SCALAR;
  const type = schema.type;
  if (type === 'array') {
    const raw = schema['x-kubernetes-list-type'];
    const listType: ListType = raw === 'set' || raw === 'map' ? raw : 'atomic';
    const keys = listType === 'map' ? [...(schema['x-kubernetes-list-map-keys'] ?? [])] : [];
    const defaults: Record<string, unknown> = {};
    const itemProps = schema.items?.properties;
    for (const key of keys) {
      const value = itemProps?.[key]?.default;
      if (value !== undefined) defaults[key] = value;
    }
    return new LazyListNode(listType, keys, () => nodeOf(schema.items), defaults);
  }
  if (type === 'object' || schema.properties !== undefined || schema.additionalProperties !== undefined) {
    const atomic = schema['x-kubernetes-map-type'] === 'atomic';
    const props = schema.properties ?? {};
    const additional = schema.additionalProperties;
    return new LazyMapNode(
      atomic,
      (name) => (Object.hasOwn(props, name) ? nodeOf(props[name]) : undefined),
      () => (isRecord(additional) ? nodeOf(additional) : DEDUCED),
    );
  }
  if (type === undefined && schema['x-kubernetes-preserve-unknown-fields'] === true) return DEDUCED;
  return type === undefined ? DEDUCED : SCALAR;
}

/**
 * structuralApplySchema returns the root node of a custom resource described by `schema`; `apiVersion`, `kind`
 * and `metadata` are supplied when the schema leaves them out.
 */
export function structuralApplySchema(schema: StructuralSchema, options: StructuralApplySchemaOptions = {}): ApplySchema {
  const root = nodeOf(schema);
  if (root.kind !== 'map') return root;
  const props = schema.properties ?? {};
  let objectMeta = options.objectMeta;
  return new LazyMapNode(
    root.atomic,
    (name) => {
      if (name === 'metadata') return (objectMeta ??= builtinApplySchema(builtinSchemas(), OBJECT_META));
      if ((name === 'apiVersion' || name === 'kind') && !Object.hasOwn(props, name)) return SCALAR;
      return Object.hasOwn(props, name) ? root.field(name) : undefined;
    },
    () => root.field(''),
  );
}
