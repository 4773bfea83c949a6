/**
 * planInitContainers decides, from the init containers' latest instances, which of them to (re)start now and
 * whether the pod is initialized, as upstream's kuberuntime does:
 *
 *  - Regular init containers run one at a time, in order, each to success. A failed one is restarted (with the
 *    kubelet's back-off) unless the pod's restartPolicy is Never, in which case the pod fails.
 *  - Sidecars (init containers with `restartPolicy: Always`) start in order; the next init container waits until
 *    the sidecar has *started* (its startupProbe succeeded, or it is running when it has none), not until it ends.
 *    A sidecar that exits is restarted whatever the pod's restartPolicy.
 *  - Once any app container exists the pod was initialized: regular init containers are not run again, and only
 *    exited sidecars are restarted.
 * Pure: the kubelet supplies the states and applies back-off and the runtime calls.
 */

/** InitContainerSpec is the part of an init container the plan reads. */
export interface InitContainerSpec {
  readonly name: string;
  readonly restartPolicy?: string;
}

/** InstanceState is the latest instance of a container, as the plan needs it. */
export interface InstanceState {
  readonly state: 'created' | 'running' | 'exited';
  readonly exitCode: number;
  /** Running and its startupProbe (if any) succeeded. */
  readonly started: boolean;
}

/** InitPlan is what to do now. */
export interface InitPlan {
  /** Init containers to start (new) or restart (exited), in this order. */
  readonly start: readonly string[];
  /** All regular init containers succeeded and all sidecars started (or had, before app containers existed). */
  readonly initialized: boolean;
  /** Set when a regular init container failed under restartPolicy Never: the pod fails. */
  readonly failed?: string;
}

/** isSidecar tells a restartable init container (a sidecar) from a regular one. */
export function isSidecar(spec: InitContainerSpec): boolean {
  return spec.restartPolicy === 'Always';
}

/** planInitContainers: see the file comment. */
export function planInitContainers(
  specs: readonly InitContainerSpec[],
  latest: (name: string) => InstanceState | undefined,
  podRestartPolicy: string,
  appContainersExist: boolean,
): InitPlan {
  if (appContainersExist) {
    return { start: specs.filter((s) => isSidecar(s) && latest(s.name)?.state === 'exited').map((s) => s.name), initialized: true };
  }
  for (const spec of specs) {
    const cur = latest(spec.name);
    if (isSidecar(spec)) {
      if (!cur || cur.state === 'exited') return { start: [spec.name], initialized: false };
      if (!cur.started) return { start: [], initialized: false };
      continue;
    }
    if (!cur) return { start: [spec.name], initialized: false };
    if (cur.state !== 'exited') return { start: [], initialized: false };
    if (cur.exitCode === 0) continue;
    if (podRestartPolicy === 'Never') return { start: [], initialized: false, failed: spec.name };
    return { start: [spec.name], initialized: false };
  }
  return { start: [], initialized: true };
}
