import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeSourceRanges, sourceRangeMatcher, sourceRangesOf, SOURCE_RANGES_ANNOTATION } from './source-ranges.js';

void describe('load-balancer source ranges', () => {
  void it('normalises: trims, network address, nested ranges dropped, IPv6 and junk skipped, 0.0.0.0/0 means no filter', () => {
    assert.deepEqual(normalizeSourceRanges([' 10.1.2.3/16', '10.1.5.0/24', '192.0.2.7', '2001:db8::/64', 'nonsense', '10.1.0.0/16']), ['10.1.0.0/16', '192.0.2.7/32']);
    assert.deepEqual(normalizeSourceRanges(['10.0.0.0/8', '0.0.0.0/0']), []);
    assert.deepEqual(normalizeSourceRanges([]), []);
  });

  void it('reads the field, else the annotation', () => {
    assert.deepEqual(sourceRangesOf(['192.0.2.0/24'], { [SOURCE_RANGES_ANNOTATION]: '10.0.0.0/8' }), ['192.0.2.0/24']);
    assert.deepEqual(sourceRangesOf(undefined, { [SOURCE_RANGES_ANNOTATION]: '10.0.0.0/8, 192.0.2.0/24' }), ['10.0.0.0/8', '192.0.2.0/24']);
    assert.deepEqual(sourceRangesOf([], undefined), []);
  });

  void it('matches client addresses (IPv4-mapped too)', () => {
    const allowed = sourceRangeMatcher(['10.1.0.0/16', '192.0.2.7/32']);
    assert.equal(allowed('10.1.200.3'), true);
    assert.equal(allowed('::ffff:192.0.2.7'), true);
    assert.equal(allowed('192.0.2.8'), false);
    assert.equal(allowed('::1'), false);
    assert.equal(allowed(''), false);
  });
});
