import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuQuantity, goDuration, memoryQuantity } from './resource-metrics.js';

void describe('resource metrics quantities', () => {
  void it('prints CPU in whole cores, millicores when exact, else nanocores', () => {
    assert.equal(cpuQuantity(0), '0');
    assert.equal(cpuQuantity(2e9), '2');
    assert.equal(cpuQuantity(250e6), '250m');
    assert.equal(cpuQuantity(1_234_567), '1234567n');
    assert.equal(cpuQuantity(-5), '0');
  });
  void it('prints memory with the largest exact binary suffix', () => {
    assert.equal(memoryQuantity(64 * 1024 * 1024), '64Mi');
    assert.equal(memoryQuantity(1536 * 1024), '1536Ki');
    assert.equal(memoryQuantity(1001), '1001');
    assert.equal(memoryQuantity(0), '0');
  });
  void it('prints windows as Go durations', () => {
    assert.equal(goDuration(15_000), '15s');
    assert.equal(goDuration(1_002), '1.002s');
    assert.equal(goDuration(1_500), '1.5s');
  });
});
