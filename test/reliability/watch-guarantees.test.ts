/**
 * Watch guarantees with compaction every 150 ms: 16 writers change ConfigMaps while 4 watchers follow the namespace
 * as informers do (bookmarks on, 2 s watch timeouts, resume from the last revision reached, relist on 410); midway
 * the server is killed with SIGKILL and restarted, and every watcher resumes from its last revision. The watch
 * checker proves the streams ordered, unique, atomic (each event is the write committed at its revision, the same
 * for every watcher), reliable (no gap against the acknowledged writes and what other watchers saw), resumable and
 * bookmarkable (a bookmark never goes back, nothing at or below it follows); a watch from a compacted revision
 * gets 410, never a silent gap. Bounded: 2 × 4 s of writes; long mode (TKUBE_LONG=1): 10 restarts × 30 s.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../harness/test-cluster.js';
import { HistoryRecorder } from './history/history.js';
import { checkWatchSegments, type CommittedWrite } from './history/watch-checker.js';
import { withReliabilityServer } from './reliability-server.js';
import { crashAndRestart, isLong, sleep } from './workload/faults.js';
import { RegisterWorkload, ServerGate } from './workload/register-workload.js';
import { WatchClient } from './workload/watch-client.js';

const LONG = isLong();
const PHASES = LONG ? 11 : 2;
const PHASE_MS = LONG ? 30_000 : 4_000;
const WATCHERS = 4;
const ARGS = ['--compaction-interval', '150ms', '--compaction-keep-revisions', '50'];

describe('watch guarantees under compaction and restarts', () => {
  const server = withReliabilityServer(ARGS);

  it('ordered, unique, atomic, reliable, resumable and bookmarkable; 410 for a compacted start', { timeout: LONG ? 3600_000 : 180_000 }, async (t) => {
    const { cluster: c, api } = server;
    const ns = 'watch';
    const created = await api.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    assert.ok(created.kind === 'http' && created.status === 201, JSON.stringify(created));
    const startRv = Number((JSON.parse(created.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    const gate = new ServerGate();
    const target = server.faultTarget(gate);
    const recorder = new HistoryRecorder();
    const workload = new RegisterWorkload({ api, recorder, gate, namespace: ns, clients: 16, keys: 4, mode: 'owned', readRatio: 0.1, deleteRatio: 0.15 });
    const keep = (name: string): boolean => name.startsWith('r-');
    const watchers = Array.from({ length: WATCHERS }, (_, i) => new WatchClient(c, i, ns, keep));
    const stopWatch = new AbortController();
    const watching = Promise.all(watchers.map((w) => w.run(startRv, stopWatch.signal)));

    let restarts = 0;
    for (let phase = 0; phase < PHASES; phase++) {
      if (phase > 0) {
        await crashAndRestart(target);
        restarts++;
      }
      workload.forget();
      const stop = new AbortController();
      const running = workload.run(stop.signal);
      await sleep(PHASE_MS);
      stop.abort();
      await running;
    }
    // A watch from the namespace's creation revision, long compacted by now, must get 410 — not a partial history.
    const late = new WatchClient(c, 100, ns, keep);
    const lateSeg = await late.segment(startRv, new AbortController().signal, 1);
    // Every watcher catches up with the last acknowledged write.
    const maxAcked = workload.stats.maxAckedRv;
    await eventually(() => watchers.every((w) => w.reached >= maxAcked), 30_000, 100);
    stopWatch.abort();
    await watching;

    const committed: CommittedWrite[] = [];
    for (const o of recorder.operations) {
      if (o.outcome !== 'ok' || o.rv === undefined || o.value === undefined) continue;
      if (o.kind === 'create') committed.push({ rv: o.rv, key: o.key, type: 'ADDED', value: o.value });
      if (o.kind === 'update') committed.push({ rv: o.rv, key: o.key, type: 'MODIFIED', value: o.value });
    }
    const segments = watchers.flatMap((w) => w.segments);
    const r = checkWatchSegments({ committed, attempted: workload.attempted, segments });
    assert.deepEqual(workload.unexpected, [], 'every answer is one the workload expects');
    const figures = `watch-guarantees: acknowledged-writes=${committed.length} watchers=${WATCHERS} segments=${r.segments} events=${r.events} bookmarks=${watchers.reduce((n, w) => n + w.bookmarks, 0)} expired-410=${watchers.reduce((n, w) => n + w.expired, 0)} restarts=${restarts} compacted-start=${lateSeg.end} violations=${r.violations.length}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    if (!r.ok) t.diagnostic(JSON.stringify(r.violations.slice(0, 5)));
    assert.equal(lateSeg.end, 'expired', `a watch from compacted revision ${startRv} gets 410`);
    assert.equal(lateSeg.events.filter((e) => e.type !== 'BOOKMARK').length, 0, 'no events before the 410');
    assert.equal(r.violations.length, 0, figures);
    assert.ok(committed.length > 0 && r.events > 0, figures);
  });
});
