/**
 * Finalizer helpers (controller-runtime's controllerutil): add/remove/has mutate or read `metadata.finalizers`
 * in place and say whether anything changed, so a reconciler writes only when needed.
 */
import type { KubeObject } from '../api/meta/types.js';
import type { Client } from './client.js';

/** hasFinalizer tells whether `obj` carries `finalizer`. */
export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** addFinalizer adds `finalizer` to `obj` unless present; true when it changed `obj`. */
export function addFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (hasFinalizer(obj, finalizer)) return false;
  obj.metadata ??= {};
  obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), finalizer];
  return true;
}

/** removeFinalizer removes every copy of `finalizer` from `obj`; true when it changed `obj`. */
export function removeFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (!hasFinalizer(obj, finalizer)) return false;
  const rest = (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
  if (obj.metadata) obj.metadata.finalizers = rest;
  return true;
}

/**
 * ensureFinalizer makes sure the stored object carries `finalizer` (an update only when it is missing) and
 * returns the object as now stored. Not for objects being deleted: the server refuses new finalizers then.
 */
export async function ensureFinalizer<T extends KubeObject>(client: Client, obj: T, finalizer: string): Promise<T> {
  const copy = structuredClone(obj);
  if (!addFinalizer(copy, finalizer)) return obj;
  return client.update(copy);
}

/** releaseFinalizer removes `finalizer` from the stored object (an update only when present); returns it as now stored. */
export async function releaseFinalizer<T extends KubeObject>(client: Client, obj: T, finalizer: string): Promise<T> {
  const copy = structuredClone(obj);
  if (!removeFinalizer(copy, finalizer)) return obj;
  return client.update(copy);
}
