/**
 * downwardAPI volume: files holding pod fields (name, namespace, uid, labels, annotations, one label or
 * annotation) and container resources (with `containerName`), rewritten atomically when they change (labels and
 * annotations can).
 */
import { podField, resourceField, type NodeAllocatable } from '../downward/field-ref.js';
import type { DownwardAPIVolumeFile, PodView } from '../pod-spec.js';
import { validatePayloadPath, writeAtomic, type FileProjection } from './atomic-writer.js';
import { DEFAULT_MODE } from './key-projection.js';
import type { SetUpResult, VolumeContext } from './volume-plugin.js';

/** projectDownward adds the items' files to `payload`; resolves to an error message or undefined. */
export function projectDownward(payload: Map<string, FileProjection>, pod: PodView, items: readonly DownwardAPIVolumeFile[], defaultMode: number, node: NodeAllocatable): string | undefined {
  for (const item of items) {
    const bad = validatePayloadPath(item.path);
    if (bad) return bad;
    const r = item.fieldRef ? podField(pod, item.fieldRef.fieldPath, true) : item.resourceFieldRef ? resourceField(pod, undefined, item.resourceFieldRef, node) : { error: `downwardAPI item ${item.path} has neither fieldRef nor resourceFieldRef` };
    if (r.error !== undefined) return r.error;
    payload.set(item.path, { data: Buffer.from(r.value, 'utf8'), mode: item.mode ?? defaultMode });
  }
  return undefined;
}

/** setUpDownwardAPI writes (or refreshes) the volume. */
export function setUpDownwardAPI(ctx: VolumeContext): Promise<SetUpResult> {
  const spec = ctx.volume.downwardAPI ?? {};
  const payload = new Map<string, FileProjection>();
  const err = projectDownward(payload, ctx.pod, spec.items ?? [], spec.defaultMode ?? DEFAULT_MODE, ctx.node);
  if (err) return Promise.resolve({ error: err });
  writeAtomic(ctx.dir, payload, ctx.clock.now());
  return Promise.resolve({ path: ctx.dir, readOnly: true });
}
