/**
 * A checker for watch streams against the committed history of a key-value store with revisions.
 *
 * Input: the writes known to be committed (acknowledged ones, with their revisions), every value any write tried
 * to store (so an event can be traced to the write that made it), and the watch segments clients received — one
 * segment per watch request, from the resourceVersion it started after to how it ended. A client that resumes
 * after a restart opens a new segment starting at the last revision it saw.
 *
 * Properties (etcd's watch guarantees, as the API server exposes them):
 * - ordered: revisions strictly increase within a segment and exceed its start; a bookmark never goes back and no
 *   event at or below a bookmark follows it;
 * - unique: no revision twice (implied by ordered within a segment, checked across a client's resumed segments);
 * - atomic: an event carries exactly the write made at its revision (key, type and value), the same for every
 *   watcher; an event no write could have made is a phantom;
 * - reliable: a segment that reached revision R has every committed write in (start, R] — acknowledged ones and
 *   ones another watcher saw — with no silent gap (a compacted start must end the segment with 410 instead);
 * - resumable: a client's next segment starts where its previous one stopped.
 */

/** CommittedWrite is one write known to have happened at a revision. */
export interface CommittedWrite {
  readonly rv: number;
  readonly key: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The value written (for DELETED: the last value the key had, as the event carries it). */
  readonly value: string;
}

/** ObservedEvent is one watch event as a client decoded it. */
export interface ObservedEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly rv: number;
  /** Empty for bookmarks. */
  readonly key: string;
  readonly value: string;
}

/** WatchSegment is what one watch request delivered. */
export interface WatchSegment {
  readonly client: number;
  /** Events are expected after this revision. */
  readonly startRv: number;
  readonly events: readonly ObservedEvent[];
  /** How the stream ended: `expired` = a 410 (status or ERROR event), `closed` = normal end or timeout, `broken` = connection lost. */
  readonly end: 'closed' | 'expired' | 'broken';
}

/** WatchViolation names a broken guarantee. */
export interface WatchViolation {
  readonly property: 'ordered' | 'unique' | 'atomic' | 'reliable' | 'resumable';
  readonly client: number;
  readonly detail: string;
}

/** WatchCheckResult summarizes a check. */
export interface WatchCheckResult {
  readonly ok: boolean;
  readonly segments: number;
  readonly events: number;
  readonly violations: readonly WatchViolation[];
}

/** checkWatchSegments checks every segment against the committed writes (see the file comment). */
export function checkWatchSegments(input: {
  readonly committed: readonly CommittedWrite[];
  /** Every value some write tried to store (acknowledged or not), to tell a phantom from an unacknowledged write. */
  readonly attempted: ReadonlySet<string>;
  readonly segments: readonly WatchSegment[];
  /** Check that each client's segments chain (each starts at the revision its previous one reached). @default true */
  readonly resumable?: boolean;
}): WatchCheckResult {
  const violations: WatchViolation[] = [];
  const truth = new Map<number, CommittedWrite>();
  for (const w of input.committed) truth.set(w.rv, w);
  // What watchers saw at each revision: every watcher must agree, and must agree with the acknowledgement.
  const seen = new Map<number, { e: ObservedEvent; client: number }>();
  let events = 0;
  for (const seg of input.segments) {
    for (const e of seg.events) {
      if (e.type === 'BOOKMARK') continue;
      events++;
      const t = truth.get(e.rv);
      if (t && (t.key !== e.key || t.type !== e.type || t.value !== e.value)) {
        violations.push({ property: 'atomic', client: seg.client, detail: `rv ${e.rv}: got ${e.type} ${e.key}=${e.value}, committed ${t.type} ${t.key}=${t.value}` });
      } else if (!t && !input.attempted.has(e.value)) {
        violations.push({ property: 'atomic', client: seg.client, detail: `rv ${e.rv}: ${e.type} ${e.key}=${e.value} matches no write (phantom)` });
      }
      const other = seen.get(e.rv);
      if (other && (other.e.key !== e.key || other.e.type !== e.type || other.e.value !== e.value)) {
        violations.push({ property: 'atomic', client: seg.client, detail: `rv ${e.rv}: client ${seg.client} got ${e.type} ${e.key}=${e.value}, client ${other.client} got ${other.e.type} ${other.e.key}=${other.e.value}` });
      } else if (!other) seen.set(e.rv, { e, client: seg.client });
    }
  }
  const all = new Set<number>([...truth.keys(), ...seen.keys()]);
  const history = [...all].sort((a, b) => a - b);

  const lastOf = new Map<number, { reached: number; expired: boolean }>();
  for (const seg of input.segments) {
    // ordered / unique within the segment
    let last = seg.startRv;
    let bookmark = seg.startRv;
    const got = new Set<number>();
    for (const e of seg.events) {
      if (e.type === 'BOOKMARK') {
        if (e.rv < last) violations.push({ property: 'ordered', client: seg.client, detail: `bookmark at ${e.rv} after an event at ${last}` });
        bookmark = Math.max(bookmark, e.rv);
        continue;
      }
      if (got.has(e.rv)) violations.push({ property: 'unique', client: seg.client, detail: `rv ${e.rv} delivered twice` });
      else if (e.rv <= last) violations.push({ property: 'ordered', client: seg.client, detail: `rv ${e.rv} after ${last}` });
      else if (e.rv <= bookmark) violations.push({ property: 'ordered', client: seg.client, detail: `rv ${e.rv} after a bookmark at ${bookmark}` });
      got.add(e.rv);
      last = Math.max(last, e.rv);
    }
    const reached = Math.max(last, bookmark);
    // reliable: nothing committed in (start, reached] is missing
    const missing = history.filter((rv) => rv > seg.startRv && rv <= reached && !got.has(rv));
    if (missing.length > 0) violations.push({ property: 'reliable', client: seg.client, detail: `gap after ${seg.startRv}: missing rv ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` });
    // resumable: a client's segments chain
    if (input.resumable !== false) {
      const prev = lastOf.get(seg.client);
      // After a 410 the client relists and starts afresh; otherwise it must resume exactly where it stopped.
      if (prev !== undefined && !prev.expired && seg.startRv !== prev.reached) {
        violations.push({ property: 'resumable', client: seg.client, detail: `resumed at ${seg.startRv}, not at ${prev.reached} where it stopped` });
      }
      lastOf.set(seg.client, { reached, expired: seg.end === 'expired' });
    }
  }
  return { ok: violations.length === 0, segments: input.segments.length, events, violations };
}
