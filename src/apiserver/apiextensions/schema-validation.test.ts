import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCauses } from '../../api/validation/field-error.js';
import { validateValue } from './schema-validation.js';
import type { StructuralSchema } from './structural-schema.js';

const SCHEMA: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        replicas: { type: 'integer', minimum: 0, maximum: 10 },
        size: { type: 'string', enum: ['S', 'M'] },
        name: { type: 'string', pattern: '^[a-z]+$', minLength: 2, maxLength: 5 },
        when: { type: 'string', format: 'date-time' },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', maxItems: 2, minItems: 1, items: { type: 'string' } },
        ports: { type: 'array', items: { type: 'object', properties: { port: { type: 'integer' } } } },
        note: { type: 'string', nullable: true },
      },
    },
  },
};

function messages(obj: unknown): string[] {
  return toCauses(validateValue(obj, SCHEMA)).map((c) => `${c.field}: ${c.message}`);
}

test('a valid object has no errors; apiVersion, kind and metadata are not checked here', () => {
  assert.deepEqual(messages({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { size: 'S', replicas: 3, port: 'http', note: null } }), []);
});

test('type errors name the actual JSON type as upstream', () => {
  assert.deepEqual(messages({ spec: { size: 'S', replicas: 'three' } }), [
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
  ]);
  assert.deepEqual(messages({ spec: { size: 'S', port: true } }), [
    'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
  ]);
});

test('required, enum, bounds, pattern, lengths, items and formats', () => {
  assert.deepEqual(messages({ spec: {} }), ['spec.size: Required value']);
  assert.deepEqual(messages({ spec: { size: 'XL' } }), ['spec.size: Unsupported value: "XL": supported values: "S", "M"']);
  assert.deepEqual(messages({ spec: { size: 'S', replicas: 11 } }), ['spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10']);
  assert.deepEqual(messages({ spec: { size: 'S', replicas: -1 } }), ['spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0']);
  assert.deepEqual(messages({ spec: { size: 'S', name: 'Ab' } }), ["spec.name: Invalid value: \"Ab\": spec.name in body should match '^[a-z]+$'"]);
  assert.deepEqual(messages({ spec: { size: 'S', name: 'abcdef' } }), ['spec.name: Too long: may not be more than 5 bytes']);
  assert.deepEqual(messages({ spec: { size: 'S', name: 'a' } }), ['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long']);
  assert.deepEqual(messages({ spec: { size: 'S', tags: ['a', 'b', 'c'] } }), ['spec.tags: Too many: 3: must have at most 2 items']);
  assert.deepEqual(messages({ spec: { size: 'S', tags: [] } }), ['spec.tags: Invalid value: []string{}: spec.tags in body should have at least 1 items']);
  assert.deepEqual(messages({ spec: { size: 'S', ports: [{ port: 'x' }] } }), [
    'spec.ports[0].port: Invalid value: "string": spec.ports[0].port in body must be of type integer: "string"',
  ]);
  assert.deepEqual(messages({ spec: { size: 'S', when: 'yesterday' } }), ['spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"']);
  assert.deepEqual(messages({ spec: { size: 'S', when: '2024-01-02T03:04:05Z' } }), []);
});

test('null is refused unless nullable', () => {
  assert.deepEqual(messages({ spec: { size: null } }), ['spec.size: Invalid value: "null": spec.size in body must be of type string: "null"']);
});
