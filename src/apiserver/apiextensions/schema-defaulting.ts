/**
 * Defaulting of custom resources from their CRD version's structural schema: a property absent from an object (or
 * null where the schema does not allow null) takes a copy of its `default`; defaults are applied from the root
 * down, so an object defaulted to `{}` gets its own properties' defaults too. Applied on create, update and when
 * reading from storage is not needed here because every write goes through it.
 */
import { isRecord, propertySchema, type StructuralSchema } from './structural-schema.js';

/** applyDefaults fills defaults into `value` in place. */
export function applyDefaults(value: unknown, schema: StructuralSchema): void {
  if (Array.isArray(value)) {
    if (schema.items !== undefined) for (const item of value) applyDefaults(item, schema.items);
    return;
  }
  if (!isRecord(value)) return;
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    if (sub.default === undefined) continue;
    const current = value[name];
    if (current === undefined || (current === null && !sub.nullable)) value[name] = structuredClone(sub.default);
  }
  for (const name of Object.keys(value)) {
    const sub = propertySchema(schema, name);
    if (sub !== undefined) applyDefaults(value[name], sub);
  }
}
