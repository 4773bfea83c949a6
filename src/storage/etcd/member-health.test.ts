import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GRPCCancelledError, GRPCUnavailableError } from 'etcd3';

import { MemberDownError, MemberHealth } from './member-health.js';

void describe('MemberHealth', () => {
  void it('skips a member for the pause after it refused a call, and only then', async () => {
    let now = 1000;
    const health = new MemberHealth('http://a:2379', GRPCUnavailableError, 1000, () => now);
    assert.equal(await health.execute(() => 'ok'), 'ok');
    // A cancelled call (EtcdStorage cancels watch streams all the time) says nothing about the member.
    await assert.rejects(health.execute(() => Promise.reject(new GRPCCancelledError('1 CANCELLED'))), GRPCCancelledError);
    assert.equal(await health.execute(() => 'still ok'), 'still ok');
    await assert.rejects(health.execute(() => Promise.reject(new GRPCUnavailableError('14 UNAVAILABLE: connection refused'))), GRPCUnavailableError);
    let called = false;
    await assert.rejects(health.execute(() => (called = true)), MemberDownError);
    assert.equal(called, false);
    now += 1000;
    assert.equal(await health.execute(() => 'back'), 'back');
  });
});
