/**
 * The apiextensions JSONSchemaPropsOr* types are unions in JSON but plain messages in protobuf. The schema data
 * describes their protobuf message; this table tells JSON-aware code (protobuf decoding, field validation, OpenAPI)
 * which JSON shapes each one takes:
 *
 * - `OrArray` (items): a schema object (message field 1) or an array of schemas (field 2).
 * - `OrBool` (additionalProperties, additionalItems): a boolean (field 1) or a schema object (field 2; implies true).
 * - `OrStringArray` (dependencies values): a schema object (field 1) or an array of strings (field 2).
 */

/** JsonSchemaUnion names the JSON form of one JSONSchemaPropsOr* type. */
export type JsonSchemaUnion = 'OrArray' | 'OrBool' | 'OrStringArray';

const PREFIX = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';

/** JSON_SCHEMA_PROPS is the definition name of JSONSchemaProps, the schema object the unions hold. */
export const JSON_SCHEMA_PROPS = `${PREFIX}JSONSchemaProps`;

/** JSON_SCHEMA_UNIONS maps each union type's definition name to its JSON form. */
export const JSON_SCHEMA_UNIONS: ReadonlyMap<string, JsonSchemaUnion> = new Map([
  [`${PREFIX}JSONSchemaPropsOrArray`, 'OrArray'],
  [`${PREFIX}JSONSchemaPropsOrBool`, 'OrBool'],
  [`${PREFIX}JSONSchemaPropsOrStringArray`, 'OrStringArray'],
]);
