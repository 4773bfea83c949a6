import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuantity } from '../validation/quantity.js';
import { formatMetricQuantity } from './metric-quantity.js';

void describe('formatMetricQuantity()', () => {
  void it('writes whole numbers plainly, fractions in milli-units and huge values with an exponent', () => {
    assert.equal(formatMetricQuantity(7), '7');
    assert.equal(formatMetricQuantity(0), '0');
    assert.equal(formatMetricQuantity(-3), '-3');
    assert.equal(formatMetricQuantity(1.5), '1500m');
    assert.equal(formatMetricQuantity(0.0004), '0m');
    assert.equal(formatMetricQuantity(1.5e21), '1.5e21');
    for (const v of [7, 1.5, 1.5e21, 123456.789]) assert.ok(Math.abs((parseQuantity(formatMetricQuantity(v)) ?? NaN) - v) <= Math.abs(v) * 1e-6 + 0.001, String(v));
  });

  void it('has no form for NaN and infinities', () => {
    assert.equal(formatMetricQuantity(Number.NaN), undefined);
    assert.equal(formatMetricQuantity(Infinity), undefined);
  });
});
