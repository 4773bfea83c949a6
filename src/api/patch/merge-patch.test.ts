import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch } from './merge-patch.js';
import { PatchError } from './patch-error.js';
import type { JsonValue } from './json-value.js';

void describe('applyMergePatch()', () => {
  // The example table of RFC 7396, appendix A, plus Kubernetes-shaped cases.
  const cases: ReadonlyArray<{ name: string; doc: JsonValue; patch: JsonValue; want: JsonValue }> = [
    { name: 'changes a value', doc: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
    { name: 'adds a key', doc: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
    { name: 'null removes a key', doc: { a: 'b' }, patch: { a: null }, want: {} },
    { name: 'null removes only that key', doc: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
    { name: 'an array replaces a string', doc: { a: ['b'] }, patch: { a: 'c' }, want: { a: 'c' } },
    { name: 'a string replaces an array', doc: { a: 'c' }, patch: { a: ['b'] }, want: { a: ['b'] } },
    { name: 'objects merge recursively', doc: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, want: { a: { b: 'd' } } },
    { name: 'arrays are replaced, not merged', doc: { a: [{ b: 'c' }] }, patch: { a: [1] }, want: { a: [1] } },
    { name: 'a top-level array replaces the document', doc: ['a', 'b'], patch: ['c', 'd'], want: ['c', 'd'] },
    { name: 'an object replaces a top-level array', doc: { a: 'b' }, patch: ['c'], want: ['c'] },
    { name: 'a scalar patch replaces the document', doc: { a: 'foo' }, patch: null, want: null },
    { name: 'a string patch replaces the document', doc: { a: 'foo' }, patch: 'bar', want: 'bar' },
    { name: 'existing nulls in the document are left alone', doc: { e: null }, patch: { a: 1 }, want: { e: null, a: 1 } },
    { name: 'an object patch turns a scalar document into an object', doc: [1, 2], patch: { a: 'b', c: null }, want: { a: 'b' } },
    { name: 'nested nulls inside added objects are dropped', doc: {}, patch: { a: { bb: { ccc: null } } }, want: { a: { bb: {} } } },
    {
      name: 'labels are set and removed (kubectl label --type=merge)',
      doc: { metadata: { name: 'x', labels: { a: '1', b: '2' } } },
      patch: { metadata: { labels: { a: null, c: '3' } } },
      want: { metadata: { name: 'x', labels: { b: '2', c: '3' } } },
    },
    {
      name: 'containers are replaced as a whole',
      doc: { spec: { containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] } },
      patch: { spec: { containers: [{ name: 'a', image: 'a2' }] } },
      want: { spec: { containers: [{ name: 'a', image: 'a2' }] } },
    },
    { name: 'a __proto__ key is stored as data', doc: {}, patch: JSON.parse('{"__proto__":{"x":1}}') as JsonValue, want: JSON.parse('{"__proto__":{"x":1}}') as JsonValue },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const docBefore = structuredClone(c.doc);
      const patchBefore = structuredClone(c.patch);
      const got = applyMergePatch(c.doc, c.patch);
      assert.deepEqual(got, c.want);
      assert.deepEqual(c.doc, docBefore);
      assert.deepEqual(c.patch, patchBefore);
    });
  }

  void it('returns a value that shares nothing with the patch', () => {
    const patch = { a: { b: [1] } };
    const got = applyMergePatch({}, patch) as { a: { b: number[] } };
    got.a.b.push(2);
    assert.deepEqual(patch, { a: { b: [1] } });
  });

  void it('does not pollute Object.prototype', () => {
    applyMergePatch({}, JSON.parse('{"__proto__":{"polluted":true}}') as JsonValue);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  void it('rejects a patch nested deeper than the limit', () => {
    let patch: JsonValue = {};
    for (let i = 0; i < 100_000; i++) patch = { a: patch };
    assert.throws(() => applyMergePatch({}, patch), (err: unknown) => err instanceof PatchError && err.reason === 'BadRequest');
  });
});
