import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../base/clock/clock.js';
import { resolveRequestInfo } from '../request/request-info-resolver.js';
import type { UserInfo } from '../request/request-info.js';
import { BacklogPacer } from './backlog-pacer.js';
import { type Admission, classify, DEFAULT_FLOW_SCHEMAS, DEFAULT_PRIORITY_LEVELS, PriorityAndFairness } from './priority-and-fairness.js';

const info = (method: string, path: string) => resolveRequestInfo(method, new URL(`https://h${path}`));
const user = (username: string, ...groups: string[]): UserInfo => ({ username, groups: [...groups, 'system:authenticated'] });
const level = (method: string, path: string, u: UserInfo): string | undefined => classify(DEFAULT_FLOW_SCHEMAS, info(method, path), u)?.level;
const PODS = '/api/v1/namespaces/default/pods';

test('classify() puts node heartbeats, leader election, controllers and masters on their levels', () => {
  const node = user('system:node:n1', 'system:nodes');
  assert.equal(level('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', node), 'node-high');
  assert.equal(level('PATCH', '/api/v1/nodes/n1/status', node), 'node-high');
  assert.equal(level('GET', PODS, node), 'workload-high');
  const kcm = user('system:kube-controller-manager');
  assert.equal(level('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager', kcm), 'leader-election');
  assert.equal(level('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler', user('system:kube-scheduler')), 'leader-election');
  assert.equal(level('GET', '/apis/apps/v1/deployments', kcm), 'workload-high');
  assert.equal(level('GET', PODS, user('system:serviceaccount:kube-system:x', 'system:serviceaccounts', 'system:serviceaccounts:kube-system')), 'workload-high');
  assert.equal(level('DELETE', '/api/v1/nodes/n1', user('admin', 'system:masters')), 'exempt');
  // A plain user writing a Lease in kube-node-lease is not a node.
  assert.equal(level('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', user('alice')), 'global-default');
  assert.equal(level('GET', PODS, user('alice')), 'global-default');
  assert.equal(level('GET', '/version', user('alice')), 'global-default');
});

test('each level gets its share of the seats; exempt requests are never limited', async () => {
  const pf = new PriorityAndFairness({ serverConcurrencyLimit: 11, clock: new FakeClock() });
  assert.deepEqual(
    ['leader-election', 'node-high', 'workload-high', 'global-default'].map((l) => pf.seats(l)),
    [1, 4, 4, 2],
  );
  for (let i = 0; i < 100; i++) assert.equal((await pf.acquire(info('GET', PODS), user('admin', 'system:masters'))).admitted, true);
  assert.equal(new PriorityAndFairness({ serverConcurrencyLimit: 0, clock: new FakeClock() }).seats('global-default'), Number.POSITIVE_INFINITY);
});

test('a flood in global-default leaves node-high seats free', async () => {
  const clock = new FakeClock();
  const pf = new PriorityAndFairness({ serverConcurrencyLimit: 11, clock, queueLengthLimit: 3 });
  const alice = user('alice');
  const flood = Array.from({ length: 20 }, () => pf.acquire(info('GET', PODS), alice));
  const node = user('system:node:n1', 'system:nodes');
  const renew = await pf.acquire(info('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'), node);
  assert.equal(renew.admitted, true);
  assert.equal(renew.level, 'node-high');
  // Two seats taken, three queued, fifteen refused at once for a full queue.
  assert.equal(pf.inUse('global-default'), 2);
  assert.equal(pf.waiting('global-default'), 3);
  clock.advance(1000);
  const outcomes = await Promise.all(flood);
  const count = (pred: (a: Admission) => boolean): number => outcomes.filter(pred).length;
  assert.equal(count((a) => a.admitted), 2);
  assert.equal(count((a) => !a.admitted && a.reason === 'queue-full'), 15);
  assert.equal(count((a) => !a.admitted && a.reason === 'time-out'), 3);
  assert.equal(pf.waiting('global-default'), 0);
  assert.deepEqual(
    pf.levels().find((l) => l.level === 'global-default'),
    { level: 'global-default', seats: 2, executing: 2, waiting: 0 },
  );
  assert.equal(outcomes.find((a) => !a.admitted)?.flowSchema, 'global-default');
});

test('freed seats go round-robin across flows, a newly waiting flow first, so a flow with many waiters cannot starve another', async () => {
  const clock = new FakeClock();
  const pf = new PriorityAndFairness({ serverConcurrencyLimit: 1, clock, levels: [{ name: 'global-default', shares: 1 }], flowSchemas: [{ name: 'all', level: 'global-default' }] });
  const first = await pf.acquire(info('GET', PODS), user('alice'));
  assert.ok(first.admitted);
  const order: string[] = [];
  const take = (who: string): Promise<void> =>
    pf.acquire(info('GET', PODS), user(who)).then((a) => {
      assert.ok(a.admitted);
      order.push(who);
      // Hold the seat until the test releases it, one grant at a time.
      held.push(a.release);
    });
  const held: (() => void)[] = [];
  const waits = [take('alice'), take('alice'), take('alice'), take('bob'), take('carol')];
  first.release();
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    held.shift()?.();
  }
  await Promise.all(waits);
  assert.deepEqual(order, ['carol', 'bob', 'alice', 'alice', 'alice']);
});

test('a released seat is released once; a timed-out waiter never gets a seat later', async () => {
  const clock = new FakeClock();
  const pf = new PriorityAndFairness({ serverConcurrencyLimit: 1, clock, queueWaitMs: 500, levels: [{ name: 'l', shares: 1 }], flowSchemas: [{ name: 'all', level: 'l' }] });
  const a = await pf.acquire(info('GET', PODS), user('alice'));
  assert.ok(a.admitted);
  const late = pf.acquire(info('GET', PODS), user('bob'));
  clock.advance(499);
  assert.equal(pf.waiting('l'), 1);
  clock.advance(1);
  const refused = await late;
  assert.equal(refused.admitted, false);
  a.release();
  a.release();
  assert.equal(pf.inUse('l'), 0);
  const b = await pf.acquire(info('GET', PODS), user('bob'));
  assert.ok(b.admitted);
  assert.equal(pf.inUse('l'), 1);
});

test('while the loop is busy, a backlogged flow gets a seat once per pacer gap; a newly arriving flow takes a free seat at once', async () => {
  const clock = new FakeClock();
  // The pacer's signal is set by hand: one busy sample makes the gap 10 ms.
  const pacer = new BacklogPacer({ clock, busyFraction: () => 1, minGapMs: 10, maxGapMs: 10 });
  pacer.sample();
  assert.equal(pacer.gapMs, 10);
  const pf = new PriorityAndFairness({
    serverConcurrencyLimit: 4,
    clock,
    pacer,
    levels: [
      { name: 'paced', shares: 1, paced: true },
      { name: 'reserved', shares: 1 },
    ],
    flowSchemas: [
      { name: 'nodes', level: 'reserved', subjects: { groups: ['system:nodes'] } },
      { name: 'all', level: 'paced' },
    ],
  });
  const granted: string[] = [];
  const acquire = (who: UserInfo, tag: string): Promise<Admission> =>
    pf.acquire(info('GET', PODS), who).then((a) => {
      if (a.admitted) granted.push(tag);
      return a;
    });
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  const flood = user('flood');
  const outcomes = Array.from({ length: 5 }, (_, i) => acquire(flood, `flood-${i}`));
  await settle();
  assert.deepEqual(granted, ['flood-0', 'flood-1'], 'the two seats, taken while nobody waited');
  const seat = async (i: number): Promise<() => void> => {
    const a = await outcomes[i];
    assert.ok(a?.admitted);
    return a.release;
  };
  (await seat(0))();
  await settle();
  assert.deepEqual(granted.slice(2), ['flood-2'], 'the first backlogged dispatch goes at once');
  (await seat(1))();
  await settle();
  assert.equal(granted.length, 3, 'the next one waits for the gap, leaving a seat free');
  assert.equal(pf.inUse('paced'), 1);
  assert.equal(pf.waiting('paced'), 2);
  const other = await acquire(user('other'), 'other');
  assert.ok(other.admitted, 'a flow with nothing executing or waiting takes the free seat');
  other.release();
  clock.advance(9);
  await settle();
  assert.equal(granted.length, 4);
  clock.advance(1);
  await settle();
  assert.deepEqual(granted.slice(4), ['flood-3']);
  // A level without `paced` is never held back: its backlog gets every freed seat at once.
  const node = user('system:node:n1', 'system:nodes');
  const renewals = await Promise.all([acquire(node, 'n0'), acquire(node, 'n1')]);
  const queued = acquire(node, 'n2');
  assert.equal(pf.waiting('reserved'), 1);
  for (const r of renewals) if (r.admitted) r.release();
  assert.ok((await queued).admitted);
});

test('only global-default and workload-high are paced: Lease renewals and node heartbeats keep their seats', () => {
  assert.deepEqual(
    DEFAULT_PRIORITY_LEVELS.filter((l) => l.paced).map((l) => l.name),
    ['workload-high', 'global-default'],
  );
});

test('a backlogged flow is refused at once when the pacer could not serve its request within the queue wait', async () => {
  const clock = new FakeClock();
  const pacer = new BacklogPacer({ clock, busyFraction: () => 1, minGapMs: 100, maxGapMs: 100 });
  pacer.sample();
  const pf = new PriorityAndFairness({ serverConcurrencyLimit: 1, clock, pacer, queueWaitMs: 500, levels: [{ name: 'l', shares: 1, paced: true }], flowSchemas: [{ name: 'all', level: 'l' }] });
  const flood = user('flood');
  const first = await pf.acquire(info('GET', PODS), flood);
  assert.ok(first.admitted);
  // 100 ms a place: five more fit in 500 ms, the sixth would wait 600 ms.
  const waits = Array.from({ length: 6 }, () => pf.acquire(info('GET', PODS), flood));
  assert.equal(pf.waiting('l'), 5);
  const refused = await Promise.race([waits[5], new Promise((r) => setImmediate(() => r('pending')))]);
  assert.deepEqual(refused, { admitted: false, flowSchema: 'all', level: 'l', reason: 'queue-full' });
  // A flow with nothing executing or waiting is not refused for the others' backlog, and goes first.
  first.release();
  const second = await waits[0];
  assert.ok(second?.admitted);
  const other = pf.acquire(info('GET', PODS), user('other'));
  second.release();
  assert.equal((await other).admitted, true);
  clock.advance(1000);
  await Promise.all(waits);
});
