/**
 * Watch streams (`?watch=true`): newline-delimited JSON `{"type":…,"object":…}` over chunked HTTP, one write
 * per event, served from the resource's WatchCache. The stream ends when the client goes away, the watch times out
 * (`timeoutSeconds`, default jittered between the minimum request timeout and twice it, like upstream), or the
 * watcher is closed by the cache (it fell behind; the client re-watches). Backpressure: once the watcher has nothing
 * more buffered, the handler waits for `drain` before pulling the next event, so a slow client fills its bounded
 * CacheWatcher buffer, not our memory. Events already buffered are written at once, without a `drain` between
 * them: a socket drains only on a later turn of the event loop, and waiting after every 16 KiB (three pods) let a
 * busy server — one turn handling dozens of creates — fall ~60 events behind per turn, overflow the watcher's buffer
 * and close the watches of every informer during a burst of creates (bench/scale.ts --timeline). The socket then
 * holds at most one buffer's worth (the watcher's bound) beyond the watcher's own.
 *
 * A resourceVersion the cache can no longer replay is answered in-stream with an ERROR event carrying a 410
 * Expired Status (what upstream's watch cache does); clients then re-list.
 */
import { watchEventJson } from '../negotiation/object-json.js';
import { badRequest, invalid, newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { namespacePrefix } from '../registry/storage-key.js';
import type { CacheWatcher } from '../watch/cache-watcher.js';
import { TooOldError } from '../watch/watch-cache.js';
import type { WatchPredicate } from '../watch/watch-cache.js';
import type { WatchEvent } from '../watch/watch-event.js';
import type { HandlerContext } from './handler-context.js';
import { responseFormatOf } from './object-response.js';
import { listQueryOf } from './query-options.js';
import type { ListQuery } from './query-options.js';
import { partialObjectMetadata, tableOf } from './response-format.js';

/** watchObjects answers GET /…/<resource>?watch=true (and the deprecated /watch/ paths routed here). */
export async function watchObjects(ctx: HandlerContext): Promise<void> {
  const { scope, entry } = ctx;
  const query = listQueryOf(scope.url, entry.store.strategy, entry.info.namespaced);
  const cache = entry.store.watchCache;
  if (!cache) throw badRequest(`Cannot watch ${entry.info.resource}: the resource has no watch cache`);
  const rv = query.resourceVersion ?? '';
  if (rv !== '' && !/^\d+$/.test(rv)) throw badRequest(`Cannot watch ${entry.info.resource}: invalid resource version "${rv}"`);
  validateWatchList(query);
  const format = responseFormatOf(ctx);

  let predicate: WatchPredicate | undefined = query.predicate;
  if (ctx.name !== '') {
    // GET /…/<name>?watch=true watches one object: the same as adding fieldSelector=metadata.name=<name>.
    const selector = query.predicate;
    const name = ctx.name;
    predicate = {
      matches: (o: KubeObject) => o.metadata?.name === name && (!selector || selector.matches(o)),
      matchesAttributes: (a) => a.field('metadata.name') === name && (!selector || selector.matchesAttributes(a)),
    };
  }
  const prefix = namespacePrefix(entry.store.keyPrefix, entry.info.namespaced ? ctx.namespace : '');

  let watcher: CacheWatcher | undefined;
  let tooOld: TooOldError | undefined;
  try {
    watcher = await cache.watch({
      prefix,
      predicate,
      resourceVersion: rv,
      sendInitialEvents: query.sendInitialEvents === true,
      allowBookmarks: query.allowWatchBookmarks,
    });
  } catch (err) {
    if (!(err instanceof TooOldError)) throw err;
    tooOld = err;
  }

  const res = scope.res;
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.flushHeaders();

  if (tooOld || !watcher) {
    const status = newStatus(410, 'Expired', tooOld?.message ?? 'too old resource version');
    res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
    return;
  }

  const w = watcher;
  const timeoutSeconds =
    query.timeoutSeconds !== undefined && query.timeoutSeconds > 0
      ? query.timeoutSeconds
      : ctx.watch.minRequestTimeoutSeconds * (1 + ctx.watch.random());
  let lastRv = Number(rv || '0');
  const timer = ctx.clock.setTimer(timeoutSeconds * 1000, () => {
    // At the end of a watch, a bookmark tells the client where to resume without a re-list.
    if (query.allowWatchBookmarks) w.push(cache.bookmarkFor(lastRv));
    w.close();
  });
  const stop = () => w.close();
  scope.signal.addEventListener('abort', stop, { once: true });
  res.once('close', stop);

  let first = true;
  const now = () => new Date(ctx.clock.now());
  const encode = (e: WatchEvent): string | Buffer => {
    // Plain JSON events are shared by every watcher: encoded once per event, not once per watcher.
    if (format.kind === 'json') return watchEventJson(e.type, e.object as KubeObject);
    let object: unknown = e.object;
    if (format.kind === 'table' && e.type !== 'BOOKMARK' && e.type !== 'ERROR') {
      const obj = e.object as KubeObject;
      object = tableOf([obj], { resourceVersion: obj.metadata?.resourceVersion }, {
        convertor: entry.table,
        now: now(),
        includeObject: format.includeObject,
        withColumns: first,
      });
      first = false;
    } else if (format.kind === 'partial' && e.type !== 'ERROR') {
      object = partialObjectMetadata(e.object as KubeObject);
    }
    return JSON.stringify({ type: e.type, object }) + '\n';
  };

  const convert = entry.store.watchConverter;
  try {
    for (;;) {
      let event = await w.next();
      if (!event) break;
      const erv = Number((event.object as KubeObject).metadata?.resourceVersion ?? '0');
      if (erv > lastRv) lastRv = erv;
      if (convert && event.type !== 'BOOKMARK' && event.type !== 'ERROR') {
        // Converted objects are this watcher's own, so they are encoded here rather than shared across watchers.
        let object: KubeObject;
        try {
          object = await convert(event.object as KubeObject);
        } catch (err) {
          // A failing conversion webhook ends the watch with an ERROR event, as upstream; the client re-watches.
          const status = err instanceof StatusError ? err.status : newStatus(500, 'InternalError', `Cannot convert the watched object: ${(err as Error).message}`);
          await writeOrWait(res, JSON.stringify({ type: 'ERROR', object: status }) + '\n', w);
          break;
        }
        event = { ...event, object };
        if (format.kind === 'json') {
          if (!(await writeOrWait(res, JSON.stringify({ type: event.type, object }) + '\n', w))) break;
          continue;
        }
      }
      if (!(await writeOrWait(res, encode(event), w))) break;
    }
  } finally {
    timer.cancel();
    w.close();
    scope.signal.removeEventListener('abort', stop);
    res.off('close', stop);
    if (!res.writableEnded) res.end();
  }
}

/**
 * writeOrWait writes one encoded event and, when the socket's buffer is full and the watcher has no more events
 * buffered, waits for it to drain (or close); false when the response can take no more.
 */
async function writeOrWait(res: HandlerContext['scope']['res'], chunk: string | Buffer, w: CacheWatcher): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (!res.write(chunk) && w.buffered === 0) {
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return true;
}

/** validateWatchList applies upstream's ListOptions rules for watch-list (`sendInitialEvents`) requests (422). */
function validateWatchList(query: ListQuery): void {
  const causes: { reason: string; field: string; message: string }[] = [];
  const forbid = (field: string, detail: string) => causes.push({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
  const match = query.resourceVersionMatch ?? '';
  if (query.sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') forbid('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (query.sendInitialEvents && !query.allowWatchBookmarks) forbid('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks to true');
  } else if (match !== '') {
    forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  }
  if (causes.length > 0) throw invalid('ListOptions', 'meta.k8s.io', '', causes);
}
