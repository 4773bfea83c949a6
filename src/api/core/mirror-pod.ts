/**
 * Mirror pods: API pods that only show something running outside the kubelet's control (upstream: static pods;
 * here also components that run inside the tkube process, such as the cluster DNS). The annotation marks them;
 * kubelets never run them.
 */

/** MIRROR_POD_ANNOTATION marks a mirror pod (upstream's `kubernetes.io/config.mirror`). */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** isMirrorPod says whether a pod carries the mirror annotation. */
export function isMirrorPod(pod: { metadata?: { annotations?: Record<string, string> } }): boolean {
  return pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}
