/**
 * A container's bind mounts from its volumeMounts and the pod's set-up volumes: read-only when the mount says so
 * or the volume must be (configMap, secret, projected, downwardAPI, read-only claims); `subPath` resolved safely
 * (sub-path.ts); `subPathExpr` expanded with the container's environment first. Errors are upstream's
 * CreateContainerConfigError messages.
 */
import type { KeyValue, Mount } from '../cri/runtime-service.js';
import { expand } from '../kubelet/env-expansion.js';
import type { Container } from '../pod-spec.js';
import { resolveSubPath } from './sub-path.js';

/** VolumePath is a set-up volume. */
export interface VolumePath {
  readonly path: string;
  readonly readOnly: boolean;
}

export type ContainerMounts = { readonly mounts: Mount[]; readonly error?: undefined } | { readonly error: string; readonly mounts?: undefined };

/** expandSubPathExpr expands `$(VAR)` from the container's env; a name unset or empty is an error, as upstream. */
function expandSubPathExpr(expr: string, env: ReadonlyMap<string, string>): { path: string; error?: undefined } | { error: string } {
  const missing = new Set<string>();
  const path = expand(expr, (name) => {
    const v = env.get(name);
    if (v === undefined || v === '') missing.add(name);
    return v ?? '';
  });
  return missing.size > 0 ? { error: `missing value for ${[...missing].sort().join(', ')}` } : { path };
}

/** containerMounts builds the bind mounts of `container`. */
export function containerMounts(container: Container, volumes: ReadonlyMap<string, VolumePath>, envs: readonly KeyValue[]): ContainerMounts {
  const env = new Map(envs.map((e) => [e.key, e.value]));
  const mounts: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const vol = volumes.get(vm.name);
    if (!vol) return { error: `cannot find volume "${vm.name}" to mount into container "${container.name}"` };
    let hostPath = vol.path;
    let sub = vm.subPath;
    if (vm.subPathExpr !== undefined && vm.subPathExpr !== '') {
      const x = expandSubPathExpr(vm.subPathExpr, env);
      if (x.error !== undefined) return { error: `failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}": ${x.error}` };
      sub = x.path;
    }
    if (sub !== undefined && sub !== '') {
      const r = resolveSubPath(vol.path, sub);
      if (r.error !== undefined) return { error: `failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}": ${r.error}` };
      hostPath = r.path;
    }
    const propagation = vm.mountPropagation === 'Bidirectional' ? 'rshared' : vm.mountPropagation === 'HostToContainer' ? 'rslave' : 'private';
    mounts.push({ containerPath: vm.mountPath, hostPath, readonly: vm.readOnly === true || vol.readOnly, propagation });
  }
  return { mounts };
}
