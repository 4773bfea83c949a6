/**
 * Translation of SQLite failures into the storage errors callers handle (storage/errors.ts), at the boundary of the
 * SQLite backend: nothing that names SQLite leaves it. The contract the API server relies on:
 * - a full disk (SQLITE_FULL, which SQLite returns when a write gets ENOSPC) is QuotaExceededError: the write did not
 *   happen, reads still work, and writes succeed again once space is freed — no restart needed;
 * - a busy or locked file is StorageUnavailableError: this process opens the file in exclusive locking mode, so it
 *   only happens when another process broke in, and "database is locked" never reaches a client as such;
 * - I/O errors, a file that cannot be opened and corruption are StorageUnavailableError;
 * - storage errors pass through unchanged.
 */
import Database from 'better-sqlite3';

import { CompactedError, QuotaExceededError, StorageUnavailableError } from '../errors.js';

/** translateSqliteError maps a failure of `action` ("write", "read", "compact") to the error callers handle. */
export function translateSqliteError(err: unknown, action: string): Error {
  if (err instanceof StorageUnavailableError || err instanceof QuotaExceededError || err instanceof CompactedError) {
    return err;
  }
  const code = sqliteCode(err);
  if (code === 'SQLITE_FULL') {
    return new QuotaExceededError(`Cannot ${action}: the disk holding the database is full; free space on it and retry`);
  }
  if (isBusy(err)) return new StorageUnavailableError(`Cannot ${action}: another process holds the database file`);
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_CORRUPT')) {
    return new StorageUnavailableError(`Cannot ${action}: ${messageOf(err)}`);
  }
  return err instanceof Error ? err : new Error(`Cannot ${action}: ${messageOf(err)}`);
}

/** isBusy is true for SQLite's "database is locked" family (SQLITE_BUSY*, SQLITE_LOCKED*). */
export function isBusy(err: unknown): boolean {
  const code = sqliteCode(err);
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

function sqliteCode(err: unknown): string {
  return err instanceof Database.SqliteError ? err.code : '';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
