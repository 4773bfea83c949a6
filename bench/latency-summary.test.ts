import assert from 'node:assert/strict';
import { test } from 'node:test';

import { percentile, round, summarizeLatencies } from './latency-summary.js';

test('percentile() takes the nearest rank of a sorted sample set', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 50);
  assert.equal(percentile(sorted, 0.99), 99);
  assert.equal(percentile(sorted, 1), 100);
  assert.equal(percentile([7], 0.5), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

test('summarizeLatencies() sorts a copy and rounds to 0.01 ms', () => {
  const samples = [3.333, 1.111, 2.222];
  const s = summarizeLatencies(samples);
  assert.deepEqual(s, { count: 3, p50: 2.22, p90: 3.33, p99: 3.33, max: 3.33 });
  assert.deepEqual(samples, [3.333, 1.111, 2.222]);
});

test('round() keeps the requested digits', () => {
  assert.equal(round(1.23456, 2), 1.23);
  assert.equal(round(1.5), 2);
});
