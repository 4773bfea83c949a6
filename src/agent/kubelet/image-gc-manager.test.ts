import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import type { Image, ImageFsInfo } from '../cri/image-service.js';
import { ImageGCManager, type GcImages } from './image-gc-manager.js';

class Store implements GcImages {
  used = 90;
  constructor(
    public images: (Image & { last?: number })[],
    readonly capacity = 100,
  ) {}
  async listImages(): Promise<Image[]> {
    return this.images;
  }
  async removeImage(id: string): Promise<void> {
    const i = this.images.find((x) => x.id === id);
    this.images = this.images.filter((x) => x.id !== id);
    this.used -= i?.size ?? 0;
  }
  async imageFsInfo(): Promise<ImageFsInfo> {
    return { mountpoint: '/', usedBytes: this.used, capacityBytes: this.capacity, availableBytes: this.capacity - this.used };
  }
  lastUsed(id: string): number | undefined {
    return this.images.find((x) => x.id === id)?.last;
  }
}

const img = (id: string, size: number, extra: Partial<Image & { last: number }> = {}): Image & { last?: number } => ({ id, repoTags: [id], repoDigests: [], size, ...extra });

void describe('ImageGCManager', () => {
  void it('does nothing under the high threshold', async () => {
    const s = new Store([img('a', 10)]);
    s.used = 84;
    assert.deepEqual(await new ImageGCManager(s, async () => new Set(), new FakeClock()).garbageCollect(), { removed: [], freedBytes: 0 });
  });

  void it('removes unused images, least recently used first, down to the low threshold', async () => {
    const clock = new FakeClock();
    clock.advance(3_600_000);
    const t = clock.now();
    const s = new Store([img('pause', 5, { pinned: true }), img('running', 20), img('recent', 5, { last: t - 1_000 }), img('old', 6, { last: t - 600_000 }), img('older', 3, { last: t - 900_000 }), img('never', 1)]);
    const r = await new ImageGCManager(s, async () => new Set(['running']), clock).garbageCollect();
    // 90 used, low 80 → 10 bytes to free: never (1), older (3), old (6).
    assert.deepEqual(r, { removed: ['never', 'older', 'old'], freedBytes: 10 });
    assert.deepEqual(s.images.map((i) => i.id), ['pause', 'running', 'recent']);
  });

  void it('reports when not enough can be freed', async () => {
    const s = new Store([img('running', 50), img('pause', 30, { pinned: true }), img('x', 2)]);
    const r = await new ImageGCManager(s, async () => new Set(['running']), new FakeClock()).garbageCollect();
    assert.deepEqual(r.removed, ['x']);
    assert.match(r.failure ?? '', /^Failed to garbage collect required amount of images\. Attempted to free 10 bytes, but only found 2 bytes eligible to free\.$/);
  });
});
