/**
 * The watch checker on a corpus: a complete, ordered stream passes; duplicated, reordered, missing, torn and phantom
 * events, a bookmark going back and a resume at the wrong revision are flagged.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkWatchSegments, type CommittedWrite, type ObservedEvent, type WatchSegment } from './watch-checker.js';

const committed: CommittedWrite[] = [
  { rv: 11, key: 'a', type: 'ADDED', value: 'a1' },
  { rv: 12, key: 'b', type: 'ADDED', value: 'b1' },
  { rv: 13, key: 'a', type: 'MODIFIED', value: 'a2' },
  { rv: 14, key: 'a', type: 'DELETED', value: 'a2' },
];
const attempted = new Set(['a1', 'b1', 'a2', 'unacked']);
const ev = (w: CommittedWrite): ObservedEvent => ({ type: w.type, rv: w.rv, key: w.key, value: w.value });
const seg = (events: ObservedEvent[], startRv = 10, client = 0, end: WatchSegment['end'] = 'closed'): WatchSegment => ({ client, startRv, events, end });
const check = (segments: WatchSegment[]) => checkWatchSegments({ committed, attempted, segments });
const [w11, w12, w13, w14] = committed as [CommittedWrite, CommittedWrite, CommittedWrite, CommittedWrite];

describe('watch checker: known-good streams', () => {
  it('accepts the full history, a resumed pair of segments and bookmarks', () => {
    assert.equal(check([seg(committed.map(ev))]).ok, true);
    const r = check([
      seg([ev(w11), ev(w12)], 10, 1, 'broken'),
      seg([ev(w13), ev(w14), { type: 'BOOKMARK', rv: 14, key: '', value: '' }], 12, 1),
    ]);
    assert.equal(r.ok, true, JSON.stringify(r.violations));
  });

  it('accepts an unacknowledged write that every watcher saw the same way', () => {
    const extra: ObservedEvent = { type: 'MODIFIED', rv: 15, key: 'b', value: 'unacked' };
    assert.equal(check([seg([...committed.map(ev), extra]), seg([ev(w14), extra], 13, 1)]).ok, true);
  });

  it('accepts a segment that ends in 410 and a relist-start afterwards', () => {
    assert.equal(check([seg([], 2, 0, 'expired'), seg([ev(w13), ev(w14)], 12, 0)]).ok, true);
  });
});

describe('watch checker: known-bad streams are flagged', () => {
  const flags = (segments: WatchSegment[], property: string): void => {
    const r = check(segments);
    assert.equal(r.ok, false);
    assert.ok(r.violations.some((v) => v.property === property), JSON.stringify(r.violations));
  };
  it('duplicated event', () => flags([seg([ev(w11), ev(w12), ev(w12), ev(w13)])], 'unique'));
  it('reordered events', () => flags([seg([ev(w11), ev(w13), ev(w12), ev(w14)])], 'ordered'));
  it('event at or below the start revision', () => flags([seg([ev(w11), ev(w12)], 11)], 'ordered'));
  it('missing event (silent gap)', () => flags([seg([ev(w11), ev(w13), ev(w14)])], 'reliable'));
  it('gap hidden behind a bookmark', () => flags([seg([ev(w11), { type: 'BOOKMARK', rv: 14, key: '', value: '' }])], 'reliable'));
  it('bookmark going back', () => flags([seg([ev(w11), ev(w12), ev(w13), { type: 'BOOKMARK', rv: 12, key: '', value: '' }])], 'ordered'));
  it('event after a bookmark that covered it', () => flags([seg([ev(w11), ev(w12), { type: 'BOOKMARK', rv: 13, key: '', value: '' }, ev(w13)])], 'ordered'));
  it('torn event (wrong value at a revision)', () => flags([seg([ev(w11), { ...ev(w12), value: 'a1' }, ev(w13), ev(w14)])], 'atomic'));
  it('phantom event', () => flags([seg([...committed.map(ev), { type: 'ADDED', rv: 15, key: 'z', value: 'never-written' }])], 'atomic'));
  it('watchers disagree about an unacknowledged revision', () =>
    flags([seg([{ type: 'ADDED', rv: 15, key: 'z', value: 'unacked' }], 14), seg([{ type: 'MODIFIED', rv: 15, key: 'b', value: 'unacked' }], 14, 1)], 'atomic'));
  it('resume at a later revision than where the client stopped', () => flags([seg([ev(w11)], 10, 0, 'broken'), seg([ev(w13), ev(w14)], 12, 0)], 'resumable'));
  it('one watcher misses what another saw', () =>
    flags([seg([ev(w14), { type: 'MODIFIED', rv: 15, key: 'b', value: 'unacked' }, { type: 'MODIFIED', rv: 16, key: 'b', value: 'unacked' }], 13), seg([ev(w14), { type: 'MODIFIED', rv: 16, key: 'b', value: 'unacked' }], 13, 1)], 'reliable'));
});
