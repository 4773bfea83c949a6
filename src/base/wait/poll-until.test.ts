import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollUntil } from './poll-until.js';

describe('pollUntil()', () => {
  it('resolves true once the condition holds', async () => {
    let n = 0;
    assert.equal(await pollUntil(() => ++n >= 3, { timeoutMs: 5_000, intervalMs: 1 }), true);
    assert.equal(n, 3);
  });
  it('resolves false when the deadline passes first', async () => {
    assert.equal(await pollUntil(async () => false, { timeoutMs: 20, intervalMs: 5 }), false);
  });
});
