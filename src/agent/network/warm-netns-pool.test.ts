import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { newLogger } from '../../base/log/logger.js';
import { WarmNetnsPool, type WarmNetns } from './warm-netns-pool.js';

/** A host of pretend namespaces: what make made and destroy has not deleted. */
class FakeHost {
  readonly live = new Set<string>();
  failMakes = 0;
  /** How many entries each make was asked for. */
  readonly batches: number[] = [];
  async make(entries: readonly WarmNetns[]): Promise<void> {
    await Promise.resolve();
    this.batches.push(entries.length);
    if (this.failMakes > 0) {
      this.failMakes--;
      throw new Error('netns add failed');
    }
    for (const e of entries) this.live.add(e.netns);
  }
  async destroy(e: WarmNetns): Promise<void> {
    await Promise.resolve();
    this.live.delete(e.netns);
  }
}

void describe('WarmNetnsPool', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tkube-warm-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const pool = (host: FakeHost, size = 2): WarmNetnsPool =>
    new WarmNetnsPool({
      dir,
      prefix: 'tkw-test-',
      size,
      hostVethOf: (n) => `v${n.slice(-8)}`,
      make: (entries) => host.make(entries),
      destroy: (e) => host.destroy(e),
      exists: (e) => host.live.has(e.netns),
      log: newLogger('warm-netns-test'),
    });

  void it('fills up to its size, hands entries over without their records, refills, and deletes the free ones on stop', async () => {
    const host = new FakeHost();
    const p = pool(host);
    await p.start();
    await p.filled();
    assert.equal(p.size, 2);
    assert.equal(readdirSync(dir).length, 2);
    const taken = p.take();
    assert.ok(taken?.netns.startsWith('tkw-test-'));
    assert.ok(!readdirSync(dir).includes(`${taken?.netns ?? ''}.json`), 'a taken entry has no record');
    await p.filled();
    assert.equal(p.size, 2);
    await p.stop();
    assert.equal(p.size, 0);
    assert.deepEqual([...host.live], [taken?.netns], 'only the taken namespace is left');
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(p.take(), undefined, 'a stopped pool hands out nothing');
  });

  void it('makes all the entries it lacks in one make', async () => {
    const host = new FakeHost();
    const p = pool(host, 4);
    await p.start();
    await p.filled();
    assert.deepEqual(host.batches, [4], 'the first fill is one make of four');
    // Takes while a refill is under way: the next refill makes all that is missing by then.
    p.take();
    p.take();
    p.take();
    await p.filled();
    assert.equal(p.size, 4);
    assert.equal(host.batches.length <= 3, true, `refills in at most two makes, not three: ${host.batches.join(',')}`);
    assert.equal(readdirSync(dir).length, 4);
    await p.stop();
  });

  void it('in a burst, starts that find it empty wait for one make sized for them all, then it refills', async () => {
    const host = new FakeHost();
    const p = pool(host, 2);
    await p.start();
    await p.filled();
    host.batches.length = 0;
    const got = await Promise.all(Array.from({ length: 12 }, () => p.acquire()));
    assert.equal(new Set(got.map((e) => e?.netns)).size, 12, 'twelve distinct entries');
    assert.ok(got.every((e) => e !== undefined && host.live.has(e.netns)));
    assert.ok(host.batches.length <= 2, `the ten beyond the pool came in at most two makes: ${host.batches.join(',')}`);
    await p.filled();
    assert.equal(p.size, 2, 'refilled to its size, not grown beyond it');
    assert.equal(readdirSync(dir).length, 2, 'records of the free entries only');
    await p.stop();
  });

  void it('gives waiting starts nothing when the make fails, or when it stops', async () => {
    const host = new FakeHost();
    const p = pool(host, 0);
    await p.start();
    host.failMakes = 1;
    assert.deepEqual(await Promise.all([p.acquire(), p.acquire()]), [undefined, undefined]);
    await p.filled();
    const waiting = p.acquire();
    await p.stop();
    assert.equal(await waiting, undefined);
    assert.equal(await p.acquire(), undefined, 'a stopped pool hands out nothing');
    assert.equal(readdirSync(dir).length, 0);
  });

  void it('adopts whole entries an earlier run left, and deletes broken ones and stray files', async () => {
    const host = new FakeHost();
    host.live.add('tkw-test-aaaa');
    writeFileSync(join(dir, 'tkw-test-aaaa.json'), JSON.stringify({ netns: 'tkw-test-aaaa', hostVeth: 'vaaaa' }));
    // Killed half-way through making it: a record whose namespace is not there.
    writeFileSync(join(dir, 'tkw-test-bbbb.json'), JSON.stringify({ netns: 'tkw-test-bbbb', hostVeth: 'vbbbb' }));
    writeFileSync(join(dir, 'tkw-test-cccc.json.tmp'), '{');
    const p = pool(host, 1);
    await p.start();
    await p.filled();
    assert.equal(p.size, 1);
    assert.deepEqual(readdirSync(dir), ['tkw-test-aaaa.json']);
    assert.equal(p.take()?.netns, 'tkw-test-aaaa');
    await p.stop();
  });

  void it('stops trying after repeated failures until the next take', async () => {
    const host = new FakeHost();
    host.failMakes = 5;
    const p = pool(host, 1);
    await p.start();
    await p.filled();
    assert.equal(p.size, 0);
    assert.equal(host.failMakes, 2, 'three attempts, then a pause');
    assert.deepEqual(readdirSync(dir), [], 'failed attempts leave no record');
    assert.equal(p.take(), undefined);
    await p.filled();
    assert.equal(p.size, 1);
    await p.stop();
    assert.equal(host.live.size, 0);
  });
});
