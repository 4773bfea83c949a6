import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountPoints, mountPointsUnder } from './mount-points.js';

test('mountPoints lists the root and /proc; mountPointsUnder keeps strictly deeper ones, deepest first', () => {
  const all = mountPoints();
  assert.ok(all.includes('/'));
  assert.ok(all.includes('/proc'));
  const under = mountPointsUnder('/proc');
  assert.ok(!under.includes('/proc'));
  assert.ok(under.every((m) => m.startsWith('/proc/')));
  for (let i = 1; i < under.length; i++) assert.ok((under[i - 1] ?? '').length >= (under[i] ?? '').length);
});
