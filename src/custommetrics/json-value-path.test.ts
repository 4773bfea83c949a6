import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numberOf, parseJsonValuePath, valueAtPath } from './json-value-path.js';

function at(root: unknown, path: string): unknown {
  const parsed = parseJsonValuePath(path);
  if ('error' in parsed) throw new Error(parsed.error);
  return valueAtPath(root, parsed.steps);
}

void describe('JSON value paths', () => {
  const doc = { stats: { backlog: 12, 'in flight': 3 }, queues: [{ depth: 4 }, { depth: '5' }] };

  void it('follows fields, indexes and quoted fields in every spelling', () => {
    assert.equal(at(doc, '$.stats.backlog'), 12);
    assert.equal(at(doc, '.stats.backlog'), 12);
    assert.equal(at(doc, 'stats.backlog'), 12);
    assert.equal(at(doc, '$.queues[1].depth'), '5');
    assert.equal(at(doc, '$.stats["in flight"]'), 3);
    assert.equal(at(doc, "$['stats'].backlog"), 12);
  });

  void it('answers undefined for missing steps', () => {
    assert.equal(at(doc, '$.stats.nope'), undefined);
    assert.equal(at(doc, '$.queues[9].depth'), undefined);
    assert.equal(at(doc, '$.stats[0]'), undefined);
    assert.equal(at(doc, '$.queues.depth'), undefined);
  });

  void it('rejects malformed paths with a message', () => {
    for (const bad of ['', '$', '$.a[', '$.a[x]', '$..a']) assert.ok('error' in parseJsonValuePath(bad), bad);
  });

  void it('reads numbers, numeric strings and booleans only', () => {
    assert.equal(numberOf(4), 4);
    assert.equal(numberOf('5.5'), 5.5);
    assert.equal(numberOf(true), 1);
    assert.equal(numberOf('x'), undefined);
    assert.equal(numberOf(''), undefined);
    assert.equal(numberOf(null), undefined);
    assert.equal(numberOf({}), undefined);
  });
});
