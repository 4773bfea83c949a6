import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDuplicateJsonFields, jsonDepthExceeds, valueDepthExceeds } from './json-structure.js';

test('findDuplicateJsonFields() reports paths of repeated keys only', () => {
  const cases: [string, string[]][] = [
    ['{"a":1,"b":2}', []],
    ['{"a":1,"a":2}', ['a']],
    ['{"a":{"x":1},"b":{"x":1}}', []],
    ['{"a":[{"k":1,"k":2},{"k":1}]}', ['a[0].k']],
    ['{"s":"a,\\"b\\":{","s":1}', ['s']],
    ['{"\\u0061":1,"a":2}', ['a']],
    ['[{"a":1},{"a":1,"a":1}]', ['[1].a']],
    ['{"a":{"b":{"c":1,"c":2}}}', ['a.b.c']],
  ];
  for (const [text, want] of cases) assert.deepEqual(findDuplicateJsonFields(text), want, text);
});

test('jsonDepthExceeds() counts nesting and ignores brackets inside strings', () => {
  assert.equal(jsonDepthExceeds('[[[]]]', 3), false);
  assert.equal(jsonDepthExceeds('[[[[]]]]', 3), true);
  assert.equal(jsonDepthExceeds('["[[[[[[", "\\"[[[["]', 1), false);
});

test('valueDepthExceeds() measures decoded values', () => {
  assert.equal(valueDepthExceeds({ a: [{ b: 1 }] }, 3), false);
  assert.equal(valueDepthExceeds({ a: [{ b: {} }] }, 3), true);
  assert.equal(valueDepthExceeds('x', 0), false);
});
