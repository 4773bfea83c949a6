import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTimestamp } from './timestamp.js';

describe('formatTimestamp', () => {
  it('renders whole seconds in UTC, also when the same second is asked for again', () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    assert.equal(formatTimestamp(t), '2026-01-02T03:04:05Z');
    assert.equal(formatTimestamp(t + 300), '2026-01-02T03:04:05Z');
    assert.equal(formatTimestamp(t + 400), '2026-01-02T03:04:06Z');
    assert.equal(formatTimestamp(t), '2026-01-02T03:04:05Z');
    assert.equal(formatTimestamp(-1), '1969-12-31T23:59:59Z');
    assert.throws(() => formatTimestamp(Number.NaN), RangeError);
  });
});
