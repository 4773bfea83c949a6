import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { CompactedError, QuotaExceededError, StorageUnavailableError } from '../errors.js';
import { isBusy, translateSqliteError } from './sqlite-errors.js';

const sqlite = (code: string, message = 'sqlite says no'): Error => new Database.SqliteError(message, code);

void describe('translateSqliteError', () => {
  void it('turns a full disk into QuotaExceededError that says what to do', () => {
    const err = translateSqliteError(sqlite('SQLITE_FULL', 'database or disk is full'), 'write');
    assert.ok(err instanceof QuotaExceededError);
    assert.equal(err.message, 'Cannot write: the disk holding the database is full; free space on it and retry');
  });

  void it('never lets "database is locked" through: busy and locked are StorageUnavailableError', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_LOCKED_SHAREDCACHE']) {
      const err = translateSqliteError(sqlite(code, 'database is locked'), 'write');
      assert.ok(err instanceof StorageUnavailableError, code);
      assert.doesNotMatch(err.message, /database is locked/);
      assert.ok(isBusy(sqlite(code)));
    }
    assert.equal(isBusy(sqlite('SQLITE_FULL')), false);
    assert.equal(isBusy(new Error('database is locked')), false);
  });

  void it('turns I/O errors, unopenable files and corruption into StorageUnavailableError', () => {
    for (const code of ['SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_INDEX']) {
      const err = translateSqliteError(sqlite(code, 'disk I/O error'), 'read');
      assert.ok(err instanceof StorageUnavailableError, code);
      assert.equal(err.message, 'Cannot read: disk I/O error');
    }
  });

  void it('passes storage errors through unchanged and keeps other errors', () => {
    const passed = [new QuotaExceededError('q'), new StorageUnavailableError('u'), new CompactedError(1, 2)];
    for (const e of passed) assert.equal(translateSqliteError(e, 'write'), e);
    const other = sqlite('SQLITE_CONSTRAINT_UNIQUE');
    assert.equal(translateSqliteError(other, 'write'), other);
    const thrown = translateSqliteError('boom', 'compact');
    assert.equal(thrown.message, 'Cannot compact: boom');
  });
});
