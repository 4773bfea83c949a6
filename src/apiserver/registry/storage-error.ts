/**
 * Translation of storage errors into API Status errors at the registry boundary (design rule 4): nothing from
 * storage/errors.ts reaches the wire.
 */
import { alreadyExists, conflict, expired, newStatus, notFound, StatusError } from '../../api/meta/status-error.js';
import type { GroupResource } from '../../api/meta/status-error.js';
import { CompactedError, ConflictError, KeyExistsError, KeyNotFoundError, QuotaExceededError, StorageUnavailableError } from '../../storage/errors.js';

/** OPTIMISTIC_LOCK_MESSAGE is upstream's text for a resourceVersion precondition failure. */
export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** interpretStorageError maps a thrown storage error to a StatusError; StatusErrors pass through unchanged. */
export function interpretStorageError(err: unknown, gr: GroupResource, name: string): Error {
  if (err instanceof StatusError) return err;
  if (err instanceof KeyNotFoundError) return notFound(gr, name);
  if (err instanceof KeyExistsError) return alreadyExists(gr, name);
  if (err instanceof ConflictError) return conflict(gr, name, OPTIMISTIC_LOCK_MESSAGE);
  if (err instanceof CompactedError) return expired(`too old resource version: ${err.revision} (${err.compactRevision})`);
  if (err instanceof StorageUnavailableError) return new StatusError(newStatus(503, 'ServiceUnavailable', `Cannot reach storage: ${err.message}`));
  if (err instanceof QuotaExceededError) return insufficientStorage(err.message);
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * insufficientStorage is the answer to a write refused because the store is at its size quota or its disk is full:
 * 507 Insufficient Storage with reason InsufficientStorage. Upstream answers etcd's "mvcc: database space exceeded"
 * with 500 InternalError, which reads like a server bug and invites blind retries; 507 says what it is (the request
 * was fine, the server cannot store it now), is not retried by client-go (no Retry-After), and kubectl prints it as
 * one line: `Error from server (InsufficientStorage): <message>`. Reads and deletes keep working.
 */
export function insufficientStorage(message: string): StatusError {
  return new StatusError(newStatus(507, 'InsufficientStorage', `Cannot write to storage: ${message}`));
}
