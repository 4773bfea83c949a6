import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoValue } from './go-value.js';

describe('formatGoValue()', () => {
  it('renders like Go', () => {
    assert.equal(formatGoValue('a'), '"a"');
    assert.equal(formatGoValue(3), '3');
    assert.equal(formatGoValue(undefined), 'null');
    assert.equal(formatGoValue({ b: '2', app: 'x' }), 'map[string]string{"app":"x", "b":"2"}');
    assert.equal(formatGoValue(['10.0.0.1']), '[]string{"10.0.0.1"}');
    assert.equal(formatGoValue({ matchLabels: { a: 'b' } }), '{"matchLabels":{"a":"b"}}');
  });
});
