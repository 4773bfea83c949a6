/**
 * Pods' graceful deletion policy: a pod bound to a node gets a grace period (DeleteOptions.gracePeriodSeconds,
 * else spec.terminationGracePeriodSeconds, else 30 s) during which it keeps existing with deletionTimestamp set, so
 * its kubelet can stop the containers and then delete it with grace 0. A pod on no node, or one that already
 * finished (Succeeded/Failed), is deleted at once.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { DeleteOptions, GracefulDeletion } from './generic-store.js';

/** DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS is the pod default. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** podGracefulDeletion returns the grace period in seconds for deleting `pod` (0: delete now). */
export const podGracefulDeletion: GracefulDeletion = (pod: KubeObject, options: DeleteOptions): number => {
  const spec = record(pod['spec']);
  const phase = record(pod['status'])['phase'];
  if (typeof spec['nodeName'] !== 'string' || spec['nodeName'] === '') return 0;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const fromSpec = typeof spec['terminationGracePeriodSeconds'] === 'number' ? spec['terminationGracePeriodSeconds'] : DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  const grace = options.gracePeriodSeconds ?? fromSpec;
  return Math.max(0, grace);
};
