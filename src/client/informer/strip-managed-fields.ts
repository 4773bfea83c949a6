/**
 * withoutManagedFields: an informer's copy of an object without metadata.managedFields (client-go's
 * TransformStripManagedFields). managedFields is server-side apply's bookkeeping, often the largest part of an
 * object's metadata (a pod written by a client, the scheduler and a kubelet carries three field sets), and no
 * in-process component reads it from a cache: they read and write objects through the API, where it stays.
 */
import type { KubeObject } from '../../api/meta/types.js';

/** withoutManagedFields returns obj itself when it has no managedFields, else a shallow copy without them. */
export function withoutManagedFields(obj: KubeObject): KubeObject {
  const md = obj.metadata;
  if (md?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = md;
  return { ...obj, metadata };
}
