import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeImages } from './node-images.js';

void describe('nodeImages', () => {
  void it('lists the largest first, digests then tags, bounded in count and names', () => {
    const image = (n: number, size: number, tags = 1) => ({
      id: `sha256:${n}`,
      repoTags: Array.from({ length: tags }, (_, i) => `docker.io/library/i${n}:v${i}`),
      repoDigests: [`docker.io/library/i${n}@sha256:${n}`],
      size,
    });
    const got = nodeImages([image(1, 10), image(2, 30, 7), image(3, 20)], 2);
    assert.deepEqual(got, [
      { names: ['docker.io/library/i2@sha256:2', 'docker.io/library/i2:v0', 'docker.io/library/i2:v1', 'docker.io/library/i2:v2', 'docker.io/library/i2:v3'], sizeBytes: 30 },
      { names: ['docker.io/library/i3@sha256:3', 'docker.io/library/i3:v0'], sizeBytes: 20 },
    ]);
  });
});
