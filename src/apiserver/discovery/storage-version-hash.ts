/**
 * storageVersionHash: the opaque token discovery publishes per resource so that storage-version migrators can tell
 * when the version objects are stored at has changed. Same algorithm as upstream: the first 8 bytes of the
 * SHA-256 of "group/version/kind", base64-encoded; clients compare it only for equality.
 */
import { createHash } from 'node:crypto';

/** storageVersionHash returns the stable hash of the storage group/version/kind of a resource. */
export function storageVersionHash(group: string, version: string, kind: string): string {
  const digest = createHash('sha256').update(`${group}/${version}/${kind}`).digest();
  return digest.subarray(0, 8).toString('base64');
}
