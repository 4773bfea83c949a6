import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCauses } from '../../api/validation/field-error.js';
import type { StructuralSchema } from './structural-schema.js';
import { evaluateRules, hasRules, ruleCompileErrors } from './validation-rules.js';

const SCHEMA: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.replicas <= self.max', message: 'replicas must not exceed max' },
        { rule: 'self.replicas >= 0', messageExpression: '"replicas is " + string(self.replicas)' },
        { rule: "!has(self.mode) || self.mode != 'off'", reason: 'FieldValueForbidden', fieldPath: '.mode' },
        { rule: 'self.ratio < 1.5' },
      ],
      properties: {
        replicas: { type: 'integer' },
        max: { type: 'integer' },
        mode: { type: 'string' },
        ratio: { type: 'number' },
        name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'name is immutable' }] },
        items: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['key'],
          items: {
            type: 'object',
            properties: { key: { type: 'string' }, value: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'value is immutable' }] } },
          },
        },
      },
    },
  },
};

function messages(obj: unknown, old?: unknown): string[] {
  return toCauses(evaluateRules(obj, SCHEMA, old)).map((c) => `${c.field}: ${c.message}`);
}

test('rules pass and fail with message, messageExpression, reason and fieldPath', () => {
  assert.deepEqual(messages({ spec: { replicas: 2, max: 3, ratio: 1 } }), []);
  assert.deepEqual(messages({ spec: { replicas: 5, max: 3, ratio: 1 } }), ['spec: Invalid value: "object": replicas must not exceed max']);
  assert.deepEqual(messages({ spec: { replicas: -1, max: 3, ratio: 1 } }), ['spec: Invalid value: "object": replicas is -1']);
  assert.deepEqual(messages({ spec: { replicas: 1, max: 3, mode: 'off', ratio: 1 } }), ['spec.mode: Forbidden: failed rule: !has(self.mode) || self.mode != \'off\'']);
});

test('number-typed fields are CEL doubles even when integral', () => {
  assert.deepEqual(messages({ spec: { replicas: 1, max: 3, ratio: 2 } }), ['spec: Invalid value: "object": failed rule: self.ratio < 1.5']);
});

test('transition rules run only on update, against the old value', () => {
  const obj = { spec: { replicas: 1, max: 3, ratio: 1, name: 'b', items: [{ key: 'k', value: 'v2' }] } };
  assert.deepEqual(messages(obj), []);
  assert.deepEqual(messages(obj, { spec: { name: 'b', items: [{ key: 'k', value: 'v2' }] } }), []);
  assert.deepEqual(messages(obj, { spec: { name: 'a', items: [{ key: 'k', value: 'v1' }, { key: 'other', value: 'v2' }] } }), [
    'spec.name: Invalid value: "string": name is immutable',
    'spec.items[0].value: Invalid value: "string": value is immutable',
  ]);
});

test('evaluation errors are field errors, not exceptions', () => {
  const errs = messages({ spec: { max: 3, ratio: 1 } });
  assert.equal(errs.length, 2);
  assert.match(errs[0] ?? '', /^spec: Invalid value: "object": .*no such key/i);
});

test('rules that do not compile are reported for CRD validation', () => {
  const bad: StructuralSchema = { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a >' }, { rule: 'self.a', reason: 'Nope' }] } } };
  const causes = toCauses(ruleCompileErrors(bad, 'spec.versions[0].schema.openAPIV3Schema'));
  assert.equal(causes[0]?.field, 'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule');
  assert.match(causes[0]?.message ?? '', /compilation failed/);
  assert.equal(causes[1]?.field, 'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[1].reason');
  assert.equal(hasRules(bad), true);
  assert.equal(hasRules({ type: 'object' }), false);
});
