import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatGoDuration, parseGoDuration } from './go-duration.js';

describe('formatGoDuration()', () => {
  const cases: ReadonlyArray<readonly [number, string]> = [
    [0, '0s'],
    [1, '1ns'],
    [1500, '1.5µs'],
    [2_000_000, '2ms'],
    [1_500_000_000, '1.5s'],
    [90e9, '1m30s'],
    [3600e9, '1h0m0s'],
    [-5e9, '-5s'],
    [(26 * 3600 + 3 * 60 + 4) * 1e9 + 5e8, '26h3m4.5s'],
  ];
  for (const [nanos, text] of cases) {
    it(`formats ${nanos}ns as ${text} and parses it back`, () => {
      assert.equal(formatGoDuration(nanos), text);
      assert.equal(parseGoDuration(text), nanos);
    });
  }
  it('parses other accepted spellings and rejects junk', () => {
    assert.equal(parseGoDuration('1h30m'), 5400e9);
    assert.equal(parseGoDuration('300us'), 300e3);
    assert.equal(parseGoDuration('.5s'), 5e8);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration(''), undefined);
    assert.equal(parseGoDuration('5'), undefined);
    assert.equal(parseGoDuration('1d'), undefined);
  });
});
