/**
 * ContainerRuntime: the node agent's seam to whatever runs containers. The agent owns the API side (node
 * registration, lease, pod status); a runtime only starts and stops a pod's containers and reports what it
 * started. `simulated` runs nothing (KWOK's model); real runtimes implement the same interface later.
 */
import type { KubeObject } from '../api/meta/types.js';

/** StartedContainer is one container a runtime started. */
export interface StartedContainer {
  readonly name: string;
  readonly image: string;
  readonly imageID: string;
  readonly containerID: string;
  /** When it started (ms since the epoch). */
  readonly startedAt: number;
}

/** ContainerRuntime starts and stops pods' containers. */
export interface ContainerRuntime {
  /** The runtime's name, e.g. "simulated" (reported in node.status.nodeInfo.containerRuntimeVersion). */
  readonly name: string;
  readonly version: string;
  /** startPod starts every container of `pod` and resolves with what runs; idempotent per pod UID. */
  startPod(pod: KubeObject): Promise<StartedContainer[]>;
  /** stopPod stops the pod's containers (within `gracePeriodSeconds`); a no-op for unknown pods. */
  stopPod(pod: KubeObject, gracePeriodSeconds: number): Promise<void>;
  /**
   * podExit tells when and how a running pod's containers end (all together), or undefined while they run on.
   * Only pods whose restartPolicy lets them finish (Never, OnFailure) ever end.
   */
  podExit(pod: KubeObject): PodExit | undefined;
}

/** PodExit is when a pod's containers end and with which exit code. */
export interface PodExit {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly exitCode: number;
}
