import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printerColumnsTable } from './printer-columns.js';
import { SimpleJsonPath } from './simple-json-path.js';

const NOW = new Date('2024-01-01T00:10:00Z');
const OBJ = {
  metadata: { name: 'w1', creationTimestamp: '2024-01-01T00:05:00Z' },
  spec: { replicas: 3, size: 'M', tags: ['a', 'b'], 'dotted.key': 'd' },
  status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Synced', status: 'False' }], ratio: 0.5 },
};

test('columns follow the CRD with Name first; cells by type; missing values are empty', () => {
  const table = printerColumnsTable([
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Size', type: 'string', jsonPath: '.spec.size', priority: 1, description: 'size' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Ratio', type: 'number', jsonPath: '.status.ratio' },
    { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
    { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
  assert.deepEqual(table.columns.map((c) => [c.name, c.type, c.priority]), [
    ['Name', 'string', 0],
    ['Replicas', 'integer', 0],
    ['Size', 'string', 1],
    ['Ready', 'string', 0],
    ['Ratio', 'number', 0],
    ['Missing', 'string', 0],
    ['Created', 'date', 0],
  ]);
  assert.deepEqual(table.cells(OBJ, NOW), ['w1', 3, 'M', 'True', 0.5, null, '5m']);
});

test('a version without columns gets Age', () => {
  const table = printerColumnsTable(undefined);
  assert.deepEqual(table.columns.map((c) => c.name), ['Name', 'Age']);
  assert.deepEqual(table.cells(OBJ, NOW), ['w1', '5m']);
});

test('simple JSONPath: fields, indexes, wildcards, quoted keys, braces; errors as values', () => {
  const find = (p: string) => {
    const parsed = SimpleJsonPath.parse(p);
    assert.ok(parsed instanceof SimpleJsonPath, p);
    return parsed.find(OBJ);
  };
  assert.deepEqual(find('.spec.tags[1]'), ['b']);
  assert.deepEqual(find('{.spec.tags[*]}'), ['a', 'b']);
  assert.deepEqual(find(".spec['dotted.key']"), ['d']);
  assert.deepEqual(find('.status.conditions[*].type'), ['Ready', 'Synced']);
  assert.ok(!(SimpleJsonPath.parse('spec..x[') instanceof SimpleJsonPath));
});
