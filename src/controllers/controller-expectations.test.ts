/**
 * ControllerExpectations: pending creations and deletions hold an owner back until observed or expired.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControllerExpectations } from './controller-expectations.js';

void describe('ControllerExpectations', () => {
  void it('creations are satisfied once each is observed', () => {
    const e = new ControllerExpectations({ now: () => 0 });
    assert.equal(e.satisfied('ns/rs'), true);
    e.expectCreations('ns/rs', 2);
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), true);
  });

  void it('deletions are tracked by pod key, so a repeated event does not count twice', () => {
    const e = new ControllerExpectations({ now: () => 0 });
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a');
    assert.equal(e.satisfied('ns/rs'), false);
    e.deletionObserved('ns/rs', 'ns/b');
    assert.equal(e.satisfied('ns/rs'), true);
  });

  void it('expire after the TTL; forget drops them', () => {
    let now = 0;
    const e = new ControllerExpectations({ now: () => now, ttlMs: 1000 });
    e.expectCreations('ns/rs', 1);
    now = 1001;
    assert.equal(e.satisfied('ns/rs'), true);
    e.expectCreations('ns/other', 1);
    e.forget('ns/other');
    assert.equal(e.satisfied('ns/other'), true);
  });
});
