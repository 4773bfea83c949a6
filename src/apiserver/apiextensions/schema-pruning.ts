/**
 * Pruning of custom resources: fields their CRD version's structural schema does not specify are dropped before
 * the object is validated and stored, unless a node says `x-kubernetes-preserve-unknown-fields: true`. The root's
 * (and every embedded resource's) apiVersion, kind and metadata are always kept. The pruned paths are returned so
 * that `fieldValidation=Strict` can refuse them and `Warn` can report them.
 */
import { childPath, indexPath, isRecord, propertySchema, type StructuralSchema } from './structural-schema.js';

const TYPE_META = new Set(['apiVersion', 'kind', 'metadata']);

/** pruneValue removes unspecified fields from `value` in place and returns their paths (e.g. "spec.foo"). */
export function pruneValue(value: unknown, schema: StructuralSchema, path = '', isRoot = true): string[] {
  const pruned: string[] = [];
  if (Array.isArray(value)) {
    if (schema.items !== undefined) {
      const items = schema.items;
      value.forEach((item, i) => pruned.push(...pruneValue(item, items, indexPath(path, i), items['x-kubernetes-embedded-resource'] === true)));
    }
    return pruned;
  }
  if (!isRecord(value)) return pruned;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = isRoot || schema['x-kubernetes-embedded-resource'] === true;
  for (const name of Object.keys(value)) {
    const sub = propertySchema(schema, name);
    if (sub === undefined) {
      if (embedded && TYPE_META.has(name)) continue;
      if (preserve || schema.additionalProperties === true) continue;
      delete value[name];
      pruned.push(childPath(path, name));
      continue;
    }
    if (isRoot && name === 'metadata') continue;
    pruned.push(...pruneValue(value[name], sub, childPath(path, name), sub['x-kubernetes-embedded-resource'] === true));
  }
  return pruned;
}
