/**
 * CronSchedule: when a CronJob's runs fall due, from its 5-field schedule (or @hourly-style descriptor) in its
 * timeZone (UTC when unset; the controller manager's zone, upstream's default, is UTC here as well). Parsing and
 * time-zone arithmetic come from cron-parser.
 */
import { CronExpressionParser } from 'cron-parser';

/** How many missed runs are looked at before giving up on catching up (upstream's limit). */
export const MAX_MISSED_SCHEDULES = 100;

/** DueRuns is what `dueRuns` found between the last run and now. */
export interface DueRuns {
  /** The latest scheduled time at or before now (and after `since`), if any. */
  readonly mostRecent?: number;
  /** How many scheduled times fell in that window (capped at MAX_MISSED_SCHEDULES + 1). */
  readonly missed: number;
  /** The first scheduled time after now. */
  readonly next: number;
}

/** CronScheduleError is a schedule or time zone cron-parser refused. */
export class CronScheduleError extends Error {}

/** dueRuns lists the schedule's times in (since, now] (keeping the latest) and the next one after now. */
export function dueRuns(schedule: string, timeZone: string | undefined, since: number, now: number): DueRuns {
  let iterate;
  try {
    iterate = CronExpressionParser.parse(schedule, { currentDate: new Date(since), tz: timeZone ?? 'UTC' });
  } catch (err) {
    throw new CronScheduleError(err instanceof Error ? err.message : String(err));
  }
  let mostRecent: number | undefined;
  let missed = 0;
  for (;;) {
    const t = iterate.next().getTime();
    if (t > now) return { mostRecent, missed, next: t };
    mostRecent = t;
    missed++;
    if (missed > MAX_MISSED_SCHEDULES) {
      // Too far behind to walk run by run: jump to the runs around now.
      const around = CronExpressionParser.parse(schedule, { currentDate: new Date(now), tz: timeZone ?? 'UTC' });
      const next = around.next().getTime();
      const prev = CronExpressionParser.parse(schedule, { currentDate: new Date(now + 1), tz: timeZone ?? 'UTC' }).prev().getTime();
      return { mostRecent: prev > since ? prev : mostRecent, missed, next };
    }
  }
}
