/**
 * configMap volume: the ConfigMap's keys as files (see key-projection.ts), written atomically (atomic-writer.ts)
 * and rewritten when the ConfigMap changes. A missing ConfigMap is an error unless `optional`, then the volume
 * is empty.
 */
import type { FileProjection } from './atomic-writer.js';
import { writeAtomic } from './atomic-writer.js';
import { DEFAULT_MODE, objectBytes, projectKeys } from './key-projection.js';
import type { SetUpResult, VolumeContext } from './volume-plugin.js';

/** setUpConfigMap writes (or refreshes) the volume. */
export async function setUpConfigMap(ctx: VolumeContext): Promise<SetUpResult> {
  const spec = ctx.volume.configMap ?? {};
  const name = spec.name ?? '';
  const obj = await ctx.source.configMap(ctx.pod.metadata?.namespace ?? '', name);
  if (!obj && spec.optional !== true) return { error: `configmap "${name}" not found` };
  const payload = new Map<string, FileProjection>();
  const err = projectKeys(payload, objectBytes(obj, false), spec.items, spec.defaultMode ?? DEFAULT_MODE, spec.optional === true, false);
  if (err) return { error: err };
  writeAtomic(ctx.dir, payload, ctx.clock.now());
  return { path: ctx.dir, readOnly: true };
}
