import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredHealthy, disruptionsAllowed } from './disruption-budget.js';

describe('disruption budget arithmetic', () => {
  it('reads minAvailable and maxUnavailable as numbers or percentages (rounded up)', () => {
    assert.equal(desiredHealthy({ minAvailable: 2 }, 5), 2);
    assert.equal(desiredHealthy({ minAvailable: '50%' }, 5), 3);
    assert.equal(desiredHealthy({ maxUnavailable: 1 }, 5), 4);
    assert.equal(desiredHealthy({ maxUnavailable: '30%' }, 5), 3);
    assert.equal(desiredHealthy({}, 5), 1);
  });
  it('allows healthy − desired disruptions, never fewer than none', () => {
    assert.equal(disruptionsAllowed({ maxUnavailable: 1 }, 4, 4), 1);
    assert.equal(disruptionsAllowed({ minAvailable: 4 }, 4, 3), 0);
  });
});
