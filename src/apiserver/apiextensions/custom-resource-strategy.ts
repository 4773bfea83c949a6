/**
 * The ResourceStrategy of one served custom resource version: defaulting from the schema, schema validation and
 * `x-kubernetes-validations` rules, status cleared on create when the status subresource is on, generation tracked
 * on every object (custom resources always carry metadata.generation), and the version's printer columns.
 * Pruning happens before the strategy runs, through the dispatcher's unknown-field finder (customResourcePruner).
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { GroupVersionKind } from '../../api/schema/types.js';
import type { FieldError } from '../../api/validation/field-error.js';
import type { UnknownFieldFinder } from '../handlers/handler-context.js';
import type { ResourceStrategy, StrategyContext } from '../registry/strategy.js';
import { printerColumnsTable, type PrinterColumn } from './printer-columns.js';
import { applyDefaults } from './schema-defaulting.js';
import { pruneValue } from './schema-pruning.js';
import { SimpleJsonPath } from './simple-json-path.js';
import { validateValue } from './schema-validation.js';
import type { StructuralSchema } from './structural-schema.js';
import { evaluateRules, hasRules } from './validation-rules.js';

/** CustomResourceVersionSpec is what the strategy needs from a CRD version. */
export interface CustomResourceVersionSpec {
  /** The version's openAPIV3Schema; undefined serves objects unchecked (keeps every field). */
  readonly schema: StructuralSchema | undefined;
  readonly statusSubresource: boolean;
  readonly printerColumns?: readonly PrinterColumn[];
  /** JSONPaths of fields usable in field selectors (e.g. ".spec.color" → `spec.color=red`). */
  readonly selectableFields?: readonly string[];
}

function validateObject(obj: KubeObject, old: KubeObject | undefined, schema: StructuralSchema | undefined, rules: boolean): FieldError[] {
  if (schema === undefined) return [];
  const errs = validateValue(obj, schema);
  // Upstream evaluates rules only on schema-valid objects: rules may assume the types the schema promises.
  if (errs.length === 0 && rules) errs.push(...evaluateRules(obj, schema, old));
  return errs;
}

/** customResourceStrategy builds the strategy of one CRD version. */
export function customResourceStrategy(spec: CustomResourceVersionSpec): ResourceStrategy {
  const schema = spec.schema;
  const rules = schema !== undefined && hasRules(schema);
  const selectable = (spec.selectableFields ?? []).flatMap((p) => {
    const parsed = SimpleJsonPath.parse(p);
    return parsed instanceof SimpleJsonPath ? [{ key: p.replace(/^\./, ''), path: parsed }] : [];
  });
  return {
    selectableFields(obj: KubeObject): Record<string, string> {
      const out: Record<string, string> = {};
      for (const { key, path } of selectable) {
        const value = path.find(obj)[0];
        out[key] = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
      }
      return out;
    },
    tracksGeneration: true,
    table: printerColumnsTable(spec.printerColumns),
    prepareForCreate(obj: KubeObject, _ctx: StrategyContext): void {
      if (spec.statusSubresource) delete obj['status'];
      if (schema !== undefined) applyDefaults(obj, schema);
    },
    prepareForUpdate(obj: KubeObject, _old: KubeObject, _ctx: StrategyContext): void {
      if (schema !== undefined) applyDefaults(obj, schema);
    },
    validate(obj: KubeObject): FieldError[] {
      return validateObject(obj, undefined, schema, rules);
    },
    validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
      return validateObject(obj, old, schema, rules);
    },
  };
}

/**
 * customResourcePruner is the unknown-field finder of a CRD version: it prunes unspecified fields from a decoded
 * body and returns their paths. Bodies of other kinds (autoscaling/v1 Scale on the scale subresource) are left
 * alone.
 */
export function customResourcePruner(kind: string, schema: StructuralSchema | undefined): UnknownFieldFinder {
  return (obj: unknown, gvk: GroupVersionKind) => {
    if (schema === undefined || gvk.kind !== kind) return [];
    return pruneValue(obj, schema);
  };
}
