/**
 * The linearizability checker on a corpus: known-good histories must pass, known-bad ones (lost write, stale read,
 * revision going back, duplicated revision, a 409 that should not have been) must be flagged.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Operation } from './history.js';
import { checkRegisterHistory } from './register-checker.js';

let nextId = 0;
/** op builds an operation; `at` is [invoke, complete] (complete Infinity for info). */
function op(kind: Operation['kind'], at: [number, number], fields: Partial<Operation> = {}): Operation {
  return { id: nextId++, client: fields.client ?? 0, key: fields.key ?? 'k', kind, invoke: at[0], complete: at[1], outcome: fields.outcome ?? 'ok', ...fields };
}

describe('register checker: known-good histories', () => {
  it('accepts a sequential create, update, read, delete', () => {
    const h = [
      op('create', [0, 1], { value: 'a', rv: 10 }),
      op('update', [2, 3], { value: 'b', expectedRv: 10, rv: 11 }),
      op('get', [4, 5], { read: 'b', rv: 11 }),
      op('delete', [6, 7], { expectedRv: 11, rv: 12 }),
      op('get', [8, 9], { read: null }),
    ];
    assert.equal(checkRegisterHistory(h).ok, true);
  });

  it('accepts concurrent updates where one wins and the other gets 409', () => {
    const h = [
      op('create', [0, 1], { value: 'a', rv: 10 }),
      op('update', [2, 6], { client: 1, value: 'b', expectedRv: 10, rv: 12 }),
      op('update', [2, 6], { client: 2, value: 'c', expectedRv: 10, outcome: 'fail', failure: 'conflict' }),
      op('get', [3, 4], { client: 3, read: 'a', rv: 10 }), // concurrent with the update: the old value is fine
      op('get', [7, 8], { read: 'b', rv: 12 }),
    ];
    assert.equal(checkRegisterHistory(h).ok, true);
  });

  it('accepts an info write that took effect (read later) and one that did not', () => {
    const h = [
      op('create', [0, 1], { value: 'a', rv: 10 }),
      op('update', [2, Infinity], { client: 1, value: 'b', expectedRv: 10, outcome: 'info' }),
      op('get', [5, 6], { read: 'b', rv: 14 }),
      op('update', [7, Infinity], { client: 2, value: 'lost-in-crash', expectedRv: 14, outcome: 'info' }),
      op('update', [8, 9], { value: 'c', expectedRv: 14, rv: 20 }),
      op('get', [10, 11], { read: 'c', rv: 20 }),
    ];
    const r = checkRegisterHistory(h);
    assert.equal(r.ok, true, JSON.stringify(r.violations));
  });

  it('accepts many concurrent clients on many keys', () => {
    const h: Operation[] = [];
    let rv = 1;
    for (let k = 0; k < 20; k++) {
      const key = `k${k}`;
      h.push(op('create', [k * 100, k * 100 + 1], { key, value: `${key}-0`, rv: rv++ }));
      let cur = rv - 1;
      for (let i = 1; i <= 30; i++) {
        const t = k * 100 + i * 3;
        // 4 concurrent contenders on the same rv; the first wins
        h.push(op('update', [t, t + 2], { key, client: 0, value: `${key}-${i}`, expectedRv: cur, rv: rv }));
        for (let c = 1; c < 4; c++) h.push(op('update', [t, t + 2], { key, client: c, value: `${key}-${i}-${c}`, expectedRv: cur, outcome: 'fail', failure: 'conflict' }));
        cur = rv++;
      }
    }
    const r = checkRegisterHistory(h);
    assert.equal(r.ok, true, JSON.stringify(r.violations.slice(0, 3)));
    assert.equal(r.keys, 20);
  });
});

describe('register checker: long histories (the long modes)', () => {
  // Found by running the long modes: the search recursed once per operation, so a key with ~6,000 operations (the
  // crash suite's 200 runs put thousands on each key) overflowed the stack, and every step copied the whole
  // history into its memo, which made a key quadratic. One key, 20,000 operations, two clients overlapping, an info
  // write left behind by every 500th operation (as a crash leaves the call in flight): decided, and quickly.
  function longHistory(n: number, lastRead: string | undefined): Operation[] {
    const h: Operation[] = [op('create', [0, 1], { value: 'v0', rv: 1 })];
    let rv = 1;
    let value = 'v0';
    for (let i = 1; i < n; i++) {
      const t = 10 * i;
      if (i % 500 === 0) h.push(op('update', [t, Infinity], { client: 2, value: `lost${i}`, expectedRv: rv - 5, outcome: 'info' }));
      else if (i % 3 === 0) h.push(op('get', [t - 5, t + 5], { client: 1, read: value, rv }));
      else {
        h.push(op('update', [t, t + 8], { value: `v${i}`, expectedRv: rv, rv: rv + 1 }));
        rv++;
        value = `v${i}`;
      }
    }
    if (lastRead !== undefined) h.push(op('get', [10 * n + 20, 10 * n + 30], { client: 1, read: lastRead, rv: 1 }));
    return h;
  }

  it('decides a key with 20,000 operations without overflowing the stack', () => {
    const started = performance.now();
    const r = checkRegisterHistory(longHistory(20_000, undefined));
    assert.deepEqual([r.ok, r.undecided.length], [true, 0]);
    assert.ok(performance.now() - started < 20_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('still refutes a long history whose last read saw the first value (a lost write at the end)', () => {
    const r = checkRegisterHistory(longHistory(5_000, 'v0'));
    assert.equal(r.ok, false);
    assert.equal(r.undecided.length, 0);
  });
});

describe('register checker: known-bad histories are flagged', () => {
  it('lost write: an acknowledged update is not seen by a later read', () => {
    const h = [
      op('create', [0, 1], { value: 'a', rv: 10 }),
      op('update', [2, 3], { value: 'b', expectedRv: 10, rv: 11 }),
      op('get', [4, 5], { read: 'a', rv: 10 }),
    ];
    assert.equal(checkRegisterHistory(h).ok, false);
  });

  it('lost write across a restart: an acknowledged create reads as missing', () => {
    const h = [op('create', [0, 1], { value: 'a', rv: 10 }), op('get', [50, 51], { read: null })];
    assert.equal(checkRegisterHistory(h).ok, false);
  });

  it('stale read: a read after two writes returns the first', () => {
    const h = [
      op('create', [0, 1], { value: 'a', rv: 10 }),
      op('update', [2, 3], { value: 'b', expectedRv: 10, rv: 11 }),
      op('update', [4, 5], { value: 'c', expectedRv: 11, rv: 12 }),
      op('get', [6, 7], { client: 2, read: 'b', rv: 11 }),
    ];
    assert.equal(checkRegisterHistory(h).ok, false);
  });

  it('revision going back on one key', () => {
    const h = [op('create', [0, 1], { value: 'a', rv: 10 }), op('update', [2, 3], { value: 'b', expectedRv: 10, rv: 9 })];
    const r = checkRegisterHistory(h);
    assert.equal(r.ok, false);
    assert.ok(r.violations.some((v) => /went back/.test(v.reason)));
  });

  it('revision going back across keys (after a restart)', () => {
    const h = [op('create', [0, 1], { key: 'x', value: 'a', rv: 100 }), op('create', [10, 11], { key: 'y', value: 'b', rv: 50 })];
    const r = checkRegisterHistory(h);
    assert.equal(r.ok, false);
    assert.match(r.violations[0]?.reason ?? '', /went back/);
  });

  it('one revision given to two writes', () => {
    const h = [op('create', [0, 5], { key: 'x', value: 'a', rv: 7 }), op('create', [0, 5], { key: 'y', value: 'b', rv: 7 })];
    const r = checkRegisterHistory(h);
    assert.equal(r.ok, false);
    assert.match(r.violations[0]?.reason ?? '', /two writes/);
  });

  it('a 409 when the precondition held', () => {
    const h = [
      op('create', [0, 1], { value: 'a', rv: 10 }),
      op('update', [2, 3], { value: 'b', expectedRv: 10, outcome: 'fail', failure: 'conflict' }),
      op('get', [4, 5], { read: 'a', rv: 10 }),
    ];
    assert.equal(checkRegisterHistory(h).ok, false);
  });

  it('two updates both accepted on the same precondition (lost update)', () => {
    const h = [
      op('create', [0, 1], { value: 'a', rv: 10 }),
      op('update', [2, 6], { client: 1, value: 'b', expectedRv: 10, rv: 11 }),
      op('update', [2, 6], { client: 2, value: 'c', expectedRv: 10, rv: 12 }),
    ];
    assert.equal(checkRegisterHistory(h).ok, false);
  });

  it('a read of a value no write produced', () => {
    const h = [op('create', [0, 1], { value: 'a', rv: 10 }), op('get', [2, 3], { read: 'zzz', rv: 10 })];
    assert.equal(checkRegisterHistory(h).ok, false);
  });

  it('an info write read back before it was invoked', () => {
    const h = [
      op('create', [0, 1], { value: 'a', rv: 10 }),
      op('get', [2, 3], { read: 'b', rv: 11 }),
      op('update', [4, Infinity], { value: 'b', expectedRv: 10, outcome: 'info' }),
    ];
    assert.equal(checkRegisterHistory(h).ok, false);
  });
});
