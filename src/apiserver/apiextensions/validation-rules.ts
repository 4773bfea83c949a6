/**
 * `x-kubernetes-validations`: CEL rules on schema nodes, evaluated with `self` bound to the node's value and, for
 * transition rules (those that mention `oldSelf`), `oldSelf` bound to the same node's previous value on update.
 * Transition rules are skipped on create and where no previous value exists (unless `optionalOldSelf`, which
 * then sees oldSelf as null). Old values are matched by property name and, for `x-kubernetes-list-type: map`
 * lists, by their map keys.
 *
 * A failed rule becomes a field error at the node's path (or at `fieldPath` below it), with `reason` as its type
 * (FieldValueInvalid by default) and the message from `message`, else `messageExpression`, else
 * `failed rule: <rule>`, as upstream. Rules compile once per schema node (cached by the rule object).
 */
import { compileCel, type CelProgram } from '../../api/cel/cel-program.js';
import type { JsonSchemaTypeHint } from '../../api/cel/cel-value.js';
import type { FieldError, FieldErrorType } from '../../api/validation/field-error.js';
import { childPath, indexPath, isRecord, propertySchema, type StructuralSchema, type ValidationRule } from './structural-schema.js';

const VARIABLES = ['self', 'oldSelf'];
const REASONS: ReadonlySet<string> = new Set(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate']);

interface CompiledRule {
  readonly program?: CelProgram;
  readonly message?: CelProgram;
  readonly error?: string;
  readonly transition: boolean;
}

const compiled = new WeakMap<ValidationRule, CompiledRule>();

function compileRule(rule: ValidationRule): CompiledRule {
  let c = compiled.get(rule);
  if (c === undefined) {
    const program = compileCel(rule.rule, { variables: VARIABLES });
    const message = rule.messageExpression ? compileCel(rule.messageExpression, { variables: VARIABLES }) : undefined;
    const transition = /\boldSelf\b/.test(rule.rule);
    if (!program.ok) c = { error: `compilation failed: ${program.error}`, transition };
    else if (program.program.resultType !== 'bool' && program.program.resultType !== 'dyn') {
      c = { error: `cel expression must evaluate to a bool`, transition };
    } else if (message !== undefined && !message.ok) c = { error: `messageExpression compilation failed: ${message.error}`, transition };
    else c = { program: program.program, message: message?.ok ? message.program : undefined, transition };
    compiled.set(rule, c);
  }
  return c;
}

/** typeHintOf tells the CEL conversion which numbers under `schema` are doubles (schema type "number"). */
export function typeHintOf(schema: StructuralSchema): JsonSchemaTypeHint {
  return (path) => {
    let node: StructuralSchema | undefined = schema;
    for (const part of path) {
      if (node === undefined) return undefined;
      node = typeof part === 'number' ? node.items : propertySchema(node, part);
    }
    return node?.type === 'number' ? 'number' : node?.type === 'integer' ? 'integer' : undefined;
  };
}

/**
 * ruleCompileErrors returns a field error for every rule under `schema` that does not compile (CRD validation
 * refuses such a CRD). `path` names the schema node, e.g. "spec.versions[0].schema.openAPIV3Schema".
 */
export function ruleCompileErrors(schema: StructuralSchema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (schema['x-kubernetes-validations'] ?? []).forEach((rule, i) => {
    const c = compileRule(rule);
    if (c.error !== undefined) errs.push({ type: 'FieldValueInvalid', field: `${childPath(path, 'x-kubernetes-validations')}[${i}].rule`, badValue: rule.rule, detail: c.error });
    if (rule.reason !== undefined && !REASONS.has(rule.reason)) {
      errs.push({ type: 'FieldValueNotSupported', field: `${childPath(path, 'x-kubernetes-validations')}[${i}].reason`, badValue: rule.reason, supported: [...REASONS] });
    }
  });
  for (const [name, sub] of Object.entries(schema.properties ?? {})) errs.push(...ruleCompileErrors(sub, `${childPath(path, 'properties')}[${name}]`));
  if (schema.items !== undefined) errs.push(...ruleCompileErrors(schema.items, childPath(path, 'items')));
  if (typeof schema.additionalProperties === 'object') errs.push(...ruleCompileErrors(schema.additionalProperties, childPath(path, 'additionalProperties')));
  return errs;
}

/** hasRules reports whether any node of `schema` carries x-kubernetes-validations (so callers can skip the walk). */
export function hasRules(schema: StructuralSchema): boolean {
  if ((schema['x-kubernetes-validations'] ?? []).length > 0) return true;
  if (Object.values(schema.properties ?? {}).some(hasRules)) return true;
  if (schema.items !== undefined && hasRules(schema.items)) return true;
  return typeof schema.additionalProperties === 'object' && hasRules(schema.additionalProperties);
}

function schemaTypeName(schema: StructuralSchema, value: unknown): string {
  if (schema.type !== undefined && schema.type !== '') return schema.type;
  return Array.isArray(value) ? 'array' : isRecord(value) ? 'object' : typeof value;
}

/**
 * evaluateRules evaluates every rule under `schema` for `value` (and `oldValue` on update; undefined on create) and
 * returns the failures. Values must already be defaulted and pruned.
 */
export function evaluateRules(value: unknown, schema: StructuralSchema, oldValue: unknown, path = ''): FieldError[] {
  const errs: FieldError[] = [];
  if (value === undefined || value === null) return errs;
  const rules = schema['x-kubernetes-validations'] ?? [];
  if (rules.length > 0) {
    const hint = typeHintOf(schema);
    for (const rule of rules) {
      const c = compileRule(rule);
      if (c.transition && oldValue === undefined && !rule.optionalOldSelf) continue;
      const field = rule.fieldPath ? childPath(path, rule.fieldPath.replace(/^\./, '')) : path;
      if (c.program === undefined) {
        errs.push({ type: 'FieldValueInvalid', field, badValue: schemaTypeName(schema, value), detail: c.error ?? 'invalid rule' });
        continue;
      }
      const activation = { self: value, oldSelf: oldValue === undefined ? null : oldValue };
      const result = c.program.evaluate(activation, { typeHint: hint });
      if (!result.ok) {
        errs.push({ type: 'FieldValueInvalid', field, badValue: schemaTypeName(schema, value), detail: result.error });
        continue;
      }
      if (result.value === true) continue;
      let message = rule.message;
      if (message === undefined || message === '') {
        const m = c.message?.evaluate(activation, { typeHint: hint });
        if (m?.ok && typeof m.value === 'string' && m.value.trim() !== '') message = m.value;
      }
      const type = (rule.reason !== undefined && REASONS.has(rule.reason) ? rule.reason : 'FieldValueInvalid') as FieldErrorType;
      errs.push({ type, field, badValue: schemaTypeName(schema, value), detail: message || `failed rule: ${rule.rule}` });
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    const oldItems = Array.isArray(oldValue) ? oldValue : [];
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const isMap = schema['x-kubernetes-list-type'] === 'map' && keys.length > 0;
    value.forEach((item, i) => {
      let old: unknown;
      if (isMap && isRecord(item)) old = oldItems.find((o) => isRecord(o) && keys.every((k) => o[k] === item[k]));
      errs.push(...evaluateRules(item, items, old, indexPath(path, i)));
    });
  } else if (isRecord(value)) {
    const oldRecord = isRecord(oldValue) ? oldValue : undefined;
    for (const [name, child] of Object.entries(value)) {
      const sub = propertySchema(schema, name);
      if (sub === undefined) continue;
      errs.push(...evaluateRules(child, sub, oldRecord?.[name], childPath(path, name)));
    }
  }
  return errs;
}
