/**
 * needsSync: whether an update of a pod the kubelet runs asks for a sync. Upstream's pod config syncs a pod on a
 * change of its spec, labels, annotations or deletion, and not on a change of its status alone — most often the echo
 * of the kubelet's own status write, which would otherwise cost a sync per write.
 */
import type { KubeObject } from '../../api/meta/types.js';

/** needsSync compares what the kubelet acts on (everything but status, resourceVersion and managedFields). */
export function needsSync(old: KubeObject, cur: KubeObject): boolean {
  return comparable(old) !== comparable(cur);
}

function comparable(pod: KubeObject): string {
  const { status: _status, metadata, ...rest } = pod as KubeObject & { status?: unknown };
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata ?? {};
  return JSON.stringify([meta, rest]);
}
