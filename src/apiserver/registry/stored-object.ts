/**
 * How objects are stored: JSON bytes without metadata.resourceVersion, which is derived from the key's
 * modRevision on every read (so the stored bytes never disagree with the revision that wrote them).
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { KeyValue } from '../../storage/storage.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** encodeObject serialises an object for storage, dropping metadata.resourceVersion. */
export function encodeObject(obj: KubeObject): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  return encoder.encode(JSON.stringify({ ...obj, metadata }));
}

/** decodeObject parses a stored version and stamps resourceVersion = modRevision (or `revision` when given). */
export function decodeObject(kv: KeyValue, revision: number = kv.modRevision): KubeObject {
  const obj = JSON.parse(decoder.decode(kv.value)) as KubeObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(revision) };
  return obj;
}
