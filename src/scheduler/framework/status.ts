/**
 * Status: what a filter plugin says about one node (upstream's framework.Status). `Unschedulable` means the pod
 * might fit after a change the scheduler could cause (preemption); `UnschedulableAndUnresolvable` means
 * preemption cannot help (a taint, a selector). Reasons are the phrases counted in `FailedScheduling` messages.
 */

/** Code classifies a plugin result. */
export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

/** Status is a plugin's verdict with its reasons and the plugin that gave it. */
export interface Status {
  readonly code: Code;
  /** Upstream's phrases, e.g. "Insufficient cpu", "node(s) had untolerated taint {k: v}". */
  readonly reasons: readonly string[];
  /** The plugin that produced the verdict (set by the framework). */
  readonly plugin?: string;
}

/** SUCCESS is the verdict of a passing filter. */
export const SUCCESS: Status = { code: 'Success', reasons: [] };

/** unschedulable builds an Unschedulable status (preemption may help). */
export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

/** unresolvable builds an UnschedulableAndUnresolvable status (preemption cannot help). */
export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}
