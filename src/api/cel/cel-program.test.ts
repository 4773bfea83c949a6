import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCel, MAX_EXPRESSION_LENGTH } from './cel-program.js';

function program(expression: string, variables = ['self', 'oldSelf']) {
  const compiled = compileCel(expression, { variables });
  if (!compiled.ok) throw new Error(`Cannot compile ${expression}: ${compiled.error}`);
  return compiled.program;
}

test('integers from JSON are CEL ints, so arithmetic with int literals works', () => {
  assert.deepEqual(program('self.replicas + 1 == 5').evaluate({ self: { replicas: 4 } }), { ok: true, value: true });
  assert.deepEqual(program('self.items.size()').evaluate({ self: { items: [1, 2] } }), { ok: true, value: 2 });
});

test('transition rules see oldSelf', () => {
  const p = program('self.name == oldSelf.name');
  assert.deepEqual(p.evaluate({ self: { name: 'a' }, oldSelf: { name: 'b' } }), { ok: true, value: false });
  assert.equal(p.resultType, 'bool');
});

test('macros, has() and string functions', () => {
  assert.deepEqual(program('self.all(x, x > 0) && self.exists(x, x == 2)').evaluate({ self: [1, 2] }), { ok: true, value: true });
  assert.deepEqual(program('!has(self.x) && "ab".startsWith("a")').evaluate({ self: {} }), { ok: true, value: true });
  assert.deepEqual(program('"too many: " + string(self.r)').evaluate({ self: { r: 7 } }), { ok: true, value: 'too many: 7' });
});

test('errors are values: syntax, unknown variables, missing keys, bad overloads', () => {
  const bad = compileCel('self.a +', { variables: ['self'] });
  assert.equal(bad.ok, false);
  assert.equal(compileCel('other.a', { variables: ['self'] }).ok, false);
  assert.equal(compileCel('x'.repeat(MAX_EXPRESSION_LENGTH + 1), { variables: ['self'] }).ok, false);
  const r = program('self.missing > 1').evaluate({ self: {} });
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /no such key/i);
});

test('a schema hint keeps number-typed values as doubles', () => {
  const p = program('self.ratio < 1.5');
  assert.deepEqual(p.evaluate({ self: { ratio: 1 } }, { typeHint: () => 'number' }), { ok: true, value: true });
});

test('Kubernetes list and string library functions', () => {
  const p = program('self.l.isSorted() && self.l.sum() == 6 && self.l.min() == 1 && self.l.max() == 3 && self.l.indexOf(2) == 1 && "a-b".replace("-", "+") == "a+b"');
  assert.deepEqual(p.evaluate({ self: { l: [1, 2, 3] } }), { ok: true, value: true });
  assert.deepEqual(program('self.l.isSorted()').evaluate({ self: { l: [3, 1] } }), { ok: true, value: false });
  assert.equal(program('self.l.max()').evaluate({ self: { l: [] } }).ok, false);
});
