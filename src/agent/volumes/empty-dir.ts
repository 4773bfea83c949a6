/**
 * emptyDir: a directory that lives as long as the pod. On disk by default; `medium: Memory` is a tmpfs limited to
 * `sizeLimit` (upstream sizes the tmpfs by sizeLimit, else by the node's allocatable memory — here the kernel's
 * default). Mounting is idempotent: an existing tmpfs is kept, so its contents survive container restarts.
 */
import { mkdirSync } from 'node:fs';
import { parseQuantity } from '../../api/validation/quantity.js';
import type { SetUpResult, VolumeContext } from './volume-plugin.js';

/** setUpEmptyDir makes the volume's directory (and its tmpfs). */
export async function setUpEmptyDir(ctx: VolumeContext): Promise<SetUpResult> {
  const spec = ctx.volume.emptyDir ?? {};
  mkdirSync(ctx.dir, { recursive: true, mode: 0o777 });
  if (spec.medium === 'Memory') {
    const size = spec.sizeLimit === undefined ? 0 : parseQuantity(spec.sizeLimit);
    if (size === undefined || size < 0) return { error: `invalid sizeLimit ${String(spec.sizeLimit)}` };
    if (!ctx.mounter.isMountPoint(ctx.dir)) await ctx.mounter.mountTmpfs(ctx.dir, Math.ceil(size));
  } else if (spec.medium !== undefined && spec.medium !== '') {
    return { error: `unsupported emptyDir medium "${spec.medium}"` };
  }
  return { path: ctx.dir, readOnly: false };
}
