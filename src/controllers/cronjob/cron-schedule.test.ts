import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronScheduleError, dueRuns, MAX_MISSED_SCHEDULES } from './cron-schedule.js';

const at = (iso: string): number => Date.parse(iso);

describe('dueRuns', () => {
  it('finds the latest due run since the last one, and the next', () => {
    const r = dueRuns('*/5 * * * *', undefined, at('2026-11-23T21:00:00Z'), at('2026-11-23T21:12:30Z'));
    assert.equal(r.mostRecent, at('2026-11-23T21:10:00Z'));
    assert.equal(r.missed, 2);
    assert.equal(r.next, at('2026-11-23T21:15:00Z'));
  });
  it('has nothing due before the first scheduled time', () => {
    const r = dueRuns('@hourly', undefined, at('2026-11-23T21:00:00Z'), at('2026-11-23T21:59:59Z'));
    assert.equal(r.mostRecent, undefined);
    assert.equal(r.next, at('2026-11-23T22:00:00Z'));
  });
  it('honours the time zone', () => {
    const r = dueRuns('0 9 * * *', 'America/New_York', at('2026-11-23T00:00:00Z'), at('2026-11-23T15:00:00Z'));
    assert.equal(r.mostRecent, at('2026-11-23T14:00:00Z'));
  });
  it('stops walking after too many missed runs but still reports the latest', () => {
    const r = dueRuns('* * * * *', undefined, at('2026-11-20T00:00:00Z'), at('2026-11-23T12:00:30Z'));
    assert.ok(r.missed > MAX_MISSED_SCHEDULES);
    assert.equal(r.mostRecent, at('2026-11-23T12:00:00Z'));
    assert.equal(r.next, at('2026-11-23T12:01:00Z'));
  });
  it('refuses a schedule or time zone it cannot read', () => {
    assert.throws(() => dueRuns('not a schedule', undefined, 0, 1), CronScheduleError);
    assert.throws(() => dueRuns('* * * * *', 'Mars/Olympus', 0, 1), CronScheduleError);
  });
});
