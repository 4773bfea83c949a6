import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDefaults } from './schema-defaulting.js';
import type { StructuralSchema } from './structural-schema.js';

const SCHEMA: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      default: {},
      properties: {
        replicas: { type: 'integer', default: 1 },
        mode: { type: 'string', default: 'fast' },
        opts: { type: 'object', default: { a: 1 }, properties: { b: { type: 'string', default: 'x' } } },
        list: { type: 'array', items: { type: 'object', properties: { weight: { type: 'integer', default: 5 } } } },
        maybe: { type: 'string', nullable: true, default: 'd' },
      },
    },
  },
};

test('defaults fill absent fields from the root down, including inside defaulted objects and list items', () => {
  const obj: Record<string, unknown> = { list: undefined };
  delete obj['list'];
  applyDefaults(obj, SCHEMA);
  assert.deepEqual(obj, { spec: { replicas: 1, mode: 'fast', opts: { a: 1, b: 'x' }, maybe: 'd' } });
  const withList = { spec: { replicas: 3, list: [{}, { weight: 2 }] } };
  applyDefaults(withList, SCHEMA);
  assert.equal(withList.spec.replicas, 3);
  assert.deepEqual(withList.spec.list, [{ weight: 5 }, { weight: 2 }]);
});

test('null is replaced by the default unless the field is nullable', () => {
  const obj = { spec: { mode: null, maybe: null } };
  applyDefaults(obj, SCHEMA);
  assert.equal(obj.spec.mode, 'fast');
  assert.equal(obj.spec.maybe, null);
});

test('defaults are copies, not shared', () => {
  const a: Record<string, unknown> = {};
  const b: Record<string, unknown> = {};
  applyDefaults(a, SCHEMA);
  applyDefaults(b, SCHEMA);
  ((a['spec'] as Record<string, unknown>)['opts'] as Record<string, unknown>)['a'] = 2;
  assert.equal(((b['spec'] as Record<string, unknown>)['opts'] as Record<string, unknown>)['a'], 1);
});
