import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pruneValue } from './schema-pruning.js';
import type { StructuralSchema } from './structural-schema.js';

const SCHEMA: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        keep: { type: 'string' },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
      },
    },
  },
};

test('unknown fields are removed and reported; type meta and metadata stay', () => {
  const obj = {
    apiVersion: 'x/v1',
    kind: 'X',
    metadata: { name: 'a', whatever: 1 },
    top: 1,
    spec: { keep: 'k', drop: 1, items: [{ name: 'n', extra: true }], labels: { a: 'b' } },
  };
  assert.deepEqual(pruneValue(obj, SCHEMA), ['top', 'spec.drop', 'spec.items[0].extra']);
  assert.deepEqual(obj, { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', whatever: 1 }, spec: { keep: 'k', items: [{ name: 'n' }], labels: { a: 'b' } } });
});

test('x-kubernetes-preserve-unknown-fields keeps unknown fields but still prunes inside known ones', () => {
  const obj = { spec: { free: { anything: [1], known: { a: 'x', b: 'y' } } } };
  assert.deepEqual(pruneValue(obj, SCHEMA), ['spec.free.known.b']);
  assert.deepEqual(obj.spec.free, { anything: [1], known: { a: 'x' } });
});

test('embedded resources keep apiVersion, kind and metadata', () => {
  const obj = { spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {}, junk: 1 } } };
  assert.deepEqual(pruneValue(obj, SCHEMA), ['spec.template.junk']);
  assert.deepEqual(obj.spec.template, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} });
});
