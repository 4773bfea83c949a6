/**
 * The schema model: one description of every built-in API type, from which the server derives
 *  - protobuf decoding of request bodies (field numbers),
 *  - strategic merge patch (patch strategies and merge keys),
 *  - server-side apply (list types and map keys),
 *  - OpenAPI v3/v2 documents (for `kubectl apply`, `explain`),
 *  - strict field validation (unknown fields) and pruning.
 *
 * The data is generated at development time by `hack/gen-api-schema.ts` from the field facts (names, numbers,
 * types, markers) of the upstream API definitions, and committed under `src/api/schema/data/`.
 */

/** ScalarType is a leaf type on the wire. `int64` travels as a JSON number. */
export type ScalarType = 'string' | 'int32' | 'int64' | 'bool' | 'double' | 'bytes';

/**
 * SpecialType names the apimachinery types whose JSON form differs from their protobuf message:
 * - `Time`, `MicroTime`: RFC 3339 string in JSON; {seconds, nanos} in protobuf.
 * - `Duration`: Go duration string in JSON; {duration: int64 nanos} in protobuf.
 * - `Quantity`: string in JSON; {string: 1} in protobuf.
 * - `IntOrString`: number or string in JSON; {type, intVal, strVal} in protobuf.
 * - `RawExtension`: any JSON object; {raw: bytes} in protobuf.
 * - `JSON`: any JSON value (apiextensions JSON); {raw: bytes} in protobuf.
 * - `FieldsV1`: any JSON object (managedFields); {Raw: bytes} in protobuf.
 */
export type SpecialType = 'Time' | 'MicroTime' | 'Duration' | 'Quantity' | 'IntOrString' | 'RawExtension' | 'JSON' | 'FieldsV1';

/** FieldType is the type of one field's value. */
export type FieldType =
  | { readonly kind: 'scalar'; readonly scalar: ScalarType }
  | { readonly kind: 'special'; readonly special: SpecialType }
  /** A reference to another TypeSchema by its full name, e.g. "io.k8s.api.core.v1.PodSpec". */
  | { readonly kind: 'ref'; readonly ref: string }
  /** A list (protobuf `repeated`). */
  | { readonly kind: 'array'; readonly items: FieldType }
  /** A string-keyed map (protobuf `map<string, V>`). */
  | { readonly kind: 'map'; readonly values: FieldType };

/** FieldSchema describes one field of a message/object type. */
export interface FieldSchema {
  /**
   * The JSON name, e.g. "containerPort". The empty name marks an inlined struct (Go `json:",inline"`, e.g.
   * Volume.VolumeSource): its fields appear in the parent's JSON object, but on the protobuf wire it is a nested
   * message under its own number. Read fields through `jsonFields()` (json-fields.ts), which expands them.
   */
  readonly name: string;
  /** The protobuf field number; 0 for JSON-only fields (`apiVersion`/`kind` of types that embed TypeMeta). */
  readonly protoNumber: number;
  readonly type: FieldType;
  /** Our own short description (may be empty). */
  readonly description?: string;
  /** `x-kubernetes-patch-strategy`: "merge", "retainKeys", "merge,retainKeys", "replace". */
  readonly patchStrategy?: string;
  /** `x-kubernetes-patch-merge-key`, e.g. "name". */
  readonly patchMergeKey?: string;
  /** `x-kubernetes-list-type`. */
  readonly listType?: 'atomic' | 'set' | 'map';
  /** `x-kubernetes-list-map-keys`. */
  readonly listMapKeys?: readonly string[];
  /** `x-kubernetes-map-type`. */
  readonly mapType?: 'atomic' | 'granular';
  /** True when the field is required (not marked +optional in the upstream definition). */
  readonly required?: boolean;
  /**
   * On an array field: the list travels inside a wrapper message whose field 1 repeats the items (meta `Verbs`,
   * `ExtraValue`); in JSON it is a plain array.
   */
  readonly protoPacked?: boolean;
  /**
   * A Go pointer: its zero value is meaningful and kept (e.g. `replicas: 0`); zero values of non-nullable fields
   * are dropped when decoding protobuf, as Go's omitempty would.
   */
  readonly nullable?: boolean;
}

/** GroupVersionKind identifies a top-level kind. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** TypeSchema describes one named type (a protobuf message / an OpenAPI component schema). */
export interface TypeSchema {
  /** The OpenAPI definition name, e.g. "io.k8s.api.core.v1.Pod", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta". */
  readonly name: string;
  /** Our own short description (may be empty). */
  readonly description?: string;
  readonly fields: readonly FieldSchema[];
  /** Set for top-level kinds (`x-kubernetes-group-version-kind`). */
  readonly gvk?: readonly GroupVersionKind[];
  /** When set, this type's JSON form is the special type (e.g. Quantity), not an object. */
  readonly special?: SpecialType;
}

/** SchemaLookup finds type schemas by name and the root schema of a kind. */
export interface SchemaLookup {
  /** Returns the type by its full definition name, or undefined. */
  type(name: string): TypeSchema | undefined;
  /** Returns the top-level type for a group/version/kind, or undefined for kinds without a schema (custom resources). */
  kind(gvk: GroupVersionKind): TypeSchema | undefined;
}
