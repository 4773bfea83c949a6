/**
 * Matching claims to volumes (upstream's findMatchingVolume, simplified): a PersistentVolume fits a claim when
 * it is free (no claimRef, or pre-bound to exactly this claim), of the claim's StorageClass ("" when the claim
 * names none), offers every access mode the claim asks for, holds at least the requested storage, and carries
 * the labels the claim's selector asks for. Among fitting volumes the smallest wins, and a volume pre-bound to
 * the claim wins over all.
 */
import { labelSelectorFromObject, type LabelSelectorObject } from '../../api/meta/labels.js';
import type { KubeObject } from '../../api/meta/types.js';
import { parseQuantity } from '../../api/validation/quantity.js';

/** ClaimRef is a PV's `spec.claimRef`. */
export interface ClaimRef {
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
}

/** VolumeSpec is the part of a PV's spec binding reads. */
export interface VolumeSpec {
  readonly storageClassName?: string;
  readonly accessModes?: readonly string[];
  readonly capacity?: Readonly<Record<string, string>>;
  readonly claimRef?: ClaimRef;
  readonly persistentVolumeReclaimPolicy?: string;
  readonly nodeAffinity?: { readonly required?: { readonly nodeSelectorTerms?: readonly unknown[] } };
}

/** ClaimSpec is the part of a PVC's spec binding reads. */
export interface ClaimSpec {
  readonly storageClassName?: string | null;
  readonly accessModes?: readonly string[];
  readonly resources?: { readonly requests?: Readonly<Record<string, string>> };
  readonly selector?: LabelSelectorObject | null;
  readonly volumeName?: string;
}

/** volumeSpec reads a PV's spec. */
export function volumeSpec(pv: KubeObject): VolumeSpec {
  return (pv['spec'] ?? {}) as VolumeSpec;
}

/** claimSpec reads a PVC's spec. */
export function claimSpec(pvc: KubeObject): ClaimSpec {
  return (pvc['spec'] ?? {}) as ClaimSpec;
}

/** claimClass is the StorageClass a claim asks for ("" = only volumes without a class). */
export function claimClass(pvc: KubeObject): string {
  return claimSpec(pvc).storageClassName ?? '';
}

/** requestedBytes is the storage a claim asks for (0 when it names none). */
export function requestedBytes(pvc: KubeObject): number {
  return parseQuantity(claimSpec(pvc).resources?.requests?.['storage']) ?? 0;
}

/** isPreBoundTo tells whether a volume's claimRef names this claim (by namespace and name, and uid when set). */
export function isPreBoundTo(pv: KubeObject, pvc: KubeObject): boolean {
  const ref = volumeSpec(pv).claimRef;
  if (!ref?.name) return false;
  if (ref.name !== pvc.metadata?.name || (ref.namespace ?? '') !== (pvc.metadata?.namespace ?? '')) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/** volumeFits tells whether `pv` satisfies `pvc` (class, access modes, size, selector), ignoring who holds it. */
export function volumeFits(pv: KubeObject, pvc: KubeObject): boolean {
  const v = volumeSpec(pv);
  const c = claimSpec(pvc);
  if ((v.storageClassName ?? '') !== claimClass(pvc)) return false;
  const modes = new Set(v.accessModes ?? []);
  if (!(c.accessModes ?? []).every((m) => modes.has(m))) return false;
  const size = parseQuantity(v.capacity?.['storage']) ?? 0;
  if (size < requestedBytes(pvc)) return false;
  if (c.selector) {
    try {
      if (!labelSelectorFromObject(c.selector).matches(pv.metadata?.labels ?? {})) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** findMatchingVolume picks the volume to bind `pvc` to, or undefined. */
export function findMatchingVolume(pvc: KubeObject, volumes: readonly KubeObject[]): KubeObject | undefined {
  let best: KubeObject | undefined;
  let bestSize = Infinity;
  for (const pv of volumes) {
    if (pv.metadata?.deletionTimestamp) continue;
    const preBound = isPreBoundTo(pv, pvc);
    if (volumeSpec(pv).claimRef?.name && !preBound) continue;
    if (!volumeFits(pv, pvc)) continue;
    if (preBound) return pv;
    const size = parseQuantity(volumeSpec(pv).capacity?.['storage']) ?? 0;
    if (size < bestSize) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}
