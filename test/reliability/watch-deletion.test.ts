/**
 * Deletions reach name- and field-selected watchers, under churn and compaction every 150 ms — the watch kubectl's
 * `delete` waits on (list with fieldSelector=metadata.name=X, watch from the list's resourceVersion, end on DELETED).
 *
 * Rounds in parallel lanes, each on a fresh name: create X (unscheduled, or bound to the simulated node so the
 * deletion is graceful and the node finishes it), list it by name, watch from the list's RV (with and without
 * allowWatchBookmarks), delete it, and maybe re-create the name as soon as it is gone (as a StatefulSet does). The
 * watch must deliver DELETED for the old UID (and ADDED for the new one). Then, from the cache's ring after the fact:
 * a watch from the list's RV and from the deletion's RV - 1 replays the same DELETED at the same RV; a watch from the
 * deletion's RV does not, and its first event is the next write of the name.
 *
 * Field selectors an object moves across (spec.nodeName when the scheduler binds it, status.phase when the node
 * starts it): the old selection gets DELETED (the previous object, at the moving write's RV), the new one ADDED at
 * that same RV, live and replayed from the ring. Meanwhile other writers churn pods in the same namespace.
 * Bounded: 2 lanes × 8 rounds and 3 selector rounds (about 10 s on a loaded machine); long mode (TKUBE_LONG=1):
 * 2 × 400 and 100.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { eventually } from '../harness/test-cluster.js';
import { withReliabilityServer } from './reliability-server.js';
import type { ApiClient } from './workload/api-client.js';
import { isLong, sleep } from './workload/faults.js';

const LONG = isLong();
const LANES = 2;
const ROUNDS = LONG ? 400 : 8;
const SELECTOR_ROUNDS = LONG ? 100 : 3;
const CHURNERS = 2;
const NODE = 'sim-0';
const NS = 'default';
const PODS = `/api/v1/namespaces/${NS}/pods`;
const ARGS = ['--simulated-nodes', '1', '--compaction-interval', '150ms', '--compaction-keep-revisions', '3000'];
/** How long any one expected event may take: generous, the machine is shared. */
const EVENT_MS = 20_000;

interface PodObject {
  metadata: { name: string; uid: string; resourceVersion: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}
interface RawEvent {
  type: string;
  object: PodObject & { code?: number };
}

const rvOf = (e: RawEvent): number => Number(e.object.metadata?.resourceVersion);
const uidOf = (e: RawEvent): string => e.object.metadata?.uid ?? '';
const brief = (events: readonly RawEvent[]): string => events.map((e) => `${e.type}@${e.object.metadata?.resourceVersion}:${e.object.metadata?.uid?.slice(0, 8) ?? ''}`).join(' ');

/** EventStream reads one watch response into an array as it arrives. */
class EventStream {
  readonly events: RawEvent[] = [];
  #res: IncomingMessage;

  private constructor(res: IncomingMessage) {
    this.#res = res;
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() !== '') this.events.push(JSON.parse(line) as RawEvent);
      }
    });
    res.on('error', () => undefined);
  }

  static async open(server: ReturnType<typeof withReliabilityServer>, query: string): Promise<EventStream> {
    const res = await server.cluster.stream(`${PODS}?watch=true&${query}`);
    assert.equal(res.statusCode, 200, `watch ${query}`);
    return new EventStream(res);
  }

  /** until resolves with the first event `pred` accepts; an ERROR event or the deadline fails with what arrived. */
  async until(pred: (e: RawEvent) => boolean, what: string): Promise<RawEvent> {
    let found: RawEvent | undefined;
    try {
      found = await eventually(() => this.events.find((e) => e.type === 'ERROR' || pred(e)), EVENT_MS, 5);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}; events: ${brief(this.events)}`, { cause: err });
    }
    if (found.type === 'ERROR' && !pred(found)) throw new Error(`${what}: the watch ended with ERROR ${JSON.stringify(found.object)}; events: ${brief(this.events)}`);
    return found;
  }

  close(): void {
    this.#res.destroy();
  }
}

function podOf(name: string, spec: Record<string, unknown>): unknown {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } };
}

/** call sends a request and returns its parsed body, asserting the status. */
async function call(api: ApiClient, method: string, path: string, expect: readonly number[], body?: unknown): Promise<PodObject & { items?: PodObject[]; metadata: { resourceVersion: string } }> {
  const a = await api.send(method, path, body);
  assert.ok(a.kind === 'http' && expect.includes(a.status), `${method} ${path}: ${JSON.stringify(a).slice(0, 500)}`);
  return JSON.parse(a.body) as PodObject & { items?: PodObject[]; metadata: { resourceVersion: string } };
}

const byName = (name: string, extra = ''): string => `fieldSelector=${encodeURIComponent(`metadata.name=${name}${extra}`)}`;

describe('deletions reach selected watchers under churn and compaction', () => {
  const server = withReliabilityServer(ARGS);

  /** churn creates, relabels and deletes other pods of the namespace until `signal` aborts. */
  async function churn(w: number, signal: AbortSignal): Promise<number> {
    const { api } = server;
    let n = 0;
    while (!signal.aborted) {
      const name = `churn-${w}-${n++}`;
      await api.send('POST', PODS, podOf(name, { schedulerName: 'nobody' }));
      await api.sendRaw('PATCH', `${PODS}/${name}`, JSON.stringify({ metadata: { labels: { n: String(n) } } }), 'application/merge-patch+json');
      await api.send('DELETE', `${PODS}/${name}`);
      // Paced: churn, not a flood that would starve the rounds on a 2-core machine.
      await sleep(10);
    }
    return n;
  }

  /** recreateWhenGone plays a StatefulSet: once `name` (uid `old`) is gone, it creates the name again. */
  async function recreateWhenGone(name: string, old: string, spec: Record<string, unknown>): Promise<string> {
    const { api } = server;
    for (;;) {
      const a = await api.send('GET', `${PODS}/${name}`);
      assert.ok(a.kind === 'http', JSON.stringify(a));
      if (a.status === 404) break;
      if ((JSON.parse(a.body) as PodObject).metadata.uid !== old) throw new Error(`${name} re-created by someone else`);
      await sleep(2);
    }
    return (await call(api, 'POST', PODS, [201], podOf(name, spec))).metadata.uid;
  }

  async function deletionRound(lane: number, i: number): Promise<void> {
    const { api } = server;
    const name = `x-${lane}-${i}`;
    const variant = i % 4;
    const spec = variant === 1 || variant === 2 ? { nodeName: NODE } : { schedulerName: 'nobody' };
    const recreate = variant >= 2;
    const bookmarks = (i + lane) % 2 === 1 ? '&allowWatchBookmarks=true' : '';
    const uid = (await call(api, 'POST', PODS, [201], podOf(name, spec))).metadata.uid;

    // kubectl delete's wait: list by name, watch from the list's resourceVersion.
    const list = await call(api, 'GET', `${PODS}?${byName(name)}`, [200]);
    assert.deepEqual(list.items?.map((p) => p.metadata.uid), [uid], `${name} listed by name`);
    const listRv = Number(list.metadata.resourceVersion);
    const w = await EventStream.open(server, `${byName(name)}&resourceVersion=${listRv}${bookmarks}`);
    await call(api, 'DELETE', `${PODS}/${name}`, [200]);
    const recreated = recreate ? recreateWhenGone(name, uid, spec) : undefined;
    const deleted = await w.until((e) => e.type === 'DELETED' && uidOf(e) === uid, `${name}: DELETED from the list's RV ${listRv}`);
    const deleteRv = rvOf(deleted);
    let next = await recreated;
    if (next !== undefined) {
      const added = await w.until((e) => e.type === 'ADDED' && uidOf(e) === next, `${name}: ADDED for the re-created pod`);
      assert.ok(rvOf(added) > deleteRv, `${name}: re-created after its deletion: ${brief(w.events)}`);
    }
    w.close();
    assert.ok(
      w.events.every((e) => e.type === 'BOOKMARK' || rvOf(e) > listRv),
      `${name}: nothing at or before the list's RV: ${brief(w.events)}`,
    );

    // Replays from the ring after the fact: the same DELETED at the same RV.
    for (const from of [listRv, deleteRv - 1]) {
      const r = await EventStream.open(server, `${byName(name)}&resourceVersion=${from}${bookmarks}`);
      const again = await r.until((e) => e.type === 'DELETED', `${name}: replayed DELETED from RV ${from}`);
      r.close();
      assert.equal(uidOf(again), uid, `${name}: replay from ${from}: ${brief(r.events)}`);
      assert.equal(rvOf(again), deleteRv, `${name}: replay from ${from}: ${brief(r.events)}`);
    }
    // From the deletion's own RV: the deletion is behind; the first event is the name's next write.
    const r = await EventStream.open(server, `${byName(name)}&resourceVersion=${deleteRv}${bookmarks}`);
    next ??= (await call(api, 'POST', PODS, [201], podOf(name, { schedulerName: 'nobody' }))).metadata.uid;
    const first = await r.until((e) => e.type !== 'BOOKMARK', `${name}: first event after RV ${deleteRv}`);
    r.close();
    assert.equal(first.type, 'ADDED', `${name}: from the deletion's RV: ${brief(r.events)}`);
    assert.equal(uidOf(first), next, `${name}: from the deletion's RV: ${brief(r.events)}`);
    await call(api, 'DELETE', `${PODS}/${name}?gracePeriodSeconds=0`, [200, 404]);
  }

  /**
   * selectorRound creates a pod the scheduler binds and the node starts, watched by field selectors it moves across;
   * each move is DELETED from the old selection and ADDED to the new one at the same RV, live and from the ring.
   */
  async function selectorRound(i: number): Promise<void> {
    const { api } = server;
    const name = `m-${i}`;
    const listRv = Number((await call(api, 'GET', `${PODS}?${byName(name)}`, [200])).metadata.resourceVersion);
    const moves = [
      { from: ',spec.nodeName=', to: `,spec.nodeName=${NODE}` },
      { from: ',status.phase=Pending', to: ',status.phase=Running' },
    ];
    const open = (extra: string): Promise<EventStream> => EventStream.open(server, `${byName(name, extra)}&resourceVersion=${listRv}`);
    const live = await Promise.all(moves.map(async (m) => ({ from: await open(m.from), to: await open(m.to) })));
    await call(api, 'POST', PODS, [201], podOf(name, {}));
    const seen: { out: RawEvent; into: RawEvent }[] = [];
    for (const [k, m] of moves.entries()) {
      const { from, to } = live[k]!;
      const out = await from.until((e) => e.type === 'DELETED', `${name}: leaving ${m.from}`);
      const into = await to.until((e) => e.type === 'ADDED', `${name}: entering ${m.to}`);
      assert.equal(from.events[0]?.type, 'ADDED', `${name} ${m.from}: ${brief(from.events)}`);
      assert.equal(rvOf(out), rvOf(into), `${name}: one write moves it out of ${m.from} and into ${m.to}`);
      // DELETED carries the object as it was (still selected), at the moving write's RV.
      const was = m.from.includes('nodeName') ? out.object.spec?.nodeName ?? '' : out.object.status?.phase;
      assert.equal(was, m.from.includes('nodeName') ? '' : 'Pending', `${name}: DELETED shows the previous object`);
      seen.push({ out, into });
    }
    // The same moves replayed from the ring, after the fact.
    for (const [k, m] of moves.entries()) {
      const replayFrom = await open(m.from);
      const replayTo = await open(m.to);
      const out = await replayFrom.until((e) => e.type === 'DELETED', `${name}: replayed leaving ${m.from}`);
      const into = await replayTo.until((e) => e.type === 'ADDED', `${name}: replayed entering ${m.to}`);
      replayFrom.close();
      replayTo.close();
      assert.deepEqual([rvOf(out), rvOf(into)], [rvOf(seen[k]!.out), rvOf(seen[k]!.into)], `${name}: replay of ${m.from} → ${m.to}`);
      const liveBefore = live[k]!.from.events.filter((e) => rvOf(e) <= rvOf(out));
      assert.equal(brief(replayFrom.events.filter((e) => rvOf(e) <= rvOf(out))), brief(liveBefore), `${name}: replay of ${m.from} equals the live watch`);
    }
    // A graceful deletion of the running pod is DELETED in the selections it ended in.
    await call(api, 'DELETE', `${PODS}/${name}`, [200]);
    for (const [k, m] of moves.entries()) {
      await live[k]!.to.until((e) => e.type === 'DELETED', `${name}: deleted while in ${m.to}`);
      live[k]!.from.close();
      live[k]!.to.close();
    }
  }

  it('DELETED after list-then-watch by name, replays from the ring, selector moves', { timeout: LONG ? 3600_000 : 120_000 }, async (t) => {
    const stop = new AbortController();
    const churning = Promise.all(Array.from({ length: CHURNERS }, (_, w) => churn(w, stop.signal)));
    const started = Date.now();
    try {
      const lanes = Array.from({ length: LANES }, async (_, lane) => {
        for (let i = 0; i < ROUNDS; i++) await deletionRound(lane, i);
      });
      const selectors = (async () => {
        for (let i = 0; i < SELECTOR_ROUNDS; i++) await selectorRound(i);
      })();
      await Promise.all([...lanes, selectors]);
    } finally {
      stop.abort();
    }
    const churned = (await churning).reduce((a, b) => a + b, 0);
    const figures = `watch-deletion: rounds=${LANES * ROUNDS} selector-rounds=${SELECTOR_ROUNDS} churned-pods=${churned} seconds=${((Date.now() - started) / 1000).toFixed(1)}`;
    t.diagnostic(figures);
  });
});
