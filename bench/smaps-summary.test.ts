import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { summarizeSmaps, summarizeSmapsText } from './smaps-summary.js';

const SMAPS = `55d0c0000000-55d0c0400000 r-xp 00000000 08:01 1234                       /usr/bin/node
Size:               4096 kB
Rss:                2048 kB
55d0c2000000-55d0c9000000 rw-p 00000000 00:00 0                          [heap]
Size:             114688 kB
Rss:              102400 kB
7f0000000000-7f0000040000 rw-p 00000000 00:00 0 
Size:                256 kB
Rss:                 256 kB
7f0000100000-7f0000200000 rw-p 00000000 00:00 0
Rss:                1024 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
Rss:                  64 kB
`;

void describe('summarizeSmaps', () => {
  void it('sums resident memory by kind of mapping', () => {
    const s = summarizeSmapsText(SMAPS);
    assert.deepEqual(s, { heapMb: 100, anonMb: 1, fileMb: 2, otherMb: 0, totalMb: 103, anonMappings: 2 });
  });

  void it('reads a live process', () => {
    const s = summarizeSmaps(process.pid);
    assert.ok(s.totalMb > 0 && s.fileMb > 0, JSON.stringify(s));
  });
});
