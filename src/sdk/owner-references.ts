/**
 * Owner references (controller-runtime's SetControllerReference / SetOwnerReference): who owns an object decides
 * garbage collection and, for the controller reference, which controller the object's events wake.
 */
import type { KubeObject, OwnerReference } from '../api/meta/types.js';
import { TerminalError } from '../controllers/reconciler.js';
import { groupOfApiVersion } from './kind.js';

/** AlreadyOwnedError: the object already has another controller; retrying will not change that. */
export class AlreadyOwnedError extends TerminalError {
  constructor(objectName: string, owner: OwnerReference) {
    super(`Object "${objectName}" is already controlled by ${owner.kind} "${owner.name}"`);
    this.name = 'AlreadyOwnedError';
  }
}

function referenceTo(owner: KubeObject): OwnerReference {
  const md = owner.metadata ?? {};
  if (!owner.apiVersion || !owner.kind || !md.name || !md.uid) {
    throw new TerminalError('Cannot reference owner: it needs apiVersion, kind, metadata.name and metadata.uid (use the object as read from the API)');
  }
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: md.name, uid: md.uid };
}

/** sameOwner compares references by group, kind and name (the version may differ), as upstream does. */
function sameOwner(a: OwnerReference, b: OwnerReference): boolean {
  return groupOfApiVersion(a.apiVersion) === groupOfApiVersion(b.apiVersion) && a.kind === b.kind && a.name === b.name;
}

function checkScope(owner: KubeObject, obj: KubeObject): void {
  const ownerNs = owner.metadata?.namespace ?? '';
  const objNs = obj.metadata?.namespace ?? '';
  if (ownerNs !== '' && ownerNs !== objNs) {
    throw new TerminalError(`Cannot set owner reference: owner "${ownerNs}/${owner.metadata?.name ?? ''}" is in another namespace than "${objNs}/${obj.metadata?.name ?? ''}" (cross-namespace owners are not allowed)`);
  }
}

function upsert(obj: KubeObject, ref: OwnerReference): void {
  obj.metadata ??= {};
  const refs = obj.metadata.ownerReferences ?? [];
  const i = refs.findIndex((r) => sameOwner(r, ref));
  if (i >= 0) refs[i] = ref;
  else refs.push(ref);
  obj.metadata.ownerReferences = refs;
}

/**
 * setControllerReference makes `owner` the controller of `obj` (in place): controller and blockOwnerDeletion set.
 * Throws AlreadyOwnedError (a TerminalError) when another object already controls `obj`.
 */
export function setControllerReference(owner: KubeObject, obj: KubeObject): void {
  const ref: OwnerReference = { ...referenceTo(owner), controller: true, blockOwnerDeletion: true };
  checkScope(owner, obj);
  const current = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (current && !sameOwner(current, ref)) throw new AlreadyOwnedError(obj.metadata?.name ?? '', current);
  upsert(obj, ref);
}

/** setOwnerReference adds (or refreshes) a non-controller owner reference to `owner` on `obj` (in place). */
export function setOwnerReference(owner: KubeObject, obj: KubeObject): void {
  const ref = referenceTo(owner);
  checkScope(owner, obj);
  const existing = obj.metadata?.ownerReferences?.find((r) => sameOwner(r, ref));
  upsert(obj, existing?.controller ? { ...ref, controller: true, blockOwnerDeletion: existing.blockOwnerDeletion ?? true } : ref);
}

/** controllerOf returns `obj`'s controller reference, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}
