/**
 * The status an agent reports for a pod whose containers run: phase Running, host and pod IPs, the five pod
 * conditions kubelet 1.32 sets, and one running, started, ready containerStatus per container.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import type { StartedContainer } from './runtime.js';

function ts(ms: number): string {
  return formatTimestamp(ms);
}

/** runningPodStatus builds status fields for a running pod (merged over the existing status). */
export function runningPodStatus(config: { hostIP: string; podIP: string; startTime: number; readyTime: number; containers: readonly StartedContainer[]; scheduledTime?: string }): Record<string, unknown> {
  const cond = (type: string, at: number): Record<string, unknown> => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: ts(at) });
  return {
    phase: 'Running',
    hostIP: config.hostIP,
    hostIPs: [{ ip: config.hostIP }],
    podIP: config.podIP,
    podIPs: [{ ip: config.podIP }],
    startTime: ts(config.startTime),
    conditions: [
      cond('PodReadyToStartContainers', config.startTime),
      cond('Initialized', config.startTime),
      cond('Ready', config.readyTime),
      cond('ContainersReady', config.readyTime),
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: config.scheduledTime ?? ts(config.startTime) },
    ],
    containerStatuses: config.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: c.imageID,
      containerID: c.containerID,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: ts(c.startedAt) } },
      lastState: {},
    })),
  };
}

/** finishedPodStatus builds status fields for a pod whose containers all ended with `exitCode`. */
export function finishedPodStatus(config: { exitCode: number; finishedAt: number; startTime: string | undefined; containerStatuses: readonly Record<string, unknown>[]; conditions: readonly Record<string, unknown>[] }): Record<string, unknown> {
  const finished = ts(config.finishedAt);
  const notReady = new Set(['Ready', 'ContainersReady', 'PodReadyToStartContainers']);
  return {
    phase: config.exitCode === 0 ? 'Succeeded' : 'Failed',
    conditions: config.conditions.map((c) =>
      notReady.has(String(c['type'])) ? { ...c, status: 'False', lastTransitionTime: finished, ...(c['type'] === 'PodReadyToStartContainers' ? {} : { reason: 'PodCompleted' }) } : c,
    ),
    containerStatuses: config.containerStatuses.map((c) => {
      const running = (c['state'] as { running?: { startedAt?: string } } | undefined)?.running;
      return {
        ...c,
        ready: false,
        started: false,
        state: {
          terminated: {
            exitCode: config.exitCode,
            reason: config.exitCode === 0 ? 'Completed' : 'Error',
            startedAt: running?.startedAt ?? config.startTime,
            finishedAt: finished,
            containerID: c['containerID'],
          },
        },
      };
    }),
  };
}
