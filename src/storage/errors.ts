/**
 * Typed storage errors. The API registry translates them: KeyNotFoundError → 404, KeyExistsError → 409
 * AlreadyExists, ConflictError → 409 Conflict, CompactedError → 410 Expired, StorageUnavailableError → 503,
 * QuotaExceededError → 507 InsufficientStorage.
 */
import type { KeyValue } from './storage.js';

/** KeyNotFoundError: the key does not exist (update/delete). */
export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`Cannot find key "${key}"`);
    this.name = 'KeyNotFoundError';
  }
}

/** KeyExistsError: create of a key that exists. */
export class KeyExistsError extends Error {
  constructor(readonly key: string) {
    super(`Cannot create key "${key}": it exists`);
    this.name = 'KeyExistsError';
  }
}

/** ConflictError: the expected modRevision did not match; `current` is the version found. */
export class ConflictError extends Error {
  constructor(
    readonly key: string,
    readonly current: KeyValue,
  ) {
    super(`Cannot write key "${key}": revision ${current.modRevision} is not the one expected`);
    this.name = 'ConflictError';
  }
}

/** CompactedError: the revision asked for is older than the compacted revision. */
export class CompactedError extends Error {
  constructor(
    readonly revision: number,
    readonly compactRevision: number,
  ) {
    super(`Cannot read revision ${revision}: compacted to ${compactRevision}`);
    this.name = 'CompactedError';
  }
}

/** QuotaExceededError: the store is at its size quota or the disk is full; reads still work. */
export class QuotaExceededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaExceededError';
  }
}

/** StorageUnavailableError: the backend cannot serve (closed, connection lost). */
export class StorageUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

/** FutureRevisionError: a read asked for a revision newer than the current one (upstream answers 504 "Too large resource version"). */
export class FutureRevisionError extends Error {
  constructor(
    readonly revision: number,
    readonly currentRevision: number,
  ) {
    super(`Cannot read revision ${revision}: the current revision is ${currentRevision}`);
    this.name = 'FutureRevisionError';
  }
}
