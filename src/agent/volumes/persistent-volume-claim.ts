/**
 * persistentVolumeClaim: the claim's bound PersistentVolume, which on this node is a hostPath or local volume
 * (what the local-path provisioner makes): its directory, created when missing. A claim that is not bound yet
 * is an error value; the kubelet retries until the PV controller binds it.
 */
import { mkdirSync } from 'node:fs';
import type { SetUpResult, VolumeContext } from './volume-plugin.js';

interface PVSpec {
  hostPath?: { path?: string };
  local?: { path?: string };
}

/** setUpPersistentVolumeClaim finds the claim's volume and makes sure its directory exists. */
export async function setUpPersistentVolumeClaim(ctx: VolumeContext): Promise<SetUpResult> {
  const ref = ctx.volume.persistentVolumeClaim;
  const ns = ctx.pod.metadata?.namespace ?? '';
  const claimName = ref?.claimName ?? '';
  const claim = await ctx.source.persistentVolumeClaim(ns, claimName);
  if (!claim) return { error: `persistentvolumeclaim "${claimName}" not found` };
  const volumeName = (claim['spec'] as { volumeName?: string } | undefined)?.volumeName ?? '';
  const phase = (claim['status'] as { phase?: string } | undefined)?.phase;
  if (volumeName === '' || phase !== 'Bound') return { error: `PVC ${ns}/${claimName} is not bound` };
  const pv = await ctx.source.persistentVolume(volumeName);
  if (!pv) return { error: `persistentvolume "${volumeName}" not found` };
  const spec = (pv['spec'] ?? {}) as PVSpec;
  const path = spec.hostPath?.path ?? spec.local?.path;
  if (!path?.startsWith('/')) return { error: `persistentvolume "${volumeName}" is neither a hostPath nor a local volume; only those can be used on this node` };
  mkdirSync(path, { recursive: true, mode: 0o777 });
  return { path, readOnly: ref?.readOnly === true };
}
