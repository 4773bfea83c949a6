import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getJsonProperty, isJsonObject, jsonDepth, jsonEqual, setJsonProperty } from './json-value.js';
import type { JsonObject, JsonValue } from './json-value.js';

void describe('jsonDepth()', () => {
  const cases: ReadonlyArray<[JsonValue, number]> = [
    [1, 0],
    [null, 0],
    [{}, 1],
    [[], 1],
    [{ a: [] }, 2],
    [{ a: 1, b: { c: [{ d: 1 }] } }, 4],
  ];
  for (const [value, depth] of cases) {
    void it(`measures ${JSON.stringify(value)} as ${depth}`, () => assert.equal(jsonDepth(value, 100), depth));
  }
  void it('stops at limit + 1 on very deep input', () => {
    let value: JsonValue = 0;
    for (let i = 0; i < 200_000; i++) value = [value];
    assert.equal(jsonDepth(value, 100), 101);
  });
});

void describe('jsonEqual()', () => {
  const cases: ReadonlyArray<[JsonValue, JsonValue, boolean]> = [
    [1, 1, true],
    [1, '1', false],
    [null, {}, false],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined as unknown as JsonValue }, false],
    [[1, 2], [2, 1], false],
    [[{ a: [1] }], [{ a: [1] }], true],
    [[], {}, false],
  ];
  for (const [a, b, want] of cases) {
    void it(`${JSON.stringify(a)} vs ${JSON.stringify(b)} is ${want}`, () => assert.equal(jsonEqual(a, b), want));
  }
});

void describe('setJsonProperty() / getJsonProperty() / isJsonObject()', () => {
  void it('stores __proto__ as an own key without changing the prototype', () => {
    const o: JsonObject = {};
    setJsonProperty(o, '__proto__', { polluted: true });
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.deepEqual(getJsonProperty(o, '__proto__'), { polluted: true });
    assert.deepEqual(Object.keys(o), ['__proto__']);
  });
  void it('reads only own keys', () => {
    assert.equal(getJsonProperty({}, 'toString'), undefined);
    assert.equal(getJsonProperty({}, '__proto__'), undefined);
  });
  void it('tells objects from arrays and null', () => {
    assert.equal(isJsonObject({}), true);
    assert.equal(isJsonObject([]), false);
    assert.equal(isJsonObject(null), false);
    assert.equal(isJsonObject('x'), false);
  });
});
