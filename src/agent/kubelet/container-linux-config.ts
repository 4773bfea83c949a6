/**
 * The kubelet's bridge from a pod object to the runtime's Linux settings: the sandbox's cgroup parent with the
 * pod-level limits, and each container's cgroup resources and security context (container-resources.ts does the
 * arithmetic). A securityContext that cannot be honoured is a value (`{error}`), reported by the kubelet as
 * `CreateContainerConfigError`, not an exception.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { ContainerConfig, PodSandboxConfig } from '../cri/runtime-service.js';
import { containerResources, containerSecurityContext, podCgroupParent, podResources, SecurityContextError, type ResourcePod } from './container-resources.js';

type LinuxConfig = NonNullable<ContainerConfig['linux']>;

/** containerLinuxConfig computes the `linux` part of container `name`'s ContainerConfig. */
export function containerLinuxConfig(pod: KubeObject, name: string, memoryCapacityBytes: number): LinuxConfig | { error: string } {
  const p = pod as ResourcePod;
  const container = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? []), ...(p.spec?.ephemeralContainers ?? [])].find((c) => c.name === name) ?? { name };
  try {
    return { resources: containerResources(p, container, memoryCapacityBytes), securityContext: containerSecurityContext(p, container) };
  } catch (err) {
    if (err instanceof SecurityContextError) return { error: err.message };
    throw err;
  }
}

/** sandboxLinuxResources is the sandbox's cgroup parent and the limits written to it. */
export function sandboxLinuxResources(pod: KubeObject): Pick<NonNullable<PodSandboxConfig['linux']>, 'cgroupParent' | 'resources'> {
  const p = pod as ResourcePod;
  return { cgroupParent: podCgroupParent(p), resources: podResources(p) };
}
