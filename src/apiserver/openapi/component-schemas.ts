/**
 * ComponentSchemas renders types of the schema model as OpenAPI schemas (v3 `components.schemas` or v2
 * `definitions`), adding every type reachable from the ones asked for. Rendering follows what upstream publishes so
 * that kubectl (explain, apply, validation) reads our documents as it reads a real cluster's:
 * - references to named types; in v3 a reference with siblings (a description, a default) is wrapped in
 *   `allOf: [{$ref}]`, and list items and map values that are objects carry `default: {}`;
 * - scalars as `type`/`format` (int64 → integer/int64, bytes → string/byte);
 * - the special apimachinery types as named schemas in their JSON form (Time → date-time string, Quantity and
 *   IntOrString as one-of in v3 and strings in v2);
 * - inlined fields (Go `json:",inline"`) expanded into their parent; in v3 a non-pointer struct field carries
 *   `default: {}`;
 * - the apiextensions JSONSchemaPropsOr* unions without a type (their JSON takes several shapes);
 * - patch and list markers as `x-kubernetes-*` extensions, and `x-kubernetes-group-version-kind` on kinds.
 * A reference to a type the model lacks is rendered as an object that keeps unknown fields, so a document never
 * holds a dangling reference.
 */
import { isNullableField, jsonFields } from '../../api/schema/json-fields.js';
import { JSON_SCHEMA_UNIONS } from '../../api/schema/json-schema-union.js';
import type { FieldSchema, FieldType, GroupVersionKind, SchemaLookup, SpecialType, TypeSchema } from '../../api/schema/types.js';

/** OpenApiVersion selects the dialect: v3 (`#/components/schemas/`) or v2 (`#/definitions/`). */
export type OpenApiVersion = 'v2' | 'v3';

/** JsonObject is a JSON object under construction. */
export type JsonObject = { [key: string]: unknown };

/** SPECIAL_TYPE_NAMES gives the definition name upstream publishes for each special type. */
export const SPECIAL_TYPE_NAMES: Readonly<Record<SpecialType, string>> = {
  Time: 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  MicroTime: 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  Duration: 'io.k8s.apimachinery.pkg.apis.meta.v1.Duration',
  Quantity: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  IntOrString: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  RawExtension: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  JSON: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
  FieldsV1: 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
};

const SPECIAL_BY_NAME: ReadonlyMap<string, SpecialType> = new Map(
  Object.entries(SPECIAL_TYPE_NAMES).map(([special, name]) => [name, special as SpecialType]),
);

function specialSchema(special: SpecialType, dialect: OpenApiVersion): JsonObject {
  switch (special) {
    case 'Time':
    case 'MicroTime':
      return { type: 'string', format: 'date-time' };
    case 'Duration':
      return { type: 'string' };
    case 'Quantity':
      return dialect === 'v3' ? { oneOf: [{ type: 'string' }, { type: 'number' }] } : { type: 'string' };
    case 'IntOrString':
      return dialect === 'v3'
        ? { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] }
        : { type: 'string', format: 'int-or-string' };
    case 'RawExtension':
    case 'FieldsV1':
      return { type: 'object' };
    case 'JSON':
      return { 'x-kubernetes-preserve-unknown-fields': true };
  }
}

function scalarSchema(scalar: string): JsonObject {
  switch (scalar) {
    case 'int32':
      return { type: 'integer', format: 'int32' };
    case 'int64':
      return { type: 'integer', format: 'int64' };
    case 'bool':
      return { type: 'boolean' };
    case 'double':
      return { type: 'number', format: 'double' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    default:
      return { type: 'string' };
  }
}

function byName<T extends { readonly name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function gvkExtension(gvks: readonly GroupVersionKind[]): JsonObject[] {
  return gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
}

/** ComponentSchemas collects rendered schemas for one document. */
export class ComponentSchemas {
  readonly #lookup: SchemaLookup;
  readonly #dialect: OpenApiVersion;
  readonly #schemas = new Map<string, JsonObject>();
  #pending: string[] = [];

  /**
   * @param fallbackDescriptions descriptions by field name for fields the model leaves undescribed (the served
   * documents use COMMON_FIELD_DESCRIPTIONS). @default none
   */
  readonly #fallbackDescriptions: Readonly<Record<string, string>>;

  constructor(lookup: SchemaLookup, dialect: OpenApiVersion, fallbackDescriptions: Readonly<Record<string, string>> = {}) {
    this.#lookup = lookup;
    this.#dialect = dialect;
    this.#fallbackDescriptions = fallbackDescriptions;
  }

  /** refTo returns the JSON reference string of a definition name in this dialect. */
  refTo(name: string): string {
    return this.#dialect === 'v3' ? `#/components/schemas/${name}` : `#/definitions/${name}`;
  }

  /**
   * referTo returns a schema referring to a definition, with sibling keywords (description, default); in v3 the
   * reference is wrapped in `allOf` because OpenAPI 3.0 ignores the siblings of a bare `$ref`. It does not add the
   * definition.
   */
  referTo(name: string, siblings: JsonObject = {}): JsonObject {
    const ref = { $ref: this.refTo(name) };
    if (Object.keys(siblings).length === 0) return ref;
    return this.#dialect === 'v3' ? { allOf: [ref], ...siblings } : { ...ref, ...siblings };
  }

  /** has reports whether a definition is already collected. */
  has(name: string): boolean {
    return this.#schemas.has(name);
  }

  /** add collects the named type and every type reachable from it; returns its reference string. */
  add(name: string): string {
    this.#enqueue(name);
    this.#drain();
    return this.refTo(name);
  }

  /**
   * define collects a schema the model does not hold (synthesized list kinds, fallbacks), unless the name is
   * already collected; references inside it must already be collected or be added by the caller.
   */
  define(name: string, schema: JsonObject): string {
    if (!this.#schemas.has(name)) this.#schemas.set(name, schema);
    return this.refTo(name);
  }

  /** ensureGroupVersionKind makes sure a collected schema carries `x-kubernetes-group-version-kind` for gvk. */
  ensureGroupVersionKind(name: string, gvk: GroupVersionKind): void {
    const schema = this.#schemas.get(name);
    if (schema === undefined) return;
    const existing = schema['x-kubernetes-group-version-kind'];
    const list = Array.isArray(existing) ? (existing as JsonObject[]) : [];
    if (list.some((g) => g['group'] === gvk.group && g['version'] === gvk.version && g['kind'] === gvk.kind)) return;
    schema['x-kubernetes-group-version-kind'] = [...list, ...gvkExtension([gvk])];
  }

  /** toJSON returns the collected schemas keyed by definition name, sorted by name. */
  toJSON(): Record<string, JsonObject> {
    const out: Record<string, JsonObject> = {};
    for (const name of [...this.#schemas.keys()].sort()) out[name] = this.#schemas.get(name) ?? {};
    return out;
  }

  #enqueue(name: string): void {
    if (this.#schemas.has(name)) return;
    // Reserve the name first so that cycles (JSONSchemaProps refers to itself) terminate.
    this.#schemas.set(name, {});
    this.#pending.push(name);
  }

  #drain(): void {
    while (this.#pending.length > 0) {
      const name = this.#pending.pop() ?? '';
      const schema = this.#schemas.get(name);
      if (schema === undefined) continue;
      Object.assign(schema, this.#renderNamed(name));
    }
  }

  #renderNamed(name: string): JsonObject {
    const type = this.#lookup.type(name);
    const special = type?.special ?? SPECIAL_BY_NAME.get(name);
    if (special !== undefined) {
      return { ...(type?.description ? { description: type.description } : {}), ...specialSchema(special, this.#dialect) };
    }
    if (type === undefined) return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    if (JSON_SCHEMA_UNIONS.has(name)) return type.description ? { description: type.description } : {};
    return this.#renderType(type);
  }

  #renderType(type: TypeSchema): JsonObject {
    const out: JsonObject = {};
    if (type.description) out['description'] = type.description;
    out['type'] = 'object';
    const fields = [...jsonFields(type, this.#lookup).values()].map((f) => f.field).sort(byName);
    const required = fields.filter((f) => f.required === true).map((f) => f.name);
    if (required.length > 0) out['required'] = required;
    if (fields.length > 0) {
      const properties: JsonObject = {};
      for (const field of fields) properties[field.name] = this.#renderField(field);
      out['properties'] = properties;
    }
    if (type.gvk !== undefined && type.gvk.length > 0) out['x-kubernetes-group-version-kind'] = gvkExtension(type.gvk);
    return out;
  }

  #renderField(field: FieldSchema): JsonObject {
    const extensions: JsonObject = {};
    const fallback = this.#fallbackDescriptions;
    const description = field.description || (Object.hasOwn(fallback, field.name) ? fallback[field.name] : undefined);
    if (description) extensions['description'] = description;
    if (field.listMapKeys !== undefined && field.listMapKeys.length > 0) extensions['x-kubernetes-list-map-keys'] = field.listMapKeys;
    if (field.listType !== undefined) extensions['x-kubernetes-list-type'] = field.listType;
    if (field.mapType !== undefined) extensions['x-kubernetes-map-type'] = field.mapType;
    if (field.patchMergeKey !== undefined) extensions['x-kubernetes-patch-merge-key'] = field.patchMergeKey;
    if (field.patchStrategy !== undefined) extensions['x-kubernetes-patch-strategy'] = field.patchStrategy;
    const base = this.#renderFieldType(field.type, false);
    if (this.#dialect === 'v3' && field.type.kind === 'ref' && !isNullableField(field) && !this.#isScalarLike(field.type.ref)) {
      extensions['default'] = {};
    }
    if (typeof base['$ref'] === 'string' && Object.keys(extensions).length > 0 && this.#dialect === 'v3') {
      // OpenAPI 3.0 ignores the siblings of a bare $ref; allOf keeps the description and extensions.
      return { allOf: [base], ...extensions };
    }
    return { ...base, ...extensions };
  }

  #renderFieldType(type: FieldType, element: boolean): JsonObject {
    switch (type.kind) {
      case 'scalar':
        return scalarSchema(type.scalar);
      case 'special':
        return { $ref: this.#reference(SPECIAL_TYPE_NAMES[type.special]) };
      case 'ref': {
        const ref = this.#reference(type.ref);
        if (!element || this.#dialect !== 'v3' || this.#isScalarLike(type.ref)) return { $ref: ref };
        return { allOf: [{ $ref: ref }], default: {} };
      }
      case 'array':
        return { type: 'array', items: this.#renderFieldType(type.items, true) };
      case 'map':
        return { type: 'object', additionalProperties: this.#renderFieldType(type.values, true) };
    }
  }

  #reference(name: string): string {
    this.#enqueue(name);
    return this.refTo(name);
  }

  /** Special types and the JSONSchemaProps unions are values, not objects, so they take no `default: {}`. */
  #isScalarLike(name: string): boolean {
    return SPECIAL_BY_NAME.has(name) || JSON_SCHEMA_UNIONS.has(name) || this.#lookup.type(name)?.special !== undefined;
  }
}
