/**
 * secret volume: the Secret's decoded keys as files, like configMap volumes (atomic writes, refresh, optional).
 * The VolumeManager puts it on a tmpfs first, so the Secret never reaches the node's disk.
 */
import type { FileProjection } from './atomic-writer.js';
import { writeAtomic } from './atomic-writer.js';
import { DEFAULT_MODE, objectBytes, projectKeys } from './key-projection.js';
import type { SetUpResult, VolumeContext } from './volume-plugin.js';

/** setUpSecret writes (or refreshes) the volume. */
export async function setUpSecret(ctx: VolumeContext): Promise<SetUpResult> {
  const spec = ctx.volume.secret ?? {};
  const name = spec.secretName ?? '';
  const obj = await ctx.source.secret(ctx.pod.metadata?.namespace ?? '', name);
  if (!obj && spec.optional !== true) return { error: `secret "${name}" not found` };
  const payload = new Map<string, FileProjection>();
  const err = projectKeys(payload, objectBytes(obj, true), spec.items, spec.defaultMode ?? DEFAULT_MODE, spec.optional === true, true);
  if (err) return { error: err };
  writeAtomic(ctx.dir, payload, ctx.clock.now());
  return { path: ctx.dir, readOnly: true };
}
