import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRfc3339, parseRfc3339, ZERO_TIME_SECONDS } from './rfc3339-time.js';

describe('formatRfc3339()/parseRfc3339()', () => {
  it('formats Time in whole seconds and MicroTime with six fraction digits, in UTC', () => {
    assert.equal(formatRfc3339({ seconds: 1714557600, nanos: 123456789 }, false), '2024-05-01T10:00:00Z');
    assert.equal(formatRfc3339({ seconds: 1714557600, nanos: 123456789 }, true), '2024-05-01T10:00:00.123456Z');
    assert.equal(formatRfc3339({ seconds: ZERO_TIME_SECONDS, nanos: 0 }, false), '0001-01-01T00:00:00Z');
    assert.equal(formatRfc3339({ seconds: 1e15, nanos: 0 }, false), undefined);
  });
  it('parses offsets and fractions', () => {
    assert.deepEqual(parseRfc3339('2024-05-01T12:00:00+02:00'), { seconds: 1714557600, nanos: 0 });
    assert.deepEqual(parseRfc3339('2024-05-01T10:00:00.5Z'), { seconds: 1714557600, nanos: 500000000 });
    assert.deepEqual(parseRfc3339('0001-01-01T00:00:00Z'), { seconds: ZERO_TIME_SECONDS, nanos: 0 });
    assert.equal(parseRfc3339('2024-05-01'), undefined);
    assert.equal(parseRfc3339('yesterday'), undefined);
  });
});
