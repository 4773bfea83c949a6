import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FakeClock } from '../../base/clock/clock.js';
import { StorageUnavailableError } from '../../storage/errors.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import type { ListOptions, ListResult } from '../../storage/storage.js';
import { encodeObject } from '../registry/stored-object.js';
import { WatchCache } from './watch-cache.js';

/** FlakyStorage fails its lists while `down` is set, as an unreachable etcd does. */
class FlakyStorage extends MemoryStorage {
  down = false;
  override list(prefix: string, options?: ListOptions): Promise<ListResult> {
    if (this.down) return Promise.reject(new StorageUnavailableError('etcd is down'));
    return super.list(prefix, options);
  }
}

void describe('WatchCache with a storage that is down', () => {
  void it('retries a failed first start on the next ready() instead of failing forever', async () => {
    const storage = new FlakyStorage();
    const cache = new WatchCache({ storage, prefix: '/registry/configmaps/', clock: new FakeClock(), kind: 'ConfigMap', apiVersion: 'v1' });
    try {
      await storage.create('/registry/configmaps/default/a', encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } }));
      storage.down = true;
      await assert.rejects(cache.ready(), StorageUnavailableError);
      storage.down = false;
      await cache.ready();
      const snap = await cache.snapshot('/registry/configmaps/');
      assert.deepEqual(snap.items.map((o) => o.metadata?.name), ['a']);
    } finally {
      cache.stop();
      await storage.close();
    }
  });
});
