import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
import { PatchError } from './patch-error.js';
import type { JsonValue } from './json-value.js';

void describe('applyJsonPatch()', () => {
  const doc = { metadata: { name: 'n', labels: { a: '1' } }, spec: { list: [1, 2, 3] } };
  const cases: ReadonlyArray<{ name: string; patch: unknown; want: JsonValue }> = [
    { name: 'an empty patch returns an equal copy', patch: [], want: doc },
    {
      name: 'add sets a new key',
      patch: [{ op: 'add', path: '/metadata/labels/b', value: '2' }],
      want: { ...doc, metadata: { name: 'n', labels: { a: '1', b: '2' } } },
    },
    {
      name: 'add replaces an existing key',
      patch: [{ op: 'add', path: '/metadata/name', value: 'm' }],
      want: { ...doc, metadata: { name: 'm', labels: { a: '1' } } },
    },
    { name: 'add inserts into a list', patch: [{ op: 'add', path: '/spec/list/1', value: 9 }], want: { ...doc, spec: { list: [1, 9, 2, 3] } } },
    { name: 'add appends with -', patch: [{ op: 'add', path: '/spec/list/-', value: 4 }], want: { ...doc, spec: { list: [1, 2, 3, 4] } } },
    { name: 'remove deletes a key', patch: [{ op: 'remove', path: '/metadata/labels' }], want: { ...doc, metadata: { name: 'n' } } },
    { name: 'remove deletes a list item', patch: [{ op: 'remove', path: '/spec/list/0' }], want: { ...doc, spec: { list: [2, 3] } } },
    { name: 'replace changes a value', patch: [{ op: 'replace', path: '/spec/list', value: [] }], want: { ...doc, spec: { list: [] } } },
    {
      name: 'move relocates a value',
      patch: [{ op: 'move', from: '/metadata/labels', path: '/spec/labels' }],
      want: { metadata: { name: 'n' }, spec: { list: [1, 2, 3], labels: { a: '1' } } },
    },
    {
      name: 'copy duplicates a value',
      patch: [{ op: 'copy', from: '/metadata/name', path: '/spec/name' }],
      want: { ...doc, spec: { list: [1, 2, 3], name: 'n' } },
    },
    {
      name: 'a passing test lets later operations run',
      patch: [
        { op: 'test', path: '/metadata/labels', value: { a: '1' } },
        { op: 'replace', path: '/metadata/name', value: 'x' },
      ],
      want: { ...doc, metadata: { name: 'x', labels: { a: '1' } } },
    },
    {
      name: 'keys with ~ and / are escaped in pointers',
      patch: [{ op: 'add', path: '/metadata/labels/example.com~1a~0b', value: 'v' }],
      want: { ...doc, metadata: { name: 'n', labels: { a: '1', 'example.com/a~b': 'v' } } },
    },
    { name: 'replace of the root yields the new value', patch: [{ op: 'replace', path: '', value: { x: 1 } }], want: { x: 1 } },
    {
      name: 'the value is copied, so later operations do not alias it',
      patch: [
        { op: 'add', path: '/a', value: { k: 1 } },
        { op: 'copy', from: '/a', path: '/b' },
        { op: 'replace', path: '/a/k', value: 2 },
      ],
      want: { ...doc, a: { k: 2 }, b: { k: 1 } },
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const before = structuredClone(doc);
      assert.deepEqual(applyJsonPatch(doc, c.patch), c.want);
      assert.deepEqual(doc, before, 'the document must not be mutated');
    });
  }

  const failures: ReadonlyArray<{ name: string; patch: unknown; reason: PatchError['reason']; message: RegExp }> = [
    { name: 'a body that is not a list', patch: { op: 'add' }, reason: 'BadRequest', message: /must be a JSON array/ },
    { name: 'an operation that is not an object', patch: ['add'], reason: 'Invalid', message: /operation 0: it is not a JSON object/ },
    { name: 'an unknown op', patch: [{ op: 'merge', path: '/a' }], reason: 'Invalid', message: /the op is "merge"/ },
    { name: 'the private _get op', patch: [{ op: '_get', path: '/a' }], reason: 'Invalid', message: /the op is "_get"/ },
    { name: 'a missing op', patch: [{ path: '/a' }], reason: 'Invalid', message: /the op is missing/ },
    { name: 'a missing path', patch: [{ op: 'remove' }], reason: 'Invalid', message: /"path" must be a string/ },
    { name: 'add without a value', patch: [{ op: 'add', path: '/a' }], reason: 'Invalid', message: /\(add \/a\): the operation has no "value"/ },
    { name: 'copy without from', patch: [{ op: 'copy', path: '/a' }], reason: 'Invalid', message: /"from" must be a string/ },
    { name: 'a path without a leading slash', patch: [{ op: 'add', path: 'a', value: 1 }], reason: 'Invalid', message: /not a JSON pointer/ },
    { name: 'remove of a missing key', patch: [{ op: 'remove', path: '/nope' }], reason: 'Invalid', message: /operation 0 \(remove \/nope\): the path does not exist/ },
    { name: 'replace of a missing key', patch: [{ op: 'replace', path: '/nope', value: 1 }], reason: 'Invalid', message: /the path does not exist/ },
    { name: 'add under a missing parent', patch: [{ op: 'add', path: '/x/y/z', value: 1 }], reason: 'Invalid', message: /parent of the path does not exist/ },
    { name: 'add past the end of a list', patch: [{ op: 'add', path: '/spec/list/7', value: 1 }], reason: 'Invalid', message: /out of bounds/ },
    { name: 'a bad list index', patch: [{ op: 'add', path: '/spec/list/x', value: 1 }], reason: 'Invalid', message: /invalid array index/ },
    { name: 'move from a missing path', patch: [{ op: 'move', from: '/nope', path: '/a' }], reason: 'Invalid', message: /"from" path does not exist/ },
    { name: 'move into its own child', patch: [{ op: 'move', from: '/spec', path: '/spec/x' }], reason: 'Invalid', message: /into one of its own children/ },
    {
      name: 'a failing test names the operation',
      patch: [
        { op: 'add', path: '/a', value: 1 },
        { op: 'test', path: '/metadata/name', value: 'other' },
      ],
      reason: 'Invalid',
      message: /operation 1 \(test \/metadata\/name\): the value at the path is not equal to the test value/,
    },
    { name: 'a path through __proto__', patch: [{ op: 'add', path: '/__proto__/polluted', value: 1 }], reason: 'Invalid', message: /forbidden key|does not exist/ },
  ];
  for (const c of failures) {
    void it(`rejects ${c.name}`, () => {
      const before = structuredClone(doc);
      assert.throws(
        () => applyJsonPatch(doc, c.patch),
        (err: unknown) => err instanceof PatchError && err.reason === c.reason && c.message.test(err.message),
      );
      assert.deepEqual(doc, before);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    });
  }

  void it(`rejects more than ${MAX_JSON_PATCH_OPERATIONS} operations as TooLarge`, () => {
    const patch = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '', value: {} }));
    assert.throws(() => applyJsonPatch({}, patch), (err: unknown) => err instanceof PatchError && err.reason === 'TooLarge');
  });

  void it(`accepts exactly ${MAX_JSON_PATCH_OPERATIONS} operations`, () => {
    const patch = Array.from({ length: MAX_JSON_PATCH_OPERATIONS }, (_, i) => ({ op: 'add', path: '/n', value: i }));
    assert.deepEqual(applyJsonPatch({}, patch), { n: MAX_JSON_PATCH_OPERATIONS - 1 });
  });

  void it('rejects operations that together nest the object deeper than the object limit', () => {
    // Each value stays under the patch depth limit; stacking them under each other does not.
    const layer = (depth: number): JsonValue => (depth === 0 ? {} : { x: layer(depth - 1) });
    const patch = [{ op: 'add', path: '/a', value: layer(90) }];
    for (let i = 1; i <= 12; i++) patch.push({ op: 'add', path: `/a${'/x'.repeat(90 * i)}/x`, value: layer(90) });
    assert.throws(() => applyJsonPatch({}, patch), (err: unknown) => err instanceof PatchError && err.reason === 'Invalid' && /deeper than 1000/.test(err.message));
  });

  void it('rejects a deeply nested value without overflowing the stack', () => {
    let value: JsonValue = 1;
    for (let i = 0; i < 100_000; i++) value = [value];
    assert.throws(() => applyJsonPatch({}, [{ op: 'add', path: '/a', value }]), (err: unknown) => err instanceof PatchError && err.reason === 'BadRequest');
  });
});
