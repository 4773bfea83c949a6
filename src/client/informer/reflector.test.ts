import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeList, KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { Backoff } from '../../base/wait/backoff.js';
import { ApiError, statusFromResponse } from '../api-error.js';
import type { ListOptions, WatchEvent, WatchOptions } from '../rest-client.js';
import { Reflector, type ListerWatcher, type ReflectorSink } from './reflector.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const cm = (name: string, rv: string): KubeObject => ({ metadata: { namespace: 'ns', name, resourceVersion: rv } });
const list = (rv: string, ...items: KubeObject[]): KubeList => ({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: rv }, items });

/** A scripted ListerWatcher: each list/watch call takes the next scripted answer. */
function scripted(lists: (KubeList | Error)[], watches: ((o: WatchOptions) => AsyncIterable<WatchEvent>)[]): ListerWatcher & { watchRvs: string[]; lists: number } {
  const lw = {
    watchRvs: [] as string[],
    lists: 0,
    list: async (_o: ListOptions): Promise<KubeList> => {
      lw.lists++;
      const next = lists.shift();
      if (!next) return new Promise(() => undefined);
      if (next instanceof Error) throw next;
      return next;
    },
    watch: (o: WatchOptions): AsyncIterable<WatchEvent> => {
      lw.watchRvs.push(o.resourceVersion ?? '');
      const next = watches.shift();
      if (next) return next(o);
      // Block until aborted.
      return {
        [Symbol.asyncIterator]: (): AsyncIterator<WatchEvent> => ({
          next: () => new Promise((r) => o.signal?.addEventListener('abort', () => r({ done: true, value: undefined }), { once: true })),
        }),
      };
    },
  };
  return lw;
}

function recorder(): ReflectorSink & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    replace: (items, rv) => log.push(`replace ${items.map((i) => i.metadata?.name).join(',')} @${rv}`),
    add: (o) => log.push(`add ${o.metadata?.name}`),
    update: (o) => log.push(`update ${o.metadata?.name}`),
    delete: (o) => log.push(`delete ${o.metadata?.name}`),
  };
}

describe('Reflector', () => {
  it('lists, watches from the list RV, re-watches from the last seen RV, relists on HTTP 410, backs off on errors', async () => {
    const clock = new FakeClock();
    const expired = new ApiError(statusFromResponse(410, '{"kind":"Status","code":410,"reason":"Expired","message":"too old"}'));
    const lw = scripted(
      [list('10', cm('a', '5')), new ApiError(statusFromResponse(500, 'oops')), list('30', cm('b', '25'))],
      [
        async function* () {
          yield { type: 'ADDED', object: cm('c', '11') };
          yield { type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } };
        },
        async function* () {
          yield { type: 'DELETED', object: cm('c', '16') };
          throw expired;
        },
      ],
    );
    const sink = recorder();
    const r = new Reflector({ name: 'configmaps', listerWatcher: lw, sink, clock, log: newLogger('test'), backoff: new Backoff({ initialMs: 100, maxMs: 100, jitter: 0 }) });
    const ac = new AbortController();
    const running = r.run(ac.signal);
    await flush();
    await flush();
    // After the 410 the relist failed with a 500: nothing happens until the backoff passed.
    assert.deepEqual(lw.watchRvs, ['10', '15']);
    assert.equal(lw.lists, 2);
    clock.advance(99);
    await flush();
    assert.equal(lw.lists, 2);
    clock.advance(1);
    await flush();
    await flush();
    assert.equal(lw.lists, 3);
    assert.deepEqual(lw.watchRvs, ['10', '15', '30']);
    assert.deepEqual(sink.log, ['replace a @10', 'add c', 'delete c', 'replace b @30']);
    assert.equal(r.lastSyncResourceVersion(), '30');
    assert.equal(r.listCount, 2);
    ac.abort();
    await running;
  });
});
