/**
 * SharedWatchLines: the decoded objects behind the watch event lines this process's API server sent most recently,
 * so that an informer of the same process reading one of those lines takes the server's object instead of parsing
 * the line into a copy of its own.
 *
 * Why: the API server's watch cache holds every object decoded, and the in-process components (controllers,
 * scheduler, simulated nodes) used to hold a second, equal decoded copy per informer — the largest part of the
 * memory per pod after the cache itself. The components still reach state only through the API: the bytes travel
 * over the loopback connection as before, and an object is shared only when the line received is byte for byte
 * the line the server made from it (so it is what parsing the line would give).
 *
 * Contract: objects offered here are never changed afterwards (the watch cache's objects are immutable), and whoever
 * takes one must not change it either — the informer store's rule (copy before changing) already says so; a
 * change would now also alter what the server serves. Only the latest SHARED_WATCH_LINES lines are remembered (a
 * client reads an event moments after the server wrote it; a line read later is parsed as before).
 */

/**
 * FREEZE_SHARED: with TKUBE_FREEZE_SHARED_OBJECTS=1 (the test runner sets it) every offered object is deep-frozen, so
 * a component or handler that breaks the contract above throws a TypeError in the tests instead of silently
 * changing what the server serves. Off in production: the freeze costs a walk of every object written.
 */
const FREEZE_SHARED = process.env['TKUBE_FREEZE_SHARED_OBJECTS'] === '1';

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/** SHARED_WATCH_LINES bounds the lines remembered. */
export const SHARED_WATCH_LINES = 512;

interface Entry {
  /** The line without its trailing newline, as the server wrote it. */
  readonly text: string;
  readonly type: string;
  readonly object: object;
}

/** By `type@resourceVersion`, oldest first (insertion order). */
const entries = new Map<string, Entry>();

/**
 * offerWatchLine remembers that `line` (`{"type":…,"object":…}` and a newline, as the server writes it) is the event
 * `type` of the immutable `object`, whose metadata.resourceVersion is `resourceVersion`.
 */
export function offerWatchLine(type: string, resourceVersion: string, line: Buffer, object: object): void {
  if (FREEZE_SHARED) deepFreeze(object);
  const key = `${type}@${resourceVersion}`;
  entries.delete(key);
  entries.set(key, { text: line.toString('utf8', 0, line.length - 1), type, object });
  if (entries.size > SHARED_WATCH_LINES) {
    const oldest = entries.keys().next();
    if (oldest.done !== true) entries.delete(oldest.value);
  }
}

const TYPE_PREFIX = '{"type":"';
const RV_FIELD = '"resourceVersion":"';

/**
 * sharedWatchEvent returns the event a received line (without its newline) stands for when the server of this
 * process offered exactly that line, else undefined (the caller parses it). The lookup reads the type and the first
 * resourceVersion in the line; the full comparison makes a wrong guess harmless.
 */
export function sharedWatchEvent(line: string): { type: string; object: object } | undefined {
  if (entries.size === 0 || !line.startsWith(TYPE_PREFIX)) return undefined;
  const typeEnd = line.indexOf('"', TYPE_PREFIX.length);
  const rvAt = line.indexOf(RV_FIELD);
  if (typeEnd < 0 || rvAt < 0) return undefined;
  const rvStart = rvAt + RV_FIELD.length;
  const rvEnd = line.indexOf('"', rvStart);
  if (rvEnd < 0) return undefined;
  const entry = entries.get(`${line.slice(TYPE_PREFIX.length, typeEnd)}@${line.slice(rvStart, rvEnd)}`);
  if (entry === undefined || entry.text !== line) return undefined;
  return { type: entry.type, object: entry.object };
}
