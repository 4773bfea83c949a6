import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { Compactor } from './compactor.js';

async function write(storage: MemoryStorage, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await storage.create(`/k/${(await storage.currentRevision()) + 1}`, new Uint8Array([1]));
}

void describe('Compactor', () => {
  void it('tick() keeps the previous interval and at least keepRevisions', async () => {
    const storage = new MemoryStorage();
    const compactor = new Compactor({ storage, clock: new FakeClock(), keepRevisions: 10 });
    await write(storage, 50);
    assert.equal(await compactor.tick(), undefined, 'the first tick only records the revision');
    await write(storage, 5);
    assert.equal(await compactor.tick(), 45, 'keepRevisions bounds the step when the interval saw few writes');
    assert.equal(storage.compactRevision(), 45);
    await write(storage, 100);
    assert.equal(await compactor.tick(), 55, 'the revision of the previous tick');
  });

  void it('start() runs ticks on the clock until stop()', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const compactor = new Compactor({ storage, clock, intervalMs: 1000, keepRevisions: 1 });
    compactor.start();
    await write(storage, 5);
    clock.advance(1000);
    await write(storage, 5);
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 5));
      if (storage.compactRevision() > 0) break;
    }
    assert.ok(storage.compactRevision() >= 5);
    compactor.stop();
  });
});
