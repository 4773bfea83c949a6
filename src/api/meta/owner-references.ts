/** Owner references: the one helper every controller needs to find who controls an object. */
import type { KubeObject, OwnerReference } from './types.js';

/** controllerOf returns the owner reference marked `controller: true`, if any (upstream's GetControllerOf). */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((o) => o.controller === true);
}
