/**
 * The scheduler's Prometheus families, named as kube-scheduler's: scheduler_pending_pods{queue} (active, backoff,
 * unschedulable: the scheduling queue's parts now) and scheduler_schedule_attempts_total{result} (scheduled,
 * unschedulable); and ours for its event recorder, which drops events rather than delay bindings:
 * tkube_scheduler_events_queued, tkube_scheduler_events_dropped_total{type} (Normal, Warning) and
 * tkube_scheduler_events_failed_total (writes the API refused or that failed). The in-process
 * scheduler has no port, so the server appends this text to the API server's /metrics.
 */
import type { Scheduler } from './scheduler.js';

/** renderSchedulerMetrics renders the scheduler's families in the text exposition format. */
export function renderSchedulerMetrics(scheduler: Scheduler): string {
  const counts = scheduler.queue.counts();
  const events = scheduler.eventBacklog;
  return [
    '# HELP scheduler_pending_pods Number of pending pods, by the queue type.',
    '# TYPE scheduler_pending_pods gauge',
    `scheduler_pending_pods{queue="active"} ${counts.active}`,
    `scheduler_pending_pods{queue="backoff"} ${counts.backoff}`,
    `scheduler_pending_pods{queue="unschedulable"} ${counts.unschedulable}`,
    '# HELP scheduler_schedule_attempts_total Number of attempts to schedule pods, by the result.',
    '# TYPE scheduler_schedule_attempts_total counter',
    `scheduler_schedule_attempts_total{result="scheduled"} ${scheduler.scheduledCount}`,
    `scheduler_schedule_attempts_total{result="unschedulable"} ${scheduler.failedCount}`,
    '# HELP tkube_scheduler_events_queued Scheduling events waiting for a write slot.',
    '# TYPE tkube_scheduler_events_queued gauge',
    `tkube_scheduler_events_queued ${events.queued}`,
    '# HELP tkube_scheduler_events_dropped_total Scheduling events not written because the event queue was full, by the event type.',
    '# TYPE tkube_scheduler_events_dropped_total counter',
    `tkube_scheduler_events_dropped_total{type="Normal"} ${events.droppedNormal}`,
    `tkube_scheduler_events_dropped_total{type="Warning"} ${events.droppedWarning}`,
    '# HELP tkube_scheduler_events_failed_total Scheduling event writes that failed (refused by the API, or no answer).',
    '# TYPE tkube_scheduler_events_failed_total counter',
    `tkube_scheduler_events_failed_total ${events.failed}`,
    '',
  ].join('\n');
}
