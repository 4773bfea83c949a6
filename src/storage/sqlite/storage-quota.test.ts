import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { QuotaExceededError } from '../errors.js';
import { StorageQuota } from './storage-quota.js';

void describe('StorageQuota', () => {
  void it('admits everything without a quota (0, negative or not a number)', () => {
    for (const bytes of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const q = new StorageQuota(bytes);
      assert.equal(q.enabled, false);
      assert.equal(q.bytes, 0);
      assert.equal(q.admit('create', '/k', Number.MAX_SAFE_INTEGER), undefined);
    }
  });

  void it('admits creates and updates below the quota and refuses them at or above it', () => {
    const q = new StorageQuota(1000);
    assert.equal(q.admit('create', '/k', 999), undefined);
    assert.equal(q.admit('update', '/k', 999), undefined);
    for (const kind of ['create', 'update'] as const) {
      const err = q.admit(kind, '/registry/configmaps/ns/x', 1000);
      assert.ok(err instanceof QuotaExceededError);
      // The message names the write, the key, the size, the quota and the flag, and says how to get out.
      assert.match(err.message, new RegExp(`^Cannot ${kind} key "/registry/configmaps/ns/x": the database uses 1000 bytes, at or above its quota of 1000 bytes`));
      assert.match(err.message, /--datastore-quota-bytes/);
      assert.match(err.message, /delete objects/);
    }
  });

  void it('always admits deletes, which is how space is reclaimed', () => {
    const q = new StorageQuota(1000);
    assert.equal(q.admit('delete', '/k', 10_000), undefined);
  });

  void it('admits writes again once compaction brought the store back below the quota', () => {
    const q = new StorageQuota(4096);
    assert.ok(q.reached(8192));
    assert.ok(q.admit('create', '/k', 8192));
    assert.equal(q.reached(4095), false);
    assert.equal(q.admit('create', '/k', 4095), undefined);
  });

  void it('truncates a fractional quota', () => {
    assert.equal(new StorageQuota(1000.9).bytes, 1000);
  });
});
