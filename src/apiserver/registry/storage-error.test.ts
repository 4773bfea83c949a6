import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { StatusError } from '../../api/meta/status-error.js';
import { QuotaExceededError, StorageUnavailableError } from '../../storage/errors.js';
import { interpretStorageError } from './storage-error.js';

const gr = { group: '', resource: 'configmaps' };

void describe('interpretStorageError', () => {
  void it('answers a store at its quota or on a full disk with 507 InsufficientStorage, message kept', () => {
    for (const message of ['the database uses 10 bytes, at or above its quota of 8 bytes (--datastore-quota-bytes)', 'Cannot write: the disk holding the database is full']) {
      const err = interpretStorageError(new QuotaExceededError(message), gr, 'x');
      assert.ok(err instanceof StatusError);
      assert.equal(err.status.code, 507);
      assert.equal(err.status.reason, 'InsufficientStorage');
      assert.equal(err.status.message, `Cannot write to storage: ${message}`);
    }
  });

  void it('answers an unavailable store with 503', () => {
    const err = interpretStorageError(new StorageUnavailableError('Cannot write: another process holds the database file'), gr, 'x');
    assert.ok(err instanceof StatusError);
    assert.equal(err.status.code, 503);
  });
});
